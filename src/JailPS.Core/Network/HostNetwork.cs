using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text;
using JailPS.Core.Kernel;
using JailPS.Native;

namespace JailPS.Core.Network;

/// <summary>An address configured on a host interface.</summary>
public sealed record HostInterfaceAddress(IPAddress Address, int PrefixLength)
{
    public int Family => Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 6 : 4;
    public override string ToString() => Address + "/" + PrefixLength;
}

/// <summary>One interface of the host's vnet as getifaddrs(3) reports it.</summary>
public sealed record HostInterface(string Name, int Flags, IReadOnlyList<HostInterfaceAddress> Addresses)
{
    public bool IsUp => (Flags & InterfaceFlags.Up) != 0;

    /// <summary>The Ethernet address from the interface's AF_LINK entry ("02:1a:2b:3c:4d:0b"), or null (lo, a list without one).</summary>
    public string? LinkAddress { get; init; }

    public bool Has(IPAddress address)
    {
        foreach (var a in Addresses)
            if (a.Address.Equals(address)) return true;
        return false;
    }
}

/// <summary>
/// The host's interfaces and their addresses through the <see cref="INetLibc"/> seam: one
/// getifaddrs(3) for the table, and for an alias one socket of its family, one ioctl and a close —
/// what ifconfig(8) does for jail(8), without a process. The same code runs against FreeBSD and the
/// simulated kernel.
/// </summary>
public sealed unsafe class HostNetwork
{
    private readonly INetLibc _libc;

    public HostNetwork(INetLibc libc) => _libc = libc;

    /// <summary>Every interface of the caller's vnet with its IPv4 and IPv6 addresses, in the kernel's order.</summary>
    public IReadOnlyList<HostInterface> ReadInterfaces()
    {
        IfAddrs* list;
        if (_libc.GetIfAddrs(&list) != 0)
            throw new JailKernelException("getifaddrs", _libc.LastErrno, null);
        try
        {
            var order = new List<string>();
            var flags = new Dictionary<string, int>(StringComparer.Ordinal);
            var addrs = new Dictionary<string, List<HostInterfaceAddress>>(StringComparer.Ordinal);
            var links = new Dictionary<string, string>(StringComparer.Ordinal);
            for (IfAddrs* p = list; p != null; p = p->Next)
            {
                string name = JailKernel.ReadCString(p->Name, InterfaceLimits.IfNamSize) ?? "";
                if (!addrs.TryGetValue(name, out var mine))
                {
                    addrs[name] = mine = new List<HostInterfaceAddress>();
                    order.Add(name);
                    flags[name] = (int)p->Flags;
                }
                if (p->Addr == null) continue;
                int family = p->Addr[1];
                if (family == SocketConstants.AfInet)
                    mine.Add(new HostInterfaceAddress(new IPAddress(new ReadOnlySpan<byte>(p->Addr + 4, 4)), Prefix(p->Netmask, 4, 4)));
                else if (family == SocketConstants.AfInet6)
                    mine.Add(new HostInterfaceAddress(new IPAddress(new ReadOnlySpan<byte>(p->Addr + 8, 16)), Prefix(p->Netmask, 8, 16)));
                else if (family == SocketConstants.AfLink && LinkAddressOf((SockAddrDl*)p->Addr) is string mac)
                    links[name] = mac;
            }
            var result = new List<HostInterface>(order.Count);
            foreach (string n in order) result.Add(new HostInterface(n, flags[n], addrs[n]) { LinkAddress = links.GetValueOrDefault(n) });
            return result;
        }
        finally
        {
            _libc.FreeIfAddrs(list);
        }
    }

