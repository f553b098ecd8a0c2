using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace JailPS.Core.Devfs;

/// <summary>What a devfs directory entry is; only devices carry a cdev and so device type flags.</summary>
public enum DevfsNodeKind
{
    Device,
    Directory,
    Symlink,
}

/// <summary>
/// A node of a devfs mount before rules run: its path under the mount (<c>"pts/0"</c>, no leading
/// slash), its kind, the d_flags of its cdevsw (devices only; D_DISK/D_MEM/D_TAPE/D_TTY bits), and the
/// owner, group and mode the driver created it with.
/// </summary>
public sealed class DevfsNode
{
    public DevfsNode(string path, DevfsNodeKind kind, DevfsDeviceTypes deviceFlags = DevfsDeviceTypes.None, uint uid = 0, uint gid = 0, ushort mode = 0x180 /* 0600 */)
    {
        if (string.IsNullOrEmpty(path)) throw new ArgumentException("a node path is required (the mount root itself is never matched by rules)", nameof(path));
        if (path[0] == '/' || path[path.Length - 1] == '/') throw new ArgumentException("node paths are relative to the mount, without leading or trailing '/': " + path, nameof(path));
        Path = path;
        Kind = kind;
        DeviceFlags = kind == DevfsNodeKind.Device ? deviceFlags : DevfsDeviceTypes.None;
        Uid = uid;
        Gid = gid;
        Mode = mode;
    }

    public static DevfsNode Device(string path, DevfsDeviceTypes flags = DevfsDeviceTypes.None, uint uid = 0, uint gid = 0, ushort mode = 0x180) =>
        new(path, DevfsNodeKind.Device, flags, uid, gid, mode);

    public static DevfsNode Directory(string path, uint uid = 0, uint gid = 0, ushort mode = 0x1ED /* 0755 */) =>
        new(path, DevfsNodeKind.Directory, DevfsDeviceTypes.None, uid, gid, mode);

    public static DevfsNode Symlink(string path, uint uid = 0, uint gid = 0, ushort mode = 0x1ED) =>
        new(path, DevfsNodeKind.Symlink, DevfsDeviceTypes.None, uid, gid, mode);

    public string Path { get; }
    public DevfsNodeKind Kind { get; }
    public DevfsDeviceTypes DeviceFlags { get; }
    public uint Uid { get; }
    public uint Gid { get; }
    public ushort Mode { get; }

    public override string ToString() => Path;
}

/// <summary>
/// A node after a ruleset ran: <see cref="Hidden"/> is the node's own DE_WHITEOUT flag;
/// <see cref="Visible"/> also requires every parent directory in the listing to be unhidden (a lookup
/// through a hidden directory fails).
/// </summary>
public sealed class DevfsNodeState
{
    internal DevfsNodeState(DevfsNode node, bool hidden, bool visible, uint uid, uint gid, ushort mode)
    {
        Node = node;
        Hidden = hidden;
        Visible = visible;
        Uid = uid;
        Gid = gid;
        Mode = mode;
    }

    public DevfsNode Node { get; }
    public string Path => Node.Path;
    public bool Hidden { get; }
    public bool Visible { get; }
    public uint Uid { get; }
    public uint Gid { get; }
    public ushort Mode { get; }

    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "{0} {1} {2}:{3} {4}", Path, Visible ? "visible" : "hidden", Uid, Gid, Convert.ToString(Mode, 8));
}

/// <summary>
/// Runs rulesets over devfs nodes as the kernel does (sys/fs/devfs/devfs_rule.c): the rules of the
/// ruleset in rule-number order, each matching rule acting in turn so later rules override earlier
/// ones; hide sets and unhide clears the whiteout flag (a rule with both ends unhidden); user, group
/// and mode replace the node's values; include runs the other ruleset right there, but only while the
/// include depth lasts (vfs.devfs.rule_depth, default 1, sys/fs/devfs/devfs_devs.c), which is also all
/// the kernel does against include cycles. A <c>type</c> condition matches only devices whose cdevsw
/// flags share a bit with the rule's; a <c>path</c> condition matches devices by their name and
/// directories and symlinks by their path under the mount, never the mount root.
/// </summary>
public sealed class DevfsRuleEvaluator
{
    /// <summary>vfs.devfs.rule_depth default.</summary>
    public const uint DefaultIncludeDepth = 1;

    private readonly Dictionary<ushort, IReadOnlyList<DevfsRule>> rulesets = new();

    /// <param name="rulesets">The rulesets the kernel knows; a number given twice: the later one wins.</param>
    /// <param name="includeDepth">vfs.devfs.rule_depth.</param>
    public DevfsRuleEvaluator(IEnumerable<DevfsRuleset> rulesets, uint includeDepth = DefaultIncludeDepth)
    {
        if (rulesets is null) throw new ArgumentNullException(nameof(rulesets));
        foreach (DevfsRuleset rs in rulesets)
            this.rulesets[rs.Number] = rs.Numbered();
        // The kernel refuses to add a rule including a ruleset that does not exist (ESRCH) and keeps an
        // included ruleset alive by reference count, so every include names an existing ruleset.
        foreach (var pair in this.rulesets)
            foreach (DevfsRule r in pair.Value)
                if (r.IncludeRuleset is { } inc && !this.rulesets.ContainsKey(inc))
                    throw new DevfsRuleException(DevfsErrorIds.IncludeNotFound,
                        "ruleset " + pair.Key.ToString(CultureInfo.InvariantCulture) + " rule " + r.Number.ToString(CultureInfo.InvariantCulture) +
                        " includes ruleset " + inc.ToString(CultureInfo.InvariantCulture) + ", which does not exist (kernel: ESRCH)",
                        inc.ToString(CultureInfo.InvariantCulture));
        IncludeDepth = includeDepth;
    }

