using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>
/// The host's interfaces and their addresses, behind <see cref="INetLibc"/>: socket(2) for the
/// interface ioctls, SIOCGIFFLAGS/SIOCSIFFLAGS (sys/net/if.c ifhwioctl), SIOCAIFADDR/SIOCDIFADDR
/// (sys/netinet/in.c), SIOCAIFADDR_IN6/SIOCDIFADDR_IN6 (sys/netinet6/in6.c) and getifaddrs(3)
/// (lib/libc/net/getifaddrs.c: one allocation, an AF_LINK-less list of the address entries plus one
/// AF_LINK entry per interface, then its addresses). Cloning, renames, link addresses, vnet moves and
/// bridge membership are in SimulatedKernel.Vnet.cs. The caller is always in the host's vnet; each
/// jail with vnet has its own, holding its lo0 and what was lent to it.
/// </summary>
public sealed unsafe partial class SimulatedKernel : INetLibc
{
    /// <summary>Every interface of every vnet (V_ifnet of each), in attach order; <see cref="SimInterface.Vnet"/> says whose.</summary>
    private readonly List<SimInterface> _ifnet = new();

    private void BootInterfaces()
    {
        foreach (var i in _options.Interfaces)
        {
            var ifp = new SimInterface { Name = i.Name, Driver = i.Driver, Flags = i.Flags, Vnet = _prison0, Home = _prison0, Unit = TrailingUnit(i.Name) };
            // A physical NIC has its burned-in address; the model makes one per boot interface.
            if (i.Driver != "lo") ifp.Lladdr = new byte[] { 0x00, 0x0c, 0x29, 0x00, 0x00, (byte)(_ifnet.Count + 1) };
            foreach (string a in i.Addresses) ifp.Addrs.Add(SimulatedInterface.ParseAddress(a));
            _ifnet.Add(ifp);
        }
    }

    private static int TrailingUnit(string name)
    {
        int i = name.Length;
        while (i > 0 && char.IsAsciiDigit(name[i - 1])) i--;
        return i < name.Length && int.TryParse(name.AsSpan(i), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int u) ? u : -1;
    }

    /// <summary>ifunit() in the caller's (the host's) vnet.</summary>
    private SimInterface? IfUnit(string name) => IfUnitIn(_prison0, name);

    /// <summary>ifunit() in the vnet of <paramref name="vnet"/>.</summary>
    private SimInterface? IfUnitIn(SimPrison vnet, string name) => _ifnet.Find(i => i.Vnet == vnet && i.Name == name);

    /// <summary>The host's interfaces and their addresses ("em0 192.0.2.2/24 2001:db8::2/64"), for tests and the host snapshot.</summary>
    public IReadOnlyList<string> InterfaceSummary
    {
        get
        {
            lock (_lock)
                return SummaryOf(_prison0);
        }
    }

    /// <summary>The interfaces of the vnet of jail <paramref name="jid"/> ("lo0", "e0b_app"); empty for a jail without vnet or no such jail.</summary>
    public IReadOnlyList<string> InterfaceSummaryOf(int jid)
    {
        lock (_lock)
        {
            var pr = FindPrison(jid);
            if (pr is null || (pr.Flags & SimDefs.PrVnet) == 0) return Array.Empty<string>();
            EnsureVnet(pr);
            return SummaryOf(pr);
        }
    }

    private List<string> SummaryOf(SimPrison vnet)
        => _ifnet.Where(i => i.Vnet == vnet).Select(i => string.Join(" ", new[] { i.Name }.Concat(i.Addrs.Select(a => a.Text)))).ToList();

    /// <inheritdoc />
    public int Socket(int domain, int type, int protocol)
    {
        lock (_lock)
        {
            var fault = Enter("socket");
            if (fault is not null) return Fail(fault.Errno);
            // The model has the two families interface ioctls are issued on, as datagram sockets.
            if (domain != SocketConstants.AfInet && domain != SocketConstants.AfInet6) return Fail(Errno.EAFNOSUPPORT);
            if (type != SocketConstants.SockDgram || protocol != 0) return Fail(Errno.EAFNOSUPPORT);
            return AllocFd(new SimFd { Kind = SimFdKind.Socket, Family = domain });
        }
    }

