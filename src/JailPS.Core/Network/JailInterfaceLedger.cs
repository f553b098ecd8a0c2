using JailPS.Core.Host;

namespace JailPS.Core.Network;

/// <summary>What JailPS did to an interface for a jail, so that a stop undoes exactly that and nothing else.</summary>
public sealed class JailInterfaceLedgerEntry : IJailLedgerEntry
{
    public const string EpairKind = "epair";
    public const string MovedKind = "moved";
    /// <summary>"pf": JailPS loaded the jail's pf anchor (Name); flushed on stop.</summary>
    public const string PfKind = "pf";

    public string Jail { get; set; } = "";
    /// <summary>"epair": JailPS created it (destroyed on stop); "moved": handed to the jail by vnet.interface (reclaimed on stop).</summary>
    public string Kind { get; set; } = "";
    /// <summary>The epair's host side, or the interface that was moved.</summary>
    public string Name { get; set; } = "";
    /// <summary>The epair's jail side (moved into the jail); empty for a moved interface.</summary>
    public string Peer { get; set; } = "";
    public string Bridge { get; set; } = "";
    /// <summary>The jid the interface was moved into (SIOCSIFRVNET needs it); 0 before the move.</summary>
    public int Jid { get; set; }
}

/// <summary>
/// The interfaces JailPS created or moved for each jail, and the pf anchor it loaded for it:
/// /var/run/jailps/interfaces/NAME.json (gone at reboot, as they are).
/// </summary>
public sealed class JailInterfaceLedger : JailLedger<JailInterfaceLedgerEntry>
{
    public const string Directory = "/var/run/jailps/interfaces";

    public JailInterfaceLedger(IHostFileSystem files) : base(files, Directory, "interface ledger",
        "the interfaces it lists are left as they are") { }

    public static string PathOf(string jailName) => PathIn(Directory, jailName);

    public void Record(string jailName, JailInterfaceLedgerEntry entry)
    {
        entry.Jail = jailName;
        Put(jailName, entry, e => e.Kind == entry.Kind && e.Name == entry.Name);
    }

    public void Forget(string jailName, string kind, string name) => Drop(jailName, e => e.Kind == kind && e.Name == name);
}
