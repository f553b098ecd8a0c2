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
public sealed class GetJailIPAddressCommand : JailCmdletBase
{
    private const string ByNameSet = "ByName";
    private const string ByObjectSet = "ByObject";

    [Parameter(ParameterSetName = ByNameSet, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [Alias("JailName")]
    [ArgumentCompleter(typeof(JailNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ParameterSetName = ByObjectSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Jail[] InputObject { get; set; } = Array.Empty<Jail>();

    /// <summary>Only IPv4 or only IPv6 addresses.</summary>
    [Parameter]
    [ValidateSet("IPv4", "IPv6")]
    public string? Family { get; set; }

    /// <summary>Only addresses in these states (Active, Configured, NotInJail, AliasMissing, Leftover).</summary>
    [Parameter]
    public JailIPAddressState[]? State { get; set; }

    private JailAddressService? _addresses;
    private IReadOnlyList<HostInterface>? _interfaces;

    protected override void ProcessRecord()
    {
        _addresses ??= new JailAddressService(Service);
        try
        {
            _interfaces ??= JailHost.Network.ReadInterfaces();
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, null)); // no interface table: nothing useful can follow
        }
        if (ParameterSetName == ByObjectSet)
        {
            foreach (var j in InputObject)
                ForItem(j.Name, () => Emit(Service.Get(j.Name) ?? j));
            return;
        }
        try
        {
            foreach (var j in Name is null ? Service.GetAll() : JailsNamed(Name))
                ForItem(j.Name, () => Emit(j));
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, null));
        }
    }

    private void Emit(Jail jail)
    {
        foreach (var a in _addresses!.AddressesOf(jail, _interfaces!))
            if ((Family is null || string.Equals(a.Family, Family, StringComparison.OrdinalIgnoreCase))
                && (State is null || Array.IndexOf(State, a.StateKind) >= 0))
                WriteObject(a);
    }
}
