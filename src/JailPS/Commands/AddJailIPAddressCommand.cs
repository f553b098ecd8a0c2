using System.Management.Automation;
using JailPS.Core.Network;

namespace JailPS.Commands;

/// <summary>
/// Add-JailIPAddress: gives a running jail one more address, as `jail -m ip4.addr=...` with the
/// alias jail(8) would add at start (one ioctl, no ifconfig), and with -Persist writes it into the
/// definition's ip4.addr / ip6.addr too. A stopped jail takes -Persist only.
/// </summary>
[Cmdlet(VerbsCommon.Add, "JailIPAddress", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(JailIPAddress))]
public sealed class AddJailIPAddressCommand : JailTargetCmdletBase
{
    /// <summary>The address, with its prefix length or netmask: 192.0.2.12/24, 2001:db8::12/64. No mask means /32 or /128, as in jail.conf.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "";

    /// <summary>The host interface the address is added to as an alias (jail.conf's "em0|"). Without it the kernel restricts the jail to the address, which must already be on a host interface to be reachable.</summary>
    [Parameter(Position = 2)]
    [ValidateNotNullOrEmpty]
    public string? Interface { get; set; }

    /// <summary>Also add it to the jail's jail.conf definition, keeping the file's comments and layout.</summary>
    [Parameter]
    public SwitchParameter Persist { get; set; }

    /// <summary>Write the jail's addresses afterwards.</summary>
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
                if (Interface is not null)
                    JailIPAlias.ValidateInterfaceName("-Interface", Interface, Interface);
                var plan = _addresses.PlanAdd(jail, Interface, Address, Persist);
                if (RunPlan(plan, "Add IP address") && PassThru)
                    WriteObject(_addresses.AddressesOf(Service.Refresh(jail.Name), JailHost.Network.ReadInterfaces()), enumerateCollection: true);
            });
    }
}