    /// <summary>An interface ioctl on a socket. Caller holds the lock and has counted the call.</summary>
    private int NetIoctl(SimFd socket, ulong request, void* arg)
    {
        string? name = NetIoctlName(request);
        if (name is not null) _ioctlCounts[name] = _ioctlCounts.GetValueOrDefault(name) + 1;
        if (arg == null) return Fail(Errno.EFAULT);
        switch (request)
        {
            case InterfaceIoctls.SIOCIFCREATE:
            case InterfaceIoctls.SIOCIFCREATE2:
                return CloneCreate((IfReq*)arg);
            case InterfaceIoctls.SIOCIFDESTROY:
                return CloneDestroy(NameOf(((IfReq*)arg)->Name));
            case InterfaceIoctls.SIOCSIFRVNET:
                return VmoveReclaim((IfReq*)arg);
            case InterfaceIoctls.SIOCSIFNAME:
                return Rename((IfReq*)arg);
            case InterfaceIoctls.SIOCSIFLLADDR:
                return SetLladdr((IfReq*)arg);
            case InterfaceIoctls.SIOCSIFVNET:
                return VmoveLoan((IfReq*)arg);
            case InterfaceIoctls.SIOCSDRVSPEC:
            case InterfaceIoctls.SIOCGDRVSPEC:
                return BridgeDrvSpec((IfDrv*)arg, request == InterfaceIoctls.SIOCSDRVSPEC);
            case InterfaceIoctls.SIOCGIFFLAGS:
            {
                var req = (IfReq*)arg;
                var ifp = IfUnit(NameOf(req->Name));
                if (ifp is null) return Fail(Errno.ENXIO);
                req->Flags = unchecked((short)(ifp.Flags & 0xffff));
                req->FlagsHigh = unchecked((short)(ifp.Flags >> 16));
                return 0;
            }
            case InterfaceIoctls.SIOCSIFFLAGS:
            {
                var req = (IfReq*)arg;
                var ifp = IfUnit(NameOf(req->Name));
                if (ifp is null) return Fail(Errno.ENXIO);
                if (CallerUid != 0) return Fail(Errno.EPERM); // PRIV_NET_SETIFFLAGS
                int wanted = (req->Flags & 0xffff) | (req->FlagsHigh << 16);
                // IFF_CANTCHANGE bits keep their value; of them the model has LOOPBACK, RUNNING, SIMPLEX, MULTICAST.
                const int cantChange = InterfaceFlags.Loopback | InterfaceFlags.DrvRunning | InterfaceFlags.Simplex | InterfaceFlags.Multicast | InterfaceFlags.Broadcast;
                ifp.Flags = (ifp.Flags & cantChange) | (wanted & ~cantChange);
                Touch();
                return 0;
            }
            case InterfaceIoctls.SIOCAIFADDR:
                return AddAddress4((InAliasReq*)arg);
            case InterfaceIoctls.SIOCAIFADDR_IN6:
                return AddAddress6((In6AliasReq*)arg);
            case InterfaceIoctls.SIOCDIFADDR:
            {
                var req = (IfReq*)arg;
                // in_difaddr_ioctl: an address that is not a well-formed sockaddr_in means "any":
                // the interface's first IPv4 address goes.
                bool any = req->Addr.Len != SocketConstants.SockAddrInSize || req->Addr.Family != SocketConstants.AfInet;
                return DeleteAddress(NameOf(req->Name), 4, (byte*)&req->Addr + 4, any);
            }
            case InterfaceIoctls.SIOCDIFADDR_IN6:
            {
                var req = (In6IfReq*)arg;
                // A wrong family skips the lookup: nothing matches.
                if (req->Addr.Family != SocketConstants.AfInet6)
                    return IfUnit(NameOf(req->Name)) is null ? Fail(Errno.ENXIO) : Fail(Errno.EADDRNOTAVAIL);
                return DeleteAddress(NameOf(req->Name), 6, (byte*)&req->Addr + 8, any: false);
            }
            default:
                return Fail(Errno.ENOTTY);
        }
    }

