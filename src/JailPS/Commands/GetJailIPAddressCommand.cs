using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Network;

namespace JailPS.Commands;

/// <summary>
/// Get-JailIPAddress: every jail's addresses as JailPS.JailIPAddress objects (Jail, Interface,
/// Address, PrefixLength, Family, Source, State): what the kernel restricts the running jail to,
/// compared with its definition and with the host's interfaces. One getifaddrs read per command.
/// </summary>
[Cmdlet(VerbsCommon.Get, "JailIPAddress", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(JailIPAddress))]
public sealed class GetJailIPAddressCommand : JailReportCmdletBase
{
    /// <summary>Only IPv4 or only IPv6 addresses.</summary>
    [Parameter]
    [ValidateSet("IPv4", "IPv6")]
    public string? Family { get; set; }

    /// <summary>Only addresses in these states (Active, Configured, NotInJail, AliasMissing, Leftover).</summary>
    [Parameter]
    public JailIPAddressState[]? State { get; set; }

    private JailAddressService? _addresses;
    private IReadOnlyList<HostInterface>? _interfaces;

    protected override void ReadHostTables()
    {
        _addresses = new JailAddressService(Service);
        _interfaces = JailHost.Network.ReadInterfaces();
    }

    protected override void Report(Jail jail)
    {
        foreach (var a in _addresses!.AddressesOf(jail, _interfaces!))
            if ((Family is null || string.Equals(a.Family, Family, StringComparison.OrdinalIgnoreCase))
                && (State is null || Array.IndexOf(State, a.StateKind) >= 0))
                WriteObject(a);
    }
}