    /// <summary>ioctl(SIOCAIFADDR or SIOCAIFADDR_IN6): adds the alias to its interface.</summary>
    public void AddAlias(JailIPAlias alias, string? jail = null)
    {
        string iface = alias.Interface ?? throw new ArgumentException("The alias names no interface.", nameof(alias));
        byte[] addr = alias.Address.GetAddressBytes();
        byte[] mask = NetMask.FromPrefix(alias.Family, alias.PrefixLength);
        if (alias.Family == 4)
        {
            var req = new InAliasReq();
            WriteName(req.Name, iface);
            req.Addr = SockAddrIn.For(addr);
            req.Mask = SockAddrIn.For(mask);
            Ioctl(SocketConstants.AfInet, InterfaceIoctls.SIOCAIFADDR, &req, "SIOCAIFADDR", jail);
        }
        else
        {
            var req = new In6AliasReq();
            WriteName(req.Name, iface);
            req.Addr = SockAddrIn6.For(addr);
            req.PrefixMask = SockAddrIn6.For(mask);
            // ifconfig's defaults for an address given without lifetimes: both infinite.
            req.Lifetime.ValidLifetime = Nd6.InfiniteLifetime;
            req.Lifetime.PreferredLifetime = Nd6.InfiniteLifetime;
            Ioctl(SocketConstants.AfInet6, InterfaceIoctls.SIOCAIFADDR_IN6, &req, "SIOCAIFADDR_IN6", jail);
        }
    }

    /// <summary>ioctl(SIOCDIFADDR or SIOCDIFADDR_IN6): removes the alias from its interface.</summary>
    public void RemoveAlias(JailIPAlias alias, string? jail = null)
    {
        string iface = alias.Interface ?? throw new ArgumentException("The alias names no interface.", nameof(alias));
        byte[] addr = alias.Address.GetAddressBytes();
        if (alias.Family == 4)
        {
            var req = new IfReq();
            WriteName(req.Name, iface);
            req.Addr = SockAddrIn.For(addr);
            Ioctl(SocketConstants.AfInet, InterfaceIoctls.SIOCDIFADDR, &req, "SIOCDIFADDR", jail);
        }
        else
        {
            var req = new In6IfReq();
            WriteName(req.Name, iface);
            req.Addr = SockAddrIn6.For(addr);
            Ioctl(SocketConstants.AfInet6, InterfaceIoctls.SIOCDIFADDR_IN6, &req, "SIOCDIFADDR_IN6", jail);
        }
    }

    /// <summary>LLADDR(sdl): the six address bytes after the name in sdl_data, when the entry carries an Ethernet address.</summary>
    private static string? LinkAddressOf(SockAddrDl* sdl)
    {
        if (sdl->AddrLen != SocketConstants.EtherAddrLen || sdl->NameLen + sdl->AddrLen > 46) return null;
        return FormatLinkAddress(new ReadOnlySpan<byte>(sdl->Data + sdl->NameLen, SocketConstants.EtherAddrLen));
    }

