namespace JailPS;

/// <summary>A jail's CPUs: what the kernel has it on, and what its definition keeps. Type name JailPS.JailCpuSet is stable.</summary>
public sealed class JailCpuSet
{
    public JailCpuSet(string jail, int? jid, string? cpu, int cpuCount, string? configured, string computerName)
    {
        Jail = jail;
        Jid = jid;
        Cpu = cpu;
        CpuCount = cpuCount;
        Configured = configured;
        ComputerName = computerName;
    }

    public string Jail { get; }
    public int? Jid { get; }

    /// <summary>The running jail's CPUs as cpuset -g -j prints them (0-3); null when it is not running.</summary>
    public string? Cpu { get; }

    /// <summary>How many CPUs the running jail has (0 when it is not running).</summary>
    public int CpuCount { get; }

    /// <summary>The definition's $jailps_cpuset, applied when the jail starts; null for all the host's CPUs.</summary>
    public string? Configured { get; }

    public string ComputerName { get; }

    public override string ToString() => $"{Jail}: {Cpu ?? Configured ?? "all"}";
}
