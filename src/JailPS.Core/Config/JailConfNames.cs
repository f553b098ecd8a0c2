using System;
using System.Collections.Generic;

namespace JailPS.Core.Config;

/// <summary>Name rules of jail(8): "no" forms, wildcards, pseudo-parameters, boolean values.</summary>
public static class JailConfNames
{
    /// <summary>
    /// Parameters jail(8) handles itself instead of passing them to the kernel
    /// (the PF_INTERNAL entries of intparams[] in usr.sbin/jail/config.c; freebsd-abi.md §4.2).
    /// They stay ordinary entries of <see cref="JailDefinition.Parameters"/>.
    /// </summary>
    public static IReadOnlyList<string> PseudoParameters { get; } = new[]
    {
        "allow.dying", "command", "depend", "exec.clean", "exec.consolelog", "exec.fib",
        "exec.jail_user", "exec.poststart", "exec.poststop", "exec.prepare", "exec.prestart",
        "exec.prestop", "exec.release", "exec.created", "exec.start", "exec.stop",
        "exec.system_jail_user", "exec.system_user", "exec.timeout", "interface", "ip_hostname",
        "mount", "mount.devfs", "mount.fdescfs", "mount.procfs", "mount.fstab", "stop.timeout",
        "vnet.interface", "zfs.dataset",
    };

    /// <summary>
    /// True when jail(8) treats the two names as the same parameter: equal, or one is the other's
    /// boolean "no" form, where the "no" may follow any dot ("persist"/"nopersist",
    /// "allow.mount"/"allow.nomount"). Port of equalopts() in usr.sbin/jail/config.c.
    /// </summary>
    public static bool EquivalentNames(string name1, string name2)
    {
        if (name1 is null) throw new ArgumentNullException(nameof(name1));
        if (name2 is null) throw new ArgumentNullException(nameof(name2));
        if (string.Equals(name1, name2, StringComparison.Ordinal)) return true;
        // Equivalent names differ at most by one "no".
        int difference = name1.Length - name2.Length;
        if (difference != 2 && difference != -2) return false;
        ReadOnlySpan<char> a = name1, b = name2;
        if (IsNoFormOf(a, b) || IsNoFormOf(b, a)) return true;
        // Walk matching "component." prefixes and compare the rest for a "no" form.
        int ia = 0, ib = 0;
        while (true)
        {
            int dot = name1.IndexOf('.', ia);
            if (dot < 0) break;
            int len = dot + 1 - ia;
            if (name2.Length - ib < len || string.CompareOrdinal(name1, ia, name2, ib, len) != 0) break;
            ia += len;
            ib += len;
            if (IsNoFormOf(a.Slice(ia), b.Slice(ib)) || IsNoFormOf(b.Slice(ib), a.Slice(ia))) return true;
        }
        return false;
    }

    private static bool IsNoFormOf(ReadOnlySpan<char> maybeNo, ReadOnlySpan<char> other)
        => maybeNo.Length >= 2 && maybeNo[0] == 'n' && maybeNo[1] == 'o' && maybeNo.Slice(2).SequenceEqual(other);

    /// <summary>
    /// True when the jail name is a wildcard: some component is exactly "*" ("*", "foo.*", "*.bar").
    /// "foo*" is not a wildcard. Port of wild_jail_name() in usr.sbin/jail/config.c.
    /// </summary>
    public static bool IsWildcardName(string name)
    {
        if (name is null) throw new ArgumentNullException(nameof(name));
        for (int i = name.IndexOf('*'); i >= 0; i = name.IndexOf('*', i + 1))
            if ((i == 0 || name[i - 1] == '.') && (i + 1 == name.Length || name[i + 1] == '.'))
                return true;
        return false;
    }

