namespace JailPS.Native;

/// <summary>
/// The kernel seam for interfaces and addresses: socket(2) to issue interface ioctls on, ioctl(2),
/// close(2), and getifaddrs(3)/freeifaddrs(3) to read the interface table. <see cref="FreeBsdLibc"/>
/// calls libc; the simulated kernel implements the same calls over its interface model. Every
/// method returns what the C function returns; on -1 the FreeBSD errno is in <see cref="LastErrno"/>.
/// </summary>
public unsafe interface INetLibc
{
    /// <summary>int socket(int domain, int type, int protocol) — sys/sys/socket.h.</summary>
    int Socket(int domain, int type, int protocol);

    /// <summary>int ioctl(int, unsigned long, ...) — sys/sys/ioccom.h, with one pointer argument.</summary>
    int Ioctl(int fd, ulong request, void* arg);

    /// <summary>int close(int) — unistd.h.</summary>
    int Close(int fd);

    /// <summary>int getifaddrs(struct ifaddrs **) — include/ifaddrs.h; the list is one allocation freed by <see cref="FreeIfAddrs"/>.</summary>
    int GetIfAddrs(IfAddrs** list);

    /// <summary>void freeifaddrs(struct ifaddrs *) — include/ifaddrs.h.</summary>
    void FreeIfAddrs(IfAddrs* list);

    /// <summary>errno left by the last failed call on this thread.</summary>
    int LastErrno { get; }
}
