using System;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>Start-Jail: what `jail -c NAME` does, from the jail's definition, dependencies first.</summary>
[Cmdlet(VerbsLifecycle.Start, "Jail", DefaultParameterSetName = ByObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Jail))]
public sealed class StartJailCommand : JailTargetCmdletBase
{
    /// <summary>Emit the started jail.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Do not report a jail that is already running as an error.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () =>
            {
                var jail = Current(target);
                if (jail.State == JailState.Running)
                {
                    if (!Force)
                        throw new JailOperationException("JailAlreadyRunning", jail.Name, $"jail \"{jail.Name}\" is already running (jid {jail.Jid}).",
                            "Use Restart-Jail to restart it, or -Force to ignore running jails.");
                    WriteVerbose($"jail {jail.Name} is already running");
                }
                else
                {
                    var def = jail.Definition ?? throw new JailOperationException("JailNotDefined", jail.Name,
                        $"jail \"{jail.Name}\" has no definition to start from.", "Define it with New-Jail or in jail.conf.");
                    if (!StartWithDependencies(def) || WhatIfMode)
                        return;
                }
                if (PassThru)
                    WriteObject(Service.Refresh(jail.Name));
            });
    }
}
