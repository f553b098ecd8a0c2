using System.Linq;
using System.Management.Automation;
using System.Net;
using JailPS.Core.Network;

namespace JailPS.Commands;

/// <summary>
/// Add-JailPortForward: forwards a port of the host's external address to a jail (seed 003's
/// `rdr pass on $ext_if proto tcp from any to $ext_ip port {http,https} -> $int_ip`). The forward is
/// kept in the jail's definition ($jailps_rdr), loaded into its pf anchor jailps/NAME whenever it
/// starts, and reloaded at once when it is running.
/// </summary>
[Cmdlet(VerbsCommon.Add, "JailPortForward", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(JailPortForward))]
public sealed class AddJailPortForwardCommand : JailTargetCmdletBase
{
    /// <summary>The external ports; each is forwarded to the same port in the jail unless -JailPort is given.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateRange(1, 65535)]
    public int[] Port { get; set; } = System.Array.Empty<int>();

    /// <summary>The host's address the traffic comes to.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNull]
    public IPAddress ExternalAddress { get; set; } = IPAddress.None;

    [Parameter]
    [ValidateSet("tcp", "udp")]
    public string Protocol { get; set; } = "tcp";

    /// <summary>The jail's port, when it differs from the external one (one -Port only).</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int? JailPort { get; set; }

    /// <summary>The jail's address; by default its first address of the same family in its definition (not a loopback one when it has another).</summary>
    [Parameter]
    [ValidateNotNull]
    public IPAddress? JailAddress { get; set; }

    /// <summary>Write the jail's port forwards afterwards.</summary>
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
                var entries = _forwards.NewEntries(jail, Protocol, Port.Distinct().ToList(), ExternalAddress, JailPort, JailAddress);
                var plan = _forwards.PlanAdd(jail, entries);
                if (RunPlan(plan, "Add port forward to") && PassThru)
                    WriteObject(_forwards.ForwardsOf(new[] { Service.Refresh(jail.Name) }), enumerateCollection: true);
            });
    }
}
