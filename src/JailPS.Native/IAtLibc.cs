namespace JailPS.Native;

/// <summary>
/// The kernel seam for directory-relative (*at) file calls, used by the symlink-safe resolver
/// beneath a jail root. Separate from <see cref="ILibc"/> and <see cref="IMountLibc"/>;
/// <see cref="FreeBsdLibc"/> implements it. Every method returns what the C function returns;
/// on -1 the FreeBSD errno of the failed call is in <see cref="LastErrno"/> (per thread).
/// </summary>
public unsafe interface IAtLibc
{
    /// <summary>
    /// int openat(int fd, const char *path, int flags, ...) — sys/sys/fcntl.h. The mode is read
    /// only with O_CREAT; pass 0 otherwise. <paramref name="path"/> is NUL-terminated.
    /// </summary>
    int OpenAt(int fd, byte* path, int flags, int mode);

    /// <summary>int mkdirat(int fd, const char *path, mode_t mode) — sys/sys/stat.h; mode_t is __uint16_t (sys/sys/_types.h).</summary>
    int MkdirAt(int fd, byte* path, ushort mode);

    /// <summary>
    /// ssize_t readlinkat(int fd, const char *restrict path, char *restrict buf, size_t bufsize) —
    /// unistd.h. Fails with EINVAL when <paramref name="path"/> is not a symbolic link.
    /// </summary>
    nint ReadLinkAt(int fd, byte* path, byte* buf, nuint bufsize);

    /// <summary>int close(int) — unistd.h.</summary>
    int Close(int fd);

    /// <summary>errno left by the last failed call on this thread.</summary>
    int LastErrno { get; }
}

/// <summary>
/// FreeBSD open(2)/openat(2) flags and errno values the *at seam needs beyond
/// <see cref="OpenFlags"/> and <see cref="Errno"/>. Never use a Linux value for FreeBSD.
/// </summary>
public static class AtConstants
{
    public const int WriteOnly = 0x0001;      // O_WRONLY, sys/sys/fcntl.h
    public const int Create = 0x0200;         // O_CREAT, sys/sys/fcntl.h
    public const int Truncate = 0x0400;       // O_TRUNC, sys/sys/fcntl.h
    public const int Exclusive = 0x0800;      // O_EXCL, sys/sys/fcntl.h
    public const int NonBlock = 0x0004;       // O_NONBLOCK, sys/sys/fcntl.h
    public const int AtFdCwd = -100;          // AT_FDCWD, sys/sys/fcntl.h

    /// <summary>
    /// EMLINK (sys/sys/errno.h): what FreeBSD's open(2) returns when O_NOFOLLOW meets a symbolic
    /// link as the last component (Linux returns ELOOP; pjdfstest tests/open/16.t).
    /// </summary>
    public const int EMLINK = 31;
}
