using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Limits;

/// <summary>
/// A jail's CPUs, natively: cpuset_setaffinity(CPU_LEVEL_WHICH, CPU_WHICH_JAIL, jid, 128, mask),
/// what `cpuset -l LIST -j JAIL` does (no cpuset(1) process), and cpuset_getaffinity to read it
/// back. Persisted with the definition as `$jailps_cpuset = "0-3";` and applied by Start-Jail once
/// the jail exists, before anything runs in it.
/// </summary>
public sealed class JailCpuSetService
{
    public const string Variable = "jailps_cpuset";

    private readonly JailHost _host;

    public JailCpuSetService(JailHost host) => _host = host;

    /// <summary>A CPU list as cpuset(1) takes one: "0-3", "0,2,4-7"; empty or malformed is JailCpuSetInvalid.</summary>
    public static SortedSet<int> ParseList(string text, string jail)
    {
        var set = new SortedSet<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            string[] ends = part.Split('-', StringSplitOptions.TrimEntries);
            if (ends.Length is < 1 or > 2 || !ends.All(e => int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                throw Invalid(jail, $"\"{text}\" is not a CPU list (such as 0-3 or 0,2,4-7)");
            int from = int.Parse(ends[0], CultureInfo.InvariantCulture), to = int.Parse(ends[^1], CultureInfo.InvariantCulture);
            if (from > to || to >= CpusetConstants.MaskBytes * 8)
                throw Invalid(jail, $"\"{part}\" is not a range of CPUs 0 to {CpusetConstants.MaskBytes * 8 - 1}");
            for (int c = from; c <= to; c++) set.Add(c);
        }
        if (set.Count == 0) throw Invalid(jail, "the list names no CPU");
        return set;
    }

    /// <summary>The list in cpuset(1)'s compact form: 0-3,6.</summary>
    public static string Format(IEnumerable<int> cpus)
    {
        var list = cpus.OrderBy(c => c).ToList();
        var parts = new List<string>();
        for (int i = 0; i < list.Count;)
        {
            int j = i;
            while (j + 1 < list.Count && list[j + 1] == list[j] + 1) j++;
            parts.Add(j == i ? list[i].ToString(CultureInfo.InvariantCulture) : $"{list[i]}-{list[j]}");
            i = j + 1;
        }
        return string.Join(",", parts);
    }

    /// <summary>The host's CPUs: cpuset_getaffinity(CPU_LEVEL_ROOT, CPU_WHICH_PID, -1).</summary>
    public SortedSet<int> HostCpus() => Get(CpusetConstants.LevelRoot, CpusetConstants.WhichPid, -1, "host");

    /// <summary>A running jail's CPUs.</summary>
    public SortedSet<int> JailCpus(string jail, int jid) => Get(CpusetConstants.LevelWhich, CpusetConstants.WhichJail, jid, jail);

    private unsafe SortedSet<int> Get(int level, int which, long id, string jail)
    {
        byte* mask = stackalloc byte[CpusetConstants.MaskBytes];
        var libc = _host.CpusetLibc;
        if (libc.CpusetGetAffinity(level, which, id, CpusetConstants.MaskBytes, mask) != 0)
            throw Failed("cpuset_getaffinity", jail, libc.LastErrno, null);
        var set = new SortedSet<int>();
        for (int c = 0; c < CpusetConstants.MaskBytes * 8; c++)
            if ((mask[c / 8] & (1 << (c % 8))) != 0) set.Add(c);
        return set;
    }

    /// <summary>cpuset_setaffinity for a running jail, checked first against the host's CPUs.</summary>
    public unsafe void Apply(string jail, int jid, IReadOnlyCollection<int> cpus)
    {
        var host = HostCpus();
        var missing = cpus.Where(c => !host.Contains(c)).ToList();
        if (missing.Count > 0)
            throw Invalid(jail, $"the host has no CPU {Format(missing)} (it has {Format(host)})");
        byte* mask = stackalloc byte[CpusetConstants.MaskBytes];
        new Span<byte>(mask, CpusetConstants.MaskBytes).Clear();
        foreach (int c in cpus) mask[c / 8] |= (byte)(1 << (c % 8));
        var libc = _host.CpusetLibc;
        if (libc.CpusetSetAffinity(CpusetConstants.LevelWhich, CpusetConstants.WhichJail, jid, CpusetConstants.MaskBytes, mask) != 0)
            throw Failed("cpuset_setaffinity", jail, libc.LastErrno, Format(cpus));
    }

    /// <summary>
    /// Set-JailCpuSet: with <paramref name="persist"/> the list goes into the definition
    /// ($jailps_cpuset, through the one definition editor); a running jail gets it at once, as
    /// the last step, whose undo puts back the set it had (the kernel takes any set within the
    /// host's CPUs for a running jail, narrower or wider).
    /// </summary>
    public JailPlan PlanSet(JailService service, Jail jail, IReadOnlyCollection<int> cpus, bool persist)
    {
        if (jail.Jid is null && !persist)
            throw new JailOperationException("JailNotRunning", jail.Name, $"jail \"{jail.Name}\" is not running, so it has no CPU set to change; nothing was changed.",
                "Give -Persist to keep the list in its definition for its next start.") { TargetObject = jail.Name };
        var host = HostCpus();
        var missing = cpus.Where(c => !host.Contains(c)).ToList();
        if (missing.Count > 0)
            throw Invalid(jail.Name, $"the host has no CPU {Format(missing)} (it has {Format(host)})");
        var plan = persist
            ? service.PlanUpdate(jail, new System.Collections.Hashtable(), new System.Collections.Hashtable { ["$" + Variable] = Format(cpus) })
            : new JailPlan(jail.Name, "set cpuset");
        if (jail.Jid is int jid)
            AddSetStep(plan, jail.Name, jid, cpus);
        return plan;
    }

    /// <summary>The plan step text for putting a jail on <paramref name="cpus"/> (<paramref name="jid"/> may be a placeholder such as "&lt;jid&gt;").</summary>
    public static string StepText(string jail, string jid, IEnumerable<int> cpus)
        => $"cpuset_setaffinity(CPU_LEVEL_WHICH, CPU_WHICH_JAIL, {jid}, {Format(cpus)})   # cpuset -l {Format(cpus)} -j {jail}";

    /// <summary>
    /// A step that puts a running jail on <paramref name="cpus"/>, whose undo puts back the set it had
    /// when the step ran (the kernel takes any set within the host's CPUs, narrower or wider).
    /// </summary>
    public void AddSetStep(JailPlan plan, string jail, int jid, IReadOnlyCollection<int> cpus)
    {
        IReadOnlyCollection<int>? before = null;
        plan.Add("cpuset", StepText(jail, jid.ToString(CultureInfo.InvariantCulture), cpus),
            () => { before = JailCpus(jail, jid); Apply(jail, jid, cpus); },
            () => { if (before is not null) Apply(jail, jid, before); },
            "cpuset_setaffinity back to the set it had");
    }

    /// <summary>A jail's CPUs as Get-JailCpuSet shows them: the running jail's set (one cpuset_getaffinity) and its definition's list.</summary>
    public JailCpuSet Describe(Jail jail)
    {
        var live = jail.Jid is int jid ? JailCpus(jail.Name, jid) : null;
        string? configured = jail.Definition is { } d && d.Variables.TryGetValue(Variable, out string? v) ? v.Trim() : null;
        return new JailCpuSet(jail.Name, jail.Jid, live is null ? null : Format(live), live?.Count ?? 0, configured, _host.ComputerName);
    }

    private static JailOperationException Invalid(string jail, string why)
        => new("JailCpuSetInvalid", jail, $"jail \"{jail}\": {why}; nothing was changed.", "Give -Cpu as cpuset -l takes it: 0-3, or 0,2,4-7, of the host's CPUs (cpuset -g).") { TargetObject = jail };

    private static JailOperationException Failed(string call, string jail, int errno, string? cpus) => errno switch
    {
        Errno.EINVAL when cpus is not null => new JailOperationException("JailCpuSetInvalid", jail,
            $"jail \"{jail}\": {call} {cpus} refused (EINVAL): a jail's set must be within the set it was made in (kern_cpuset.c cpuset_modify checks its parent's CPUs); nothing was changed.",
            "Give CPUs the host's set has (cpuset -g shows them).") { TargetObject = cpus },
        Errno.EDEADLK => new JailOperationException("JailCpuSetInvalid", jail, $"jail \"{jail}\": {call} {cpus}: the set would leave the jail no CPU (EDEADLK); nothing was changed.",
            "Give at least one of the host's CPUs.") { TargetObject = cpus },
        Errno.ESRCH => new JailOperationException("JailNotRunning", jail, $"jail \"{jail}\" is not running ({call}: ESRCH).", "Start it first, or give -Persist to keep the list for its next start.") { TargetObject = jail },
        Errno.EPERM => new JailOperationException("JailPermissionDenied", jail, $"{call}: not permitted (EPERM).", "Run as root on the host.") { TargetObject = jail },
        _ => new JailOperationException("JailCpuSetInvalid", jail, $"jail \"{jail}\": {call} failed ({Errno.Name(errno)}).", "Check the CPU list against cpuset -g.") { TargetObject = jail },
    };
}
