using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using JailPS.Native;
using NativeRule = JailPS.Native.DevfsRule;

namespace JailPS.Core.Devfs;

/// <summary>
/// One devfs rule (struct devfs_rule, sys/fs/devfs/devfs.h) as an immutable value: an optional rule
/// number (0 = let the kernel number it: last rule + 100), conditions (path pattern, device types)
/// and actions (hide, unhide, user, group, mode, include). A condition that is null is absent;
/// a rule without conditions matches every node.
/// </summary>
public sealed class DevfsRule : IEquatable<DevfsRule>
{
    /// <summary>Permission bits setmode(3) accepts in an octal mode (S_ISUID|S_ISGID|S_ISTXT|0777).</summary>
    public const ushort ModeMask = 0xFFF; // 07777

    public DevfsRule(
        ushort number = 0,
        string? pathPattern = null,
        DevfsDeviceTypes? deviceTypes = null,
        bool hide = false,
        bool unhide = false,
        uint? uid = null,
        uint? gid = null,
        ushort? mode = null,
        ushort? includeRuleset = null)
    {
        if (pathPattern != null) ValidatePattern(pathPattern);
        if (deviceTypes is { } t && (t & ~(DevfsDeviceTypes.Tape | DevfsDeviceTypes.Disk | DevfsDeviceTypes.Tty | DevfsDeviceTypes.Mem)) != 0)
            throw new DevfsRuleException(DevfsErrorIds.UnknownType, "unknown device type bits 0x" + ((int)t).ToString("x", CultureInfo.InvariantCulture), t.ToString());
        if (mode is { } m && (m & ~ModeMask) != 0)
            throw new DevfsRuleException(DevfsErrorIds.InvalidMode, "invalid mode: " + Convert.ToString(m, 8), Convert.ToString(m, 8));
        Number = number;
        PathPattern = pathPattern;
        DeviceTypes = deviceTypes;
        Hide = hide;
        Unhide = unhide;
        Uid = uid;
        Gid = gid;
        Mode = mode;
        IncludeRuleset = includeRuleset;
    }

    /// <summary>Rule number within its ruleset, 1..65535; 0 means "auto-number" on add.</summary>
    public ushort Number { get; }

    /// <summary>The <c>path</c> condition: a glob matched with fnmatch(FNM_PATHNAME) against the node's path under the mount; null = none.</summary>
    public string? PathPattern { get; }

    /// <summary>The <c>type</c> condition (DRC_DSWFLAGS); null = none.</summary>
    public DevfsDeviceTypes? DeviceTypes { get; }

    public bool Hide { get; }

    public bool Unhide { get; }

    public uint? Uid { get; }

    public uint? Gid { get; }

    /// <summary>Permission bits (at most 07777).</summary>
    public ushort? Mode { get; }

    /// <summary>The ruleset this rule includes (DRA_INCSET).</summary>
    public ushort? IncludeRuleset { get; }

    /// <summary>True when the rule has no action at all (devfs(8) accepts such a rule; it does nothing).</summary>
    public bool HasNoAction => !Hide && !Unhide && Uid is null && Gid is null && Mode is null && IncludeRuleset is null;

    /// <summary>A copy with another rule number.</summary>
    public DevfsRule WithNumber(ushort number) =>
        new(number, PathPattern, DeviceTypes, Hide, Unhide, Uid, Gid, Mode, IncludeRuleset);

    /// <summary>A copy that includes another ruleset (or none).</summary>
    public DevfsRule WithIncludeRuleset(ushort? ruleset) =>
        new(Number, PathPattern, DeviceTypes, Hide, Unhide, Uid, Gid, Mode, ruleset);

    // ------------------------------------------------------------------ parsing

    /// <summary>
    /// Parses a rule as the argument list of <c>devfs rule add</c> after the shell has split it
    /// (<c>"100 path 'pts/*' unhide"</c>, <c>"path null unhide"</c>); shell quoting is honoured.
    /// </summary>
    public static DevfsRule Parse(string text, DevfsNameResolver? resolver = null)
    {
        if (text is null) throw new ArgumentNullException(nameof(text));
        return Parse(DevfsShellWords.Split(text), resolver);
    }

