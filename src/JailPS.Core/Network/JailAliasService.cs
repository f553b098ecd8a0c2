using System;
using System.Collections.Generic;
using System.Linq;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Network;

/// <summary>
/// Adds and removes a jail's IP aliases on host interfaces, natively (one ioctl each), with the
/// host's safety rules: an address the interface already has is the host's and is neither added
/// nor ever removed; an address another interface has is refused (the host uses it); a stop removes
/// what the alias ledger says JailPS added, so none is left behind and no host address is taken.
/// </summary>
public sealed class JailAliasService
{
    private readonly JailHost _host;
    private readonly IJailOutput _output;

    public JailAliasService(JailHost host, IJailOutput output)
    {
        _host = host;
        _output = output;
        Ledger = new JailAliasLedger(host.Files);
    }

    public JailAliasLedger Ledger { get; }

    /// <summary>The plan text of an add: the ifconfig line an admin would type, and the ioctl JailPS issues instead.</summary>
    public static string DescribeAdd(JailIPAlias a) => $"{a.IfconfigAdd}   [{a.IoctlAdd}]";

    /// <summary>The plan text of a removal, as jail(8)'s ifconfig line for the entry and the ioctl.</summary>
    public static string DescribeRemove(JailAliasLedgerEntry entry)
    {
        var a = entry.ToAlias();
        return $"{a.IfconfigRemove}   [{a.IoctlRemove}]";
    }

    /// <summary>Adds one alias of a starting jail; the undo is <see cref="Remove"/>.</summary>
    public void Add(string jail, JailIPAlias alias)
    {
        var table = _host.Network.ReadInterfaces();
        var iface = table.FirstOrDefault(i => i.Name == alias.Interface)
            ?? throw new JailOperationException("JailInterfaceNotFound", jail,
                $"jail \"{jail}\": {alias.Parameter} entry \"{alias.Entry}\" names interface {alias.Interface}, which this host does not have.",
                $"Use one of this host's interfaces ({string.Join(", ", table.Select(i => i.Name))}), or create {alias.Interface} first.")
            { TargetObject = alias };
        bool ours = Ledger.Read(jail).Any(e => e.Interface == iface.Name && e.Address == alias.Address.ToString());
        if (iface.Has(alias.Address))
        {
            if (!ours)
                _output.Verbose($"jail {jail}: {alias.Address} is already on {iface.Name}; it is the host's, so it is not added now and not removed when the jail stops");
            return;
        }
        var elsewhere = table.FirstOrDefault(i => i.Name != iface.Name && i.Has(alias.Address));
        if (elsewhere is not null)
            throw new JailOperationException("JailAddressInUse", jail,
                $"jail \"{jail}\": {alias.Address} is already configured on {elsewhere.Name}, so the host uses it; JailPS will not add it to {iface.Name} as well.",
                $"Give the jail another address, or remove it from {elsewhere.Name} first (ifconfig {elsewhere.Name} {(alias.Family == 4 ? "inet" : "inet6")} {alias.Address} -alias).")
            { TargetObject = alias };
        try
        {
            _host.Network.AddAlias(alias, jail);
        }
        catch (JailKernelException ex)
        {
            throw new JailOperationException("JailAliasFailed", jail,
                $"jail \"{jail}\": {alias.IfconfigAdd} failed: {ex.Message}.",
                $"Check the address and interface (ifconfig {alias.Interface}).", ex) { TargetObject = alias };
        }
        Ledger.Add(jail, new JailAliasLedgerEntry
        {
            Interface = iface.Name, Address = alias.Address.ToString(), PrefixLength = alias.PrefixLength,
            Entry = alias.Entry, Parameter = alias.Parameter,
        });
    }

    /// <summary>Removes an alias JailPS added for the jail (a no-op for one it did not add).</summary>
    public void Remove(string jail, JailAliasLedgerEntry entry)
    {
        var alias = entry.ToAlias();
        try
        {
            _host.Network.RemoveAlias(alias, jail);
        }
        catch (JailKernelException ex) when (ex.Errno is Errno.EADDRNOTAVAIL or Errno.ENXIO)
        {
            // Gone already: someone removed the address, or the interface went away with it.
            _output.Verbose($"jail {jail}: {entry.Address} was no longer on {entry.Interface} ({ex.ErrnoName}); nothing to remove");
        }
        catch (JailKernelException ex)
        {
            throw new JailOperationException("JailAliasFailed", jail,
                $"jail \"{jail}\": removing {entry.Address} from {entry.Interface} failed: {ex.Message}; it is still recorded in {JailAliasLedger.PathOf(jail)}.",
                $"Run Stop-Jail {jail} again, or remove it by hand: {alias.IfconfigRemove}.", ex);
        }
        Ledger.Remove(jail, entry.Interface, entry.Address);
    }

    /// <summary>The removal of one alias of a starting jail that was added by this plan (its undo).</summary>
    public void Undo(string jail, JailIPAlias alias)
    {
        var entry = Ledger.Read(jail).FirstOrDefault(e => e.Interface == alias.Interface && e.Address == alias.Address.ToString());
        if (entry is not null) Remove(jail, entry);
    }

    /// <summary>What a stop removes: the ledger's entries, IPv6 first, each family in reverse order of adding (jail(8)'s order).</summary>
    public IReadOnlyList<JailAliasLedgerEntry> ToRemove(string jail)
    {
        var all = Ledger.Read(jail);
        return all.Where(e => e.Parameter == "ip6.addr").Reverse().Concat(all.Where(e => e.Parameter != "ip6.addr").Reverse()).ToList();
    }
}
