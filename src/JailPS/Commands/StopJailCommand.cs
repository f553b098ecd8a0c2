using System;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>Stop-Jail: what `jail -r NAME` does, unmounts included; jails that depend on it are stopped first. Mounts left behind are written out as JailMount objects.</summary>
[Cmdlet(VerbsLifecycle.Stop, "Jail", DefaultParameterSetName = ByObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Jail), typeof(JailMount))]
public sealed class StopJailCommand : JailTargetCmdletBase
{
    /// <summary>Seconds to wait for the jail's processes after SIGTERM (overrides stop.timeout; 0 skips SIGTERM).</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int? Timeout { get; set; }

    /// <summary>Continue past failing exec.prestop/exec.stop commands, and do not report stopped jails as errors.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () =>
            {
                var jail = Current(target);
                if (jail.State != JailState.Running)
                {
                    // A stopped jail can still have mounts left: a stop that met a busy mount, or a
                    // jail removed with jail -R. Stopping it again finishes the unmounts.
                    var lifecycle = new JailLifecycle(JailHost, this, Cancellation);
                    var cleanup = lifecycle.PlanUnmountCleanup(jail.Name, SpecOf(jail), jail.Path, Force);
                    if (JailLifecycle.HasUnmountWork(cleanup))
                    {
                        if (RunStopPlan(lifecycle, cleanup) && PassThru && !WhatIfMode)
                            WriteObject(Service.Refresh(jail.Name));
                        return;
                    }
                    if (Force) return;
                    throw new JailOperationException("JailNotRunning", jail.Name, $"jail \"{jail.Name}\" is not running.",
                        "Start it with Start-Jail, or use -Force to ignore stopped jails.");
                }
                if (StopWithDependents(jail, Timeout, Force) is null || WhatIfMode)
                    return;
                if (PassThru)
                {
                    Service.Invalidate();
                    // A jail that existed only in the kernel is gone entirely; show it as stopped.
                    WriteObject(Service.Get(jail.Name) ?? Service.AsStopped(jail));
                }
            });
    }
}
