using System.Collections.Generic;
using System.Linq;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Network;

/// <summary>
/// Get-JailNetworkAdapter's listing: a jail's epair and handed-over interfaces from its definition
/// and the interface ledger, compared with the host's interface table (read once per command).
/// getifaddrs only sees the host's vnet, so "in the jail" is read as "JailPS moved it and it is no
/// longer on the host".
/// </summary>
public sealed class JailNetworkAdapterService
{
    private readonly JailService _service;
    private readonly JailInterfaceLedger _ledger;

    public JailNetworkAdapterService(JailService service)
    {
        _service = service;
        _ledger = new JailInterfaceLedger(service.Host.Files);
    }

    public IReadOnlyList<JailNetworkAdapter> AdaptersOf(Jail jail, IReadOnlyList<HostInterface> table)
    {
        var result = new List<JailNetworkAdapter>();
        JailEpair? epair = null;
        if (jail.Definition is { } def)
        {
            try { epair = JailEpair.FromDefinition(def); }
            catch (JailOperationException) { } // Start-Jail reports it; the listing shows what it can read
        }
        var ledger = _ledger.Read(jail.Name);
        bool running = jail.Status == JailState.Running;
        var names = table.ToDictionary(i => i.Name, i => i, System.StringComparer.Ordinal);
        string host = _service.Host.ComputerName;

        var epairs = new List<(string Host, string Jail, string? Bridge, string? Mac, string? HostMac)>();
        if (epair is not null) epairs.Add((epair.HostSide, epair.JailSide, epair.Bridge, epair.JailMac, epair.HostMac));
        foreach (var e in ledger.Where(e => e.Kind == JailInterfaceLedgerEntry.EpairKind && !epairs.Any(p => p.Host == e.Name)))
            epairs.Add((e.Name, e.Peer, e.Bridge.Length > 0 ? e.Bridge : null, null, null));
        foreach (var (h, j, bridge, mac, hostMac) in epairs)
        {
            bool hostThere = names.ContainsKey(h), jailOnHost = names.ContainsKey(j);
            var state = running
                ? hostThere && !jailOnHost ? JailNetworkAdapterState.Attached : JailNetworkAdapterState.Detached
                : hostThere || jailOnHost ? JailNetworkAdapterState.Leftover : JailNetworkAdapterState.NotCreated;
            result.Add(new JailNetworkAdapter(jail.Name, "Epair", h, j, bridge,
                mac ?? (jailOnHost ? names[j].LinkAddress : null), hostMac ?? (hostThere ? names[h].LinkAddress : null), state, host));
        }
        var handed = new List<string>();
        if (jail.Definition?.Get("vnet.interface") is { } vi)
            foreach (string v in vi.Values.SelectMany(v => v.Split(',')).Select(v => v.Trim()))
                if (v.Length > 0 && !epairs.Any(p => p.Jail == v)) handed.Add(v);
        foreach (var e in ledger.Where(e => e.Kind == JailInterfaceLedgerEntry.MovedKind && !handed.Contains(e.Name)))
            handed.Add(e.Name);
        foreach (string name in handed)
        {
            bool onHost = names.ContainsKey(name);
            var state = running ? (onHost ? JailNetworkAdapterState.Detached : JailNetworkAdapterState.Attached) : JailNetworkAdapterState.NotCreated;
            result.Add(new JailNetworkAdapter(jail.Name, "Interface", null, name, null, onHost ? names[name].LinkAddress : null, null, state, host));
        }
        return result;
    }
}
