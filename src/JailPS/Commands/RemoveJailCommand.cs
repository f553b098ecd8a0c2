using System;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Remove-Jail: deletes a jail's definition, and with -DeleteRoot its root directory too (schg
/// flags cleared, never through a mount, never a root another jail uses). A running jail is
/// stopped first only with -Force.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "Jail", DefaultParameterSetName = ByObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveJailCommand : JailTargetCmdletBase
{
    /// <summary>Stop the jail first when it is running, and unmount what is left under its root.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Also delete the jail's root directory (chflags -R noschg, rm -rf), after its definition; refused while anything is mounted beneath it.</summary>
    [Parameter]
    public SwitchParameter DeleteRoot { get; set; }

    /// <summary>
    /// A definition is never removed while anything is mounted beneath the jail's root: the mounts
    /// would be orphaned, and a later delete of the root would reach through them into the host
    /// (reference/prior-art.md #1). -Force finishes the unmounts first (as Stop-Jail -Force).
    /// </summary>
    private void RefuseWhileMounted(Jail jail)
    {
        if (WhatIfMode) return;
        FinishInterruptedStop(jail);
        if (jail.Path is null) return;
        var mounts = new JailPS.Core.Mounts.JailMountService(JailHost);
        var left = mounts.Leftovers(jail.Name, jail.Path);
        if (left.Count > 0 && Force)
        {
            if (!RunStopPlan(Orchestrator.Lifecycle.PlanUnmountCleanup(jail.Name, SpecOf(jail), jail.Path, force: true)))
                return;
            left = mounts.Leftovers(jail.Name, jail.Path);
        }
        if (left.Count > 0)
            throw new JailOperationException("JailMountsPresent", jail.Name,
                $"jail \"{jail.Name}\" still has {left.Count} file system(s) mounted under {jail.Path}: " +
                string.Join("; ", System.Linq.Enumerable.Select(left, l => $"{l.FsType} on {l.MountPoint}")) + ". Its definition is not removed.",
                $"Unmount them (Stop-Jail {jail.Name}, or Dismount-JailFileSystem {jail.Name} -All), or use Remove-Jail -Force to unmount them first.")
            { TargetObject = left.ToArray() };
    }

    /// <summary>
    /// What an interrupted stop left besides mounts (aliases, an epair, a pf anchor) is finished
    /// before the definition goes, as Stop-Jail on a stopped jail does: a removed definition would
    /// orphan it. Mounts left behind stay the business of the check below (refused without -Force).
    /// </summary>
    private void FinishInterruptedStop(Jail jail)
    {
        if (jail.Status == JailState.Running) return;
        var spec = SpecOf(jail);
        var cleanup = Orchestrator.Lifecycle.PlanUnmountCleanup(jail.Name, spec, jail.Path, force: Force);
        bool network = System.Linq.Enumerable.Any(cleanup.Steps, st => st.Name is "ip alias" or "epair" or "vnet.interface" or "pf");
        bool mounts = System.Linq.Enumerable.Any(cleanup.Steps, st => st.Name is "unmount");
        if (network && (!mounts || Force))
            RunStopPlan(cleanup);
    }

    protected override void ProcessJailRecord()
    {
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () =>
            {
                var jail = Current(target);
                if (!Force && JailPS.Core.Lifecycle.JailManagers.IsForeign(jail.ManagedBy))
                    throw JailPS.Core.Lifecycle.JailManagers.Refused(jail.ManagedBy!, jail, "removed");
                if (jail.Status == JailState.Running)
                {
                    if (!Force)
                        throw new JailOperationException("JailIsRunning", jail.Name, $"jail \"{jail.Name}\" is running (jid {jail.Jid}); it is not removed.",
                            "Stop it with Stop-Jail first, or use Remove-Jail -Force to stop and remove it.");
                    if (!Orchestrator.StopWithDependents(jail, null, force: true))
                        return;
                }
                RefuseWhileMounted(jail);
                if (jail.Definition is null)
                {
                    if (jail.Status != JailState.Running)
                        throw new JailOperationException("JailNotDefined", jail.Name, $"jail \"{jail.Name}\" has no definition to remove.");
                    return; // a jail that existed only in the kernel: stopping it was all there was to do
                }
                RunPlan(Service.PlanRemoveDefinition(jail.Definition, DeleteRoot), "Remove");
            });
    }
}
