using System.Net;

namespace JailPS;

/// <summary>Where a jail's address comes from.</summary>
public enum JailIPAddressSource
{
    /// <summary>The jail's jail.conf definition (ip4.addr / ip6.addr).</summary>
    Definition,
    /// <summary>Only the running jail has it (jail -m, Set-Jail or Add-JailIPAddress without -Persist); it is gone after a restart.</summary>
    Live,
}

/// <summary>How a jail's address compares with the kernel and the host's interfaces.</summary>
public enum JailIPAddressState
{
    /// <summary>The running jail has it and, where it names an interface, the interface has it.</summary>
    Active,
    /// <summary>The jail is not running; the address is applied when it starts.</summary>
    Configured,
    /// <summary>The definition names it, but the running jail does not have it (changed live, or defined after the start).</summary>
    NotInJail,
    /// <summary>The running jail has it, but the interface it belongs on does not (removed by hand): the jail's traffic from it fails.</summary>
    AliasMissing,
    /// <summary>The jail is not running, but the alias JailPS added for it is still on its interface (an interrupted stop): Stop-Jail NAME removes it.</summary>
    Leftover,
}

/// <summary>
/// One IP address of a jail: what the kernel restricts the jail to (ip4.addr / ip6.addr), where it
/// lives on the host (the interface alias), and where it comes from. Type name JailPS.JailIPAddress
/// is stable.
/// </summary>
public sealed class JailIPAddress
{
    public JailIPAddress(string jailName, int? jid, string? iface, IPAddress address, int prefixLength,
        JailIPAddressSource source, JailIPAddressState state, string? entry, bool addedByJailPS, string computerName)
    {
        JailName = jailName;
        Jid = jid;
        Interface = iface;
        Address = address;
        PrefixLength = prefixLength;
        SourceKind = source;
        StateKind = state;
        Entry = entry;
        AddedByJailPS = addedByJailPS;
        ComputerName = computerName;
    }

    /// <summary>The jail's name (JailName, as on JailPS.JailMount, so the object pipes into the jail cmdlets).</summary>
    public string JailName { get; }
    public int? Jid { get; }

    /// <summary>The host interface the address is on or goes on; null when none is named and no host interface has it.</summary>
    public string? Interface { get; }

    public IPAddress Address { get; }
    public int PrefixLength { get; }

    /// <summary>IPv4 or IPv6.</summary>
    public string Family => Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";

    /// <summary>Definition or Live, as a string (JSON, CSV, remoting), as Jail.State.</summary>
    public string Source => SourceKind.ToString();

    /// <summary>Active, Configured, NotInJail, AliasMissing or Leftover, as a string.</summary>
    public string State => StateKind.ToString();

    internal JailIPAddressSource SourceKind { get; }
    internal JailIPAddressState StateKind { get; }

    /// <summary>The definition's entry as written ("em0|192.0.2.11/24"); null for a live-only address.</summary>
    public string? Entry { get; }

    /// <summary>True when JailPS added the alias (its alias ledger) and removes it when the jail stops; false for one the host had already.</summary>
    public bool AddedByJailPS { get; }

    public string ComputerName { get; }

    /// <summary>"192.0.2.11/24".</summary>
    public override string ToString() => Address + "/" + PrefixLength;
}
