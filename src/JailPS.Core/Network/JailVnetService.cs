using System;
using System.Collections.Generic;
using System.Linq;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Network;

/// <summary>
/// The VNET steps of a start and a stop, natively (no ifconfig process), each shown as the
/// ifconfig line an admin would type and the ioctl JailPS issues instead:
/// <list type="bullet">
/// <item>before jail_set, for a JailPS epair: create it (SIOCIFCREATE2), rename both sides
/// (SIOCSIFNAME), give them their stable MACs (SIOCSIFLLADDR), put the host side on its bridge
/// (created when missing; SIOCSDRVSPEC BRDGADD) and bring it up (SIOCSIFFLAGS);</item>
/// <item>after exec.created, as jail(8) runs vnet.interface: move each interface in (SIOCSIFVNET);</item>
/// <item>on stop, before jail_remove: take each one back (SIOCSIFRVNET), so nothing waits for a
/// dying jail to be freed (iocage #59); after jail_remove: destroy the epair (SIOCIFDESTROY, both
/// sides go).</item>
/// </list>
/// Every step has its undo, and the interface ledger records what JailPS created or moved, so a
/// stop (or a cleanup after an interrupted one) destroys and reclaims exactly that and never an
/// interface it was not told to hand over.
/// </summary>
public sealed class JailVnetService
{
    private readonly JailHost _host;
    private readonly IJailOutput _output;

    public JailVnetService(JailHost host, IJailOutput output)
    {
        _host = host;
        _output = output;
        Ledger = new JailInterfaceLedger(host.Files);
    }

    public JailInterfaceLedger Ledger { get; }

    private HostNetwork Net => _host.Network;

    /// <summary>The epair and bridge steps before jail_set. Refuses, before any step, names another interface already has.</summary>
    public void AddCreateSteps(JailPlan plan, string jail, JailEpair epair)
    {
        var table = Net.ReadInterfaces();
        foreach (string name in new[] { epair.HostSide, epair.JailSide })
            if (table.Any(i => i.Name == name))
                throw new JailOperationException("JailInterfaceInUse", jail,
                    Ledger.Read(jail).Any(e => e.Kind == JailInterfaceLedgerEntry.EpairKind && (e.Name == name || e.Peer == name))
                        ? $"jail \"{jail}\": its epair {name} is still on the host from an earlier start that did not finish; nothing was done."
                        : $"jail \"{jail}\": interface {name} already exists on this host, so JailPS cannot give that name to the jail's epair; nothing was done.",
                    Ledger.Read(jail).Any()
                        ? $"Run Stop-Jail {jail}: it destroys what the earlier start left."
                        : $"Rename or destroy {name} (ifconfig {name} destroy), or change $jailps_epair in the jail's definition.")
                { TargetObject = name };

        string current = "", peer = "";
        plan.Add("epair", $"ifconfig epair create   [ioctl(SIOCIFCREATE2) epair]",
            () =>
            {
                current = Net.CreateInterface("epair", jail);
                // epair(4) creates NAMEa first and returns it; its peer is NAMEb (if_epair.c).
                peer = current[..^1] + "b";
                Ledger.Record(jail, new JailInterfaceLedgerEntry { Kind = JailInterfaceLedgerEntry.EpairKind, Name = current, Peer = peer, Bridge = epair.Bridge ?? "" });
            },
            () =>
            {
                DestroyIfPresent(jail, current);
                Ledger.Forget(jail, JailInterfaceLedgerEntry.EpairKind, current);
            }, $"ifconfig {epair.HostSide} destroy");
        plan.Add("epair", $"ifconfig epairNa name {epair.HostSide}; ifconfig epairNb name {epair.JailSide}   [ioctl(SIOCSIFNAME) ×2]",
            () =>
            {
                string created = current;
                Net.RenameInterface(current, epair.HostSide, jail);
                current = epair.HostSide;
                Ledger.Forget(jail, JailInterfaceLedgerEntry.EpairKind, created);
                Ledger.Record(jail, new JailInterfaceLedgerEntry { Kind = JailInterfaceLedgerEntry.EpairKind, Name = current, Peer = peer, Bridge = epair.Bridge ?? "" });
                Net.RenameInterface(peer, epair.JailSide, jail);
                peer = epair.JailSide;
                Ledger.Record(jail, new JailInterfaceLedgerEntry { Kind = JailInterfaceLedgerEntry.EpairKind, Name = current, Peer = peer, Bridge = epair.Bridge ?? "" });
            });
        plan.Add("epair", $"ifconfig {epair.HostSide} ether {epair.HostMac}; ifconfig {epair.JailSide} ether {epair.JailMac}   [ioctl(SIOCSIFLLADDR) ×2]",
            () =>
            {
                Net.SetLinkAddress(epair.HostSide, JailEpair.MacBytes(epair.HostMac), jail);
                Net.SetLinkAddress(epair.JailSide, JailEpair.MacBytes(epair.JailMac), jail);
            });
        if (epair.Bridge is string bridge)
        {
            if (!table.Any(i => i.Name == bridge))
            {
                bool created = false;
                plan.Add("bridge", $"ifconfig {bridge} create up   [ioctl(SIOCIFCREATE2) {bridge}, ioctl(SIOCSIFFLAGS)]",
                    () =>
                    {
                        // Another start may have made it meanwhile: then it is that one's, and kept.
                        if (Net.ReadInterfaces().Any(i => i.Name == bridge)) return;
                        Net.CreateInterface(bridge, jail);
                        created = true;
                        try
                        {
                            Net.SetInterfaceUp(bridge, true, jail);
                        }
                        catch
                        {
                            // This step failed, so its undo will not run: the bridge it made goes now.
                            DestroyIfPresent(jail, bridge);
                            created = false;
                            throw;
                        }
                        _output.Verbose($"jail {jail}: created {bridge}; it stays when the jail stops, for the other jails on it");
                    },
                    () => { if (created) DestroyIfPresent(jail, bridge); },
                    $"ifconfig {bridge} destroy (only if this start created it)");
            }
            plan.Add("bridge", $"ifconfig {bridge} addm {epair.HostSide}   [ioctl(SIOCSDRVSPEC BRDGADD) {bridge} {epair.HostSide}]",
                () => Net.AddBridgeMember(bridge, epair.HostSide, jail),
                () =>
                {
                    try { Net.RemoveBridgeMember(bridge, epair.HostSide, jail); }
                    catch (JailKernelException ex) when (ex.Errno is Errno.ENOENT or Errno.ENXIO) { }
                }, $"ifconfig {bridge} deletem {epair.HostSide}");
        }
        plan.Add("epair", $"ifconfig {epair.HostSide} up   [ioctl(SIOCSIFFLAGS) {epair.HostSide}]",
            () => Net.SetInterfaceUp(epair.HostSide, true, jail));
    }

