using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Provisioning;

namespace JailPS.Commands;

/// <summary>
/// Get-JailDataset: the ZFS datasets of jails (the one at each root, its children, those handed in
/// with zfs.dataset) as JailPS.JailDataset objects. zfs list runs once, however many jails.
/// </summary>
[Cmdlet(VerbsCommon.Get, "JailDataset", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(JailDataset))]
public sealed class GetJailDatasetCommand : JailReportCmdletBase
{
    private readonly List<Jail> _jails = new();

    protected override void Report(Jail jail) => _jails.Add(jail);

    protected override void EndProcessing()
    {
        try
        {
            foreach (var d in new JailDatasetService(Service).DatasetsOf(_jails))
                WriteObject(d);
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, null));
        }
        base.EndProcessing();
    }
}

/// <summary>Get-JailSnapshot: the snapshots of jails' root datasets, as JailPS.JailSnapshot objects (zfs list runs once).</summary>
[Cmdlet(VerbsCommon.Get, "JailSnapshot", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(JailSnapshot))]
public sealed class GetJailSnapshotCommand : JailReportCmdletBase
{
    /// <summary>Only snapshots with these names (wildcards).</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[]? SnapshotName { get; set; }

    private readonly List<Jail> _jails = new();

    protected override void Report(Jail jail) => _jails.Add(jail);

    protected override void EndProcessing()
    {
        try
        {
            var patterns = SnapshotName is null ? null : Array.ConvertAll(SnapshotName, p => new WildcardPattern(p, WildcardOptions.IgnoreCase));
            foreach (var s in new JailDatasetService(Service).SnapshotsOf(_jails, patterns is null ? null : n => Array.Exists(patterns, p => p.IsMatch(n))))
                WriteObject(s);
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, null));
        }
        base.EndProcessing();
    }
}

/// <summary>New-JailSnapshot: zfs snapshot -r of a jail's root dataset; writes the new JailPS.JailSnapshot.</summary>
[Cmdlet(VerbsCommon.New, "JailSnapshot", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(JailSnapshot))]
public sealed class NewJailSnapshotCommand : JailTargetCmdletBase
{
    /// <summary>The snapshot's name (after '@'); by default the time now, UTC: 2026-12-03T14.05.09Z.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? SnapshotName { get; set; }

    protected override void ProcessJailRecord()
    {
        var service = new JailDatasetService(Service);
        string name = SnapshotName ?? DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH.mm.ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () =>
            {
                var jail = Current(target);
                if (RunPlan(service.PlanSnapshot(jail, name), "Snapshot"))
                    foreach (var s in service.SnapshotsOf(new[] { jail }, n => n == name))
                        WriteObject(s);
            });
    }
}

/// <summary>Restore-JailSnapshot: rolls a stopped jail's root datasets back to a snapshot (zfs rollback -r); cannot be undone.</summary>
[Cmdlet(VerbsData.Restore, "JailSnapshot", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RestoreJailSnapshotCommand : JailTargetCmdletBase
{
    /// <summary>The snapshot to go back to.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string SnapshotName { get; set; } = "";

    protected override void ProcessJailRecord()
    {
        var service = new JailDatasetService(Service);
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () => RunPlan(service.PlanRestore(Current(target), SnapshotName), "Restore"));
    }
}

/// <summary>Remove-JailSnapshot: destroys a snapshot of a jail's root and its children (zfs destroy -r DS@NAME).</summary>
[Cmdlet(VerbsCommon.Remove, "JailSnapshot", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveJailSnapshotCommand : JailTargetCmdletBase
{
    /// <summary>The snapshots to destroy (wildcards).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] SnapshotName { get; set; } = Array.Empty<string>();

    protected override void ProcessJailRecord()
    {
        var service = new JailDatasetService(Service);
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () =>
            {
                var jail = Current(target);
                var patterns = Array.ConvertAll(SnapshotName, p => new WildcardPattern(p, WildcardOptions.None));
                var names = new List<string>();
                foreach (var s in service.SnapshotsOf(new[] { jail }))
                    if (Array.Exists(patterns, p => p.IsMatch(s.SnapshotName))) names.Add(s.SnapshotName);
                foreach (string n in SnapshotName)
                    if (!WildcardPattern.ContainsWildcardCharacters(n) && !names.Contains(n))
                        WriteJailError(new JailPS.Core.Lifecycle.JailOperationException("JailSnapshotNotFound", jail.Name,
                            $"jail \"{jail.Name}\" has no snapshot named {n}.", $"Get-JailSnapshot {jail.Name} lists its snapshots.") { TargetObject = n }, n);
                foreach (string n in names)
                    ForItem(n, () => RunPlan(service.PlanRemoveSnapshot(jail, n), "Remove snapshot of"));
            });
    }
}
