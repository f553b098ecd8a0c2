namespace JailPS.Native;

/// <summary>
/// The kernel seam for mounts and devfs: the libc function signatures JailPS uses for them,
/// nothing more convenient. Separate from <see cref="ILibc"/> so the jail seam stays as it is;
/// <see cref="FreeBsdLibc"/> implements both, the simulated kernel will too.
/// Every method returns what the C function returns; on -1 the FreeBSD errno of the failed
/// call is in <see cref="LastErrno"/> (per thread, like errno).
/// </summary>
public unsafe interface IMountLibc
{
    /// <summary>int nmount(struct iovec *, unsigned int, int) — sys/sys/mount.h.</summary>
    int Nmount(IoVec* iov, uint niov, int flags);

    /// <summary>int unmount(const char *, int) — sys/sys/mount.h. <paramref name="path"/> is NUL-terminated.</summary>
    int Unmount(byte* path, int flags);

    /// <summary>int getfsstat(struct statfs *, long, int) — sys/sys/mount.h. <paramref name="bufsize"/> is in bytes.</summary>
    int GetFsStat(StatFs* buf, long bufsize, int mode);

    /// <summary>int open(const char *, int, ...) — sys/sys/fcntl.h, without the mode argument (never O_CREAT).</summary>
    int Open(byte* path, int flags);

    /// <summary>int close(int) — unistd.h.</summary>
    int Close(int fd);

    /// <summary>int ioctl(int, unsigned long, ...) — sys/sys/ioccom.h, with one pointer argument.</summary>
    int Ioctl(int fd, ulong request, void* arg);

    /// <summary>errno left by the last failed call on this thread.</summary>
    int LastErrno { get; }
}
