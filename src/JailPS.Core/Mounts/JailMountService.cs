using System;
using System.Collections.Generic;
using System.Linq;
using JailPS.Core.Host;

namespace JailPS.Core.Mounts;

/// <summary>
/// What is mounted under a jail root compared with what should be (the mount ledger, and the
/// definition while the jail runs), and what a stop must take down, in order.
/// </summary>
public sealed class JailMountService
{
    private readonly JailHost _host;

    public JailMountService(JailHost host)
    {
        _host = host;
        Mounter = new JailMounter(host);
    }

    public JailMounter Mounter { get; }

    /// <summary>The jail root with the host's links resolved; the normalised path when it does not exist.</summary>
    public string RealRoot(string root)
    {
        if (!HostPath.IsAbsolute(root))
            throw new Lifecycle.JailOperationException("JailPathNotAbsolute", null, $"\"{root}\" is not an absolute path.", "Use an absolute path such as /usr/jails/NAME.");
        try { return _host.Files.RealPath(root); }
        catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException) { return HostPath.Normalize(root); }
    }

    /// <summary>
    /// Mounts strictly beneath the root (a mount on the root itself is the jail's own file system,
    /// such as its ZFS dataset, and so are that dataset's children mounted beneath it: the root's
    /// tree, not mounts made for the jail). A jail whose root is the host's "/" owns nothing by
    /// place: every host mount would be "beneath" it, so only its ledger speaks for it.
    /// </summary>
    public static List<MountEntry> Beneath(IReadOnlyList<MountEntry> table, string realRoot)
    {
        if (realRoot == "/") return new List<MountEntry>();
        string prefix = realRoot + "/";
        string? rootDataset = table.LastOrDefault(m => m.FsType == "zfs" && m.On == realRoot)?.From;
        return table.Where(m => m.On.StartsWith(prefix, StringComparison.Ordinal)
            && !(rootDataset is not null && m.FsType == "zfs" && m.From.StartsWith(rootDataset + "/", StringComparison.Ordinal))).ToList();
    }

    /// <summary>
    /// The mounts that belong to the jail, in mount-list order: everything strictly beneath its
    /// root, plus what its ledger recorded that is still mounted where it was.
    /// </summary>
    public List<MountEntry> Owned(string jailName, string realRoot, IReadOnlyList<MountEntry> table)
    {
        var ledger = Mounter.Ledger.Read(jailName);
        var beneath = new HashSet<MountEntry>(Beneath(table, realRoot));
        foreach (var l in ledger)
            if (Find(table, l) is { } m) beneath.Add(m);
        return table.Where(beneath.Contains).ToList();
    }

    /// <summary>The mount a ledger entry recorded, if that file system is still mounted where it was (looked up in the whole table).</summary>
    private static MountEntry? Find(IReadOnlyList<MountEntry> table, MountLedgerEntry l)
        => table.LastOrDefault(m => m.FsIdText == l.FsId && m.On == l.MountPoint);

    /// <summary>
    /// Every mount under the jail root, plus the expected ones that are absent, as JailMount objects
    /// (Get-JailMount): ledger entries and, for a running jail, the definition's mounts are expected;
    /// anything else under the root is Leaked.
    /// </summary>
    public List<JailMount> Inspect(string jailName, string root, IReadOnlyList<MountRequest> definition, bool running,
        IReadOnlyList<MountEntry>? table = null, string? definitionRoot = null)
    {
        table ??= Mounter.ReadTable();
        string realRoot = RealRoot(root);
        var ledger = Mounter.Ledger.Read(jailName);
        var present = Owned(jailName, realRoot, table);
        var result = new List<JailMount>();
        var matchedRequests = new HashSet<MountRequest>();
        var seenIds = new HashSet<string>(StringComparer.Ordinal);

        foreach (var m in present)
        {
            seenIds.Add(m.FsIdText);
            var led = ledger.FirstOrDefault(l => l.FsId == m.FsIdText);
            var req = definition.FirstOrDefault(r => !matchedRequests.Contains(r) && r.FsType == m.FsType && TargetOf(realRoot, definitionRoot ?? root, r) == m.On);
            if (req != null) matchedRequests.Add(req);
            JailMountState state = led != null || (running && req != null) ? JailMountState.Mounted : JailMountState.Leaked;
            string origin = led?.Origin ?? req?.Origin ?? "";
            string options = led?.Options ?? req?.OptionsText ?? (m.ReadOnly ? "ro" : "rw");
            result.Add(new JailMount(jailName, m.FsType, m.From, m.On, JailMounter.JailPathOf(realRoot, m.On), options, origin, state, m.FsIdText, _host.ComputerName));
        }
        foreach (var l in ledger)
        {
            if (seenIds.Contains(l.FsId)) continue;
            var req = definition.FirstOrDefault(r => !matchedRequests.Contains(r) && r.FsType == l.FsType && TargetOf(realRoot, definitionRoot ?? root, r) == l.MountPoint);
            if (req != null) matchedRequests.Add(req);
            result.Add(new JailMount(jailName, l.FsType, l.Source, l.MountPoint, JailMounter.JailPathOf(realRoot, l.MountPoint), l.Options, l.Origin, JailMountState.Missing, null, _host.ComputerName));
        }
        foreach (var r in definition)
        {
            if (matchedRequests.Contains(r)) continue;
            string on = TargetOf(realRoot, definitionRoot ?? root, r);
            result.Add(new JailMount(jailName, r.FsType, r.Source, on, JailMounter.JailPathOf(realRoot, on), r.OptionsText, r.Origin,
                running ? JailMountState.Missing : JailMountState.NotMounted, null, _host.ComputerName));
        }
        return result;
    }

    /// <summary>
    /// What a stop unmounts, in order: the ledger's mounts newest first (JailPS made them), then
    /// any of the definition's mounts that are mounted without a ledger entry (a jail started by
    /// jail(8)), in jail(8)'s removal order: the reverse of the creation order (§4.4). Stale ledger
    /// entries (already unmounted) are returned separately so the stop can drop them.
    /// </summary>
    public (List<(MountEntry Entry, JailMount Mount)> Unmount, List<MountLedgerEntry> Stale) ToUnmount(
        string jailName, string root, IReadOnlyList<MountRequest> definition, IReadOnlyList<MountEntry> table, string? definitionRoot = null)
    {
        string realRoot = RealRoot(root);
        var ledger = Mounter.Ledger.Read(jailName);
        var beneath = Beneath(table, realRoot);
        var list = new List<(MountEntry, JailMount)>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var stale = new List<MountLedgerEntry>();

        for (int i = ledger.Count - 1; i >= 0; i--)
        {
            var l = ledger[i];
            // Forgotten only when that file system is mounted nowhere any more; looked up in the
            // whole table, so a changed link above the root cannot make a live mount look gone.
            if (!table.Any(e => e.FsIdText == l.FsId)) { stale.Add(l); continue; }
            var m = Find(table, l);
            if (m is null) continue; // the id now names a mount elsewhere: not ours to touch
            taken.Add(m.FsIdText);
            list.Add((m, ToObject(jailName, realRoot, m, l.Origin, l.Options, JailMountState.Mounted)));
        }
        for (int i = definition.Count - 1; i >= 0; i--)
        {
            var r = definition[i];
            string on = TargetOf(realRoot, definitionRoot ?? root, r);
            // The topmost mount on that place, if it is of the expected type (jail(8) checks the type with statfs too).
            var m = beneath.LastOrDefault(e => e.On == on && !taken.Contains(e.FsIdText));
            if (m is null || m.FsType != r.FsType) continue;
            taken.Add(m.FsIdText);
            list.Add((m, ToObject(jailName, realRoot, m, r.Origin, r.OptionsText, JailMountState.Mounted)));
        }
        return (list, stale);
    }

    /// <summary>Everything still mounted strictly beneath the root, as Leaked JailMount objects.</summary>
    public List<JailMount> Leftovers(string jailName, string root, IReadOnlyList<MountEntry>? table = null)
    {
        table ??= Mounter.ReadTable();
        string realRoot = RealRoot(root);
        var ledger = Mounter.Ledger.Read(jailName);
        return Owned(jailName, realRoot, table)
            .Select(m =>
            {
                var l = ledger.FirstOrDefault(e => e.FsId == m.FsIdText);
                return ToObject(jailName, realRoot, m, l?.Origin ?? "", l?.Options ?? (m.ReadOnly ? "ro" : "rw"), JailMountState.Leaked);
            })
            .ToList();
    }

    public JailMount ToObject(string jailName, string realRoot, MountEntry m, string origin, string options, JailMountState state)
        => new(jailName, m.FsType, m.From, m.On, JailMounter.JailPathOf(realRoot, m.On), options, origin, state, m.FsIdText, _host.ComputerName);

    /// <summary>
    /// Where a request's target lands, as the kernel would record it: the part below the
    /// definition's root, put under the real root (so a jail path given through a host symlink
    /// still matches the kernel's f_mntonname).
    /// </summary>
    private static string TargetOf(string realRoot, string definitionRoot, MountRequest r)
    {
        string normRoot = HostPath.Normalize(definitionRoot);
        string t = r.Target.Length > 1 ? r.Target.TrimEnd('/') : r.Target;
        if (t == normRoot) return realRoot;
        string prefix = normRoot == "/" ? "/" : normRoot + "/";
        string real = realRoot == "/" ? "" : realRoot;
        return t.StartsWith(prefix, StringComparison.Ordinal) ? real + "/" + t.Substring(prefix.Length) : t;
    }
}
