namespace JailPS;

/// <summary>Where a VNET jail's interface is, compared with what its definition says.</summary>
public enum JailNetworkAdapterState
{
    /// <summary>The jail runs and has the interface (the jail side is not on the host); an epair's host side is there too.</summary>
    Attached,
    /// <summary>The jail runs, but the interface is still on the host (not moved in), or the epair's host side is gone.</summary>
    Detached,
    /// <summary>The jail is not running: its epair is created, or the interface moved in, when it starts.</summary>
    NotCreated,
    /// <summary>The jail is not running, but its epair is still on the host (an interrupted stop): Stop-Jail NAME destroys it.</summary>
    Leftover,
}

/// <summary>
/// One network interface of a VNET jail: the epair JailPS creates for it (host side, jail side,
/// bridge, MAC), or an interface vnet.interface hands over. Type name JailPS.JailNetworkAdapter is stable.
/// </summary>
public sealed class JailNetworkAdapter
{
    public JailNetworkAdapter(string jailName, string kind, string? hostInterface, string jailInterface, string? bridge,
        string? macAddress, string? hostMacAddress, JailNetworkAdapterState state, string computerName)
    {
        JailName = jailName;
        Kind = kind;
        HostInterface = hostInterface;
        JailInterface = jailInterface;
        Bridge = bridge;
        MacAddress = macAddress;
        HostMacAddress = hostMacAddress;
        StateKind = state;
        ComputerName = computerName;
    }

    public string JailName { get; }

    /// <summary>"Epair" (JailPS creates and destroys it) or "Interface" (an existing interface vnet.interface hands over).</summary>
    public string Kind { get; }

    /// <summary>The epair's host side (on the bridge); null for a handed-over interface.</summary>
    public string? HostInterface { get; }

    /// <summary>The interface the jail sees (the epair's jail side, or the handed-over interface).</summary>
    public string JailInterface { get; }

    public string? Bridge { get; }

    /// <summary>The jail side's MAC address, stable across restarts (kept in the definition).</summary>
    public string? MacAddress { get; }

    public string? HostMacAddress { get; }

    /// <summary>Attached, Detached, NotCreated or Leftover, as a string (JSON, CSV, remoting).</summary>
    public string State => StateKind.ToString();

    internal JailNetworkAdapterState StateKind { get; }

    public string ComputerName { get; }

    public override string ToString() => JailInterface;
}
