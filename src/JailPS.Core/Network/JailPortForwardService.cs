using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Network;

/// <summary>
/// Get-, Add- and Remove-JailPortForward: a jail's forwards are kept in its definition
/// ($jailps_rdr, written through the one definition editor so comments and layout stay), loaded into
/// its pf anchor on start and flushed on stop; a change to a running jail reloads the anchor in the
/// same plan, so the file and pf never disagree after it.
/// </summary>
public sealed class JailPortForwardService
{
    private readonly JailService _service;
    private readonly JailPfService _pf;
    private readonly JailInterfaceLedger _ledger;

    public JailPortForwardService(JailService service, IJailOutput output)
    {
        _service = service;
        _pf = new JailPfService(service.Host, output);
        _ledger = new JailInterfaceLedger(service.Host.Files);
    }

    /// <summary>The forwards of these jails; pf is asked once (three pfctl processes) and only when a running jail has its anchor loaded.</summary>
    /// <paramref name="onError"/> gets a jail whose definition cannot be read (the others are still listed); without it the error is thrown.
    public IReadOnlyList<JailPortForward> ForwardsOf(IEnumerable<Jail> jails, Action<Jail, Exception>? onError = null)
    {
        var list = jails.ToList();
        var specs = new List<(Jail Jail, JailSpec Spec, bool Loaded)>();
        foreach (var j in list)
        {
            if (j.Definition is null) continue;
            JailSpec spec;
            try
            {
                spec = JailSpec.Resolve(j.Definition, _service.Host.Kernel.Catalog);
            }
            catch (Exception ex) when (onError is not null && ex is JailOperationException or Kernel.JailParameterException)
            {
                onError(j, ex);
                continue;
            }
            if (spec.PortForwards.Count == 0) continue;
            bool loaded = j.Status == JailState.Running && _ledger.Read(j.Name).Any(e => e.Kind == JailInterfaceLedgerEntry.PfKind);
            specs.Add((j, spec, loaded));
        }
        PfStatus? status = specs.Any(s => s.Loaded) ? _pf.ReadStatus() : null;
        var table = specs.Count > 0 ? _service.Host.Network.ReadInterfaces() : Array.Empty<HostInterface>();
        var result = new List<JailPortForward>();
        foreach (var (jail, spec, loaded) in specs)
            foreach (var f in spec.PortForwards)
            {
                var state = jail.Status != JailState.Running ? JailPortForwardState.Configured
                    : !loaded ? JailPortForwardState.NotLoaded
                    : status is { Running: true, RdrHook: true } ? JailPortForwardState.Active
                    : JailPortForwardState.Inactive;
                result.Add(new JailPortForward(jail.Name, f.Protocol, f.ExternalAddress, f.ExternalPort, f.JailAddress, f.JailPort,
                    JailPfService.AnchorOf(jail.Name), f.PfRule(table.FirstOrDefault(i => i.Has(f.ExternalAddress))?.Name), state, _service.Host.ComputerName));
            }
        return result;
    }

    /// <summary>
    /// The forwards Add-JailPortForward makes: one per port, to the same port in the jail unless
    /// <paramref name="jailPort"/> is given (one port only), to <paramref name="jailAddress"/> or the
    /// jail's first address of the family (a non-loopback one first).
    /// </summary>
    public IReadOnlyList<JailPortForwardEntry> NewEntries(Jail jail, string protocol, IReadOnlyList<int> ports, IPAddress external, int? jailPort, IPAddress? jailAddress)
    {
        var spec = SpecOf(jail);
        if (jailPort is not null && ports.Count != 1)
            throw new JailOperationException("JailPortForwardInvalid", jail.Name,
                $"jail \"{jail.Name}\": -JailPort maps one external port, but {ports.Count} were given.", "Give one -Port with -JailPort, or leave -JailPort out to keep each port.");
        var target = jailAddress ?? DefaultJailAddress(spec, external.AddressFamily);
        return ports.Select(p => JailPortForwardEntry.Create(jail.Name, protocol, external, p, target, jailPort ?? p)).ToList();
    }

