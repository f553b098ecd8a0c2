namespace JailPS;

/// <summary>Where a jail's port forward is, compared with what its definition says.</summary>
public enum JailPortForwardState
{
    /// <summary>The jail runs, its rule is loaded in its pf anchor, and pf.conf hooks the anchor: traffic is forwarded.</summary>
    Active,
    /// <summary>The anchor is loaded, but pf.conf has no rdr-anchor "jailps/*" hook, or pf is not running or disabled: nothing is forwarded.</summary>
    Inactive,
    /// <summary>The jail is not running: the rule is loaded when it starts.</summary>
    Configured,
    /// <summary>The jail runs but JailPS did not load its anchor (it was started by jail(8), or pf was not running when it started).</summary>
    NotLoaded,
}

/// <summary>
/// One port forward of a jail: traffic for the host's external address and port is redirected by
/// pf (an rdr rule in the jail's anchor jailps/NAME) to the jail's address and port. Type name
/// JailPS.JailPortForward is stable.
/// </summary>
public sealed class JailPortForward
{
    public JailPortForward(string jailName, string protocol, System.Net.IPAddress externalAddress, int externalPort,
        System.Net.IPAddress jailAddress, int jailPort, string anchor, string rule, JailPortForwardState state, string computerName)
    {
        JailName = jailName;
        Protocol = protocol;
        ExternalAddress = externalAddress;
        ExternalPort = externalPort;
        JailAddress = jailAddress;
        JailPort = jailPort;
        Anchor = anchor;
        Rule = rule;
        StateKind = state;
        ComputerName = computerName;
    }

    public string JailName { get; }

    /// <summary>tcp or udp.</summary>
    public string Protocol { get; }

    public System.Net.IPAddress ExternalAddress { get; }

    public int ExternalPort { get; }

    public System.Net.IPAddress JailAddress { get; }

    public int JailPort { get; }

    /// <summary>The pf anchor the rule is loaded into: jailps/NAME.</summary>
    public string Anchor { get; }

    /// <summary>The pf rule as JailPS loads it.</summary>
    public string Rule { get; }

    /// <summary>Active, Inactive, Configured or NotLoaded, as a string (JSON, CSV, remoting).</summary>
    public string State => StateKind.ToString();

    internal JailPortForwardState StateKind { get; }

    public string ComputerName { get; }

    public override string ToString() => $"{Protocol} {ExternalAddress}:{ExternalPort} -> {JailAddress}:{JailPort}";
}
