using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using JailPS.Core.Config;
using JailPS.Native;

namespace JailPS.Core.Network;

/// <summary>
/// The epair(4) a VNET jail gets from JailPS: the host side (on a bridge when one is named), the
/// jail side (a vnet.interface value, moved into the jail after it is created), and the jail
/// side's MAC address. jail(8) has no parameter for creating an epair, so JailPS keeps these in
/// jail.conf variables that jail(8) reads and ignores:
/// <code>
/// $jailps_epair = "e0a_app e0b_app";   host side, jail side
/// $jailps_bridge = "bridge0";          optional
/// $jailps_mac = "02:5e:9a:31:c4:0b";   the jail side's MAC; the host side's ends in 0a
/// </code>
/// </summary>
public sealed record JailEpair(string HostSide, string JailSide, string? Bridge, string JailMac)
{
    public const string EpairVariable = "jailps_epair";
    public const string BridgeVariable = "jailps_bridge";
    public const string MacVariable = "jailps_mac";

    /// <summary>The host side's MAC: the jail side's with the last byte 0a instead of 0b, as epair(4) pairs them.</summary>
    public string HostMac => JailMac[..^2] + "0a";

    /// <summary>The epair the definition's variables describe, or null when it has none; malformed variables are refused.</summary>
    public static JailEpair? FromDefinition(JailDefinition definition)
    {
        if (!definition.Variables.TryGetValue(EpairVariable, out string? names)) return null;
        string[] parts = names.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2)
            throw Invalid(definition, $"${EpairVariable} = \"{names}\" must name the host side and the jail side, e.g. \"e0a_app e0b_app\"");
        foreach (string n in parts) CheckName(definition, EpairVariable, n);
        string? bridge = definition.Variables.TryGetValue(BridgeVariable, out string? b) && b.Length > 0 ? b : null;
        if (bridge is not null) CheckName(definition, BridgeVariable, bridge);
        if (!definition.Variables.TryGetValue(MacVariable, out string? mac) || !IsJailMac(mac))
            throw Invalid(definition, $"${MacVariable} must be the jail side's MAC address, six hex bytes ending in 0b (\"02:5e:9a:31:c4:0b\")");
        return new JailEpair(parts[0], parts[1], bridge, mac.ToLowerInvariant());
    }

    private static void CheckName(JailDefinition d, string variable, string name)
    {
        bool ok = name.Length is > 0 and < InterfaceLimits.IfNamSize && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        if (!ok) throw Invalid(d, $"${variable}: \"{name}\" is not an interface name (1 to {InterfaceLimits.IfNamSize - 1} letters, digits or '_')");
    }

    private static bool IsJailMac(string mac)
    {
        string[] b = mac.Split(':');
        return b.Length == 6 && b.All(x => x.Length == 2 && x.All(char.IsAsciiHexDigit)) && b[5].Equals("0b", StringComparison.OrdinalIgnoreCase);
    }

    private static Lifecycle.JailOperationException Invalid(JailDefinition d, string why)
        => new("JailVnetInvalid", d.Name, $"jail \"{d.Name}\": {why}.", "Fix the jailps_* variables in the jail's definition, or create the jail again with New-Jail -Vnet.");

    /// <summary>
    /// Names for a new jail's epair within IFNAMSIZ (15 characters), free on this host and in every
    /// other definition: "e&lt;N&gt;a_NAME" / "e&lt;N&gt;b_NAME" (jib's scheme) when NAME is letters,
    /// digits and '_' and fits; otherwise a prefix of it and four hex digits of its SHA-256, so two
    /// long names with the same start never share an interface (the truncation clashes of
    /// Bastille #1245 and CBSD #25). N counts up past names taken.
    /// </summary>
    public static (string HostSide, string JailSide) AllocateNames(string jail, ISet<string> taken)
    {
        bool plain = jail.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(jail)))[..4].ToLowerInvariant();
        for (int n = 0; n < 100; n++)
        {
            string prefix = "e" + n.ToString(CultureInfo.InvariantCulture);
            int room = InterfaceLimits.IfNamSize - 1 - prefix.Length - 2; // "eNa_" takes prefix + 2
            string suffix = plain && jail.Length <= room ? jail
                : new string(jail.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').Take(room - 5).ToArray()) + "_" + hash;
            string a = prefix + "a_" + suffix, b = prefix + "b_" + suffix;
            if (!taken.Contains(a) && !taken.Contains(b)) return (a, b);
        }
        throw new Lifecycle.JailOperationException("JailVnetNamesExhausted", jail,
            $"jail \"{jail}\": no free epair name (e0a_ to e99a_) is left for it on this host.", "Remove epairs left behind (Get-JailNetworkAdapter), or give the jail a shorter name.");
    }

    /// <summary>
    /// A stable, locally administered MAC for the jail side (02:XX:XX:XX:XX:0b, the XX from the
    /// SHA-256 of the jail name), different from every MAC in <paramref name="taken"/> (other
    /// jails' definitions and the host's interfaces): a restart or a reboot keeps it, and no two
    /// jails share one (Bastille #1608).
    /// </summary>
    public static string AllocateMac(string jail, ISet<string> taken)
    {
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            byte[] h = SHA256.HashData(Encoding.UTF8.GetBytes(attempt == 0 ? jail : jail + "#" + attempt.ToString(CultureInfo.InvariantCulture)));
            string mac = $"02:{h[0]:x2}:{h[1]:x2}:{h[2]:x2}:{h[3]:x2}:0b";
            if (!taken.Contains(mac) && !taken.Contains(mac[..^2] + "0a")) return mac;
        }
        throw new InvalidOperationException("no free MAC address after 1000 attempts");
    }

    /// <summary>"02:5e:9a:31:c4:0b" as its six bytes.</summary>
    public static byte[] MacBytes(string mac) => mac.Split(':').Select(x => byte.Parse(x, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
}
