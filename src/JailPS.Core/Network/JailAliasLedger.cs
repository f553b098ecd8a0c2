using JailPS.Core.Host;

namespace JailPS.Core.Network;

/// <summary>One address JailPS added to a host interface for a jail.</summary>
public sealed class JailAliasLedgerEntry : IJailLedgerEntry
{
    public string Jail { get; set; } = "";
    public string Interface { get; set; } = "";
    /// <summary>The address as text ("192.0.2.11", "2001:db8::11").</summary>
    public string Address { get; set; } = "";
    public int PrefixLength { get; set; }
    /// <summary>The jail.conf entry it came from ("em0|192.0.2.11/24").</summary>
    public string Entry { get; set; } = "";
    /// <summary>"ip4.addr" or "ip6.addr".</summary>
    public string Parameter { get; set; } = "";

    /// <summary>The alias as its entry reads (mask as written), on the interface it was added to.</summary>
    public JailIPAlias ToAlias() => JailIPAlias.Parse(Parameter, Entry, Interface) with { Interface = Interface };
}

/// <summary>
/// The alias ledger: every address JailPS added to a host interface for a jail, in
/// /var/run/jailps/aliases/NAME.json. A stop removes exactly these, and nothing else: an address
/// that was on the interface before the jail started is the host's and stays.
/// </summary>
public sealed class JailAliasLedger : JailLedger<JailAliasLedgerEntry>
{
    public const string Directory = "/var/run/jailps/aliases";

    public JailAliasLedger(IHostFileSystem files) : base(files, Directory, "alias ledger",
        "the jail's addresses are left on their interfaces") { }

    public static string PathOf(string jailName) => PathIn(Directory, jailName);

    public void Add(string jailName, JailAliasLedgerEntry entry)
        => Put(jailName, entry, e => e.Interface == entry.Interface && e.Address == entry.Address);

    public void Remove(string jailName, string iface, string address)
        => Drop(jailName, e => e.Interface == iface && e.Address == address);
}