    private static string NameOf(byte* name)
    {
        int n = 0;
        while (n < InterfaceLimits.IfNamSize && name[n] != 0) n++;
        return Encoding.ASCII.GetString(name, n);
    }

    /// <summary>
    /// in_aifaddr_ioctl (sys/netinet/in.c), in its order: a bad ifra_addr or ifra_mask sockaddr is
    /// EINVAL; no mask (sin_len 0) means the historical classful one; the same address on this
    /// interface is replaced (0, never EEXIST); on another interface it is allowed.
    /// </summary>
    private int AddAddress4(InAliasReq* req)
    {
        if (CallerUid != 0) return Fail(Errno.EPERM); // PRIV_NET_ADDIFADDR
        var ifp = IfUnit(NameOf(req->Name));
        if (ifp is null) return Fail(Errno.ENXIO);
        if (req->Addr.Len != SocketConstants.SockAddrInSize || req->Addr.Family != SocketConstants.AfInet) return Fail(Errno.EINVAL);
        if (req->BroadAddr.Len != 0 && (req->BroadAddr.Len != SocketConstants.SockAddrInSize || req->BroadAddr.Family != SocketConstants.AfInet)) return Fail(Errno.EINVAL);
        if (req->Mask.Len != 0 && (req->Mask.Len != SocketConstants.SockAddrInSize || req->Mask.Family != SocketConstants.AfInet)) return Fail(Errno.EINVAL);
        byte[] addr = new ReadOnlySpan<byte>(req->Addr.Addr, 4).ToArray();
        int prefix;
        if (req->Mask.Len == 0)
            prefix = addr[0] < 128 ? 8 : addr[0] < 192 ? 16 : 24; // IN_CLASSA/B/C
        else
        {
            prefix = Network.NetMask.PrefixOf(new ReadOnlySpan<byte>(req->Mask.Addr, 4));
            // The model keeps prefix lengths, so it refuses a non-contiguous mask FreeBSD would keep.
            if (prefix < 0) return Fail(Errno.EINVAL);
        }
        Put(ifp, 4, addr, prefix);
        return 0;
    }

    /// <summary>
    /// in6_control_ioctl / in6_validate_ifra / in6_update_ifa (sys/netinet6/in6.c), in their order:
    /// a bad ifra_addr is EAFNOSUPPORT; a prefixmask longer than sockaddr_in6, a new address without
    /// one, a non-contiguous or zero-length one, pltime above vltime, or another prefix length for
    /// an address the interface has are EINVAL; vltime 0 for a new address adds nothing and returns 0.
    /// </summary>
    private int AddAddress6(In6AliasReq* req)
    {
        var ifp = IfUnit(NameOf(req->Name));
        if (ifp is null) return Fail(Errno.ENXIO);
        if (req->Addr.Len != SocketConstants.SockAddrIn6Size || req->Addr.Family != SocketConstants.AfInet6) return Fail(Errno.EAFNOSUPPORT);
        if (CallerUid != 0) return Fail(Errno.EPERM); // PRIV_NET_ADDIFADDR
        byte[] addr = new ReadOnlySpan<byte>(req->Addr.Addr, 16).ToArray();
        var existing = ifp.Addrs.Find(a => a.Family == 6 && a.Addr.AsSpan().SequenceEqual(addr));
        if (req->PrefixMask.Len > SocketConstants.SockAddrIn6Size) return Fail(Errno.EINVAL);
        if (req->PrefixMask.Len == 0 && existing is null) return Fail(Errno.EINVAL);
        int prefix = existing?.PrefixLength ?? 128;
        if (req->PrefixMask.Len != 0)
        {
            prefix = Network.NetMask.PrefixOf(new ReadOnlySpan<byte>(req->PrefixMask.Addr, 16));
            if (prefix <= 0) return Fail(Errno.EINVAL);
        }
        if (req->Lifetime.PreferredLifetime > req->Lifetime.ValidLifetime) return Fail(Errno.EINVAL);
        if (existing is null && req->Lifetime.ValidLifetime == 0) return 0;
        if (existing is not null && existing.PrefixLength != prefix) return Fail(Errno.EINVAL);
        Put(ifp, 6, addr, prefix);
        return 0;
    }

