using System.Linq;
using System.Management.Automation;
using JailPS.Core.Limits;

namespace JailPS.Commands;

/// <summary>Get-JailCpuSet: each jail's CPUs (cpuset_getaffinity for a running jail) and the list its definition keeps.</summary>
[Cmdlet(VerbsCommon.Get, "JailCpuSet", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(JailCpuSet))]
public sealed class GetJailCpuSetCommand : JailReportCmdletBase
{
    protected override void Report(Jail jail) => WriteObject(new JailCpuSetService(JailHost).Describe(jail));
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

    protected override void ProcessJailRecord()
    {
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () =>
            {
                var jail = Current(target);
                var service = new JailCpuSetService(JailHost);
                var cpus = JailCpuSetService.ParseList(Cpu, jail.Name);
                if (RunPlan(service.PlanSet(Service, jail, cpus, Persist), "Set cpuset"))
                    WriteObject(service.Describe(Service.Refresh(jail.Name)));
            });
    }
}
