using System;
using System.Collections;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>Set-Jail: changes a running jail (`jail -m`) and, with -Persist, its jail.conf definition too.</summary>
[Cmdlet(VerbsCommon.Set, "Jail", DefaultParameterSetName = ByObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Jail))]
public sealed class SetJailCommand : JailTargetCmdletBase
{
    /// <summary>Parameters to change, by name (kernel parameters, or jail(8) ones with -Persist).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public IDictionary Parameter { get; set; } = new Hashtable();

    /// <summary>Also write the change into the jail's jail.conf definition, keeping the file's comments and layout.</summary>
    [Parameter]
    public SwitchParameter Persist { get; set; }

    /// <summary>
    /// As `jail -mr`: when a parameter that only a new jail can take (path, vnet, ip4, ip6,
    /// osrelease, osreldate) changes in a running jail, save it to the definition and restart the
    /// jail (with its dependents, as Restart-Jail does); other changes are made live. Implies -Persist.
    /// </summary>
    [Parameter]
    public SwitchParameter Restart { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessJailRecord()
    {
        var changes = NewJailCommand.Unwrap(Parameter)!;
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () =>
            {
                var jail = Current(target);
                var plan = Service.PlanUpdate(jail, changes, Persist || Restart);
                if (!RunPlan(plan, "Update"))
                    return;
                if (Restart && plan.CreateOnlyChanges.Count > 0 && jail.Status == JailState.Running)
                {
                    WriteVerbose($"jail {jail.Name}: {string.Join(", ", plan.CreateOnlyChanges)} changed, so it is restarted (jail -mr)");
                    Orchestrator.Restart(new[] { Service.Refresh(jail.Name) }, timeout: null, force: false, passThru: PassThru);
                }
                else if (PassThru)
                    WriteObject(Service.Refresh(jail.Name));
            });
    }
}
