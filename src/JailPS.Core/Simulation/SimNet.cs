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

/// <summary>The model's struct ifnet: name, driver (if_dname), flags and addresses, in the host's vnet.</summary>
internal sealed class SimInterface
{
    public string Name = "";
    /// <summary>if_dname: the driver or cloner the interface came from ("em", "lo", "epair", "bridge").</summary>
    public string Driver = "";
    public int Flags;
    /// <summary>Made by a cloner (SIOCIFCREATE2), so SIOCIFDESTROY may destroy it.</summary>
    public bool Cloned;
    public readonly List<SimIfAddr> Addrs = new();
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
