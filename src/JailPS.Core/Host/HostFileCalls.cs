using System;
using System.IO;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;

namespace JailPS.Core.Host;

/// <summary>A file's owner and hard-link count, as fstat(2) reports them.</summary>
public readonly record struct FileOwner(uint Uid, uint Gid, ulong Links);

/// <summary>What a path that must be a regular file turned out to be.</summary>
public enum HostFileKind
{
    Regular,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    SymbolicLink,
    Other,
}

/// <summary>
/// A read of a file that JailPS reads only when it is a regular file (jail.conf and what it
/// includes, fstab files): a FIFO, device or socket there would hang or feed endless input.
/// </summary>
public sealed class HostFileNotRegularException : IOException
{
    public HostFileNotRegularException(string path, HostFileKind kind)
        : base($"{path}: not a regular file (a {Describe(kind)})")
    {
        Path = path;
        Kind = kind;
    }

    public string Path { get; }
    public HostFileKind Kind { get; }

    public static string Describe(HostFileKind kind) => kind switch
    {
        HostFileKind.Fifo => "FIFO",
        HostFileKind.CharacterDevice => "character device",
        HostFileKind.BlockDevice => "block device",
        HostFileKind.SymbolicLink => "symbolic link",
        HostFileKind.Directory => "directory",
        HostFileKind.Socket => "socket",
        _ => "special file",
    };
}

/// <summary>
/// The file calls .NET does not offer, for the one host file writer and the one host file reader:
/// the owner and link count of an open file (fstat), setting the owner (fchown), and opening a file
/// for reading only when it is a regular file (open with O_NONBLOCK, so a FIFO never blocks the
/// open, then fstat on the descriptor, so the check and the read concern the same file). FreeBSD
/// goes through JailPS.Native (sys/sys/stat.h, sys/sys/fcntl.h), Linux (the simulated host) through
/// Tmds.LibC; each in its own class, so FreeBSD never loads Tmds.LibC.
/// </summary>
public interface IHostFileCalls
{
    FileOwner Read(SafeFileHandle file);

    /// <summary>False when the caller may not give the file that owner (EPERM: not root).</summary>
    bool TryChown(SafeFileHandle file, uint uid, uint gid);

    /// <summary>
    /// Opens <paramref name="localPath"/> for reading. Null when it does not exist; a
    /// <see cref="HostFileNotRegularException"/> when it is not a regular file; any other failure
    /// an <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>.
    /// </summary>
    SafeFileHandle? OpenRegularForRead(string localPath);
}

public static class HostFileCalls
{
    private static IHostFileCalls? s_current;

    public static IHostFileCalls ForCurrentOs() => s_current ??= OperatingSystem.IsFreeBSD() ? CreateFreeBsd()
        : OperatingSystem.IsLinux() ? CreateLinux()
        : throw new PlatformNotSupportedException("The host file calls need FreeBSD or Linux.");

    /// <summary>The kind of file an st_mode names (the S_IF* values are the same on FreeBSD and Linux).</summary>
    internal static HostFileKind KindOf(int mode) => (mode & JailPS.Native.StatMode.TypeMask) switch
    {
        JailPS.Native.StatMode.Regular => HostFileKind.Regular,
        JailPS.Native.StatMode.Directory => HostFileKind.Directory,
        JailPS.Native.StatMode.Fifo => HostFileKind.Fifo,
        JailPS.Native.StatMode.CharacterDevice => HostFileKind.CharacterDevice,
        JailPS.Native.StatMode.BlockDevice => HostFileKind.BlockDevice,
        JailPS.Native.StatMode.Socket => HostFileKind.Socket,
        JailPS.Native.StatMode.SymbolicLink => HostFileKind.SymbolicLink,
        _ => HostFileKind.Other,
    };

    /// <summary>Wraps a descriptor from open(2) and keeps it only when fstat says it is a regular file.</summary>
    internal static SafeFileHandle KeepIfRegular(int fd, int mode, string localPath)
    {
        var handle = new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        var kind = KindOf(mode);
        if (kind == HostFileKind.Regular) return handle;
        handle.Dispose();
        throw new HostFileNotRegularException(localPath, kind);
    }

    internal static Exception OpenFailure(string localPath, string errnoName, bool denied)
        => denied ? new UnauthorizedAccessException($"{localPath}: permission denied ({errnoName})")
            : new IOException($"{localPath}: cannot open ({errnoName})");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IHostFileCalls CreateFreeBsd() => new FreeBsdHostFileCalls(new JailPS.Native.FreeBsdLibc());

