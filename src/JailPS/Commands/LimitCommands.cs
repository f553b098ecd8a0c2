using System;
using System.Linq;
using System.Management.Automation;
using JailPS.Core.Limits;

namespace JailPS.Commands;

/// <summary>Completes rctl resource names.</summary>
public sealed class RctlResourceCompleter : IArgumentCompleter
{
    public System.Collections.Generic.IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters)
        => JailLimitService.ResourceNames.Where(r => r.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
            .Select(r => new CompletionResult(r, r, CompletionResultType.ParameterValue, $"{r} ({JailLimitService.UnitOf(r)})"));
}

/// <summary>
/// Get-JailLimit: a jail's resource limits (rctl rules) as JailPS.JailLimit objects: what the
/// kernel enforces (one rctl_get_rules per jail) and what /etc/rctl.conf keeps for it, each with
/// its Source.
/// </summary>
[Cmdlet(VerbsCommon.Get, "JailLimit", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(JailLimit))]
public sealed class GetJailLimitCommand : JailReportCmdletBase
{
    /// <summary>Only limits on these resources.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RctlResourceCompleter))]
    public string[]? Resource { get; set; }

    protected override void Report(Jail jail)
    {
        foreach (var limit in new JailLimitService(JailHost, this).Limits(jail.Name))
            if (Resource is null || Resource.Contains(limit.Resource, StringComparer.OrdinalIgnoreCase))
                WriteObject(limit);
    }
}

/// <summary>
/// Set-JailLimit: adds a resource limit to a jail with rctl_add_rule (a deny rule replaces the
/// jail's deny rule on the same resource, as the kernel does); with -Persist it is also written to
/// /etc/rctl.conf, where the base system reads it at boot and Start-Jail applies it.
/// </summary>
[Cmdlet(VerbsCommon.Set, "JailLimit", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(JailLimit))]
public sealed class SetJailLimitCommand : JailTargetCmdletBase
{
    /// <summary>The rctl resource: memoryuse, vmemoryuse, pcpu, maxproc, openfiles, swapuse, ...</summary>
    [Parameter(Mandatory = true)]
    [ArgumentCompleter(typeof(RctlResourceCompleter))]
    [ValidateNotNullOrEmpty]
    public string Resource { get; set; } = "";

    /// <summary>deny (the default), log, devctl, throttle, or a signal such as sigterm.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Action { get; set; } = "deny";

    /// <summary>The limit: bytes (2GB, or 512M), percent of one CPU for pcpu, seconds, or a count.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Amount { get; set; } = "";

    /// <summary>What the amount counts against: jail (the default: the whole jail) or process.</summary>
    [Parameter]
    [ValidateSet("jail", "process")]
    public string Per { get; set; } = "jail";

    /// <summary>Also keep the rule in /etc/rctl.conf (applied at boot with rctl_enable=YES, and by Start-Jail).</summary>
    [Parameter]
    public SwitchParameter Persist { get; set; }

    protected override void ProcessJailRecord()
    {
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () =>
            {
                var service = new JailLimitService(JailHost, this);
                var rule = JailLimitService.Rule(target.Name, Resource, Action, JailLimitService.ParseAmount(Amount, target.Name), Per);
                if (RunPlan(service.PlanSet(rule, Persist), "Set limit"))
                    WriteObject(service.Limits(target.Name).FirstOrDefault(l => l.Rule == rule.Text));
            });
    }
}

/// <summary>
/// Remove-JailLimit: takes a jail's limits away, from the kernel (rctl_remove_rule) and from
/// /etc/rctl.conf: all of them, or those on -Resource (and -Action).
/// </summary>
[Cmdlet(VerbsCommon.Remove, "JailLimit", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class RemoveJailLimitCommand : JailTargetCmdletBase
{
    /// <summary>Only limits on these resources.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RctlResourceCompleter))]
    public string[]? Resource { get; set; }

    /// <summary>Only limits with this action (deny, log, ...).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Action { get; set; }

    protected override void ProcessJailRecord()
    {
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () =>
            {
                var service = new JailLimitService(JailHost, this);
                var rules = service.Limits(target.Name)
                    .Where(l => (Resource is null || Resource.Contains(l.Resource, StringComparer.OrdinalIgnoreCase)) && (Action is null || string.Equals(l.Action, Action, StringComparison.OrdinalIgnoreCase)))
                    .Select(l => JailLimitService.Parse(l.Rule)!).ToList();
                if (rules.Count == 0)
                {
                    WriteVerbose($"jail {target.Name}: no limit matches; nothing to remove");
                    return;
                }
                RunPlan(service.PlanRemove(target.Name, rules, persist: true), "Remove limit");
            });
    }
}

/// <summary>
/// Get-JailResourceUsage: what each running jail uses (rctl_get_racct, as `rctl -u jail:NAME`),
/// as JailPS.JailResourceUsage objects: one call per jail, no process.
/// </summary>
[Cmdlet(VerbsCommon.Get, "JailResourceUsage", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(JailResourceUsage))]
public sealed class GetJailResourceUsageCommand : JailReportCmdletBase
{
    protected override void Report(Jail jail)
    {
        if (jail.Status != JailState.Running) return;   // a stopped jail uses nothing
        WriteObject(new JailResourceUsage(jail.Name, jail.Jid, new JailLimitService(JailHost, this).Usage(jail.Name), JailHost.ComputerName));
    }
}
