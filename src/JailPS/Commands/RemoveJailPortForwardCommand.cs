using System.Management.Automation;
using System.Net;
using JailPS.Core.Network;

namespace JailPS.Commands;

/// <summary>
/// Remove-JailPortForward: takes port forwards out of a jail's definition and, when it is running,
/// out of its pf anchor (reloaded, or flushed when nothing is left). Without -Port, -Protocol or
/// -ExternalAddress every forward of the jail goes. Objects from Get-JailPortForward pipe in.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "JailPortForward", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(JailPortForward))]
public sealed class RemoveJailPortForwardCommand : JailTargetCmdletBase
{
    /// <summary>Only the forwards of these external ports.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("ExternalPort")]
    [ValidateRange(1, 65535)]
    public int[]? Port { get; set; }

    /// <summary>Only forwards of this protocol.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("tcp", "udp")]
    public string? Protocol { get; set; }

    /// <summary>Only forwards of this external address.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public IPAddress? ExternalAddress { get; set; }

    /// <summary>Write the jail's remaining port forwards afterwards.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private JailPortForwardService? _forwards;

    protected override void ProcessJailRecord()
    {
        _forwards ??= new JailPortForwardService(Service, this);
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () =>
            {
                var jail = Current(target);
                var plan = _forwards.PlanRemove(jail, Protocol, Port, ExternalAddress);
                if (RunPlan(plan, "Remove port forward from") && PassThru)
                    WriteObject(_forwards.ForwardsOf(new[] { Service.Refresh(jail.Name) }), enumerateCollection: true);
            });
    }
}