    private void Put(SimInterface ifp, int family, byte[] addr, int prefix)
    {
        var existing = ifp.Addrs.Find(a => a.Family == family && a.Addr.AsSpan().SequenceEqual(addr));
        if (existing is not null) existing.PrefixLength = prefix;
        else ifp.Addrs.Add(new SimIfAddr { Family = family, Addr = addr, PrefixLength = prefix });
        // lo(4) comes up when it is given an address (loioctl SIOCSIFADDR sets IFF_UP).
        if (ifp.Driver == "lo") ifp.Flags |= InterfaceFlags.Up | InterfaceFlags.DrvRunning;
        Touch();
    }

    private int DeleteAddress(string ifname, int family, byte* addrBytes, bool any)
    {
        if (CallerUid != 0) return Fail(Errno.EPERM); // PRIV_NET_DELIFADDR
        var ifp = IfUnit(ifname);
        if (ifp is null) return Fail(Errno.ENXIO);
        int len = family == 4 ? 4 : 16;
        var addr = new ReadOnlySpan<byte>(addrBytes, len).ToArray();
        int i = ifp.Addrs.FindIndex(a => a.Family == family && (any || a.Addr.AsSpan().SequenceEqual(addr)));
        if (i < 0) return Fail(Errno.EADDRNOTAVAIL);
        ifp.Addrs.RemoveAt(i);
        Touch();
        return 0;
    }

    /// <summary>The interface ioctls the model answers, by request number: the keys of <see cref="IoctlCounts"/>.</summary>
    private static readonly (ulong Request, string Name)[] s_netIoctls =
    {
        (InterfaceIoctls.SIOCGIFFLAGS, "SIOCGIFFLAGS"), (InterfaceIoctls.SIOCSIFFLAGS, "SIOCSIFFLAGS"),
        (InterfaceIoctls.SIOCAIFADDR, "SIOCAIFADDR"), (InterfaceIoctls.SIOCDIFADDR, "SIOCDIFADDR"),
        (InterfaceIoctls.SIOCAIFADDR_IN6, "SIOCAIFADDR_IN6"), (InterfaceIoctls.SIOCDIFADDR_IN6, "SIOCDIFADDR_IN6"),
        (InterfaceIoctls.SIOCIFCREATE, "SIOCIFCREATE"), (InterfaceIoctls.SIOCIFCREATE2, "SIOCIFCREATE2"),
        (InterfaceIoctls.SIOCIFDESTROY, "SIOCIFDESTROY"), (InterfaceIoctls.SIOCSIFNAME, "SIOCSIFNAME"),
        (InterfaceIoctls.SIOCSIFLLADDR, "SIOCSIFLLADDR"), (InterfaceIoctls.SIOCSIFVNET, "SIOCSIFVNET"),
        (InterfaceIoctls.SIOCSIFRVNET, "SIOCSIFRVNET"), (InterfaceIoctls.SIOCSDRVSPEC, "SIOCSDRVSPEC"),
        (InterfaceIoctls.SIOCGDRVSPEC, "SIOCGDRVSPEC"),
    };

    private static string? NetIoctlName(ulong request)
    {
        foreach (var (r, name) in s_netIoctls)
            if (r == request) return name;
        return null;
    }

