using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using JailPS.Core.Kernel;
using JailPS.Native;

namespace JailPS.Core.Network;

/// <summary>
/// One ip4.addr / ip6.addr entry of a jail as jail(8) reads it (usr.sbin/jail/config.c
/// check_intparams, command.c; freebsd-abi.md §4.5): <c>[interface|]address[/netmask-or-prefix]</c>.
/// The kernel gets only the address; the interface, when one is named (by <c>iface|</c> or the
/// jail's <c>interface</c> parameter), gets the address as an alias before jail_set and loses it
/// after jail_remove. No mask means /32 (IPv4) or /128 (IPv6), as jail(8)'s
/// "netmask 255.255.255.255" and "prefixlen 128".
/// </summary>
public sealed record JailIPAlias
{
    /// <summary>The parameter the entry came from: "ip4.addr" or "ip6.addr".</summary>
    public required string Parameter { get; init; }

    /// <summary>The entry as written, e.g. "em0|192.0.2.11/24".</summary>
    public required string Entry { get; init; }

    /// <summary>The interface the alias goes on; null for an address the kernel restricts the jail to and no interface is configured.</summary>
    public string? Interface { get; init; }

    public required IPAddress Address { get; init; }
    public required int PrefixLength { get; init; }

    /// <summary>The mask as written after "/" ("24", "255.255.255.0"), or null when none was.</summary>
    public string? MaskText { get; init; }

    /// <summary>4 or 6.</summary>
    public int Family => Address.AddressFamily == AddressFamily.InterNetworkV6 ? 6 : 4;

    /// <summary>"192.0.2.11/24".</summary>
    public string Cidr => Address + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture);

    /// <summary>The ifconfig(8) command jail(8) runs to add this alias (command.c), e.g. "ifconfig em0 inet 192.0.2.11/24 alias".</summary>
    public string IfconfigAdd
    {
        get
        {
            string family = Family == 4 ? "inet" : "inet6";
            string addr = MaskText switch
            {
                null => Family == 4 ? $"{Address} netmask 255.255.255.255" : $"{Address} prefixlen 128",
                _ when MaskText.Contains('.') => $"{Address} netmask {MaskText}",
                _ => $"{Address}/{MaskText}",
            };
            return $"ifconfig {Interface} {family} {addr} alias";
        }
    }

    /// <summary>
    /// The ifconfig(8) command jail(8) runs to remove it: the add command with "-alias"
    /// (usr.sbin/jail/command.c keeps the mask), e.g. "ifconfig em0 inet 192.0.2.11/24 -alias".
    /// </summary>
    public string IfconfigRemove => IfconfigAdd[..^"alias".Length] + "-alias";

    /// <summary>The ioctl JailPS issues instead of ifconfig's, e.g. "ioctl(SIOCAIFADDR) em0 192.0.2.11/24".</summary>
    public string IoctlAdd => $"ioctl({(Family == 4 ? "SIOCAIFADDR" : "SIOCAIFADDR_IN6")}) {Interface} {Cidr}";

    public string IoctlRemove => $"ioctl({(Family == 4 ? "SIOCDIFADDR" : "SIOCDIFADDR_IN6")}) {Interface} {Address}";

    /// <summary>
    /// Splits one entry that <see cref="JailParameterCodec"/> has accepted (it checks the address and
    /// the mask with jail(8)'s messages). <paramref name="defaultInterface"/> is the jail's
    /// <c>interface</c> parameter. Throws <see cref="JailParameterException"/> for an interface name
    /// the kernel cannot hold, and for ifconfig options after the address.
    /// </summary>
    public static JailIPAlias Parse(string parameter, string entry, string? defaultInterface)
    {
        string text = entry.Trim();
        string? iface = defaultInterface;
        int bar = text.IndexOf('|');
        if (bar >= 0)
        {
            iface = text[..bar];
            text = text[(bar + 1)..];
        }
        if (iface is not null)
            ValidateInterfaceName(parameter, entry, iface);
        int space = text.IndexOfAny(new[] { ' ', '\t' });
        if (space >= 0)
            // jail(8) appends the words after the address to its ifconfig command (vhid, pltime, ...).
            // JailPS adds aliases with ioctls and takes none of ifconfig's options.
            throw new JailParameterException("JailIPAddressOptionUnsupported", parameter,
                $"{parameter} entry \"{entry.Trim()}\": the ifconfig options after the address (\"{text[(space + 1)..].Trim()}\") are not taken by JailPS, which adds aliases with ioctls, not with ifconfig(8)");
        string? mask = null;
        int slash = text.IndexOf('/');
        if (slash >= 0)
        {
            mask = text[(slash + 1)..];
            text = text[..slash];
        }
        var address = IPAddress.Parse(text);
        int max = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        int prefix = mask is null ? max
            : mask.Contains('.') ? NetMask.PrefixOf(IPAddress.Parse(mask).GetAddressBytes())
            : int.Parse(mask, NumberStyles.None, CultureInfo.InvariantCulture);
        if (prefix < 0)
            throw new JailParameterException("JailParameterInvalidValue", parameter,
                $"{parameter} entry \"{entry.Trim()}\": netmask {mask} is not contiguous, so it has no prefix length");
        return new JailIPAlias { Parameter = parameter, Entry = entry.Trim(), Interface = iface, Address = address, PrefixLength = prefix, MaskText = mask };
    }

    /// <summary>An interface name the kernel can hold (IFNAMSIZ, so at most 15 characters) and a shell-safe word.</summary>
    public static void ValidateInterfaceName(string parameter, string entry, string name)
    {
        bool ok = name.Length > 0 && name.Length < InterfaceLimits.IfNamSize;
        foreach (char c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')) ok = false;
        if (!ok)
            throw new JailParameterException("JailParameterInvalidValue", parameter,
                $"{parameter} entry \"{entry}\": \"{name}\" is not an interface name (1 to {InterfaceLimits.IfNamSize - 1} letters, digits, '_', '.' or '-')");
    }
}
