using System;
using System.Collections.Generic;
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
            }
            var result = new List<HostInterface>(order.Count);
            foreach (string n in order) result.Add(new HostInterface(n, flags[n], addrs[n]));
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
