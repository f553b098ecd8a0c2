using System;
using System.Buffers.Binary;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using JailPS.Native;

namespace JailPS.Core.Kernel;

/// <summary>jailsys parameter values (sys/sys/jail.h JAIL_SYS_*).</summary>
public enum JailSysMode
{
    Disable = JailSysValues.Disable,
    New = JailSysValues.New,
    Inherit = JailSysValues.Inherit,
}

/// <summary>A bad parameter name or value, before anything reached the kernel.</summary>
public sealed class JailParameterException : Exception
{
    public JailParameterException(string errorId, string parameterName, string message) : base(message)
    {
        ErrorId = errorId;
        ParameterName = parameterName;
    }

    /// <summary>JailParameterUnknown, JailParameterInvalidValue, JailParameterReadOnly, JailParameterCreateOnly.</summary>
    public string ErrorId { get; }
    public string ParameterName { get; }
}

/// <summary>
/// Converts jail parameter values between text (jail.conf, jailparam_import rules in
/// lib/libjail/jail.c), .NET values and the kernel's binary encoding (freebsd-abi.md §1.4, §2.1).
/// Typed values: int, uint, long, ulong, bool, <see cref="JailSysMode"/>, string, IPAddress[], byte[].
/// </summary>
public static class JailParameterCodec
{
    /// <summary>Parses jail.conf / command-line text values for a parameter.</summary>
    public static object FromText(JailParameterInfo info, IReadOnlyList<string> values, bool negated)
    {
        if (info.Type == JailParameterType.Bool)
        {
            bool v = true;
            if (values.Count > 1)
                throw Invalid(info, string.Join(",", values), "a boolean takes one value");
            if (values.Count == 1)
                v = ParseBool(info, values[0]);
            return negated ? !v : v;
        }
        if (negated)
            throw new JailParameterException("JailParameterInvalidValue", info.Name, $"{info.Name}: only boolean parameters have a \"no\" form");
        if (info.Type is JailParameterType.IPv4Array or JailParameterType.IPv6Array)
        {
            var list = new List<IPAddress>();
            foreach (string raw in values)
                foreach (string part in raw.Split(','))
                {
                    string t = part.Trim();
                    if (t.Length == 0 || t == "-") continue;
                    list.Add(ParseAddress(info, t));
                }
            return list.ToArray();
        }
        if (values.Count == 0)
        {
            // jailparam_import: an empty jailsys value means "new"; other types need a value.
            if (info.Type == JailParameterType.JailSys) return JailSysMode.New;
            if (info.Type == JailParameterType.String) return "";
            throw Invalid(info, "", "a value is required");
        }
        if (values.Count > 1)
            throw Invalid(info, string.Join(",", values), "this parameter takes one value, not a list");
        return FromSingleText(info, values[0]);
    }