    public uint IncludeDepth { get; }

    /// <summary>The rules of a ruleset in the order the kernel runs them (empty for 0 or an unknown number).</summary>
    public IReadOnlyList<DevfsRule> RulesOf(ushort ruleset) =>
        rulesets.TryGetValue(ruleset, out var rules) ? rules : Array.Empty<DevfsRule>();

    /// <summary>Runs <paramref name="ruleset"/> over the nodes (ruleset 0: nothing changes).</summary>
    public IReadOnlyList<DevfsNodeState> Evaluate(ushort ruleset, IEnumerable<DevfsNode> nodes)
    {
        if (nodes is null) throw new ArgumentNullException(nameof(nodes));
        var list = nodes.ToList();
        var work = new List<State>(list.Count);
        foreach (DevfsNode n in list)
        {
            var s = new State { Hidden = false, Uid = n.Uid, Gid = n.Gid, Mode = n.Mode };
            if (ruleset != 0) RunSet(ruleset, n, s, IncludeDepth);
            work.Add(s);
        }
        return Finish(list, work);
    }

    /// <summary>Runs one rule over the nodes once (DEVFSIO_RAPPLY / RAPPLYID), starting from the given states.</summary>
    public IReadOnlyList<DevfsNodeState> Apply(DevfsRule rule, IEnumerable<DevfsNodeState> states)
    {
        if (rule is null) throw new ArgumentNullException(nameof(rule));
        if (states is null) throw new ArgumentNullException(nameof(states));
        if (rule.IncludeRuleset is { } inc && !rulesets.ContainsKey(inc))
            throw new DevfsRuleException(DevfsErrorIds.IncludeNotFound, "included ruleset " + inc.ToString(CultureInfo.InvariantCulture) + " does not exist (kernel: ESRCH)", inc.ToString(CultureInfo.InvariantCulture));
        var list = states.ToList();
        var work = list.Select(st => new State { Hidden = st.Hidden, Uid = st.Uid, Gid = st.Gid, Mode = st.Mode }).ToList();
        for (int i = 0; i < list.Count; i++) Run(rule, list[i].Node, work[i], IncludeDepth);
        return Finish(list.Select(s => s.Node).ToList(), work);
    }

    /// <summary>True when the rule's conditions hold for the node (devfs_rule_match).</summary>
    public static bool Matches(DevfsRule rule, DevfsNode node)
    {
        if (rule is null) throw new ArgumentNullException(nameof(rule));
        if (node is null) throw new ArgumentNullException(nameof(node));
        if (rule.DeviceTypes is { } t)
        {
            if (node.Kind != DevfsNodeKind.Device) return false;
            if ((node.DeviceFlags & t) == 0) return false;
        }
        if (rule.PathPattern is { } p && !DevfsPattern.IsMatch(p, node.Path)) return false;
        return true;
    }

    private sealed class State
    {
        public bool Hidden;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
    }

    private void RunSet(ushort ruleset, DevfsNode node, State s, uint depth)
    {
        if (!rulesets.TryGetValue(ruleset, out var rules)) return;
        foreach (DevfsRule r in rules) Run(r, node, s, depth);
    }

    private void Run(DevfsRule r, DevfsNode node, State s, uint depth)
    {
        if (!Matches(r, node)) return;
        if (r.Hide) s.Hidden = true;
        if (r.Unhide) s.Hidden = false;
        if (r.Uid is { } u) s.Uid = u;
        if (r.Gid is { } g) s.Gid = g;
        if (r.Mode is { } m) s.Mode = m;
        if (r.IncludeRuleset is { } inc && depth > 0) RunSet(inc, node, s, depth - 1);
    }

    private static IReadOnlyList<DevfsNodeState> Finish(List<DevfsNode> nodes, List<State> work)
    {
        var hiddenDirs = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
            if (nodes[i].Kind == DevfsNodeKind.Directory && work[i].Hidden) hiddenDirs.Add(nodes[i].Path);
        var result = new DevfsNodeState[nodes.Count];
        for (int i = 0; i < nodes.Count; i++)
        {
            bool visible = !work[i].Hidden;
            string path = nodes[i].Path;
            for (int slash = path.LastIndexOf('/'); visible && slash > 0; slash = path.LastIndexOf('/', slash - 1))
                if (hiddenDirs.Contains(path.Substring(0, slash))) visible = false;
            result[i] = new DevfsNodeState(nodes[i], work[i].Hidden, visible, work[i].Uid, work[i].Gid, work[i].Mode);
        }
        return result;
    }
}
