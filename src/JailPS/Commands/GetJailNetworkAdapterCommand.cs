using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Network;

namespace JailPS.Commands;

/// <summary>
/// Get-JailNetworkAdapter: every VNET jail's interfaces as JailPS.JailNetworkAdapter objects
/// (the epair's host side, jail side, bridge, MAC and state, and interfaces vnet.interface hands
/// over). One getifaddrs read per command.
/// </summary>
[Cmdlet(VerbsCommon.Get, "JailNetworkAdapter", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(JailNetworkAdapter))]
public sealed class GetJailNetworkAdapterCommand : JailCmdletBase
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

    /// <summary>Only adapters in these states (Attached, Detached, NotCreated, Leftover).</summary>
    [Parameter]
    public JailNetworkAdapterState[]? State { get; set; }

    private JailNetworkAdapterService? _adapters;
    private IReadOnlyList<HostInterface>? _interfaces;

    protected override void ProcessRecord()
    {
        _adapters ??= new JailNetworkAdapterService(Service);
        try
        {
            _interfaces ??= JailHost.Network.ReadInterfaces();
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, null));
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
        foreach (var a in _adapters!.AdaptersOf(jail, _interfaces!))
            if (State is null || Array.IndexOf(State, a.StateKind) >= 0)
                WriteObject(a);
    }
}
