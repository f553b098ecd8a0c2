using System;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>Remove-Jail: deletes a jail's definition; the root directory is kept. A running jail is stopped first only with -Force.</summary>
[Cmdlet(VerbsCommon.Remove, "Jail", DefaultParameterSetName = ByObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveJailCommand : JailTargetCmdletBase
{
    /// <summary>Stop the jail first when it is running.</summary>
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
                        throw new JailOperationException("JailIsRunning", jail.Name, $"jail \"{jail.Name}\" is running (jid {jail.Jid}); it is not removed.",
                            "Stop it with Stop-Jail first, or use Remove-Jail -Force to stop and remove it.");
                    if (StopWithDependents(jail, null, force: true) is null)
                        return;
                }
                if (jail.Definition is null)
                {
                    if (jail.State != JailState.Running)
                        throw new JailOperationException("JailNotDefined", jail.Name, $"jail \"{jail.Name}\" has no definition to remove.");
                    return; // a jail that existed only in the kernel: stopping it was all there was to do
                }
                RunPlan(Service.PlanRemoveDefinition(jail.Definition), "Remove");
            });
    }
}
