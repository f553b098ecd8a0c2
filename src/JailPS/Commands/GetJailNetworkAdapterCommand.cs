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
public sealed class GetJailNetworkAdapterCommand : JailReportCmdletBase
{
    /// <summary>Only adapters in these states (Attached, Detached, NotCreated, Leftover).</summary>
    [Parameter]
    public JailNetworkAdapterState[]? State { get; set; }

    private JailNetworkAdapterService? _adapters;
    private IReadOnlyList<HostInterface>? _interfaces;

    protected override void ReadHostTables()
    {
        _adapters = new JailNetworkAdapterService(Service);
        _interfaces = JailHost.Network.ReadInterfaces();
    }

    protected override void Report(Jail jail)
    {
        foreach (var a in _adapters!.AdaptersOf(jail, _interfaces!))
            if (State is null || Array.IndexOf(State, a.StateKind) >= 0)
                WriteObject(a);
    }
}
