using System;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;

namespace JailPS.Core.Host;

/// <summary>A file's owner and hard-link count, as fstat(2) reports them.</summary>
public readonly record struct FileOwner(uint Uid, uint Gid, ulong Links);

/// <summary>
/// fstat/fchown on an open file, for the one host file writer: .NET reads and sets permission bits
/// (setuid included) but not the owner or the link count. FreeBSD goes through JailPS.Native
/// (struct stat of sys/sys/stat.h), Linux (the simulated host) through Tmds.LibC; each in its own
/// class, so FreeBSD never loads Tmds.LibC.
/// </summary>
public interface IFileOwnership
{
    FileOwner Read(SafeFileHandle file);

    /// <summary>False when the caller may not give the file that owner (EPERM: not root).</summary>
    bool TryChown(SafeFileHandle file, uint uid, uint gid);
}

public static class FileOwnership
{
    private static IFileOwnership? s_current;

    public static IFileOwnership ForCurrentOs() => s_current ??= OperatingSystem.IsFreeBSD() ? CreateFreeBsd()
        : OperatingSystem.IsLinux() ? CreateLinux()
        : throw new PlatformNotSupportedException("Reading a file's owner needs FreeBSD or Linux.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IFileOwnership CreateFreeBsd() => new FreeBsdFileOwnership(new JailPS.Native.FreeBsdLibc());

    [MethodImpl(MethodImplOptions.NoInlining)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static IFileOwnership CreateLinux() => new LinuxFileOwnership();
}

internal sealed unsafe class FreeBsdFileOwnership : IFileOwnership
{
    private readonly JailPS.Native.IStatLibc _libc;

    public FreeBsdFileOwnership(JailPS.Native.IStatLibc libc) => _libc = libc;

    public FileOwner Read(SafeFileHandle file)
    {
        JailPS.Native.Stat st;
        if (_libc.FStat((int)file.DangerousGetHandle(), &st) != 0)
            throw new System.IO.IOException($"fstat failed: {JailPS.Native.Errno.Name(_libc.LastErrno)}");
        return new FileOwner(st.Uid, st.Gid, st.NLink);
    }

    public bool TryChown(SafeFileHandle file, uint uid, uint gid)
    {
        if (_libc.FChown((int)file.DangerousGetHandle(), uid, gid) == 0) return true;
        if (_libc.LastErrno == JailPS.Native.Errno.EPERM) return false;
        throw new System.IO.IOException($"fchown failed: {JailPS.Native.Errno.Name(_libc.LastErrno)}");
    }
}

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed unsafe class LinuxFileOwnership : IFileOwnership
{
    public FileOwner Read(SafeFileHandle file)
    {
        Tmds.Linux.stat st;
        if (Tmds.Linux.LibC.fstat((int)file.DangerousGetHandle(), &st) != 0)
            throw new System.IO.IOException($"fstat failed: errno {Tmds.Linux.LibC.errno}");
        return new FileOwner((uint)st.st_uid, (uint)st.st_gid, (ulong)st.st_nlink);
    }

    public bool TryChown(SafeFileHandle file, uint uid, uint gid)
    {
        if (Tmds.Linux.LibC.fchown((int)file.DangerousGetHandle(), uid, gid) == 0) return true;
        if (Tmds.Linux.LibC.errno == Tmds.Linux.LibC.EPERM) return false;
        throw new System.IO.IOException($"fchown failed: errno {Tmds.Linux.LibC.errno}");
    }
}
