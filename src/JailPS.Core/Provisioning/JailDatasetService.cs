using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Provisioning;

/// <summary>
/// Get-JailDataset and the snapshot cmdlets: which datasets a jail has (the one mounted at its
/// root, its children, its zfs.dataset entries) and snapshots of its root taken recursively, so
/// the whole tree is rolled back or destroyed together. One zfs list answers for every jail.
/// </summary>
public sealed class JailDatasetService
{
    private static readonly Regex s_snapshotName = new("^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$", RegexOptions.CultureInvariant);

    private readonly JailService _service;
    private readonly JailZfs _zfs;

    public JailDatasetService(JailService service)
    {
        _service = service;
        _zfs = new JailZfs(service.Host);
    }

    private JailHost Host => _service.Host;

    /// <summary>The dataset mounted at the jail's root, or null (a root on another file system, or no path).</summary>
    public string? RootDataset(Jail jail)
    {
        if (jail.Path is not { } p || !HostPath.IsAbsolute(p) || !Host.Files.DirectoryExists(p)) return null;
        string real = Host.Files.RealPath(p);
        // Never the host's own file systems: a jail whose path is / (or /usr) shares them, it does not own them.
        if (real.Split('/', StringSplitOptions.RemoveEmptyEntries).Length < 2) return null;
        return _zfs.DatasetMountedOn(real);
    }

    private static IReadOnlyList<string> Delegated(Jail jail)
        => jail.Definition?.Get("zfs.dataset")?.Values.SelectMany(v => v.Split(',')).Select(v => v.Trim()).Where(v => v.Length > 0).ToList() ?? (IReadOnlyList<string>)Array.Empty<string>();

    /// <summary>Every dataset of these jails; <paramref name="onError"/> gets a jail whose datasets cannot be read.</summary>
    public IEnumerable<JailDataset> DatasetsOf(IReadOnlyList<Jail> jails)
    {
        var roots = jails.Select(j => (Jail: j, Root: RootDataset(j), Delegated: Delegated(j))).Where(x => x.Root is not null || x.Delegated.Count > 0).ToList();
        if (roots.Count == 0) yield break;
        var all = _zfs.List("filesystem");
        foreach (var (jail, root, delegated) in roots)
        {
            foreach (var e in all)
            {
                JailDatasetRole? role = root is null ? null
                    : e.Name == root ? JailDatasetRole.Root
                    : e.Name.StartsWith(root + "/", StringComparison.Ordinal) ? JailDatasetRole.Child
                    : null;
                if (role is null && delegated.Any(d => e.Name == d || e.Name.StartsWith(d + "/", StringComparison.Ordinal))) role = JailDatasetRole.Delegated;
                if (role is { } r)
                    yield return new JailDataset(jail.Name, e.Name, r, e.Used, e.Available, e.Referenced, e.Mountpoint, e.Origin, e.Created, Host.ComputerName);
            }
        }
    }

    /// <summary>The snapshots of each jail's root dataset (one object per name: the children's snapshots of that name are counted in it).</summary>
    public IEnumerable<JailSnapshot> SnapshotsOf(IReadOnlyList<Jail> jails, Func<string, bool>? nameMatches = null)
    {
        var roots = jails.Select(j => (Jail: j, Root: RootDataset(j))).Where(x => x.Root is not null).ToList();
        if (roots.Count == 0) yield break;
        var all = _zfs.List("snapshot");
        foreach (var (jail, root) in roots)
            foreach (var s in all.Where(s => s.Dataset == root))
            {
                if (nameMatches is not null && !nameMatches(s.SnapshotName!)) continue;
                long used = all.Where(c => c.SnapshotName == s.SnapshotName && (c.Dataset == root || c.Dataset.StartsWith(root + "/", StringComparison.Ordinal))).Sum(c => c.Used);
                yield return new JailSnapshot(jail.Name, s.SnapshotName!, root!, used, s.Referenced, s.Created, Host.ComputerName);
            }
    }

    private string RequireRoot(Jail jail)
        => RootDataset(jail) ?? throw new JailOperationException("JailDatasetNotFound", jail.Name,
            $"jail \"{jail.Name}\": its root {jail.Path ?? "(no path)"} is not a ZFS dataset, so it has no snapshots.",
            "Make jails in a directory that is a dataset (zfs create -o mountpoint=/usr/jails zroot/jails) to get a dataset per jail.") { TargetObject = jail.Name };

    public static string CheckSnapshotName(string jail, string name)
    {
        if (!s_snapshotName.IsMatch(name) || name.StartsWith(JailZfs.ClonePrefix, StringComparison.Ordinal))
            throw new JailOperationException("JailSnapshotInvalid", jail,
                $"jail \"{jail}\": \"{name}\" is not a snapshot name JailPS takes (letters, digits, _ . : -, at most 200, not starting with {JailZfs.ClonePrefix}, which names the snapshots jails are cloned from).",
                "Give a name such as before-upgrade or 2026-12-03.") { TargetObject = name };
        return name;
    }

