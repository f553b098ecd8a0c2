using System;
using System.IO;
using JailPS.Native;

namespace JailPS.Core.Host.SafePath;

/// <summary>
/// FreeBSD side of the host file-system seam: JailPS.Native's openat with
/// O_RESOLVE_BENEATH | O_NOFOLLOW | O_DIRECTORY, one component at a time, so the kernel refuses
/// both a link (O_NOFOLLOW → EMLINK on FreeBSD, pjdfstest open/16.t) and any lookup that would
/// leave the directory (O_RESOLVE_BENEATH → ENOTCAPABLE, open(2)). Only FreeBSD constants and
/// errno values (sys/sys/fcntl.h, sys/sys/errno.h) appear here.
/// </summary>
public sealed unsafe class FreeBsdBeneathResolver : BeneathResolver
{
    private readonly IAtLibc _libc;

    public FreeBsdBeneathResolver(IAtLibc libc)
    {
        _libc = libc ?? throw new ArgumentNullException(nameof(libc));
    }

    public override string Mechanism => "openat-resolve-beneath";

    private const int DirectoryFlags =
        OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.CloseOnExec | OpenFlags.NoFollow | OpenFlags.ResolveBeneath;

    private int OpenAt(int dirFd, byte[] path, int flags, int mode, out int errno)
    {
        int fd;
        fixed (byte* p = path)
            fd = _libc.OpenAt(dirFd, p, flags, mode);
        errno = fd < 0 ? _libc.LastErrno : 0;
        return fd;
    }

    protected override int OpenRootFd(byte[] path, out int errno)
        => OpenAt(AtConstants.AtFdCwd, path, OpenFlags.ReadOnly | OpenFlags.Directory | OpenFlags.CloseOnExec, 0, out errno);

    protected override int OpenDirectoryComponent(int dirFd, byte[] name, out int errno)
        => OpenAt(dirFd, name, DirectoryFlags, 0, out errno);

    protected override int MakeDirectoryComponent(int dirFd, byte[] name, UnixFileMode mode, out int errno)
    {
        int rc;
        fixed (byte* p = name)
            rc = _libc.MkdirAt(dirFd, p, (ushort)mode);
        errno = rc < 0 ? _libc.LastErrno : 0;
        return rc;
    }

    protected override int OpenReadComponent(int dirFd, byte[] name, out int errno)
        => OpenAt(dirFd, name, OpenFlags.ReadOnly | AtConstants.NonBlock | OpenFlags.NoFollow | OpenFlags.CloseOnExec | OpenFlags.ResolveBeneath, 0, out errno);

    protected override int OpenFileComponent(int dirFd, byte[] name, bool truncate, bool exclusive, UnixFileMode mode, out int errno)
    {
        // O_NONBLOCK: a FIFO planted by the jail must not hang the host (ENXIO without a reader).
        int flags = AtConstants.WriteOnly | AtConstants.Create | AtConstants.NonBlock |
                    OpenFlags.NoFollow | OpenFlags.CloseOnExec | OpenFlags.ResolveBeneath;
        if (truncate) flags |= AtConstants.Truncate;
        if (exclusive) flags |= AtConstants.Exclusive;
        return OpenAt(dirFd, name, flags, (int)mode, out errno);
    }

    protected override void CloseFd(int fd) => _libc.Close(fd);

    protected override bool IsSymbolicLink(int dirFd, byte[] name)
    {
        byte* buf = stackalloc byte[1];
        fixed (byte* p = name)
            return _libc.ReadLinkAt(dirFd, p, buf, 1) >= 0;
    }

    protected override Failure Classify(int errno) => errno switch
    {
        Errno.ENOENT => Failure.NotFound,
        Errno.EEXIST => Failure.Exists,
        AtConstants.EMLINK or Errno.ELOOP => Failure.SymbolicLink,
        Errno.ENOTDIR => Failure.NotDirectory,
        Errno.ENOTCAPABLE => Failure.OutsideRoot,
        Errno.EISDIR => Failure.IsDirectory,
        Errno.ENOSYS => Failure.NotSupported,
        _ => Failure.Other,
    };

    protected override string ErrnoName(int errno) => errno == AtConstants.EMLINK ? "EMLINK" : Errno.Name(errno);
}
