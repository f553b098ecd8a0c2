using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using JailPS.Core.Config;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Network;

/// <summary>
/// What New-Jail -Vnet / -Bridge / -PrivateLoopback add to a new jail's definition, chosen so
/// that no other jail and no host interface already has it: the epair's names and MAC, the
/// private loopback address, and the rc.conf lines that configure the jail's side of the epair
/// from inside, as the jail's own /etc/rc expects (rc.conf(5): ifconfig_IF, ifconfig_IF_ipv6,
/// ifconfig_IF_aliasN, defaultrouter, ipv6_defaultrouter).
/// </summary>
public sealed class JailNetworkDefaults
{
    public const string PrivateLoopbackInterface = "lo1";
    public const string RcConf = "/etc/rc.conf";

    private readonly JailService _service;

    public JailNetworkDefaults(JailService service) => _service = service;

    /// <summary>The definition's network parameters (appended to New-Jail's), and the lines for the jail's rc.conf.</summary>
    public (List<JailConfParameter> Parameters, List<string> RcConfLines) For(NewJailRequest req)
    {
        var parameters = new List<JailConfParameter>();
        var rc = new List<string>();
        bool vnet = req.Vnet || req.Bridge is not null;
        if (req.PrivateLoopback && vnet)
            throw new JailOperationException("JailVnetInvalid", req.Name,
                "-PrivateLoopback gives a jail that shares the host's network stack an address on lo1; a VNET jail has its own lo0 instead.",
                "Use -Vnet or -PrivateLoopback, not both.");
        if (req.DefaultGateway.Count > 0 && !vnet)
            throw new JailOperationException("JailVnetInvalid", req.Name,
                "-DefaultGateway sets the default route inside a VNET jail; a jail without VNET uses the host's routes.",
                "Add -Vnet (and -Bridge), or leave -DefaultGateway out.");
        // The loopback entry first, as the seed writes it: the kernel gives a jail's 127.0.0.1 its
        // first IPv4 address, so a daemon bound to localhost gets 127.0.1.N, never the public one.
        if (req.PrivateLoopback)
        {
            parameters.Add(new JailConfParameter("ip4.addr", new[] { $"{PrivateLoopbackInterface}|{FreeLoopbackAddress(req.Name)}/32" }.Concat(req.IPv4Address).ToArray()));
            // And seed 003's pf isolation of that address from the other jails (loaded on start).
            parameters.Add(new JailConfParameter("$" + JailPfService.IsolationVariable, new[] { "yes" }));
        }
        if (!vnet) return (parameters, rc);

        var definitions = _service.Definitions;
        var table = _service.Host.Network.ReadInterfaces();
        var takenNames = new HashSet<string>(table.Select(i => i.Name), StringComparer.Ordinal);
        var takenMacs = new HashSet<string>(table.Select(i => i.LinkAddress).OfType<string>(), StringComparer.OrdinalIgnoreCase);
        foreach (var d in definitions)
        {
            if (d.Variables.TryGetValue(JailEpair.EpairVariable, out string? names))
                foreach (string n in names.Split(' ', StringSplitOptions.RemoveEmptyEntries)) takenNames.Add(n);
            foreach (string v in d.Get("vnet.interface")?.Values ?? (IReadOnlyList<string>)Array.Empty<string>())
                takenNames.Add(v.Trim());
            if (d.Variables.TryGetValue(JailEpair.MacVariable, out string? mac)) takenMacs.Add(mac);
        }
        var (host, jail) = JailEpair.AllocateNames(req.Name, takenNames);
        string jailMac = JailEpair.AllocateMac(req.Name, takenMacs);

        parameters.Add(new JailConfParameter("vnet", Array.Empty<string>()));
        parameters.Add(new JailConfParameter("vnet.interface", new[] { jail }));
        parameters.Add(new JailConfParameter("$" + JailEpair.EpairVariable, new[] { host + " " + jail }));
        if (req.Bridge is not null)
        {
            JailIPAlias.ValidateInterfaceName("-Bridge", req.Bridge, req.Bridge);
            parameters.Add(new JailConfParameter("$" + JailEpair.BridgeVariable, new[] { req.Bridge }));
        }
        parameters.Add(new JailConfParameter("$" + JailEpair.MacVariable, new[] { jailMac }));

        int alias = 0;
        bool v4 = false, v6 = false;
        foreach (string a in req.IPv4Address.Concat(req.IPv6Address))
        {
            var (ip, prefix) = ParseCidr(req.Name, a);
            bool six = ip.AddressFamily == AddressFamily.InterNetworkV6;
            string value = (six ? "inet6 " : "inet ") + ip + "/" + prefix.ToString(CultureInfo.InvariantCulture);
            if (!six && !v4) { rc.Add($"ifconfig_{jail}=\"{value}\""); v4 = true; }
            else if (six && !v6) { rc.Add($"ifconfig_{jail}_ipv6=\"{value}\""); v6 = true; }
            else rc.Add($"ifconfig_{jail}_alias{alias++}=\"{value}\"");
        }
        foreach (string g in req.DefaultGateway)
        {
            if (!IPAddress.TryParse(g, out var gw))
                throw new JailOperationException("JailIPAddressInvalid", req.Name, $"-DefaultGateway \"{g}\" is not an IPv4 or IPv6 address.", "Give the router's address, e.g. 10.0.0.1.");
            rc.Add(gw.AddressFamily == AddressFamily.InterNetworkV6 ? $"ipv6_defaultrouter=\"{gw}\"" : $"defaultrouter=\"{gw}\"");
        }
        return (parameters, rc);
    }

    /// <summary>127.0.1.N with the lowest N in 1..254 that no definition and no address on lo1 has.</summary>
    public string FreeLoopbackAddress(string jail)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var d in _service.Definitions)
            foreach (string v in d.Get("ip4.addr")?.Values ?? (IReadOnlyList<string>)Array.Empty<string>())
                foreach (string item in v.Split(','))
                    used.Add(Kernel.JailParameterCodec.BareAddress(item.Trim()));
        foreach (var i in _service.Host.Network.ReadInterfaces())
            foreach (var a in i.Addresses)
                used.Add(a.Address.ToString());
        for (int n = 1; n < 255; n++)
        {
            string candidate = "127.0.1." + n.ToString(CultureInfo.InvariantCulture);
            if (!used.Contains(candidate)) return candidate;
        }
        throw new JailOperationException("JailVnetNamesExhausted", jail,
            "every private loopback address 127.0.1.1 to 127.0.1.254 is taken.", "Remove jails you no longer use, or give this one another loopback address with -IPv4Address 'lo1|127.0.2.1/32'.");
    }

    private static (IPAddress Address, int Prefix) ParseCidr(string jail, string text)
    {
        string[] parts = text.Split('/');
        if (text.Contains('|') || parts.Length > 2 || !IPAddress.TryParse(parts[0], out var ip)
            || (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int p0) || p0 > (ip.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32))))
            throw new JailOperationException("JailIPAddressInvalid", jail,
                $"\"{text}\" is not ADDRESS/PREFIX: a VNET jail's addresses are configured inside it, on its side of the epair, so they take no interface.",
                "Give them as 10.0.0.5/24 or 2001:db8::5/64.");
        int prefix = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : ip.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        return (ip, prefix);
    }
}
