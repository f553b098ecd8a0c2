using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using JailPS.Core.Host.SafePath;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;

namespace JailPS.Commands;

/// <summary>
/// Dismount-JailFileSystem: unmounts file systems beneath a jail's root, by file system id
/// (unmount "FSID:a:b" with MNT_BYFSID), so no path the jail controls is followed. A mount point
/// named as the jail sees it, every mount under the root (-All, newest first), or JailMount
/// objects from Get-JailMount. A busy mount is a JailMountBusy error unless -Force (MNT_FORCE).
/// </summary>
[Cmdlet(VerbsData.Dismount, "JailFileSystem", DefaultParameterSetName = ByTargetSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class DismountJailFileSystemCommand : JailCmdletBase
{
    private const string ByTargetSet = "ByTarget";
    private const string AllSet = "All";
    private const string ByObjectSet = "ByObject";

    [Parameter(ParameterSetName = ByTargetSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = AllSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [Alias("JailName")]
    [ArgumentCompleter(typeof(JailNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Mount points as the jail sees them ("/basejail").</summary>
    [Parameter(ParameterSetName = ByTargetSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [Alias("Path")]
    public string[] Target { get; set; } = Array.Empty<string>();

    /// <summary>Everything mounted beneath the jail's root, newest first.</summary>
    [Parameter(ParameterSetName = AllSet, Mandatory = true)]
    public SwitchParameter All { get; set; }

    /// <summary>Mounts from Get-JailMount.</summary>
    [Parameter(ParameterSetName = ByObjectSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public JailMount[] InputObject { get; set; } = Array.Empty<JailMount>();

    /// <summary>Unmount busy file systems with MNT_FORCE (processes using them lose their files).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    private JailMountService? _mounts;
    private JailMountService Mounts => _mounts ??= new JailMountService(JailHost);

    private readonly List<JailMount> _piped = new();

    protected override void ProcessJailRecord()
    {
        if (ParameterSetName == ByObjectSet)
        {
            // Collected: objects arrive in mount order (Get-JailMount), and must go newest first.
            _piped.AddRange(InputObject);
            return;
        }
        foreach (var jail in JailsNamed(Name))
            ForItem(jail.Name, () =>
            {
                if (All) DismountAll(jail);
                else foreach (string t in Target) DismountTarget(jail, t);
            });
    }

    protected override void EndProcessing()
    {
        if (_piped.Count == 0) return;
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        var table = Mounts.Mounter.ReadTable();
        for (int i = 0; i < table.Count; i++) position[table[i].FsIdText] = i;
        // Reverse mount-list order: a mount on or inside another (fdescfs on dev/fd) before it.
        foreach (var m in _piped.OrderByDescending(m => m.FsId != null && position.TryGetValue(m.FsId, out int p) ? p : -1))
            ForItem(m, () => DismountObject(m));
    }

    private sealed class Work
    {
        public List<(MountEntry Entry, JailMount Mount)> Unmount { get; } = new();
        public List<MountLedgerEntry> Forget { get; } = new();
    }

    private void DismountAll(Jail jail)
    {
        string root = MountPaths.RootOf(jail);
        string realRoot = Mounts.RealRoot(root);
        var table = Mounts.Mounter.ReadTable();
        var beneath = Mounts.Owned(jail.Name, realRoot, table);
        var work = new Work();
        // Reverse mount order: newest first, so a mount stacked on or inside another goes before it.
        for (int i = beneath.Count - 1; i >= 0; i--)
            work.Unmount.Add((beneath[i], ToObject(jail.Name, realRoot, beneath[i])));
        var ids = new HashSet<string>(table.Select(m => m.FsIdText), StringComparer.Ordinal);
        work.Forget.AddRange(Mounts.Mounter.Ledger.Read(jail.Name).Where(l => !ids.Contains(l.FsId)));
        if (work.Unmount.Count == 0 && work.Forget.Count == 0)
        {
            WriteVerbose($"jail {jail.Name}: nothing is mounted under {realRoot}.");
            return;
        }
        Run(jail.Name, work);
    }

    private void DismountTarget(Jail jail, string jailPath)
    {
        string root = MountPaths.RootOf(jail);
        string clean = MountPaths.CheckJailPath(jail.Name, jailPath, allowRoot: false);
        string rel = clean.Substring(1);
        if (Array.IndexOf(rel.Split('/'), "..") >= 0)
            throw new PathEscapeException(root, rel, "..", PathEscapeReason.DotDot);
        string realRoot = Mounts.RealRoot(root);
        string on = MountPaths.HostTarget(realRoot, clean);
        var table = Mounts.Mounter.ReadTable();
        var work = new Work();
        var top = Mounts.Owned(jail.Name, realRoot, table).LastOrDefault(m => m.On == on);
        if (top != null)
            work.Unmount.Add((top, ToObject(jail.Name, realRoot, top)));
        var ids = new HashSet<string>(table.Select(m => m.FsIdText), StringComparer.Ordinal);
        work.Forget.AddRange(Mounts.Mounter.Ledger.Read(jail.Name).Where(l => l.MountPoint == on && !ids.Contains(l.FsId)));
        if (top is null && work.Forget.Count == 0)
            throw new JailOperationException("JailMountNotFound", jail.Name,
                $"jail \"{jail.Name}\": nothing is mounted on {clean} ({on}).",
                $"List the jail's mounts with Get-JailMount {jail.Name}.");
        Run(jail.Name, work);
    }

    private void DismountObject(JailMount m)
    {
        var jail = Service.Get(m.JailName) ?? throw JailService.NotFound(m.JailName);
        string realRoot = Mounts.RealRoot(MountPaths.RootOf(jail));
        var table = Mounts.Mounter.ReadTable();
        var ids = new HashSet<string>(table.Select(e => e.FsIdText), StringComparer.Ordinal);
        var work = new Work();
        if (m.FsId is null)
        {
            // Missing (recorded but no longer mounted) or NotMounted (the definition's, for a stopped jail).
            work.Forget.AddRange(Mounts.Mounter.Ledger.Read(jail.Name).Where(l => l.MountPoint == m.MountPoint && l.FsType == m.FsType && !ids.Contains(l.FsId)));
            if (work.Forget.Count == 0)
            {
                WriteVerbose($"jail {jail.Name}: {m.FsType} on {m.MountPoint} is not mounted; nothing to do.");
                return;
            }
            Run(jail.Name, work);
            return;
        }
        // Only a mount that is still what the object describes, and still beneath this jail's root:
        // an id is never taken on trust from an object someone may have built by hand.
        var entry = Mounts.Owned(jail.Name, realRoot, table).FirstOrDefault(e => e.FsIdText == m.FsId && e.On == m.MountPoint);
        if (entry is null)
        {
            work.Forget.AddRange(Mounts.Mounter.Ledger.Read(jail.Name).Where(l => l.FsId == m.FsId && !ids.Contains(l.FsId)));
            if (work.Forget.Count == 0)
                throw new JailOperationException("JailMountNotFound", jail.Name,
                    $"jail \"{jail.Name}\": {m.FsType} on {m.MountPoint} ({m.FsId}) is no longer mounted beneath the jail's root.",
                    $"List the jail's mounts again with Get-JailMount {jail.Name}.") { TargetObject = m };
            Run(jail.Name, work);
            return;
        }
        work.Unmount.Add((entry, m));
        Run(jail.Name, work);
    }

    private JailMount ToObject(string jailName, string realRoot, MountEntry m)
    {
        var led = Mounts.Mounter.Ledger.Read(jailName).FirstOrDefault(l => l.FsId == m.FsIdText);
        return Mounts.ToObject(jailName, realRoot, m, led?.Origin ?? "", led?.Options ?? (m.ReadOnly ? "ro" : "rw"),
            led != null ? JailMountState.Mounted : JailMountState.Leaked);
    }

    /// <summary>
    /// One plan for one jail: forget stale ledger entries, then one unmount step per mount. A busy
    /// mount does not stop the others; each one that stays is written as its own JailMountBusy error.
    /// </summary>
    private void Run(string jailName, Work work)
    {
        var plan = new JailPlan(jailName, "unmount");
        var failed = new List<JailOperationException>();
        foreach (var l in work.Forget)
        {
            var entry = l;
            plan.Add("ledger", $"forget {entry.FsType} on {entry.MountPoint} ({entry.FsId}): no longer mounted",
                () => Mounts.Mounter.Ledger.Remove(jailName, entry.FsId));
        }
        foreach (var (entry, mount) in work.Unmount)
        {
            var e = entry;
            var m = mount;
            string origin = m.Origin.Length > 0 ? ", " + m.Origin : "";
            plan.Add("unmount", $"unmount(\"{e.FsIdText}\", MNT_BYFSID{(Force ? " [MNT_FORCE if busy]" : "")})  # umount {(Force ? "-f " : "")}{e.On} ({e.FsType}{origin})",
                () =>
                {
                    try
                    {
                        Mounts.Mounter.Unmount(jailName, e, Force, m);
                    }
                    catch (JailOperationException ex) when (ex.ErrorId is "JailMountBusy" or "JailUnmountFailed")
                    {
                        failed.Add(ex);
                    }
                });
        }
        RunPlan(plan, "Unmount file systems in");
        foreach (var ex in failed)
            WriteJailError(ex, jailName);
    }
}