    /// <summary>vnet.interface, after exec.created (jail(8)'s order): each interface moved into the new jail.</summary>
    public void AddMoveSteps(JailPlan plan, string jail, IReadOnlyList<string> interfaces, JailEpair? epair, Func<int> jid)
    {
        HashSet<string>? present = null;
        foreach (string name in interfaces)
        {
            bool ours = epair is not null && name == epair.JailSide;
            if (!ours)
            {
                present ??= Net.ReadInterfaces().Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
                if (!present.Contains(name))
                    throw new JailOperationException("JailInterfaceNotFound", jail,
                        $"jail \"{jail}\": vnet.interface names {name}, which this host does not have; nothing was done.",
                        $"Create {name} before the start (jail(8) would fail the same way), or take it out of vnet.interface.")
                    { TargetObject = name };
            }
            plan.Add("vnet.interface", $"ifconfig {name} vnet {jail}   [ioctl(SIOCSIFVNET) {name} jid=<jid>]",
                () =>
                {
                    Net.MoveToJail(name, jid(), jail);
                    if (!ours)
                        Ledger.Record(jail, new JailInterfaceLedgerEntry { Kind = JailInterfaceLedgerEntry.MovedKind, Name = name, Jid = jid() });
                    else
                        foreach (var e in Ledger.Read(jail).Where(e => e.Kind == JailInterfaceLedgerEntry.EpairKind && e.Peer == name))
                        {
                            e.Jid = jid();
                            Ledger.Record(jail, e);
                        }
                },
                () =>
                {
                    Reclaim(jail, name, jid());
                    if (!ours) Ledger.Forget(jail, JailInterfaceLedgerEntry.MovedKind, name);
                },
                $"ifconfig {name} -vnet {jail}");
        }
    }

    /// <summary>Before jail_remove: every interface the ledger says is in the jail comes back (SIOCSIFRVNET).</summary>
    public void AddReclaimSteps(JailPlan plan, string jail, int jid)
    {
        foreach (var e in Ledger.Read(jail).Where(e => e.Kind is JailInterfaceLedgerEntry.EpairKind or JailInterfaceLedgerEntry.MovedKind))
        {
            string inJail = e.Kind == JailInterfaceLedgerEntry.EpairKind ? e.Peer : e.Name;
            if (e.Kind == JailInterfaceLedgerEntry.EpairKind && e.Jid == 0) continue; // never moved in
            var entry = e;
            plan.Add("vnet.interface", $"ifconfig {inJail} -vnet {jail}   [ioctl(SIOCSIFRVNET) {inJail} jid={jid}]",
                () =>
                {
                    Reclaim(jail, inJail, jid);
                    if (entry.Kind == JailInterfaceLedgerEntry.MovedKind) Ledger.Forget(jail, entry.Kind, entry.Name);
                });
        }
    }

    /// <summary>After jail_remove: the epairs JailPS created for the jail are destroyed (both sides go).</summary>
    public void AddDestroySteps(JailPlan plan, string jail)
    {
        foreach (var e in Ledger.Read(jail))
        {
            var entry = e;
            if (e.Kind == JailInterfaceLedgerEntry.EpairKind)
                plan.Add("epair", $"ifconfig {e.Name} destroy   [ioctl(SIOCIFDESTROY) {e.Name}]",
                    () =>
                    {
                        DestroyIfPresent(jail, entry.Name);
                        Ledger.Forget(jail, entry.Kind, entry.Name);
                    });
            else if (e.Kind == JailInterfaceLedgerEntry.MovedKind)
                // The jail is gone: what it was lent returns to the host when the kernel frees it.
                plan.Add("vnet.interface", $"forget {e.Name}: it returns to the host when the kernel frees the jail",
                    () => Ledger.Forget(jail, entry.Kind, entry.Name));
        }
    }

    private void Reclaim(string jail, string name, int jid)
    {
        try
        {
            Net.ReclaimFromJail(name, jid, jail);
        }
        catch (JailKernelException ex) when (ex.Errno is Errno.ENXIO or Errno.ENODEV)
        {
            // Not in the jail any more (destroyed with its epair, or the jail is gone already).
            _output.Verbose($"jail {jail}: {name} was no longer in the jail ({ex.ErrnoName}); nothing to take back");
        }
    }

    private void DestroyIfPresent(string jail, string name)
    {
        if (name.Length == 0) return;
        try
        {
            Net.DestroyInterface(name, jail);
        }
        catch (JailKernelException ex) when (ex.Errno == Errno.ENXIO)
        {
            _output.Verbose($"jail {jail}: {name} was already gone");
        }
    }
}
