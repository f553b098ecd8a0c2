using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Restart-Jail: stop (if running) then start, as `jail -rc NAME...`. Jails that depend on a named
/// jail and were running are stopped first and started again afterwards; dependencies are started
/// if needed. The jails from the pipeline and -Name are collected and restarted together once the
/// input ends, so each jail is stopped and started at most once.
/// </summary>
[Cmdlet(VerbsLifecycle.Restart, "Jail", DefaultParameterSetName = ByObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Jail), typeof(JailMount))]
public sealed class RestartJailCommand : JailTargetCmdletBase
{
    private readonly List<Jail> _targets = new();

    [Parameter]
    [ValidateRange(0, 86400)]
    public int? Timeout { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessJailRecord() => _targets.AddRange(ResolveTargets());

    protected override void EndProcessing()
    {
        Orchestrator.Restart(_targets, Timeout, Force, PassThru);
        base.EndProcessing();
    }
}