    private static IPAddress DefaultJailAddress(JailSpec spec, AddressFamily family)
    {
        var mine = spec.Addresses.Select(a => a.Address).Where(a => a.AddressFamily == family).ToList();
        var pick = mine.FirstOrDefault(a => !IPAddress.IsLoopback(a)) ?? mine.FirstOrDefault();
        return pick ?? throw new JailOperationException("JailPortForwardInvalid", spec.Name,
            $"jail \"{spec.Name}\" has no {(family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} address in its definition to forward to"
            + (spec.Epair is not null || spec.VnetInterfaces.Count > 0 ? " (a VNET jail's address is in its own rc.conf)" : "") + "; nothing was changed.",
            "Give -JailAddress.");
    }

    /// <summary>The plan that adds forwards: refused when this jail or another already forwards the same external address and port.</summary>
    public JailPlan PlanAdd(Jail jail, IReadOnlyList<JailPortForwardEntry> entries)
    {
        var spec = SpecOf(jail);
        foreach (var e in entries)
        {
            if (spec.PortForwards.Any(f => f.SameExternal(e)))
                throw new JailOperationException("JailPortForwardExists", jail.Name,
                    $"jail \"{jail.Name}\" already forwards {e.Protocol} {e.ExternalAddress} port {e.ExternalPort}; nothing was changed.",
                    $"Remove it first: Remove-JailPortForward {jail.Name} -Port {e.ExternalPort}.") { TargetObject = e.ToString() };
            foreach (var other in _service.Definitions.Where(d => d.Name != jail.Name))
                if (other.Variables.TryGetValue(JailPortForwardEntry.Variable, out string? v)
                    && SafeList(other.Name, v).Any(f => f.SameExternal(e)))
                    throw new JailOperationException("JailPortForwardInUse", jail.Name,
                        $"{e.Protocol} {e.ExternalAddress} port {e.ExternalPort} is already forwarded to jail \"{other.Name}\"; nothing was changed.",
                        $"Remove it there first: Remove-JailPortForward {other.Name} -Port {e.ExternalPort}.") { TargetObject = e.ToString() };
        }
        return PlanChange(jail, spec, spec.PortForwards.Concat(entries).ToList());
    }

    /// <summary>The plan that removes the forwards matching the filters (null: any); refused when none match.</summary>
    public JailPlan PlanRemove(Jail jail, string? protocol, IReadOnlyCollection<int>? ports, IPAddress? external)
    {
        var spec = SpecOf(jail);
        bool Match(JailPortForwardEntry f) => (protocol is null || f.Protocol == protocol.ToLowerInvariant())
            && (ports is null || ports.Contains(f.ExternalPort)) && (external is null || f.ExternalAddress.Equals(external));
        if (!spec.PortForwards.Any(Match))
            throw new JailOperationException("JailPortForwardNotFound", jail.Name,
                $"jail \"{jail.Name}\" has no port forward{(ports is null ? "" : " for port " + string.Join(",", ports))}{(external is null ? "" : " on " + external)}; nothing was changed.",
                $"Get-JailPortForward {jail.Name} lists its forwards.") { TargetObject = jail.Name };
        return PlanChange(jail, spec, spec.PortForwards.Where(f => !Match(f)).ToList());
    }

    private JailPlan PlanChange(Jail jail, JailSpec before, IReadOnlyList<JailPortForwardEntry> after)
    {
        var change = new Hashtable { ["$" + JailPortForwardEntry.Variable] = after.Count == 0 ? null : JailPortForwardEntry.FormatList(after) };
        var plan = _service.PlanUpdate(jail, new Hashtable(), change);
        if (jail.Status == JailState.Running)
            _pf.AddReloadSteps(plan, before, after);
        return plan;
    }

    private JailSpec SpecOf(Jail jail)
    {
        var def = jail.Definition ?? (jail.DefinitionException is { } broken ? throw broken : throw new JailOperationException("JailNotDefined", jail.Name,
            $"jail \"{jail.Name}\" has no jail.conf definition to keep its port forwards in.", "Create one with New-Jail or Export-JailConfig."));
        return JailSpec.Resolve(def, _service.Host.Kernel.Catalog);
    }

    private static IReadOnlyList<JailPortForwardEntry> SafeList(string jail, string value)
    {
        try { return JailPortForwardEntry.ParseList(jail, value); }
        catch (JailOperationException) { return Array.Empty<JailPortForwardEntry>(); }
    }
}