    /// <inheritdoc />
    public int GetIfAddrs(IfAddrs** list)
    {
        lock (_lock)
        {
            var fault = Enter("getifaddrs");
            if (fault is not null) return Fail(fault.Errno);
            if (list == null) return Fail(Errno.EFAULT);
            // getifaddrs.c walks NET_RT_IFLISTL: per interface an AF_LINK entry (its sockaddr_dl:
            // name and link-level address), then one entry per address; all in a single block, so
            // freeifaddrs is one free. Only the caller's (the host's) vnet is listed.
            var host = _ifnet.Where(i => i.Vnet == _prison0).ToList();
            var entries = new List<(SimInterface If, SimIfAddr? Addr)>();
            foreach (var ifp in host)
            {
                entries.Add((ifp, null));
                foreach (var a in ifp.Addrs) entries.Add((ifp, a));
            }
            if (entries.Count == 0) { *list = null; return 0; }
            const int slot = 64; // each sockaddr in a 64-byte slot (sockaddr_dl is 54, sockaddr_in6 28)
            int structBytes = entries.Count * sizeof(IfAddrs);
            int nameBytes = host.Count * InterfaceLimits.IfNamSize;
            int sockBytes = entries.Count * 2 * slot;
            byte* block = (byte*)NativeMemory.AllocZeroed((nuint)(structBytes + nameBytes + sockBytes));
            var names = new Dictionary<SimInterface, nint>();
            byte* nextName = block + structBytes;
            foreach (var ifp in host)
            {
                byte[] n = Encoding.ASCII.GetBytes(ifp.Name);
                n.AsSpan().CopyTo(new Span<byte>(nextName, InterfaceLimits.IfNamSize));
                names[ifp] = (nint)nextName;
                nextName += InterfaceLimits.IfNamSize;
            }
            byte* sock = block + structBytes + nameBytes;
            var items = (IfAddrs*)block;
            for (int i = 0; i < entries.Count; i++)
            {
                var (ifp, a) = entries[i];
                items[i].Next = i + 1 < entries.Count ? &items[i + 1] : null;
                items[i].Name = (byte*)names[ifp];
                items[i].Flags = (uint)ifp.Flags;
                items[i].Addr = sock;
                if (a is null)
                    WriteLinkSockaddr((SockAddrDl*)sock, ifp, host.IndexOf(ifp) + 1);
                else
                {
                    WriteSockaddr(sock, a.Family, a.Addr);
                    items[i].Netmask = sock + slot;
                    WriteSockaddr(sock + slot, a.Family, Network.NetMask.FromPrefix(a.Family, a.PrefixLength));
                }
                sock += 2 * slot;
            }
            *list = items;
            return 0;
        }
    }

    /// <summary>The AF_LINK sockaddr_dl of if_attach: index, the name (no NUL) then the link-level address in sdl_data.</summary>
    private static void WriteLinkSockaddr(SockAddrDl* sdl, SimInterface ifp, int index)
    {
        byte[] name = Encoding.ASCII.GetBytes(ifp.Name);
        sdl->Len = SocketConstants.SockAddrDlSize;
        sdl->Family = SocketConstants.AfLink;
        sdl->Index = (ushort)index;
        sdl->NameLen = (byte)name.Length;
        for (int k = 0; k < name.Length; k++) sdl->Data[k] = name[k];
        if (ifp.Lladdr is { } mac)
        {
            sdl->AddrLen = (byte)mac.Length;
            for (int k = 0; k < mac.Length; k++) sdl->Data[name.Length + k] = mac[k];
        }
    }

    /// <inheritdoc />
    public void FreeIfAddrs(IfAddrs* list)
    {
        if (list != null) NativeMemory.Free(list);
    }

    private static void WriteSockaddr(byte* p, int family, byte[] addr)
    {
        if (family == 4)
        {
            p[0] = SocketConstants.SockAddrInSize;
            p[1] = SocketConstants.AfInet;
            addr.AsSpan().CopyTo(new Span<byte>(p + 4, 4));
        }
        else
        {
            p[0] = SocketConstants.SockAddrIn6Size;
            p[1] = SocketConstants.AfInet6;
            addr.AsSpan().CopyTo(new Span<byte>(p + 8, 16));
        }
    }
}
