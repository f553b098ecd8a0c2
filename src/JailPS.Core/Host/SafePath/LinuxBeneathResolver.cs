using System;
using System.IO;
using System.Runtime.Versioning;
using Tmds.Linux;

namespace JailPS.Core.Host.SafePath;

/// <summary>
/// Linux side of the host file-system seam (DESIGN.md, "The kernel seam"): Tmds.LibC's openat2
/// with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS (Linux 5.6+), so the
/// simulated host and the Linux test runs exercise the symlink-safe walk for real. If openat2
/// is not there (ENOSYS) it falls back, once and for good, to a component-by-component openat
/// with O_NOFOLLOW | O_DIRECTORY, refusing ELOOP and ENOTDIR. Every constant and errno here is
/// Linux's, from Tmds.LibC; this class is only ever loaded on Linux (see <see cref="BeneathResolvers"/>).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class LinuxBeneathResolver : BeneathResolver
{
    private readonly bool _pretendNoOpenat2;
    private volatile bool _openat2Missing;

    public LinuxBeneathResolver() : this(pretendNoOpenat2: false) { }

    /// <summary>Tests: make openat2 answer ENOSYS, as a kernel before 5.6 would, to drive the fallback.</summary>
    internal LinuxBeneathResolver(bool pretendNoOpenat2)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("LinuxBeneathResolver uses Linux's libc and constants; it runs only on Linux.");
        _pretendNoOpenat2 = pretendNoOpenat2;
    }

    /// <summary>True until openat2 has answered ENOSYS.</summary>
    public bool UsesOpenat2 => !_openat2Missing;

    public override string Mechanism => UsesOpenat2 ? "openat2" : "openat-walk";

    private static ulong ResolveFlags => LibC.RESOLVE_BENEATH | LibC.RESOLVE_NO_SYMLINKS | LibC.RESOLVE_NO_MAGICLINKS;

    /// <summary>openat2(2); on ENOSYS latches the fallback and returns -1 with errno ENOSYS.</summary>
    private int OpenAt2(int dirFd, byte[] path, int flags, ulong mode, out int errno)
    {
        if (_pretendNoOpenat2)
        {
            _openat2Missing = true;
            errno = LibC.ENOSYS;
            return -1;
        }
        open_how how = default;
        how.flags = (ulong)(uint)flags;
        how.mode = mode;
        how.resolve = ResolveFlags;
        int fd;
        fixed (byte* p = path)
            fd = LibC.openat2(dirFd, p, &how, (size_t)sizeof(open_how));
        errno = fd < 0 ? LibC.errno : 0;
        if (fd < 0 && errno == LibC.ENOSYS)
            _openat2Missing = true;
        return fd;
    }

    private static int OpenAt(int dirFd, byte[] path, int flags, uint mode, out int errno)
    {
        int fd;
        fixed (byte* p = path)
            fd = LibC.openat(dirFd, p, flags, (mode_t)(ushort)mode);
        errno = fd < 0 ? LibC.errno : 0;
        return fd;
    }

    protected override int OpenRootFd(byte[] path, out int errno)
        => OpenAt(LibC.AT_FDCWD, path, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0, out errno);

    protected override int TryOpenDirectoryPath(int rootFd, byte[] relativePath)
    {
        if (_openat2Missing)
            return -1;
        // One kernel call for the whole path; on any failure the component walk runs instead,
        // which is safe by itself and names the offending component.
        return OpenAt2(rootFd, relativePath, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0, out _);
    }

    /// <summary>
    /// Tests: one whole-path openat2 as <see cref="TryOpenDirectoryPath"/> makes it, without the
    /// walk behind it; returns "ok" or the errno name, so the kernel's own refusal can be shown.
    /// </summary>
    internal string ProbeOpenat2(Microsoft.Win32.SafeHandles.SafeFileHandle root, string relativePath)
    {
        bool added = false;
        try
        {
            root.DangerousAddRef(ref added);
            int fd = OpenAt2((int)root.DangerousGetHandle(), ToCString(relativePath), LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0, out int errno);
            if (fd < 0)
                return ErrnoName(errno);
            LibC.close(fd);
            return "ok";
        }
        finally
        {
            if (added) root.DangerousRelease();
        }
    }

    protected override int OpenDirectoryComponent(int dirFd, byte[] name, out int errno)
    {
        int flags = LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC;
        if (!_openat2Missing)
        {
            int fd = OpenAt2(dirFd, name, flags, 0, out errno);
            if (fd >= 0 || errno != LibC.ENOSYS)
                return fd;
        }
        return OpenAt(dirFd, name, flags | LibC.O_NOFOLLOW, 0, out errno);
    }

    protected override int MakeDirectoryComponent(int dirFd, byte[] name, UnixFileMode mode, out int errno)
    {
        int rc;
        fixed (byte* p = name)
            rc = LibC.mkdirat(dirFd, p, (mode_t)(ushort)mode);
        errno = rc < 0 ? LibC.errno : 0;
        return rc;
    }

    protected override int OpenReadComponent(int dirFd, byte[] name, out int errno)
    {
        int flags = LibC.O_RDONLY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC | LibC.O_NONBLOCK;
        if (!_openat2Missing)
        {
            int fd = OpenAt2(dirFd, name, flags, 0, out errno);
            if (fd >= 0 || errno != LibC.ENOSYS)
                return fd;
        }
        return OpenAt(dirFd, name, flags, 0, out errno);
    }

    protected override int OpenFileComponent(int dirFd, byte[] name, bool truncate, bool exclusive, UnixFileMode mode, out int errno)
    {
        // O_NONBLOCK: a FIFO planted by the jail must not hang the host (ENXIO without a reader).
        int flags = LibC.O_WRONLY | LibC.O_CREAT | LibC.O_NOFOLLOW | LibC.O_CLOEXEC | LibC.O_NONBLOCK;
        if (truncate) flags |= LibC.O_TRUNC;
        if (exclusive) flags |= LibC.O_EXCL;
        if (!_openat2Missing)
        {
            int fd = OpenAt2(dirFd, name, flags, (ulong)mode, out errno);
            if (fd >= 0 || errno != LibC.ENOSYS)
                return fd;
        }
        return OpenAt(dirFd, name, flags, (uint)mode, out errno);
    }

    protected override void CloseFd(int fd) => LibC.close(fd);

    protected override bool IsSymbolicLink(int dirFd, byte[] name)
    {
        byte* buf = stackalloc byte[1];
        fixed (byte* p = name)
            return (long)LibC.readlinkat(dirFd, p, buf, 1) >= 0;
    }

    protected override Failure Classify(int errno)
    {
        if (errno == LibC.ENOENT) return Failure.NotFound;
        if (errno == LibC.EEXIST) return Failure.Exists;
        // ELOOP: O_NOFOLLOW met a link, or RESOLVE_NO_SYMLINKS met one anywhere on the path.
        if (errno == LibC.ELOOP) return Failure.SymbolicLink;
        if (errno == LibC.ENOTDIR) return Failure.NotDirectory;
        // EXDEV: RESOLVE_BENEATH saw the path leave the directory. EAGAIN: it could not rule out
        // a ".." race; nothing here retries into the unknown, so treat it as leaving the root too.
        if (errno == LibC.EXDEV || errno == LibC.EAGAIN) return Failure.OutsideRoot;
        if (errno == LibC.EISDIR) return Failure.IsDirectory;
        if (errno == LibC.ENOSYS) return Failure.NotSupported;
        return Failure.Other;
    }

    protected override string ErrnoName(int errno)
    {
        if (errno == LibC.ENOENT) return "ENOENT";
        if (errno == LibC.EEXIST) return "EEXIST";
        if (errno == LibC.ELOOP) return "ELOOP";
        if (errno == LibC.ENOTDIR) return "ENOTDIR";
        if (errno == LibC.EXDEV) return "EXDEV";
        if (errno == LibC.EAGAIN) return "EAGAIN";
        if (errno == LibC.EISDIR) return "EISDIR";
        if (errno == LibC.EACCES) return "EACCES";
        if (errno == LibC.ENOSYS) return "ENOSYS";
        if (errno == LibC.ENXIO) return "ENXIO";
        return "Linux errno " + errno;
    }
}
