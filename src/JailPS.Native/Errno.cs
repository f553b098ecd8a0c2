namespace JailPS.Native;

/// <summary>
/// FreeBSD errno values, from sys/sys/errno.h. They differ from Linux from 35 upward
/// (EAGAIN is 35 here, 11 on Linux): never use a Linux constant for a FreeBSD errno.
/// </summary>
public static class Errno
{
    public const int EPERM = 1;            // sys/sys/errno.h
    public const int ENOENT = 2;           // sys/sys/errno.h
    public const int ESRCH = 3;            // sys/sys/errno.h
    public const int EINTR = 4;            // sys/sys/errno.h
    public const int EIO = 5;              // sys/sys/errno.h
    public const int ENXIO = 6;            // sys/sys/errno.h
    public const int E2BIG = 7;            // sys/sys/errno.h
    public const int EBADF = 9;            // sys/sys/errno.h
    public const int EDEADLK = 11;         // sys/sys/errno.h
    public const int ENOMEM = 12;          // sys/sys/errno.h
    public const int EACCES = 13;          // sys/sys/errno.h
    public const int EFAULT = 14;          // sys/sys/errno.h
    public const int EBUSY = 16;           // sys/sys/errno.h
    public const int EEXIST = 17;          // sys/sys/errno.h
    public const int EXDEV = 18;           // sys/sys/errno.h
    public const int ENODEV = 19;          // sys/sys/errno.h
    public const int ENOTDIR = 20;         // sys/sys/errno.h
    public const int EISDIR = 21;          // sys/sys/errno.h
    public const int EINVAL = 22;          // sys/sys/errno.h
    public const int ENFILE = 23;          // sys/sys/errno.h
    public const int EMFILE = 24;          // sys/sys/errno.h
    public const int ENOTTY = 25;          // sys/sys/errno.h
    public const int EFBIG = 27;           // sys/sys/errno.h
    public const int ENOSPC = 28;          // sys/sys/errno.h
    public const int EROFS = 30;           // sys/sys/errno.h
    public const int EPIPE = 32;           // sys/sys/errno.h
    public const int ERANGE = 34;          // sys/sys/errno.h
    public const int EAGAIN = 35;          // sys/sys/errno.h (= EWOULDBLOCK)
    public const int EINPROGRESS = 36;     // sys/sys/errno.h
    public const int EALREADY = 37;        // sys/sys/errno.h
    public const int EOPNOTSUPP = 45;      // sys/sys/errno.h (= ENOTSUP)
    public const int EAFNOSUPPORT = 47;    // sys/sys/errno.h
    public const int EADDRINUSE = 48;      // sys/sys/errno.h
    public const int EADDRNOTAVAIL = 49;   // sys/sys/errno.h
    public const int ETIMEDOUT = 60;       // sys/sys/errno.h
    public const int ELOOP = 62;           // sys/sys/errno.h
    public const int ENAMETOOLONG = 63;    // sys/sys/errno.h
    public const int ENOTEMPTY = 66;       // sys/sys/errno.h
    public const int ERPCMISMATCH = 73;    // sys/sys/errno.h
    public const int ENOLCK = 77;          // sys/sys/errno.h
    public const int ENOSYS = 78;          // sys/sys/errno.h
    public const int EFTYPE = 79;          // sys/sys/errno.h
    public const int EOVERFLOW = 84;       // sys/sys/errno.h
    public const int ECANCELED = 85;       // sys/sys/errno.h
    public const int ENOTCAPABLE = 93;     // sys/sys/errno.h
    public const int EINTEGRITY = 97;      // sys/sys/errno.h (ELAST)

    /// <summary>The C name of a FreeBSD errno ("EPERM"), or "errno N" for one not listed here.</summary>
    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", ESRCH => "ESRCH", EINTR => "EINTR", EIO => "EIO",
        ENXIO => "ENXIO", E2BIG => "E2BIG", EBADF => "EBADF", EDEADLK => "EDEADLK", ENOMEM => "ENOMEM",
        EACCES => "EACCES", EFAULT => "EFAULT", EBUSY => "EBUSY", EEXIST => "EEXIST", EXDEV => "EXDEV",
        ENODEV => "ENODEV", ENOTDIR => "ENOTDIR", EISDIR => "EISDIR", EINVAL => "EINVAL",
        ENFILE => "ENFILE", EMFILE => "EMFILE", ENOTTY => "ENOTTY", EFBIG => "EFBIG", ENOSPC => "ENOSPC",
        EROFS => "EROFS", EPIPE => "EPIPE", ERANGE => "ERANGE", EAGAIN => "EAGAIN",
        EINPROGRESS => "EINPROGRESS", EALREADY => "EALREADY", EOPNOTSUPP => "EOPNOTSUPP",
        EAFNOSUPPORT => "EAFNOSUPPORT", EADDRINUSE => "EADDRINUSE", EADDRNOTAVAIL => "EADDRNOTAVAIL",
        ETIMEDOUT => "ETIMEDOUT", ELOOP => "ELOOP", ENAMETOOLONG => "ENAMETOOLONG",
        ENOTEMPTY => "ENOTEMPTY", ERPCMISMATCH => "ERPCMISMATCH", ENOLCK => "ENOLCK", ENOSYS => "ENOSYS",
        EFTYPE => "EFTYPE", EOVERFLOW => "EOVERFLOW", ECANCELED => "ECANCELED",
        ENOTCAPABLE => "ENOTCAPABLE", EINTEGRITY => "EINTEGRITY",
        _ => "errno " + errno,
    };

    /// <summary>strerror(3) text for the errno values jail and sysctl calls return (lib/libc/gen/errlst.c).</summary>
    public static string Describe(int errno) => errno switch
    {
        EPERM => "Operation not permitted",
        ENOENT => "No such file or directory",
        ESRCH => "No such process",
        EIO => "Input/output error",
        EBADF => "Bad file descriptor",
        ENOMEM => "Cannot allocate memory",
        EACCES => "Permission denied",
        EFAULT => "Bad address",
        EBUSY => "Device busy",
        EEXIST => "File exists",
        ENOTDIR => "Not a directory",
        EINVAL => "Invalid argument",
        EAGAIN => "Resource temporarily unavailable",
        EADDRINUSE => "Address already in use",
        ENAMETOOLONG => "File name too long",
        ELOOP => "Too many levels of symbolic links",
        ENOSYS => "Function not implemented",
        EFBIG => "File too large",
        EINTR => "Interrupted system call",
        ENXIO => "Device not configured",
        EXDEV => "Cross-device link",
        ENODEV => "Operation not supported by device",
        EISDIR => "Is a directory",
        ENFILE => "Too many open files in system",
        EMFILE => "Too many open files",
        ENOTTY => "Inappropriate ioctl for device",
        ENOSPC => "No space left on device",
        EROFS => "Read-only file system",
        EOPNOTSUPP => "Operation not supported",
        ETIMEDOUT => "Operation timed out",
        ENOTEMPTY => "Directory not empty",
        EINTEGRITY => "Integrity check failed",
        _ => Name(errno),
    };
}