    [MethodImpl(MethodImplOptions.NoInlining)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static IHostFileCalls CreateLinux() => new LinuxHostFileCalls();
}

internal sealed unsafe class FreeBsdHostFileCalls : IHostFileCalls
{
    private readonly JailPS.Native.FreeBsdLibc _libc;

    public FreeBsdHostFileCalls(JailPS.Native.FreeBsdLibc libc) => _libc = libc;

    public FileOwner Read(SafeFileHandle file)
    {
        JailPS.Native.Stat st;
        if (_libc.FStat((int)file.DangerousGetHandle(), &st) != 0)
            throw new IOException($"fstat failed: {JailPS.Native.Errno.Name(_libc.LastErrno)}");
        return new FileOwner(st.Uid, st.Gid, st.NLink);
    }

    public bool TryChown(SafeFileHandle file, uint uid, uint gid)
    {
        if (_libc.FChown((int)file.DangerousGetHandle(), uid, gid) == 0) return true;
        if (_libc.LastErrno == JailPS.Native.Errno.EPERM) return false;
        throw new IOException($"fchown failed: {JailPS.Native.Errno.Name(_libc.LastErrno)}");
    }

    public SafeFileHandle? OpenRegularForRead(string localPath)
    {
        byte[] path = System.Text.Encoding.UTF8.GetBytes(localPath + "\0");
        int fd;
        fixed (byte* p = path)
            fd = _libc.OpenAt(JailPS.Native.AtConstants.AtFdCwd, p,
                JailPS.Native.OpenFlags.ReadOnly | JailPS.Native.AtConstants.NonBlock | JailPS.Native.OpenFlags.CloseOnExec, 0);
        if (fd < 0)
        {
            int errno = _libc.LastErrno;
            if (errno == JailPS.Native.Errno.ENOENT) return null;
            throw HostFileCalls.OpenFailure(localPath, JailPS.Native.Errno.Name(errno), errno is JailPS.Native.Errno.EACCES or JailPS.Native.Errno.EPERM);
        }
        JailPS.Native.Stat st;
        if (_libc.FStat(fd, &st) != 0)
        {
            int errno = _libc.LastErrno;
            _libc.Close(fd);
            throw new IOException($"{localPath}: fstat failed ({JailPS.Native.Errno.Name(errno)})");
        }
        return HostFileCalls.KeepIfRegular(fd, st.Mode, localPath);
    }
}

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed unsafe class LinuxHostFileCalls : IHostFileCalls
{
    public FileOwner Read(SafeFileHandle file)
    {
        Tmds.Linux.stat st;
        if (Tmds.Linux.LibC.fstat((int)file.DangerousGetHandle(), &st) != 0)
            throw new IOException($"fstat failed: errno {Tmds.Linux.LibC.errno}");
        return new FileOwner((uint)st.st_uid, (uint)st.st_gid, (ulong)st.st_nlink);
    }

    public bool TryChown(SafeFileHandle file, uint uid, uint gid)
    {
        if (Tmds.Linux.LibC.fchown((int)file.DangerousGetHandle(), uid, gid) == 0) return true;
        if (Tmds.Linux.LibC.errno == Tmds.Linux.LibC.EPERM) return false;
        throw new IOException($"fchown failed: errno {Tmds.Linux.LibC.errno}");
    }

    public SafeFileHandle? OpenRegularForRead(string localPath)
    {
        byte[] path = System.Text.Encoding.UTF8.GetBytes(localPath + "\0");
        int fd;
        fixed (byte* p = path)
            fd = Tmds.Linux.LibC.open(p, Tmds.Linux.LibC.O_RDONLY | Tmds.Linux.LibC.O_NONBLOCK | Tmds.Linux.LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Tmds.Linux.LibC.errno;
            if (errno == Tmds.Linux.LibC.ENOENT) return null;
            throw HostFileCalls.OpenFailure(localPath, "errno " + errno, errno == Tmds.Linux.LibC.EACCES || errno == Tmds.Linux.LibC.EPERM);
        }
        Tmds.Linux.stat st;
        if (Tmds.Linux.LibC.fstat(fd, &st) != 0)
        {
            int errno = Tmds.Linux.LibC.errno;
            Tmds.Linux.LibC.close(fd);
            throw new IOException($"{localPath}: fstat failed (errno {errno})");
        }
        return HostFileCalls.KeepIfRegular(fd, (int)st.st_mode, localPath);
    }
}
