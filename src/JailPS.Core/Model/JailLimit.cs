using System.Collections.Generic;

namespace JailPS;

/// <summary>
/// One resource limit of a jail: an rctl rule `jail:NAME:RESOURCE:ACTION=AMOUNT[/PER]`, where it
/// is (the kernel, /etc/rctl.conf, or both). Type name JailPS.JailLimit is stable.
/// </summary>
public sealed class JailLimit
{
    public JailLimit(string jail, string resource, string action, long amount, string per, string unit, string source, string rule, string computerName)
    {
        Jail = jail;
        Resource = resource;
        Action = action;
        Amount = amount;
        Per = per;
        Unit = unit;
        Source = source;
        Rule = rule;
        ComputerName = computerName;
    }

    public string Jail { get; }

    /// <summary>The rctl resource: memoryuse, pcpu, maxproc, openfiles, ...</summary>
    public string Resource { get; }

    /// <summary>deny, log, devctl, throttle, or a signal (sigterm, ...).</summary>
    public string Action { get; }

    /// <summary>The limit, in <see cref="Unit"/>s (bytes as bytes: 2GB is 2147483648).</summary>
    public long Amount { get; }

    /// <summary>What the amount counts against: jail (the whole jail, the default), process, user or loginclass.</summary>
    public string Per { get; }

    /// <summary>bytes, percent (of one CPU), seconds, count, bytes/s or ops/s.</summary>
    public string Unit { get; }

    /// <summary>
    /// Kernel (in force, but not in /etc/rctl.conf: added by hand or without -Persist, and gone at
    /// the next reboot), Persisted (in /etc/rctl.conf, applied when the jail starts), or Both.
    /// </summary>
    public string Source { get; }

    /// <summary>The rule as rctl(8) writes it.</summary>
    public string Rule { get; }

    public string ComputerName { get; }

    public override string ToString() => Rule;
}

/// <summary>What a running jail uses, as rctl_get_racct reports it (rctl -u jail:NAME). Type name JailPS.JailResourceUsage is stable.</summary>
public sealed class JailResourceUsage
{
    public JailResourceUsage(string jail, int? jid, IReadOnlyDictionary<string, long> values, string computerName)
    {
        Jail = jail;
        Jid = jid;
        Values = new Dictionary<string, long>(values);
        ComputerName = computerName;
        long V(string n) => values.TryGetValue(n, out long v) ? v : 0;
        CpuTime = V("cputime");
        MemoryUse = V("memoryuse");
        VMemoryUse = V("vmemoryuse");
        SwapUse = V("swapuse");
        MaxProc = V("maxproc");
        Threads = V("nthr");
        OpenFiles = V("openfiles");
        PCpu = V("pcpu");
        ReadBps = V("readbps");
        WriteBps = V("writebps");
        WallClock = V("wallclock");
    }

    public string Jail { get; }
    public int? Jid { get; }

    /// <summary>CPU time used, seconds.</summary>
    public long CpuTime { get; }
    /// <summary>Resident memory, bytes.</summary>
    public long MemoryUse { get; }
    /// <summary>Address space, bytes.</summary>
    public long VMemoryUse { get; }
    public long SwapUse { get; }
    /// <summary>Processes.</summary>
    public long MaxProc { get; }
    public long Threads { get; }
    public long OpenFiles { get; }
    /// <summary>CPU, percent of one CPU.</summary>
    public long PCpu { get; }
    public long ReadBps { get; }
    public long WriteBps { get; }
    /// <summary>Seconds since the jail's racct was created.</summary>
    public long WallClock { get; }

    /// <summary>Every resource rctl reports, by name.</summary>
    public Dictionary<string, long> Values { get; }

    public string ComputerName { get; }

    public override string ToString() => Jail;
}
