using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Start-Jail: what `jail -c NAME...` does, from the jails' definitions, dependencies first. The
/// jails from the pipeline and -Name are collected and started together once the input ends, so
/// each is started once, in dependency order, however often it is named or needed.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "Jail", DefaultParameterSetName = ByObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Jail), typeof(JailMount))]
public sealed class StartJailCommand : JailTargetCmdletBase
{
    private readonly List<Jail> _targets = new();

    /// <summary>Emit the started jail.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Do not report a jail that is already running as an error.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>As jail -J: write one line per jail started ("jid=N" and its parameters, tab-separated) to this host file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? JidFile { get; set; }

    protected override void ProcessJailRecord() => _targets.AddRange(ResolveTargets());

    protected override void EndProcessing()
    {
        Orchestrator.Start(_targets, Force, PassThru, JidFile);
        base.EndProcessing();
    }
}