    /// <summary>An Ethernet address as ifconfig prints it: 02:1a:2b:3c:4d:0b.</summary>
    public static string FormatLinkAddress(ReadOnlySpan<byte> mac)
        => string.Join(":", mac.ToArray().Select(x => x.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>
    /// ioctl(SIOCIFCREATE2) with ifr_data NULL — what `ifconfig NAME create` does. NAME is a cloner
    /// ("epair", "bridge", "lo") for the next free unit or a full name ("lo1"); the kernel writes the
    /// created name back into ifr_name (the a side for an epair), which is returned.
    /// </summary>
    public string CreateInterface(string name, string? jail = null)
    {
        var req = new IfReq();
        WriteName(req.Name, name);
        Ioctl(SocketConstants.AfInet, InterfaceIoctls.SIOCIFCREATE2, &req, "SIOCIFCREATE2", jail);
        return JailKernel.ReadCString(req.Name, InterfaceLimits.IfNamSize) ?? name;
    }

    /// <summary>ioctl(SIOCIFDESTROY) — `ifconfig NAME destroy`; for an epair both sides go.</summary>
    public void DestroyInterface(string name, string? jail = null)
    {
        var req = new IfReq();
        WriteName(req.Name, name);
        Ioctl(SocketConstants.AfInet, InterfaceIoctls.SIOCIFDESTROY, &req, "SIOCIFDESTROY", jail);
    }

    /// <summary>ioctl(SIOCSIFNAME) — `ifconfig NAME name NEWNAME`: ifr_data points to the NUL-terminated new name.</summary>
    public void RenameInterface(string name, string newName, string? jail = null)
    {
        byte[] buffer = new byte[InterfaceLimits.IfNamSize];
        byte[] b = Encoding.ASCII.GetBytes(newName);
        if (b.Length >= InterfaceLimits.IfNamSize)
            throw new ArgumentException($"Interface name \"{newName}\" is longer than {InterfaceLimits.IfNamSize - 1} characters.", nameof(newName));
        b.CopyTo(buffer, 0);
        var req = new IfReq();
        WriteName(req.Name, name);
        fixed (byte* p = buffer)
        {
            req.Data = p;
            Ioctl(SocketConstants.AfInet, InterfaceIoctls.SIOCSIFNAME, &req, "SIOCSIFNAME", jail);
        }
    }

    /// <summary>
    /// `ifconfig NAME up` / `down`: SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP changed and both
    /// halves (ifr_flags, ifr_flagshigh) written back as read, so no other flag is cleared.
    /// </summary>
    public void SetInterfaceUp(string name, bool up, string? jail = null)
    {
        var req = new IfReq();
        WriteName(req.Name, name);
        Ioctl(SocketConstants.AfInet, InterfaceIoctls.SIOCGIFFLAGS, &req, "SIOCGIFFLAGS", jail);
        int flags = (req.Flags & 0xffff) | (req.FlagsHigh << 16);
        flags = up ? flags | InterfaceFlags.Up : flags & ~InterfaceFlags.Up;
        req.Flags = unchecked((short)(flags & 0xffff));
        req.FlagsHigh = unchecked((short)(flags >> 16));
        Ioctl(SocketConstants.AfInet, InterfaceIoctls.SIOCSIFFLAGS, &req, "SIOCSIFFLAGS", jail);
    }

    /// <summary>ioctl(SIOCSIFLLADDR) — `ifconfig NAME ether MAC`: ifr_addr with sa_len 6 and the six bytes in sa_data.</summary>
    public void SetLinkAddress(string name, byte[] mac, string? jail = null)
    {
        if (mac.Length != SocketConstants.EtherAddrLen)
            throw new ArgumentException("An Ethernet address has six bytes.", nameof(mac));
        var req = new IfReq();
        WriteName(req.Name, name);
        req.SaLen = SocketConstants.EtherAddrLen;
        req.SaFamily = SocketConstants.AfLink;
        for (int i = 0; i < mac.Length; i++) req.SaData[i] = mac[i];
        Ioctl(SocketConstants.AfInet, InterfaceIoctls.SIOCSIFLLADDR, &req, "SIOCSIFLLADDR", jail);
    }

    /// <summary>ioctl(SIOCSIFVNET) — `ifconfig NAME vnet JID`: lends the interface to the vnet jail; returns its name there.</summary>
    public string MoveToJail(string name, int jid, string? jail = null) => VnetIoctl(name, jid, InterfaceIoctls.SIOCSIFVNET, "SIOCSIFVNET", jail);

    /// <summary>ioctl(SIOCSIFRVNET) — `ifconfig NAME -vnet JID`: takes the interface (named as in the jail) back; returns its name here.</summary>
    public string ReclaimFromJail(string name, int jid, string? jail = null) => VnetIoctl(name, jid, InterfaceIoctls.SIOCSIFRVNET, "SIOCSIFRVNET", jail);

    private string VnetIoctl(string name, int jid, ulong request, string what, string? jail)
    {
        var req = new IfReq();
        WriteName(req.Name, name);
        req.Jid = jid;
        Ioctl(SocketConstants.AfInet, request, &req, what, jail);
        return JailKernel.ReadCString(req.Name, InterfaceLimits.IfNamSize) ?? name;
    }

    /// <summary>`ifconfig BRIDGE addm MEMBER`: SIOCSDRVSPEC with BRDGADD and an ifbreq naming the member.</summary>
    public void AddBridgeMember(string bridge, string member, string? jail = null) => BridgeMemberIoctl(bridge, member, BridgeCommands.BRDGADD, "SIOCSDRVSPEC BRDGADD", jail);

    /// <summary>`ifconfig BRIDGE deletem MEMBER`: SIOCSDRVSPEC with BRDGDEL.</summary>
    public void RemoveBridgeMember(string bridge, string member, string? jail = null) => BridgeMemberIoctl(bridge, member, BridgeCommands.BRDGDEL, "SIOCSDRVSPEC BRDGDEL", jail);

    private void BridgeMemberIoctl(string bridge, string member, ulong command, string what, string? jail)
    {
        var breq = new IfBReq();
        WriteName(breq.IfsName, member);
        var drv = new IfDrv { Cmd = command, Len = (nuint)sizeof(IfBReq), Data = &breq };
        WriteName(drv.Name, bridge);
        Ioctl(SocketConstants.AfInet, InterfaceIoctls.SIOCSDRVSPEC, &drv, what, jail);
    }

    /// <summary>
    /// The members of a bridge — `ifconfig BRIDGE`'s member lines: SIOCGDRVSPEC with BRDGGIFS, first
    /// with ifbic_len 0, which bridge_ioctl_gifs (sys/net/if_bridge.c) answers with the length it
    /// needs, then with a buffer of that length; the second answer's ifbic_len says how much it filled.
    /// </summary>
    public IReadOnlyList<string> ReadBridgeMembers(string bridge, string? jail = null)
    {
        var conf = new IfBIfConf();
        BridgeListIoctl(bridge, &conf, jail);
        int slots = (int)(conf.Len / (uint)sizeof(IfBReq));
        var names = new List<string>(slots);
        if (slots == 0) return names;
        var buffer = new IfBReq[slots + 1]; // one spare: a member added between the calls still fits
        fixed (IfBReq* p = buffer)
        {
            conf = new IfBIfConf { Len = (uint)(buffer.Length * sizeof(IfBReq)), Req = p };
            BridgeListIoctl(bridge, &conf, jail);
            int used = Math.Min(buffer.Length, (int)(conf.Len / (uint)sizeof(IfBReq)));
            for (int i = 0; i < used; i++) names.Add(JailKernel.ReadCString(p[i].IfsName, InterfaceLimits.IfNamSize) ?? "");
        }
        return names;
    }

    private void BridgeListIoctl(string bridge, IfBIfConf* conf, string? jail)
    {
        var drv = new IfDrv { Cmd = BridgeCommands.BRDGGIFS, Len = (nuint)sizeof(IfBIfConf), Data = conf };
        WriteName(drv.Name, bridge);
        Ioctl(SocketConstants.AfInet, InterfaceIoctls.SIOCGDRVSPEC, &drv, "SIOCGDRVSPEC BRDGGIFS", jail);
    }

    private void Ioctl(int family, ulong request, void* arg, string what, string? jail)
    {
        int s = _libc.Socket(family, SocketConstants.SockDgram, 0);
        if (s < 0)
            throw new JailKernelException("socket", _libc.LastErrno, null, jail);
        try
        {
            if (_libc.Ioctl(s, request, arg) != 0)
                throw new JailKernelException("ioctl(" + what + ")", _libc.LastErrno, null, jail);
        }
        finally
        {
            _libc.Close(s);
        }
    }

    private static void WriteName(byte* dest, string name)
    {
        byte[] b = Encoding.ASCII.GetBytes(name);
        if (b.Length >= InterfaceLimits.IfNamSize)
            throw new ArgumentException($"Interface name \"{name}\" is longer than {InterfaceLimits.IfNamSize - 1} characters.", nameof(name));
        for (int i = 0; i < b.Length; i++) dest[i] = b[i];
    }

    private static int Prefix(byte* sockaddr, int offset, int bytes)
        => sockaddr == null ? bytes * 8 : System.Math.Max(0, NetMask.PrefixOf(new ReadOnlySpan<byte>(sockaddr + offset, bytes)));
}