    /// <summary>Parses an already split argument vector exactly as sbin/devfs/rule.c rulespec_intok does.</summary>
    public static DevfsRule Parse(IReadOnlyList<string> words, DevfsNameResolver? resolver = null)
    {
        if (words is null) throw new ArgumentNullException(nameof(words));
        if (words.Count == 0)
            throw new DevfsRuleException(DevfsErrorIds.EmptyRule, "unexpected end of rulespec");

        int i = 0;
        ushort number = 0;
        if (TryParseNumber16(words[0], out ushort n)) { number = n; i++; }

        string? path = null;
        DevfsDeviceTypes? types = null;
        // Conditions come first: any number of "type X" and "path X" in any order.
        while (i < words.Count)
        {
            string w = words[i];
            if (w == "type")
            {
                string arg = Argument(words, i, w);
                DevfsDeviceTypes t = arg switch
                {
                    "disk" => DevfsDeviceTypes.Disk,
                    "mem" => DevfsDeviceTypes.Mem,
                    "tape" => DevfsDeviceTypes.Tape,
                    "tty" => DevfsDeviceTypes.Tty,
                    _ => throw new DevfsRuleException(DevfsErrorIds.UnknownType, "unknown type: " + arg, arg),
                };
                types = (types ?? DevfsDeviceTypes.None) | t;
                i += 2;
            }
            else if (w == "path")
            {
                string arg = Argument(words, i, w);
                ValidatePattern(arg);
                path = arg; // a second "path" replaces the first, as the strlcpy into dr_pathptrn does
                i += 2;
            }
            else break;
        }

        bool hide = false, unhide = false;
        uint? uid = null, gid = null;
        ushort? mode = null, include = null;
        while (i < words.Count)
        {
            string w = words[i];
            switch (w)
            {
                case "hide": hide = true; i++; break;
                case "unhide": unhide = true; i++; break;
                case "user":
                {
                    string arg = Argument(words, i, w);
                    uid = resolver?.UserId?.Invoke(arg) ?? ParseId(arg, DevfsErrorIds.UnknownUser, "user");
                    i += 2;
                    break;
                }
                case "group":
                {
                    string arg = Argument(words, i, w);
                    gid = resolver?.GroupId?.Invoke(arg) ?? ParseId(arg, DevfsErrorIds.UnknownGroup, "group");
                    i += 2;
                    break;
                }
                case "mode":
                {
                    string arg = Argument(words, i, w);
                    mode = ParseMode(arg);
                    i += 2;
                    break;
                }
                case "include":
                {
                    string arg = Argument(words, i, w);
                    if (!TryParseNumber16(arg, out ushort rs))
                        throw new DevfsRuleException(DevfsErrorIds.InvalidNumber, "error converting to number: " + arg, arg);
                    include = rs;
                    i += 2;
                    break;
                }
                default:
                    throw new DevfsRuleException(DevfsErrorIds.UnknownArgument, "unknown argument: " + w, w);
            }
        }

        return new DevfsRule(number, path, types, hide, unhide, uid, gid, mode, include);
    }

    /// <summary>Like <see cref="Parse(string, DevfsNameResolver?)"/> but returns false with the error instead of throwing.</summary>
    public static bool TryParse(string text, out DevfsRule? rule, out DevfsRuleException? error, DevfsNameResolver? resolver = null)
    {
        try
        {
            rule = Parse(text, resolver);
            error = null;
            return true;
        }
        catch (DevfsRuleException e)
        {
            rule = null;
            error = e;
            return false;
        }
    }

    private static string Argument(IReadOnlyList<string> words, int i, string keyword)
    {
        if (i + 1 >= words.Count)
            throw new DevfsRuleException(DevfsErrorIds.MissingArgument, "expecting argument for " + keyword, keyword);
        return words[i + 1];
    }

