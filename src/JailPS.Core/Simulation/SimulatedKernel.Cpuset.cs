using System;
using System.Collections.Generic;
using System.Linq;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>
/// cpuset(2) for jails behind <see cref="ICpusetLibc"/>, as sys/kern/kern_cpuset.c answers: a size
/// below the kernel's set (128 bytes, amd64's MAXCPU) or above CPU_MAXSIZE/8 is ERANGE; a jail that
/// is not there ESRCH; setting needs root (PRIV_SCHED_CPUSET: EPERM); each jail has a root set of
/// its own, made with the host's CPUs at creation and parented to cpuset 1. cpuset_modify checks a
/// jail's root set against its parent (cs_parent: "cpuset_getroot() cannot work here", FreeBSD 14's
/// kern_cpuset.c), so a running jail's set can be narrowed and widened again within the host's
/// CPUs; a CPU the parent lacks is EINVAL and an empty mask EDEADLK (cpuset_testupdate).
/// CPU_LEVEL_ROOT with CPU_WHICH_PID -1 is the host's CPUs.
/// </summary>
public sealed unsafe partial class SimulatedKernel : ICpusetLibc
{
    private readonly Dictionary<int, SortedSet<int>> _jailCpus = new();

    private SortedSet<int> HostCpus() => new(Enumerable.Range(0, _options.Cpus));

    private SortedSet<int> CpusOf(SimPrison pr)
    {
        if (!_jailCpus.TryGetValue(pr.Id, out var set)) _jailCpus[pr.Id] = set = HostCpus();
        return set;
    }

    public int CpusetGetAffinity(int level, int which, long id, nuint size, byte* mask)
    {
        lock (_lock)
        {
            var fault = Enter("cpuset_getaffinity");
            if (fault is not null) return Fail(fault.Errno);
            if (size < CpusetConstants.MaskBytes || size > CpusetConstants.MaskBytes) return Fail(Errno.ERANGE);
            SortedSet<int> cpus;
            if (which == CpusetConstants.WhichJail && (level == CpusetConstants.LevelWhich || level == CpusetConstants.LevelCpuset || level == CpusetConstants.LevelRoot))
            {
                var pr = id is > 0 and <= int.MaxValue ? FindPrison((int)id) : null;
                if (pr is null || !pr.IsAlive) return Fail(Errno.ESRCH);
                cpus = CpusOf(pr);
            }
            else if (which == CpusetConstants.WhichPid && id == -1 && level == CpusetConstants.LevelRoot)
                cpus = HostCpus();
            else return Fail(Errno.EINVAL);   // what the model does not imitate is refused, never guessed
            new Span<byte>(mask, (int)size).Clear();
            foreach (int c in cpus) mask[c / 8] |= (byte)(1 << (c % 8));
            return 0;
        }
    }

    public int CpusetSetAffinity(int level, int which, long id, nuint size, byte* mask)
    {
        lock (_lock)
        {
            var fault = Enter("cpuset_setaffinity");
            if (fault is not null) return Fail(fault.Errno);
            if (size < CpusetConstants.MaskBytes || size > CpusetConstants.MaskBytes) return Fail(Errno.ERANGE);
            if (which != CpusetConstants.WhichJail || level != CpusetConstants.LevelWhich) return Fail(Errno.EINVAL);
            var pr = id is > 0 and <= int.MaxValue ? FindPrison((int)id) : null;
            if (pr is null || !pr.IsAlive) return Fail(Errno.ESRCH);
            if (CallerUid != 0) return Fail(Errno.EPERM);
            var wanted = new SortedSet<int>();
            for (int c = 0; c < (int)size * 8; c++)
                if ((mask[c / 8] & (1 << (c % 8))) != 0) wanted.Add(c);
            if (!wanted.IsSubsetOf(HostCpus())) return Fail(Errno.EINVAL);   // CPU_SUBSET(&set->cs_parent->cs_mask, mask)
            if (wanted.Count == 0) return Fail(Errno.EDEADLK);                // cpuset_testupdate: CPU_EMPTY
            _jailCpus[pr.Id] = wanted;
            Touch();
            return 0;
        }
    }

    /// <summary>The CPUs of a jail's set (tests).</summary>
    public IReadOnlyCollection<int> JailCpus(int jid) { lock (_lock) return FindPrison(jid) is { } pr ? CpusOf(pr).ToList() : Array.Empty<int>(); }

    private Dictionary<int, List<int>>? SaveCpusets()
        => _jailCpus.Count == 0 ? null : _jailCpus.Where(kv => FindPrison(kv.Key) is not null).ToDictionary(kv => kv.Key, kv => kv.Value.ToList());

    private void LoadCpusets(Dictionary<int, List<int>>? sets)
    {
        _jailCpus.Clear();
        foreach (var (jid, cpus) in sets ?? new Dictionary<int, List<int>>()) _jailCpus[jid] = new SortedSet<int>(cpus);
    }

    /// <summary>A prison freed: its set goes with it (the next jail gets the host's CPUs).</summary>
    private void ForgetCpuset(int jid) => _jailCpus.Remove(jid);
}
