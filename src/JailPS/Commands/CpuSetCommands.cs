using System.Linq;
using System.Management.Automation;
using JailPS.Core.Limits;

namespace JailPS.Commands;

/// <summary>Get-JailCpuSet: each jail's CPUs (cpuset_getaffinity for a running jail) and the list its definition keeps.</summary>
[Cmdlet(VerbsCommon.Get, "JailCpuSet", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(JailCpuSet))]
public sealed class GetJailCpuSetCommand : JailReportCmdletBase
{
    protected override void Report(Jail jail)
    {
        var cpus = new JailCpuSetService(JailHost);
        var live = jail.Jid is int jid ? cpus.JailCpus(jail.Name, jid) : null;
        string? configured = jail.Definition is { } d && d.Variables.TryGetValue(JailCpuSetService.Variable, out string? v) ? v.Trim() : null;
        WriteObject(new JailCpuSet(jail.Name, jail.Jid, live is null ? null : JailCpuSetService.Format(live), live?.Count ?? 0, configured, JailHost.ComputerName));
    }
}

/// <summary>
/// Set-JailCpuSet: puts a jail on these CPUs, natively (cpuset_setaffinity, what `cpuset -l LIST -j
/// JAIL` does); -Persist keeps the list in its definition ($jailps_cpuset), applied on every start.
/// </summary>
[Cmdlet(VerbsCommon.Set, "JailCpuSet", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(JailCpuSet))]
public sealed class SetJailCpuSetCommand : JailTargetCmdletBase
{
    /// <summary>The CPUs, as cpuset -l takes them: 0-3, or 0,2,4-7.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [Alias("CpuList")]
    public string Cpu { get; set; } = "";

    /// <summary>Also keep the list in the jail's definition, applied when it starts.</summary>
    [Parameter]
    public SwitchParameter Persist { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () =>
            {
                var jail = Current(target);
                var service = new JailCpuSetService(JailHost);
                var cpus = JailCpuSetService.ParseList(Cpu, jail.Name);
                if (!RunPlan(service.PlanSet(Service, jail, cpus, Persist), "Set cpuset")) return;
                var now = Service.Refresh(jail.Name);
                var live = now.Jid is int jid ? service.JailCpus(now.Name, jid) : null;
                string? configured = now.Definition is { } d && d.Variables.TryGetValue(JailCpuSetService.Variable, out string? v) ? v.Trim() : null;
                WriteObject(new JailCpuSet(now.Name, now.Jid, live is null ? null : JailCpuSetService.Format(live), live?.Count ?? 0, configured, JailHost.ComputerName));
            });
    }
}
