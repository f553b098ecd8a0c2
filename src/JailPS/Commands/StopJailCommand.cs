using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Stop-Jail: what `jail -r NAME...` does, unmounts included; jails that depend on a jail are
/// stopped before it. The jails from the pipeline and -Name are collected and stopped together
/// once the input ends, so each is stopped once, in dependency order. Mounts left behind are
/// written out as JailMount objects.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "Jail", DefaultParameterSetName = ByObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Jail), typeof(JailMount))]
public sealed class StopJailCommand : JailTargetCmdletBase
{
    private readonly List<Jail> _targets = new();

    /// <summary>Seconds to wait for the jail's processes after SIGTERM (overrides stop.timeout; 0 skips SIGTERM).</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int? Timeout { get; set; }

    /// <summary>Continue past failing exec.prestop/exec.stop commands, and do not report stopped jails as errors.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessJailRecord() => _targets.AddRange(ResolveTargets());

    protected override void EndProcessing()
    {
        Orchestrator.Stop(_targets, Timeout, Force, PassThru);
        base.EndProcessing();
    }
}
