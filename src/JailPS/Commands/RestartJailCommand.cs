using System;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Restart-Jail: stop (if running) then start, as `jail -rc NAME`. Jails that depend on it and were
/// running are stopped first and started again afterwards; its own dependencies are started if needed.
/// </summary>
[Cmdlet(VerbsLifecycle.Restart, "Jail", DefaultParameterSetName = ByObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Jail))]
public sealed class RestartJailCommand : JailTargetCmdletBase
{
    [Parameter]
    [ValidateRange(0, 86400)]
    public int? Timeout { get; set; }

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
                var def = jail.Definition ?? throw new JailOperationException("JailNotDefined", jail.Name,
                    $"jail \"{jail.Name}\" has no definition to start it again from.", "Define it with New-Jail or in jail.conf.");
                // Resolve first, so a definition JailPS cannot start never gets its jail stopped.
                JailSpec.Resolve(def, JailHost.Kernel.Catalog);
                var dependents = new System.Collections.Generic.List<string>();
                if (jail.State == JailState.Running)
                {
                    var stopped = StopWithDependents(jail, Timeout, Force);
                    if (stopped is null) return;
                    dependents = stopped;
                }
                if (!StartWithDependencies(def)) return;
                for (int i = dependents.Count - 1; i >= 0; i--)
                    if (Service.FindDefinition(dependents[i]) is { } d && !StartWithDependencies(d))
                        return;
                if (PassThru && !WhatIfMode)
                    WriteObject(Service.Refresh(jail.Name));
            });
    }
}
