using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Network;

/// <summary>
/// One port forward of a jail, as its definition keeps it in the jail.conf variable
/// <c>$jailps_rdr</c> ("tcp 198.51.100.7:80 -> 10.0.0.5:80; tcp 198.51.100.7:443 -> 10.0.0.5:443"),
/// and the pf rule it becomes in the jail's anchor (seed 003's
/// <c>rdr pass on $ext_if proto tcp from any to $ext_ip port 80 -> $int_ip</c>).
/// </summary>
public sealed record JailPortForwardEntry(string Protocol, IPAddress ExternalAddress, int ExternalPort, IPAddress JailAddress, int JailPort)
{
    /// <summary>The jail.conf variable (jail(8) ignores variables) that keeps a jail's port forwards.</summary>
    public const string Variable = "jailps_rdr";

    public static readonly IReadOnlyList<string> Protocols = new[] { "tcp", "udp" };

    /// <summary>pf's address family keyword: inet or inet6.</summary>
    public string PfFamily => ExternalAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "inet6" : "inet";

    public override string ToString() => $"{Protocol} {Endpoint(ExternalAddress, ExternalPort)} -> {Endpoint(JailAddress, JailPort)}";

    private static string Endpoint(IPAddress ip, int port)
        => (ip.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + ip + "]" : ip.ToString()) + ":" + port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The rdr rule; <paramref name="externalInterface"/> is the host interface that has the external address (null: any).</summary>
    public string PfRule(string? externalInterface)
        => $"rdr pass {(externalInterface is null ? "" : "on " + externalInterface + " ")}{PfFamily} proto {Protocol} from any to {ExternalAddress} port {ExternalPort} -> {JailAddress} port {JailPort}";

    /// <summary>Same forward: the same protocol, external address and port (only one jail can own it).</summary>
    public bool SameExternal(JailPortForwardEntry other)
        => Protocol == other.Protocol && ExternalAddress.Equals(other.ExternalAddress) && ExternalPort == other.ExternalPort;

    public static JailPortForwardEntry Create(string jail, string protocol, IPAddress external, int externalPort, IPAddress jailAddress, int jailPort)
    {
        string p = protocol.ToLowerInvariant();
        if (!Protocols.Contains(p))
            throw Invalid(jail, $"protocol \"{protocol}\" is not tcp or udp.", protocol);
        foreach (int port in new[] { externalPort, jailPort })
            if (port < 1 || port > 65535)
                throw Invalid(jail, $"port {port} is not between 1 and 65535.", port);
        if (external.AddressFamily != jailAddress.AddressFamily)
            throw Invalid(jail, $"{external} and {jailAddress} are not of the same family; pf's rdr cannot translate between IPv4 and IPv6.", jailAddress);
        return new JailPortForwardEntry(p, external, externalPort, jailAddress, jailPort);
    }

    /// <summary>Reads "tcp 198.51.100.7:80 -> 10.0.0.5:8080" (IPv6 in brackets).</summary>
    public static JailPortForwardEntry Parse(string jail, string text)
    {
        string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length != 4 || words[2] != "->")
            throw Invalid(jail, $"\"{text}\" in ${Variable} is not \"PROTO ADDRESS:PORT -> ADDRESS:PORT\".", text);
        var (ext, extPort) = ParseEndpoint(jail, words[1], text);
        var (inner, innerPort) = ParseEndpoint(jail, words[3], text);
        return Create(jail, words[0], ext, extPort, inner, innerPort);
    }

    private static (IPAddress, int) ParseEndpoint(string jail, string word, string text)
    {
        int colon = word.LastIndexOf(':');
        string host = colon > 0 ? word[..colon] : "";
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':')) host = "";
        if (!IPAddress.TryParse(host, out var ip)
            || !int.TryParse(word[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port))
            throw Invalid(jail, $"\"{word}\" in \"{text}\" is not ADDRESS:PORT ([ADDRESS]:PORT for IPv6).", text);
        return (ip, port);
    }

    /// <summary>Every entry of the variable's value (entries separated by ';').</summary>
    public static IReadOnlyList<JailPortForwardEntry> ParseList(string jail, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return Array.Empty<JailPortForwardEntry>();
        return value.Split(';').Select(e => e.Trim()).Where(e => e.Length > 0).Select(e => Parse(jail, e)).ToList();
    }

    public static string FormatList(IEnumerable<JailPortForwardEntry> entries) => string.Join("; ", entries.Select(e => e.ToString()));

    private static JailOperationException Invalid(string jail, string message, object target)
        => new("JailPortForwardInvalid", jail, $"jail \"{jail}\": {message}", "Give a protocol (tcp or udp), the host's external address and port, and the jail's address and port of the same family.")
        { TargetObject = target };
}
