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
    public const int AfLink = 18;               // AF_LINK, sys/sys/socket.h (freebsd-src @00b5ffde)
    public const int SockAddrDlSize = 54;       // sizeof(struct sockaddr_dl), sys/net/if_dl.h (freebsd-src @00176600)
    /// <summary>ETHER_ADDR_LEN, sys/net/ethernet.h: an Ethernet address has six bytes.</summary>
    public const int EtherAddrLen = 6;
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
    public const ulong SIOCSIFLLADDR = 0x8020693C;    // _IOW('i', 60, struct ifreq), sys/sys/sockio.h (net-prov-facts §1.1)
    public const ulong SIOCSIFVNET = 0xC020695A;      // _IOWR('i', 90, struct ifreq), sys/sys/sockio.h
    public const ulong SIOCSIFRVNET = 0xC020695B;     // _IOWR('i', 91, struct ifreq), sys/sys/sockio.h
    public const ulong SIOCSDRVSPEC = 0x8028697B;     // _IOW('i', 123, struct ifdrv), sys/sys/sockio.h
    public const ulong SIOCGDRVSPEC = 0xC028697B;     // _IOWR('i', 123, struct ifdrv), sys/sys/sockio.h
}

/// <summary>
/// if_bridge(4) driver commands carried in struct ifdrv's ifd_cmd, from sys/net/if_bridgevar.h
/// (freebsd-net-prov-facts.md §1.11): "set" commands go with SIOCSDRVSPEC, "get" ones with SIOCGDRVSPEC.
/// </summary>
public static class BridgeCommands
{
    public const ulong BRDGADD = 0;   // add a member (ifconfig BRIDGE addm IF), struct ifbreq
    public const ulong BRDGDEL = 1;   // delete a member (ifconfig BRIDGE deletem IF), struct ifbreq
    public const ulong BRDGGIFS = 6;  // list the members, struct ifbifconf
    /// <summary>IFBIF_LEARNING | IFBIF_DISCOVER, sys/net/if_bridgevar.h: what a new member starts with.</summary>
    public const uint NewMemberFlags = 0x1 | 0x2;
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
    public const int Promisc = 0x100;           // IFF_PROMISC, sys/net/if.h
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
