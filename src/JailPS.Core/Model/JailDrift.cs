namespace JailPS;

/// <summary>
/// One way a running jail differs from its definition (Test-Jail -Detailed): what kind of thing,
/// which one, what the definition says and what the host has. Type name JailPS.JailDrift is stable.
/// </summary>
public sealed class JailDrift
{
    public JailDrift(string jail, string kind, string item, string? expected, string? actual, string computerName)
    {
        Jail = jail;
        Kind = kind;
        Item = item;
        Expected = expected;
        Actual = actual;
        ComputerName = computerName;
    }

    public string Jail { get; }

    /// <summary>Parameter, Mount, Address, Interface (VNET), Limit, CpuSet or Definition.</summary>
    public string Kind { get; }

    /// <summary>The parameter, mount point, address or resource.</summary>
    public string Item { get; }

    /// <summary>What the definition (or /etc/rctl.conf) says; empty when it says nothing of it.</summary>
    public string? Expected { get; }

    /// <summary>What the running jail has; empty when it lacks it.</summary>
    public string? Actual { get; }

    public string ComputerName { get; }

    public override string ToString() => $"{Jail} {Kind} {Item}: expected {Expected ?? "(none)"}, actual {Actual ?? "(none)"}";
}
