using System.Runtime.InteropServices;

namespace JailPS.Native;

/// <summary>
/// struct sockaddr_in (16 bytes), sys/netinet/in.h: sin_len, sin_family, sin_port (network order),
/// sin_addr (network order), sin_zero[8] (freebsd-abi.md §9.2).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public unsafe struct SockAddrIn
{
    [FieldOffset(0)] public byte Len;
    [FieldOffset(1)] public byte Family;
    [FieldOffset(2)] public ushort Port;
    [FieldOffset(4)] public fixed byte Addr[4];

    public static SockAddrIn For(System.ReadOnlySpan<byte> address)
    {
        var s = new SockAddrIn { Len = SocketConstants.SockAddrInSize, Family = SocketConstants.AfInet };
        for (int i = 0; i < 4; i++) s.Addr[i] = address[i];
        return s;
    }
}

/// <summary>
/// struct sockaddr_in6 (28 bytes), sys/netinet6/in6.h: sin6_len, sin6_family, sin6_port,
/// sin6_flowinfo, sin6_addr[16] at 8, sin6_scope_id at 24 (freebsd-abi.md §9.2).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 28)]
public unsafe struct SockAddrIn6
{
    [FieldOffset(0)] public byte Len;
    [FieldOffset(1)] public byte Family;
    [FieldOffset(2)] public ushort Port;
    [FieldOffset(4)] public uint FlowInfo;
    [FieldOffset(8)] public fixed byte Addr[16];
    [FieldOffset(24)] public uint ScopeId;

    public static SockAddrIn6 For(System.ReadOnlySpan<byte> address, uint scopeId = 0)
    {
        var s = new SockAddrIn6 { Len = SocketConstants.SockAddrIn6Size, Family = SocketConstants.AfInet6, ScopeId = scopeId };
        for (int i = 0; i < 16; i++) s.Addr[i] = address[i];
        return s;
    }
}

/// <summary>
/// struct ifreq (32 bytes), sys/net/if.h: ifr_name[IFNAMSIZ] then a 16-byte union (ifr_addr,
/// ifr_flags/ifr_flagshigh, ifr_jid, ifr_data, ...) (freebsd-abi.md §9.2, freebsd-net-prov-facts.md §1.2).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
public unsafe struct IfReq
{
    [FieldOffset(0)] public fixed byte Name[16];
    [FieldOffset(16)] public SockAddrIn Addr;
    [FieldOffset(16)] public short Flags;
    [FieldOffset(18)] public short FlagsHigh;
    [FieldOffset(16)] public int Jid;
    [FieldOffset(16)] public void* Data;
    /// <summary>ifr_addr as a plain struct sockaddr (SIOCSIFLLADDR): sa_len @16, sa_family @17, sa_data @18.</summary>
    [FieldOffset(16)] public byte SaLen;
    [FieldOffset(17)] public byte SaFamily;
    [FieldOffset(18)] public fixed byte SaData[14];
}

/// <summary>
/// struct ifdrv (40 bytes), sys/net/if.h: ifd_name[IFNAMSIZ] (the driver's interface, e.g. the bridge),
/// ifd_cmd (unsigned long) @16, ifd_len (size_t) @24, ifd_data (void *) @32 (freebsd-net-prov-facts.md §1.3).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
public unsafe struct IfDrv
{
    [FieldOffset(0)] public fixed byte Name[16];
    [FieldOffset(16)] public ulong Cmd;
    [FieldOffset(24)] public nuint Len;
    [FieldOffset(32)] public void* Data;
}

/// <summary>
/// struct ifbreq (80 bytes), sys/net/if_bridgevar.h: ifbr_ifsname[IFNAMSIZ] @0, ifbr_ifsflags @16,
/// ... the rest zeroed for addm/deletem (freebsd-net-prov-facts.md §1.3).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 80)]
public unsafe struct IfBReq
{
    [FieldOffset(0)] public fixed byte IfsName[16];
    [FieldOffset(16)] public uint IfsFlags;
}

