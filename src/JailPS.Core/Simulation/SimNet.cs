using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;

namespace JailPS.Core.Simulation;

/// <summary>One address of an interface (struct in_ifaddr / in6_ifaddr): the address and its prefix length.</summary>
internal sealed class SimIfAddr
{
    public int Family;          // 4 or 6
    public byte[] Addr = Array.Empty<byte>();
    public int PrefixLength;

    public string Text => new IPAddress(Addr) + "/" + PrefixLength;
}

/// <summary>
/// The model's struct ifnet: name, driver (if_dname), flags and addresses, and where it lives:
/// if_vnet (the vnet it is in now) and if_home_vnet (where it was made, where it returns when a
/// vnet it was lent to is destroyed). A vnet is named by the prison that owns it: prison0 for the
/// host, or a jail with vnet.
/// </summary>
internal sealed class SimInterface
{
    public string Name = "";
    /// <summary>if_dname: the driver or cloner the interface came from ("em", "lo", "epair", "bridge").</summary>
    public string Driver = "";
    /// <summary>if_dunit: the unit the cloner reserved (kept through renames, freed on destroy).</summary>
    public int Unit = -1;
    public int Flags;
    /// <summary>Made by a cloner (SIOCIFCREATE2), so SIOCIFDESTROY may destroy it.</summary>
    public bool Cloned;
    public readonly List<SimIfAddr> Addrs = new();
    /// <summary>if_vnet: the prison whose vnet the interface is in.</summary>
    public SimPrison Vnet = null!;
    /// <summary>if_home_vnet: the prison whose vnet made it.</summary>
    public SimPrison Home = null!;
    /// <summary>The link-level (Ethernet) address, six bytes; null for lo(4).</summary>
    public byte[]? Lladdr;
    /// <summary>An epair's other side.</summary>
    public SimInterface? Peer;
    /// <summary>A bridge's members (bridge_iflist), in the order they were added.</summary>
    public List<SimInterface>? Members;
    /// <summary>The bridge this interface is a member of (if_bridge).</summary>
    public SimInterface? MemberOf;

    public bool IsEthernet => Lladdr is not null && Driver != "bridge";
}

/// <summary>An interface the simulated host boots with, and the addresses configured on it ("192.0.2.2/24").</summary>
public sealed record SimulatedInterface(string Name, string Driver, int Flags, IReadOnlyList<string> Addresses)
{
    internal static SimIfAddr ParseAddress(string text)
    {
        int slash = text.IndexOf('/');
        var ip = IPAddress.Parse(slash < 0 ? text : text[..slash]);
        int family = ip.AddressFamily == AddressFamily.InterNetworkV6 ? 6 : 4;
        int prefix = slash < 0 ? (family == 4 ? 32 : 128) : int.Parse(text[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return new SimIfAddr { Family = family, Addr = ip.GetAddressBytes(), PrefixLength = prefix };
    }
}
