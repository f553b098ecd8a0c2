using System.Management.Automation;
using System.Net;
using JailPS.Core.Network;

namespace JailPS.Commands;

/// <summary>
/// Remove-JailIPAddress: takes an address from a running jail (`jail -m`) and then the alias
/// JailPS added for it (never one the host had), and with -Persist from the definition too.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "JailIPAddress", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(JailIPAddress))]
public sealed class RemoveJailIPAddressCommand : JailTargetCmdletBase
{
    /// <summary>The address to remove (a prefix, if given, is ignored).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "";

    /// <summary>Also remove it from the jail's jail.conf definition.</summary>
    [Parameter]
    public SwitchParameter Persist { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private JailAddressService? _addresses;

    protected override void ProcessJailRecord()
    {
        _addresses ??= new JailAddressService(Service);
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () =>
            {
                var jail = Current(target);
                string bare = Address.Split('/')[0].Trim();
                if (!IPAddress.TryParse(bare, out var ip))
                    throw new JailPS.Core.Lifecycle.JailOperationException("JailIPAddressInvalid", jail.Name,
                        $"\"{Address}\" is not an IPv4 or IPv6 address.", $"Get-JailIPAddress {jail.Name} lists its addresses.") { TargetObject = Address };
                var plan = _addresses.PlanRemove(jail, ip, Persist);
                if (RunPlan(plan, "Remove IP address") && PassThru)
                    WriteObject(_addresses.AddressesOf(Service.Refresh(jail.Name), JailHost.Network.ReadInterfaces()), enumerateCollection: true);
            });
    }
}