    /// <summary>
    /// True when a wildcard block name applies to a jail: a non-final "*" component matches exactly
    /// one jail name component, a final "*" matches one or more. Port of wild_jail_match() in
    /// usr.sbin/jail/config.c.
    /// </summary>
    public static bool WildcardMatches(string jailName, string wildcardName)
    {
        if (jailName is null) throw new ArgumentNullException(nameof(jailName));
        if (wildcardName is null) throw new ArgumentNullException(nameof(wildcardName));
        int jc = 0, wc = 0;
        while (true)
        {
            int jd = jailName.IndexOf('.', jc);
            if (jd < 0) break;
            int wd = wildcardName.IndexOf('.', wc);
            if (wd < 0) break;
            int len = jd - jc + 1; // the component and its dot
            bool same = wildcardName.Length - wc >= len
                        && string.CompareOrdinal(jailName, jc, wildcardName, wc, len) == 0;
            bool star = wildcardName.Length - wc >= 2 && wildcardName[wc] == '*' && wildcardName[wc + 1] == '.';
            if (!same && !star) return false;
            jc = jd + 1;
            wc = wd + 1;
        }
        return jailName.AsSpan(jc).SequenceEqual(wildcardName.AsSpan(wc))
               || (wildcardName.Length - wc == 1 && wildcardName[wc] == '*');
    }

    /// <summary>True for the parameters in <see cref="PseudoParameters"/>, including their "no" forms ("mount.nodevfs").</summary>
    public static bool IsPseudoParameter(string name)
    {
        if (name is null) throw new ArgumentNullException(nameof(name));
        foreach (var p in PseudoParameters)
            if (EquivalentNames(name, p)) return true;
        return false;
    }

    /// <summary>
    /// jail(8)'s truth value of a boolean parameter (bool_param() in usr.sbin/jail/config.c): a name
    /// whose last component starts with "no" inverts; the value is true when there are no values,
    /// the last value is "true" (any case), or it starts with a non-zero integer.
    /// </summary>
    public static bool IsTrue(JailConfParameter parameter)
    {
        if (parameter is null) throw new ArgumentNullException(nameof(parameter));
        string n = parameter.Name;
        int dot = n.LastIndexOf('.');
        string last = dot < 0 ? n : n.Substring(dot + 1);
        bool negated = last.StartsWith("no", StringComparison.Ordinal);
        string? v = parameter.LastValue;
        bool value = v is null
                     || string.Equals(v, "true", StringComparison.OrdinalIgnoreCase)
                     || CStrtol(v, out _, out _) != 0;
        return negated ^ value;
    }

    /// <summary>
    /// The C library's strtol(s, &amp;end, 10) on a string: leading isspace() characters, an
    /// optional sign, decimal digits; saturates like strtol. end = index after the digits (0 when none).
    /// </summary>
    internal static long CStrtol(string s, out int end, out bool anyDigits)
    {
        int i = 0;
        while (i < s.Length && IsCSpace(s[i])) i++;
        bool negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { negative = s[i] == '-'; i++; }
        int start = i;
        long value = 0;
        bool overflow = false;
        while (i < s.Length && s[i] >= '0' && s[i] <= '9')
        {
            if (!overflow)
            {
                if (value > (long.MaxValue - (s[i] - '0')) / 10) overflow = true;
                else value = value * 10 + (s[i] - '0');
            }
            i++;
        }
        anyDigits = i > start;
        if (!anyDigits) { end = 0; return 0; }
        end = i;
        if (overflow) return negative ? long.MinValue : long.MaxValue;
        return negative ? -value : value;
    }

    internal static bool IsCSpace(char c) => c == ' ' || (c >= '\t' && c <= '\r');

    /// <summary>
    /// True when jail(8) takes a block name as the jail's "jid" rather than its "name": strtol()
    /// reads a non-zero number and nothing follows (load_config() in usr.sbin/jail/config.c).
    /// So "5" and " 7" are jids, "0" and "5a" are names.
    /// </summary>
    public static bool IsJidName(string name)
    {
        if (name is null) throw new ArgumentNullException(nameof(name));
        long v = CStrtol(name, out int end, out bool any);
        return any && v != 0 && end == name.Length;
    }
}