/// <summary>struct ifbifconf (16 bytes), sys/net/if_bridgevar.h: ifbic_len (uint32) @0, the ifbreq buffer pointer @8.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public unsafe struct IfBIfConf
{
    [FieldOffset(0)] public uint Len;
    [FieldOffset(8)] public IfBReq* Req;
}

/// <summary>
/// struct sockaddr_dl (54 bytes), sys/net/if_dl.h (freebsd-src @00176600): sdl_len, sdl_family
/// (AF_LINK), sdl_index (u_short) @2, sdl_type @4, sdl_nlen @5, sdl_alen @6, sdl_slen @7, sdl_data[46]
/// @8 holding the name (nlen bytes, no NUL) and then the link-level address (alen bytes): LLADDR.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 54)]
public unsafe struct SockAddrDl
{
    [FieldOffset(0)] public byte Len;
    [FieldOffset(1)] public byte Family;
    [FieldOffset(2)] public ushort Index;
    [FieldOffset(4)] public byte Type;
    [FieldOffset(5)] public byte NameLen;
    [FieldOffset(6)] public byte AddrLen;
    [FieldOffset(7)] public byte SelLen;
    [FieldOffset(8)] public fixed byte Data[46];
}

/// <summary>
/// struct in_aliasreq / ifaliasreq (68 bytes, 4-byte aligned), sys/netinet/in_var.h: name, addr at 16,
/// broadaddr at 32, mask at 48, vhid at 64 (freebsd-abi.md §9.2).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 68)]
public unsafe struct InAliasReq
{
    [FieldOffset(0)] public fixed byte Name[16];
    [FieldOffset(16)] public SockAddrIn Addr;
    [FieldOffset(32)] public SockAddrIn BroadAddr;
    [FieldOffset(48)] public SockAddrIn Mask;
    [FieldOffset(64)] public int Vhid;
}

/// <summary>struct in6_addrlifetime (24 bytes), sys/netinet6/in6_var.h (freebsd-abi.md §9.2).</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
public struct In6AddrLifetime
{
    [FieldOffset(0)] public long Expire;
    [FieldOffset(8)] public long Preferred;
    [FieldOffset(16)] public uint ValidLifetime;
    [FieldOffset(20)] public uint PreferredLifetime;
}

/// <summary>
/// struct in6_aliasreq (136 bytes, 8-byte aligned), sys/netinet6/in6_var.h: name, addr at 16,
/// dstaddr at 44, prefixmask at 72, flags at 100, lifetime at 104, vhid at 128 (freebsd-abi.md §9.2).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 136)]
public unsafe struct In6AliasReq
{
    [FieldOffset(0)] public fixed byte Name[16];
    [FieldOffset(16)] public SockAddrIn6 Addr;
    [FieldOffset(44)] public SockAddrIn6 DstAddr;
    [FieldOffset(72)] public SockAddrIn6 PrefixMask;
    [FieldOffset(100)] public int Flags;
    [FieldOffset(104)] public In6AddrLifetime Lifetime;
    [FieldOffset(128)] public int Vhid;
}

/// <summary>
/// struct in6_ifreq (288 bytes), sys/netinet6/in6_var.h: ifr_name then a union whose largest member
/// is a 272-byte statistics struct; SIOCDIFADDR_IN6 reads ifr_addr at 16 (freebsd-abi.md §9.2).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 288)]
public unsafe struct In6IfReq
{
    [FieldOffset(0)] public fixed byte Name[16];
    [FieldOffset(16)] public SockAddrIn6 Addr;
}

/// <summary>
/// struct ifaddrs (56 bytes on LP64), include/ifaddrs.h: ifa_next, ifa_name, ifa_flags (u_int),
/// ifa_addr, ifa_netmask, ifa_dstaddr, ifa_data (freebsd-net-prov-facts.md §1.3).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 56)]
public unsafe struct IfAddrs
{
    [FieldOffset(0)] public IfAddrs* Next;
    [FieldOffset(8)] public byte* Name;
    [FieldOffset(16)] public uint Flags;
    [FieldOffset(24)] public byte* Addr;
    [FieldOffset(32)] public byte* Netmask;
    [FieldOffset(40)] public byte* DstAddr;
    [FieldOffset(48)] public void* Data;
}