    private static object FromSingleText(JailParameterInfo info, string text)
    {
        switch (info.Type)
        {
            case JailParameterType.Int:
                if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i)) return i;
                throw Invalid(info, text, "non-integer value");
            case JailParameterType.UInt:
                if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint u)) return u;
                throw Invalid(info, text, "non-integer value");
            case JailParameterType.Long:
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
                throw Invalid(info, text, "non-integer value");
            case JailParameterType.ULong:
                if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong ul)) return ul;
                throw Invalid(info, text, "non-integer value");
            case JailParameterType.JailSys:
                return ParseJailSys(info, text);
            case JailParameterType.String:
                // The kernel reads the value as a C string: everything after a NUL would be lost.
                if (text.IndexOf('\0') >= 0)
                    throw Invalid(info, text.Replace("\0", "\\0", StringComparison.Ordinal), "contains a NUL character");
                CheckLength(info, text);
                return text;
            default:
                throw Invalid(info, text, "values of this type cannot be given as text");
        }
    }

    /// <summary>Converts a value from PowerShell (already unwrapped from PSObject) for a parameter.</summary>
    public static object FromObject(JailParameterInfo info, object? value, bool negated)
    {
        switch (value)
        {
            case null:
                if (info.Type == JailParameterType.Bool) return !negated;
                throw Invalid(info, "$null", "a value is required");
            case string s:
                return FromText(info, info.Type is JailParameterType.IPv4Array or JailParameterType.IPv6Array ? s.Split(',') : new[] { s }, negated);
            case bool b:
                if (info.Type != JailParameterType.Bool) throw Invalid(info, b.ToString(), $"expected {Describe(info.Type)}");
                return negated ? !b : b;
            case IPAddress a:
                return FromObject(info, new[] { a }, negated);
            case JailSysMode m when info.Type == JailParameterType.JailSys:
                return m;
            case IEnumerable e when value is not string:
            {
                if (info.Type is not (JailParameterType.IPv4Array or JailParameterType.IPv6Array))
                    throw Invalid(info, "(list)", "this parameter takes one value, not a list");
                var list = new List<IPAddress>();
                foreach (object? item in e)
                {
                    if (item is IPAddress ip) list.Add(CheckFamily(info, ip, ip.ToString(), ip.ToString()));
                    else if (item != null) list.Add(ParseAddress(info, Convert.ToString(item, CultureInfo.InvariantCulture)!.Trim()));
                }
                return list.ToArray();
            }
            default:
                if (IsInteger(value))
                {
                    if (info.Type == JailParameterType.Bool)
                    {
                        bool b = Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0;
                        return negated ? !b : b;
                    }
                    return FromText(info, new[] { Convert.ToString(value, CultureInfo.InvariantCulture)! }, negated);
                }
                throw Invalid(info, value.ToString() ?? "", $"expected {Describe(info.Type)}");
        }
    }

    /// <summary>Bytes the kernel expects for a value (not used for booleans: they are sent by name only).</summary>
    public static byte[] Encode(JailParameterInfo info, object value)
    {
        switch (info.Type)
        {
            case JailParameterType.Int:
            {
                var b = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(b, (int)value);
                return b;
            }
            case JailParameterType.UInt:
            {
                var b = new byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)value);
                return b;
            }
            case JailParameterType.JailSys:
            {
                var b = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(b, (int)(JailSysMode)value);
                return b;
            }
            case JailParameterType.Long:
            {
                var b = new byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(b, (long)value);
                return b;
            }
            case JailParameterType.ULong:
            {
                var b = new byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)value);
                return b;
            }
            case JailParameterType.Bool:
                return Array.Empty<byte>();
            case JailParameterType.String:
                return Encoding.UTF8.GetBytes((string)value + "\0");
            case JailParameterType.IPv4Array:
            case JailParameterType.IPv6Array:
            {
                var addrs = (IPAddress[])value;
                int size = info.Type == JailParameterType.IPv4Array ? JailLimits.InAddrSize : JailLimits.In6AddrSize;
                var b = new byte[addrs.Length * size];
                for (int k = 0; k < addrs.Length; k++)
                    addrs[k].GetAddressBytes().CopyTo(b, k * size); // network byte order, as struct in_addr holds it
                return b;
            }
            default:
                return (byte[])value;
        }
    }

    /// <summary>Decodes what jail_get wrote for a parameter.</summary>
    public static object? Decode(JailParameterInfo info, ReadOnlySpan<byte> data)
    {
        switch (info.Type)
        {
            case JailParameterType.Int: return data.Length == 4 ? BinaryPrimitives.ReadInt32LittleEndian(data) : null;
            case JailParameterType.UInt: return data.Length == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(data) : null;
            case JailParameterType.Bool: return data.Length == 4 ? BinaryPrimitives.ReadInt32LittleEndian(data) != 0 : null;
            case JailParameterType.JailSys: return data.Length == 4 ? (JailSysMode)BinaryPrimitives.ReadInt32LittleEndian(data) : null;
            case JailParameterType.Long: return data.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(data) : null;
            case JailParameterType.ULong: return data.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(data) : null;
            case JailParameterType.String:
            {
                int n = data.IndexOf((byte)0);
                return Encoding.UTF8.GetString(n < 0 ? data : data.Slice(0, n));
            }
            case JailParameterType.IPv4Array:
            case JailParameterType.IPv6Array:
            {
                int size = info.Type == JailParameterType.IPv4Array ? JailLimits.InAddrSize : JailLimits.In6AddrSize;
                var list = new IPAddress[data.Length / size];
                for (int k = 0; k < list.Length; k++)
                    list[k] = new IPAddress(data.Slice(k * size, size));
                return list;
            }
            default:
                return data.ToArray();
        }
    }

    /// <summary>The jail.conf text form of a typed value (jailparam_export rules); arrays give one entry per element.</summary>
    public static IReadOnlyList<string> ToText(JailParameterInfo info, object value)
    {
        switch (value)
        {
            case bool b: return new[] { b ? "true" : "false" };
            case JailSysMode m: return new[] { m.ToString().ToLowerInvariant() };
            case IPAddress[] a: return Array.ConvertAll(a, x => x.ToString());
            case byte[] raw: return new[] { Convert.ToHexString(raw) };
            default: return new[] { Convert.ToString(value, CultureInfo.InvariantCulture) ?? "" };
        }
    }

    /// <summary>A value as PowerShell users see it: addresses become strings, everything else stays typed.</summary>
    public static object? ToDisplayValue(object? value) => value switch
    {
        IPAddress[] a => Array.ConvertAll(a, x => x.ToString()),
        JailSysMode m => m.ToString().ToLowerInvariant(),
        _ => value,
    };

    private static bool ParseBool(JailParameterInfo info, string text)
    {
        if (string.Equals(text, "true", StringComparison.OrdinalIgnoreCase)) return true;
        if (string.Equals(text, "false", StringComparison.OrdinalIgnoreCase)) return false;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) return n != 0;
        throw Invalid(info, text, "expected true, false or a number");
    }

    private static JailSysMode ParseJailSys(JailParameterInfo info, string text)
    {
        switch (text.ToLowerInvariant())
        {
            case "": case "new": return JailSysMode.New;
            case "disable": return JailSysMode.Disable;
            case "inherit": return JailSysMode.Inherit;
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 0 and <= 2)
            return (JailSysMode)n;
        throw Invalid(info, text, "expected disable, new or inherit");
    }

    /// <summary>
    /// The address part of a jail.conf ip4.addr/ip6.addr entry "[iface|]addr[/mask][ extra]": only
    /// the bare address reaches the kernel (usr.sbin/jail/config.c).
    /// </summary>
    public static string BareAddress(string entry)
    {
        string bare = entry.Trim();
        int bar = bare.IndexOf('|');
        if (bar >= 0) bare = bare.Substring(bar + 1);
        int sp = bare.IndexOf(' ');
        if (sp >= 0) bare = bare.Substring(0, sp);
        int slash = bare.IndexOf('/');
        if (slash >= 0) bare = bare.Substring(0, slash);
        return bare;
    }

    /// <summary>
    /// One ip4.addr/ip6.addr entry as jail(8) takes it: "[iface|]addr[/mask]". jail(8) checks the
    /// mask in check_intparams (usr.sbin/jail/config.c): a prefix length of 0 to 32 (IPv4) or 0 to
    /// 128 (IPv6), or for IPv4 a dotted netmask that inet_pton(AF_INET) accepts; anything else is
    /// "ip4.addr: bad netmask" / "ip6.addr: bad prefixlen". Words after the address (ifconfig options
    /// in newer jail(8)) belong to an interface alias, so they are accepted only with an interface,
    /// which JailSpec then refuses as not implemented; without one they are an error, never dropped.
    /// Only the address reaches the kernel.
    /// </summary>
    private static IPAddress ParseAddress(JailParameterInfo info, string text)
    {
        bool v4 = info.Type == JailParameterType.IPv4Array;
        string family = v4 ? "IPv4" : "IPv6";
        string entry = text.Trim();
        string rest = entry;
        int bar = rest.IndexOf('|');
        bool hasInterface = bar >= 0;
        if (hasInterface)
        {
            string iface = rest.Substring(0, bar);
            if (iface.Length == 0 || iface.Any(char.IsWhiteSpace))
                throw Invalid(info, entry, "the interface before \"|\" is empty or holds blanks (expected [interface|]address[/prefix])");
            rest = rest.Substring(bar + 1);
        }
        int blank = rest.IndexOfAny(new[] { ' ', '\t' });
        if (blank >= 0)
        {
            if (!hasInterface)
                throw Invalid(info, entry, $"only an {family} address, optionally with /prefix{(v4 ? " or /netmask" : "")}, may be given (expected [interface|]address[/prefix])");
            rest = rest.Substring(0, blank);
        }
        string bare = rest;
        int slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            bare = rest.Substring(0, slash);
            string mask = rest.Substring(slash + 1);
            if (!ValidMask(mask, v4))
                throw Invalid(info, entry, v4
                    ? $"bad netmask \"/{mask}\" (a prefix length from 0 to 32, or a dotted netmask such as 255.255.255.0)"
                    : $"bad prefixlen \"/{mask}\" (a prefix length from 0 to 128)");
        }
        if (!IPAddress.TryParse(bare, out var ip) || bare.Contains('%'))
            throw Invalid(info, entry, v4 ? "not an IPv4 address" : "not an IPv6 address");
        return CheckFamily(info, ip, bare, entry);
    }

    private static bool ValidMask(string mask, bool v4)
    {
        if (mask.Length > 0 && mask.All(c => c is >= '0' and <= '9'))
            return int.TryParse(mask, NumberStyles.None, CultureInfo.InvariantCulture, out int prefix) && prefix <= (v4 ? 32 : 128);
        return v4 && mask.Contains('.') && IsDottedQuad(mask);
    }

    /// <summary>What inet_pton(AF_INET) accepts: four decimal parts 0-255 (at most three digits each, as inet_pton4 reads them).</summary>
    private static bool IsDottedQuad(string text)
    {
        string[] parts = text.Split('.');
        if (parts.Length != 4) return false;
        foreach (string p in parts)
            if (p.Length is 0 or > 3 || !p.All(c => c is >= '0' and <= '9') || int.Parse(p, CultureInfo.InvariantCulture) > 255 || (p.Length > 1 && p[0] == '0'))
                return false;
        return true;
    }

    private static IPAddress CheckFamily(JailParameterInfo info, IPAddress ip, string bare, string text)
    {
        var want = info.Type == JailParameterType.IPv4Array ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        if (ip.AddressFamily != want)
            throw Invalid(info, text, want == AddressFamily.InterNetwork ? "not an IPv4 address" : "not an IPv6 address");
        // inet_pton(AF_INET) accepts only dotted quads; IPAddress.TryParse also takes "10" or "1.2.3".
        if (want == AddressFamily.InterNetwork && !IsDottedQuad(bare))
            throw Invalid(info, text, "not an IPv4 address");
        return ip;
    }

    private static void CheckLength(JailParameterInfo info, string text)
    {
        if (info.MaxLength > 0 && Encoding.UTF8.GetByteCount(text) + 1 > info.MaxLength)
            throw Invalid(info, text.Length > 40 ? text.Substring(0, 40) + "..." : text, $"longer than {info.MaxLength - 1} bytes");
    }

    private static bool IsInteger(object v) => v is sbyte or byte or short or ushort or int or uint or long or ulong;

    private static string Describe(JailParameterType t) => t switch
    {
        JailParameterType.Bool => "a boolean",
        JailParameterType.Int or JailParameterType.UInt or JailParameterType.Long or JailParameterType.ULong => "an integer",
        JailParameterType.JailSys => "disable, new or inherit",
        JailParameterType.String => "a string",
        JailParameterType.IPv4Array => "IPv4 addresses",
        JailParameterType.IPv6Array => "IPv6 addresses",
        _ => "a value",
    };

    private static JailParameterException Invalid(JailParameterInfo info, string value, string why)
        => new("JailParameterInvalidValue", info.Name, $"{info.Name}: invalid value \"{value}\": {why}");
}