    private JailSnapshot Find(Jail jail, string root, string name)
        => SnapshotsOf(new[] { jail }).FirstOrDefault(s => s.SnapshotName == name)
           ?? throw new JailOperationException("JailSnapshotNotFound", jail.Name,
               $"jail \"{jail.Name}\" has no snapshot {root}@{name}.",
               $"Get-JailSnapshot {jail.Name} lists its snapshots.") { TargetObject = $"{root}@{name}" };

    /// <summary>New-JailSnapshot: zfs snapshot -r ROOT@NAME (the root and its children at one instant); the undo destroys it.</summary>
    public JailPlan PlanSnapshot(Jail jail, string name)
    {
        CheckSnapshotName(jail.Name, name);
        string root = RequireRoot(jail);
        if (SnapshotsOf(new[] { jail }).Any(s => s.SnapshotName == name))
            throw new JailOperationException("JailSnapshotExists", jail.Name, $"jail \"{jail.Name}\" already has a snapshot {root}@{name}; nothing was done.",
                "Give another -SnapshotName, or remove the old one with Remove-JailSnapshot.") { TargetObject = $"{root}@{name}" };
        var plan = new JailPlan(jail.Name, "snapshot");
        bool made = false;
        plan.Add("snapshot", JailZfs.Describe("snapshot", "-r", $"{root}@{name}") + (jail.Jid is null ? "" : " (the jail is running: the snapshot is what a power cut would leave)"),
            () => { made = true; _zfs.Snapshot(jail.Name, $"{root}@{name}", recursive: true); },
            () => { if (made) _zfs.Destroy(jail.Name, $"{root}@{name}", recursive: true); },
            JailZfs.Describe("destroy", "-r", $"{root}@{name}"));
        return plan;
    }

    /// <summary>
    /// Restore-JailSnapshot: each dataset of the root's tree rolled back to its snapshot of that
    /// name (zfs rollback -r, which destroys the snapshots taken after it). Refused while the jail
    /// runs: its processes would see their files change under them. Cannot be undone.
    /// </summary>
    public JailPlan PlanRestore(Jail jail, string name)
    {
        CheckSnapshotName(jail.Name, name);
        string root = RequireRoot(jail);
        if (jail.Jid is not null)
            throw new JailOperationException("JailIsRunning", jail.Name, $"jail \"{jail.Name}\" is running (jid {jail.Jid}), so its root is not rolled back under it; nothing was done.",
                $"Stop-Jail {jail.Name} first, then restore, then Start-Jail {jail.Name}.") { TargetObject = jail.Name };
        Find(jail, root, name);
        var tree = _zfs.List("snapshot").Where(s => s.SnapshotName == name && (s.Dataset == root || s.Dataset.StartsWith(root + "/", StringComparison.Ordinal))).Select(s => s.Name).ToList();
        var later = _zfs.List("snapshot").Where(s => s.Dataset == root).SkipWhile(s => s.SnapshotName != name).Skip(1).Select(s => s.SnapshotName).ToList();
        var plan = new JailPlan(jail.Name, "restore")
        {
            // Checked again under the jail's lock: a Start-Jail that came first wins, and nothing is rolled back under it.
            Precondition = () =>
            {
                if (Host.Kernel.GetByName(jail.Name) is { } now)
                    throw new JailOperationException("JailIsRunning", jail.Name, $"jail \"{jail.Name}\" was started (jid {now.Jid}) while this command waited; nothing was rolled back.",
                        $"Stop-Jail {jail.Name} first, then restore.") { TargetObject = jail.Name };
            },
        };
        foreach (string snapshot in tree)
            plan.Add("rollback", JailZfs.Describe("rollback", "-r", snapshot) + (later.Count > 0 && snapshot == tree[0] ? $" (destroys the later snapshots: {string.Join(", ", later)}; cannot be undone)" : " (cannot be undone)"),
                () => _zfs.Rollback(jail.Name, snapshot, destroyLater: true));
        return plan;
    }

    /// <summary>Remove-JailSnapshot: zfs destroy -r ROOT@NAME (the children's of that name too). Cannot be undone.</summary>
    public JailPlan PlanRemoveSnapshot(Jail jail, string name)
    {
        CheckSnapshotName(jail.Name, name);
        string root = RequireRoot(jail);
        Find(jail, root, name);
        var plan = new JailPlan(jail.Name, "remove snapshot");
        plan.Add("destroy", JailZfs.Describe("destroy", "-r", $"{root}@{name}") + " (cannot be undone)",
            () => _zfs.Destroy(jail.Name, $"{root}@{name}", recursive: true));
        return plan;
    }
}
