using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using JailPS.Native;

namespace JailPS.Core.Kernel;

/// <summary>
/// Every jail parameter the running kernel knows, with its type, discovered once from the
/// security.jail.param.* sysctl tree (as lib/libjail/jail.c does), so parameters of newer
/// kernels and loaded modules work without a code change.
/// </summary>
public sealed class JailParameterCatalog
{
    private const string Prefix = "security.jail.param.";
    private readonly Dictionary<string, JailParameterInfo> _byName;

    private JailParameterCatalog(Dictionary<string, JailParameterInfo> byName, int maxAfIps)
    {
        _byName = byName;
        MaxAddressesPerFamily = maxAfIps;
        var sorted = new List<JailParameterInfo>(byName.Values);
        sorted.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        All = sorted;
    }

    /// <summary>All parameters, sorted by name.</summary>
    public IReadOnlyList<JailParameterInfo> All { get; }

    /// <summary>security.jail.jail_max_af_ips: most addresses per family a jail may hold.</summary>
    public int MaxAddressesPerFamily { get; }

    /// <summary>The parameter named exactly so (no "no" handling).</summary>
    public JailParameterInfo? Find(string name) => _byName.TryGetValue(name, out var p) ? p : null;

    /// <summary>
    /// Resolves a name as written by a user: an exact parameter, or the "no" form of a boolean
    /// (<paramref name="negated"/> true), as libjail's jailparam_init does.
    /// </summary>
    public JailParameterInfo? Resolve(string name, out bool negated)
    {
        negated = false;
        if (_byName.TryGetValue(name, out var p))
            return p;
        string? positive = JailParameterInfo.PositiveNameOf(name);
        if (positive != null && _byName.TryGetValue(positive, out p) && p.Type == JailParameterType.Bool)
        {
            negated = true;
            return p;
        }
        // "meta.KEY": one line of a key-value string (the kernel takes NAME.KEY for it).
        int dot = name.IndexOf('.');
        if (dot > 0 && dot < name.Length - 1 && _byName.TryGetValue(name.Substring(0, dot), out p) && p.IsKeyValue)
            return new JailParameterInfo(name, JailParameterType.String, p.Access, maxLength: p.MaxLength);
        return null;
    }

    /// <summary>Enumerates security.jail.param.* through sysctl(3) on the given libc.</summary>
    public static JailParameterCatalog Discover(ILibc libc)
    {
        var sysctl = new SysctlClient(libc);
        var result = new Dictionary<string, JailParameterInfo>(StringComparer.Ordinal);
        int[]? oid = sysctl.NameToOid("security.jail.param");
        if (oid is null)
            throw new JailKernelException("sysctl", libc.LastErrno, "cannot read security.jail.param: jail support missing from this kernel");
        int guard = 0;
        while ((oid = sysctl.Next(oid)) != null && guard++ < 10000)
        {
            string? name = sysctl.OidToName(oid);
            if (name is null || !name.StartsWith(Prefix, StringComparison.Ordinal))
                break;
            string paramName = name.Substring(Prefix.Length);
            // A node that is itself a parameter has an empty-named child: "allow.mount." is allow.mount.
            if (paramName.EndsWith('.'))
                paramName = paramName.Substring(0, paramName.Length - 1);
            var fmt = sysctl.OidFormat(oid);
            if (fmt is null)
                continue;
            var info = Describe(paramName, fmt.Value.Kind, fmt.Value.Format, sysctl, oid);
            if (info != null)
                result[paramName] = info;
        }
        int maxAf = sysctl.ReadIntByName("security.jail.jail_max_af_ips") ?? JailLimits.DefaultMaxAfIps;
        return new JailParameterCatalog(result, maxAf);
    }

    private static JailParameterInfo? Describe(string name, uint kind, string format, SysctlClient sysctl, int[] oid)
    {
        uint ctlType = kind & SysctlConstants.CtlTypeMask;
        bool rd = (kind & SysctlConstants.CtlFlagRd) != 0;
        bool wr = (kind & SysctlConstants.CtlFlagWr) != 0;
        bool tun = (kind & SysctlConstants.CtlFlagTun) != 0;
        var access = wr ? JailParameterAccess.ReadWrite : (rd && tun ? JailParameterAccess.CreateOnly : JailParameterAccess.ReadOnly);

        switch (ctlType)
        {
            case SysctlConstants.CtlTypeInt:
                if (format == "B") return new JailParameterInfo(name, JailParameterType.Bool, access);
                if (format.StartsWith("E,jailsys", StringComparison.Ordinal)) return new JailParameterInfo(name, JailParameterType.JailSys, access);
                return new JailParameterInfo(name, JailParameterType.Int, access);
            case SysctlConstants.CtlTypeUInt:
                return new JailParameterInfo(name, JailParameterType.UInt, access);
            case SysctlConstants.CtlTypeLong:
            case SysctlConstants.CtlTypeS64:
                return new JailParameterInfo(name, JailParameterType.Long, access);
            case SysctlConstants.CtlTypeULong:
            case SysctlConstants.CtlTypeU64:
                return new JailParameterInfo(name, JailParameterType.ULong, access);
            case SysctlConstants.CtlTypeString:
            {
                // kern_jail.c sysctl_jail_param: a string parameter's value is its size as decimal text.
                byte[]? raw = sysctl.ReadValue(oid);
                int max = 0;
                if (raw != null)
                {
                    string text = Encoding.ASCII.GetString(raw).TrimEnd('\0');
                    int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out max);
                }
                return new JailParameterInfo(name, JailParameterType.String, access, maxLength: max)
                    { IsKeyValue = format == "A,keyvalue" };
            }
            case SysctlConstants.CtlTypeOpaque:
            {
                byte[]? raw = sysctl.ReadValue(oid);
                int elem = raw != null && raw.Length >= 8 ? (int)BitConverter.ToUInt64(raw, 0) : 0;
                if (format.StartsWith("S,in_addr", StringComparison.Ordinal))
                    return new JailParameterInfo(name, JailParameterType.IPv4Array, access, elementSize: elem == 0 ? JailLimits.InAddrSize : elem);
                if (format.StartsWith("S,in6_addr", StringComparison.Ordinal))
                    return new JailParameterInfo(name, JailParameterType.IPv6Array, access, elementSize: elem == 0 ? JailLimits.In6AddrSize : elem);
                return new JailParameterInfo(name, JailParameterType.Opaque, access, elementSize: elem);
            }
            default:
                return null;
        }
    }
}
