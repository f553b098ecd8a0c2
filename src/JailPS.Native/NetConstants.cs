namespace JailPS.Native;

/// <summary>
/// Address families and socket types for the sockets interface ioctls are issued on, from
/// sys/sys/socket.h (freebsd-abi.md §9). AF_INET6 is 28 on FreeBSD (10 on Linux): never mix them.
/// </summary>
public static class SocketConstants
{
    public const int AfInet = 2;                // AF_INET, sys/sys/socket.h
    public const int AfInet6 = 28;              // AF_INET6, sys/sys/socket.h (FreeBSD value)
    public const int SockDgram = 2;             // SOCK_DGRAM, sys/sys/socket.h
    public const int SockAddrInSize = 16;       // sizeof(struct sockaddr_in), sys/netinet/in.h
    public const int SockAddrIn6Size = 28;      // sizeof(struct sockaddr_in6), sys/netinet6/in6.h
}

/// <summary>
/// Interface ioctl request numbers (group 'i'), from sys/sys/sockio.h, LP64 values as computed with
/// sys/sys/ioccom.h's _IOC (freebsd-abi.md §9.1, freebsd-net-prov-facts.md §1.1). The request is an
/// unsigned long.
/// </summary>
public static class InterfaceIoctls
{
    public const ulong SIOCSIFFLAGS = 0x80206910;     // _IOW('i', 16, struct ifreq), sys/sys/sockio.h
    public const ulong SIOCGIFFLAGS = 0xC0206911;     // _IOWR('i', 17, struct ifreq), sys/sys/sockio.h
    public const ulong SIOCDIFADDR = 0x80206919;      // _IOW('i', 25, struct ifreq), sys/sys/sockio.h
    public const ulong SIOCAIFADDR_IN6 = 0x8088691B;  // _IOW('i', 27, struct in6_aliasreq), sys/netinet6/in6_var.h
    public const ulong SIOCDIFADDR_IN6 = 0x81206919;  // _IOW('i', 25, struct in6_ifreq), sys/netinet6/in6_var.h
    public const ulong SIOCAIFADDR = 0x8044692B;      // _IOW('i', 43, struct ifaliasreq), sys/sys/sockio.h
    public const ulong SIOCSIFNAME = 0x80206928;      // _IOW('i', 40, struct ifreq), sys/sys/sockio.h
    public const ulong SIOCIFDESTROY = 0x80206979;    // _IOW('i', 121, struct ifreq), sys/sys/sockio.h
    public const ulong SIOCIFCREATE = 0xC020697A;     // _IOWR('i', 122, struct ifreq), sys/sys/sockio.h
    public const ulong SIOCIFCREATE2 = 0xC020697C;    // _IOWR('i', 124, struct ifreq), sys/sys/sockio.h
}

/// <summary>Interface flags (if_flags | if_drv_flags as SIOCGIFFLAGS returns them), from sys/net/if.h.</summary>
public static class InterfaceFlags
{
    public const int Up = 0x1;                  // IFF_UP, sys/net/if.h
    public const int Broadcast = 0x2;           // IFF_BROADCAST, sys/net/if.h
    public const int Loopback = 0x8;            // IFF_LOOPBACK, sys/net/if.h
    public const int DrvRunning = 0x40;         // IFF_DRV_RUNNING, sys/net/if.h
    public const int Simplex = 0x800;           // IFF_SIMPLEX, sys/net/if.h
    public const int Multicast = 0x8000;        // IFF_MULTICAST, sys/net/if.h
}

/// <summary>Sizes around interfaces, from sys/net/if.h.</summary>
public static class InterfaceLimits
{
    /// <summary>IFNAMSIZ (= IF_NAMESIZE), sys/net/if.h: the buffer, NUL included, so a name has at most 15 characters.</summary>
    public const int IfNamSize = 16;
}

/// <summary>Neighbour discovery constants, from sys/netinet6/nd6.h.</summary>
public static class Nd6
{
    /// <summary>ND6_INFINITE_LIFETIME, sys/netinet6/nd6.h: what ifconfig(8) gives an alias's valid and preferred lifetimes.</summary>
    public const uint InfiniteLifetime = 0xffffffff;
}