    /// <summary>
    /// atonum() of sbin/devfs/devfs.c: strtoul base 10, whole word, at most 65535. strtoul also takes
    /// leading blanks and a sign; a minus sign wraps, so only "-0" survives the range check.
    /// </summary>
    internal static bool TryParseNumber16(string s, out ushort value)
    {
        value = 0;
        int i = 0;
        while (i < s.Length && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\v' || s[i] == '\f' || s[i] == '\r')) i++;
        bool negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { negative = s[i] == '-'; i++; }
        int start = i;
        ulong v = 0;
        while (i < s.Length && s[i] >= '0' && s[i] <= '9')
        {
            v = v * 10 + (ulong)(s[i] - '0');
            if (v > 0xFFFFFFFFUL) v = 0x100000000UL; // saturate; anything above 65535 fails anyway
            i++;
        }
        if (i != s.Length) return false;
        if (i == start) return s.Length == 0; // strtoul("") = 0 with the end at the start: atonum accepts only the empty word
        if (negative && v != 0) return false;
        if (v > ushort.MaxValue) return false;
        value = (ushort)v;
        return true;
    }

    /// <summary>eatoi() of sbin/devfs/devfs.c: strtol base 10, whole word, at most INT_MAX; stored into uid_t/gid_t.</summary>
    private static uint ParseId(string s, string errorId, string what)
    {
        int i = 0;
        bool negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { negative = s[i] == '-'; i++; }
        int start = i;
        long v = 0;
        while (i < s.Length && s[i] >= '0' && s[i] <= '9')
        {
            v = v * 10 + (s[i] - '0');
            if (v > (long)int.MaxValue + 1) break;
            i++;
        }
        if (i == start || i != s.Length || (!negative && v > int.MaxValue) || (negative && v > (long)int.MaxValue + 1))
            throw new DevfsRuleException(errorId, "unknown " + what + " (not a name the resolver knows, not a number): " + s, s);
        long signed = negative ? -v : v;
        return unchecked((uint)(int)signed);
    }

    /// <summary>
    /// An octal mode as setmode(3) takes it (digits 0-7 only, at most 07777); getmode(set, 0) then yields
    /// the same bits. Symbolic modes ("u=rw") are not supported here: they depend on the umask.
    /// </summary>
    private static ushort ParseMode(string s)
    {
        if (s.Length == 0 || s[0] < '0' || s[0] > '9')
            throw new DevfsRuleException(DevfsErrorIds.InvalidMode, "invalid mode (only octal modes are supported): " + s, s);
        int v = 0;
        foreach (char c in s)
        {
            if (c < '0' || c > '7')
                throw new DevfsRuleException(DevfsErrorIds.InvalidMode, "invalid mode: " + s, s);
            v = v * 8 + (c - '0');
            if (v > ModeMask)
                throw new DevfsRuleException(DevfsErrorIds.InvalidMode, "invalid mode (more than permission bits): " + s, s);
        }
        return (ushort)v;
    }

    private static void ValidatePattern(string pattern)
    {
        if (pattern.IndexOf('\0') >= 0)
            throw new DevfsRuleException(DevfsErrorIds.InvalidPattern, "path pattern contains a NUL character", pattern);
        int bytes = Encoding.UTF8.GetByteCount(pattern);
        if (bytes >= DevfsConstants.MaxPatternLength)
            throw new DevfsRuleException(DevfsErrorIds.PatternTooLong,
                "path pattern is " + bytes.ToString(CultureInfo.InvariantCulture) + " bytes; dr_pathptrn holds at most " +
                (DevfsConstants.MaxPatternLength - 1).ToString(CultureInfo.InvariantCulture) + " plus the NUL", pattern);
    }

    // ------------------------------------------------------------------ formatting

    /// <summary>
    /// Canonical rule text, accepted back by <see cref="Parse(string, DevfsNameResolver?)"/> and by sh + devfs(8):
    /// the order of <c>devfs rule show</c> (number, types disk/mem/tape/tty, path, hide, unhide, user, group,
    /// mode in octal, include), the number left out when it is 0, the pattern quoted when it needs it.
    /// </summary>
    public string ToRuleText(DevfsNameResolver? resolver = null) => Format(resolver, quote: true, alwaysNumber: false);

    /// <summary>The line <c>devfs rule show</c> prints for this rule (rule.c rulespec_outfp): number always, pattern unquoted.</summary>
    public string ToShowText(DevfsNameResolver? resolver = null) => Format(resolver, quote: false, alwaysNumber: true);

    public override string ToString() => ToRuleText();

    private string Format(DevfsNameResolver? resolver, bool quote, bool alwaysNumber)
    {
        var parts = new List<string>();
        if (Number != 0 || alwaysNumber) parts.Add(Number.ToString(CultureInfo.InvariantCulture));
        if (DeviceTypes is { } t)
        {
            if ((t & DevfsDeviceTypes.Disk) != 0) parts.Add("type disk");
            if ((t & DevfsDeviceTypes.Mem) != 0) parts.Add("type mem");
            if ((t & DevfsDeviceTypes.Tape) != 0) parts.Add("type tape");
            if ((t & DevfsDeviceTypes.Tty) != 0) parts.Add("type tty");
        }
        if (PathPattern != null) parts.Add("path " + (quote ? DevfsShellWords.Quote(PathPattern) : PathPattern));
        if (Hide) parts.Add("hide");
        if (Unhide) parts.Add("unhide");
        if (Uid is { } u)
        {
            string? name = resolver?.UserName?.Invoke(u);
            parts.Add("user " + (name != null ? (quote ? DevfsShellWords.Quote(name) : name) : unchecked((int)u).ToString(CultureInfo.InvariantCulture)));
        }
        if (Gid is { } g)
        {
            string? name = resolver?.GroupName?.Invoke(g);
            parts.Add("group " + (name != null ? (quote ? DevfsShellWords.Quote(name) : name) : unchecked((int)g).ToString(CultureInfo.InvariantCulture)));
        }
        if (Mode is { } m) parts.Add("mode " + Convert.ToString(m, 8));
        if (IncludeRuleset is { } inc) parts.Add("include " + inc.ToString(CultureInfo.InvariantCulture));
        return string.Join(" ", parts);
    }

    // ------------------------------------------------------------------ struct devfs_rule

    /// <summary>Makes the rule id (devfs_rid) the kernel uses: ruleset &lt;&lt; 16 | rule.</summary>
    public static uint MakeId(ushort ruleset, ushort rule) => ((uint)ruleset << 16) | rule;

    /// <summary>Ruleset number of a devfs_rid (rid2rsn).</summary>
    public static ushort RulesetOf(uint id) => (ushort)(id >> 16);

    /// <summary>Rule number of a devfs_rid (rid2rn).</summary>
    public static ushort RuleOf(uint id) => (ushort)(id & 0xFFFF);

    /// <summary>
    /// The struct devfs_rule DEVFSIO_RADD / DEVFSIO_RAPPLY take, for this rule in <paramref name="ruleset"/>
    /// (0 = the mount's current ruleset, as devfs_rid_input reads it). Fields without a condition or
    /// action stay zero, as rulespec_intok leaves them after its memset.
    /// </summary>
    public unsafe NativeRule ToNative(ushort ruleset)
    {
        var n = default(NativeRule);
        n.Magic = DevfsConstants.Magic;
        n.Id = MakeId(ruleset, Number);
        if (DeviceTypes is { } t)
        {
            n.ICond |= DevfsConditions.DswFlags;
            n.DswFlags = (int)t;
        }
        if (PathPattern != null)
        {
            n.ICond |= DevfsConditions.PathPattern;
            byte[] bytes = Encoding.UTF8.GetBytes(PathPattern);
            if (bytes.Length >= DevfsConstants.MaxPatternLength) ValidatePattern(PathPattern); // throws
            for (int k = 0; k < bytes.Length; k++) n.PathPattern[k] = bytes[k];
        }
        if (Hide || Unhide)
        {
            n.IActs |= DevfsActions.BooleanActions;
            if (Hide) n.BActs |= DevfsBooleanActions.Hide;
            if (Unhide) n.BActs |= DevfsBooleanActions.Unhide;
        }
        if (Uid is { } u) { n.IActs |= DevfsActions.Uid; n.Uid = u; }
        if (Gid is { } g) { n.IActs |= DevfsActions.Gid; n.Gid = g; }
        if (Mode is { } m) { n.IActs |= DevfsActions.Mode; n.Mode = m; }
        if (IncludeRuleset is { } inc) { n.IActs |= DevfsActions.IncludeSet; n.IncSet = inc; }
        return n;
    }

    /// <summary>Reads a struct devfs_rule (for example from DEVFSIO_RGETNEXT); see the overload for the ruleset.</summary>
    public static DevfsRule FromNative(in NativeRule native) => FromNative(native, out _);

    /// <summary>
    /// Reads a struct devfs_rule. A wrong magic is refused (the kernel answers ERPCMISMATCH); bits
    /// outside the DRC_/DRA_/DRB_/D_ sets this model knows are refused rather than dropped.
    /// </summary>
    public static unsafe DevfsRule FromNative(in NativeRule native, out ushort ruleset)
    {
        if (native.Magic != DevfsConstants.Magic)
            throw new DevfsRuleException(DevfsErrorIds.BadMagic,
                "dr_magic is 0x" + native.Magic.ToString("x8", CultureInfo.InvariantCulture) + ", expected 0x" + DevfsConstants.Magic.ToString("x8", CultureInfo.InvariantCulture));
        const int knownCond = DevfsConditions.DswFlags | DevfsConditions.PathPattern;
        const int knownActs = DevfsActions.BooleanActions | DevfsActions.Uid | DevfsActions.Gid | DevfsActions.Mode | DevfsActions.IncludeSet;
        const int knownB = DevfsBooleanActions.Hide | DevfsBooleanActions.Unhide;
        const int knownTypes = JailPS.Native.DeviceTypes.Tape | JailPS.Native.DeviceTypes.Disk | JailPS.Native.DeviceTypes.Tty | JailPS.Native.DeviceTypes.Mem;
        if ((native.ICond & ~knownCond) != 0 || (native.IActs & ~knownActs) != 0 ||
            ((native.IActs & DevfsActions.BooleanActions) != 0 && (native.BActs & ~knownB) != 0) ||
            ((native.ICond & DevfsConditions.DswFlags) != 0 && (native.DswFlags & ~knownTypes) != 0))
            throw new DevfsRuleException(DevfsErrorIds.UnknownBits,
                string.Format(CultureInfo.InvariantCulture, "unknown bits in struct devfs_rule: icond 0x{0:x} dswflags 0x{1:x} iacts 0x{2:x} bacts 0x{3:x}",
                    native.ICond, native.DswFlags, native.IActs, native.BActs));

        ruleset = RulesetOf(native.Id);
        ushort number = RuleOf(native.Id);

        string? path = null;
        if ((native.ICond & DevfsConditions.PathPattern) != 0)
        {
            int len = 0;
            fixed (byte* p = native.PathPattern)
            {
                while (len < DevfsConstants.MaxPatternLength && p[len] != 0) len++;
                if (len == DevfsConstants.MaxPatternLength)
                    throw new DevfsRuleException(DevfsErrorIds.PatternTooLong, "dr_pathptrn is not NUL-terminated");
                path = Encoding.UTF8.GetString(p, len);
            }
        }
        DevfsDeviceTypes? types = (native.ICond & DevfsConditions.DswFlags) != 0 ? (DevfsDeviceTypes)native.DswFlags : null;
        bool b = (native.IActs & DevfsActions.BooleanActions) != 0;
        return new DevfsRule(
            number,
            path,
            types,
            hide: b && (native.BActs & DevfsBooleanActions.Hide) != 0,
            unhide: b && (native.BActs & DevfsBooleanActions.Unhide) != 0,
            uid: (native.IActs & DevfsActions.Uid) != 0 ? native.Uid : null,
            gid: (native.IActs & DevfsActions.Gid) != 0 ? native.Gid : null,
            mode: (native.IActs & DevfsActions.Mode) != 0 ? (ushort)(native.Mode & ModeMask) : null,
            includeRuleset: (native.IActs & DevfsActions.IncludeSet) != 0 ? native.IncSet : null);
    }

    // ------------------------------------------------------------------ equality

    public bool Equals(DevfsRule? other) =>
        other is not null && Number == other.Number && PathPattern == other.PathPattern && DeviceTypes == other.DeviceTypes &&
        Hide == other.Hide && Unhide == other.Unhide && Uid == other.Uid && Gid == other.Gid && Mode == other.Mode &&
        IncludeRuleset == other.IncludeRuleset;

    public override bool Equals(object? obj) => Equals(obj as DevfsRule);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Number); h.Add(PathPattern); h.Add(DeviceTypes); h.Add(Hide); h.Add(Unhide);
        h.Add(Uid); h.Add(Gid); h.Add(Mode); h.Add(IncludeRuleset);
        return h.ToHashCode();
    }
}
