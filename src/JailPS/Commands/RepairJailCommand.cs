using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Repair-Jail: brings running jails back in line with their definitions as far as a running jail
/// can change (live parameters, lost rctl rules, the CPU set), as a plan -WhatIf shows;
/// writes what is left, which needs a restart, as JailPS.JailDrift objects.
/// </summary>
[Cmdlet(VerbsDiagnostic.Repair, "Jail", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(JailDrift))]
public sealed class RepairJailCommand : JailReportCmdletBase
{
    private JailDriftService? _drift;

    protected override void ReadHostTables() => _drift = new JailDriftService(Service, this);

    protected override void Report(Jail jail)
    {
        var plan = _drift!.PlanRepair(jail, out var needsRestart);
        if (plan.Steps.Count > 0 && !RunPlan(plan, "Repair")) return;
        foreach (var d in needsRestart) WriteObject(d);
    }
}
