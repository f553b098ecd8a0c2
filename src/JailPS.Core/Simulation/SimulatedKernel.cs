using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>
/// A FreeBSD 14 kernel's jail subsystem in memory, behind the <see cref="ILibc"/> seam. Every
/// call works on raw memory exactly as the kernel does: jail_set/jail_get decode the iovec array
/// like vfs_buildopts, write the caller's "errmsg" buffer, rewrite iov_len on jail_get, and fail
/// with -1 and a FreeBSD errno in <see cref="LastErrno"/>.
/// <para>
/// Modelled from sys/kern/kern_jail.c (14.x line: the ≤14 JAIL_DYING semantics and the
/// prison_ip_* helpers), sys/kern/vfs_mount.c and sys/kern/kern_sysctl.c:
/// jail_set selection (jid / name / numeric last name component / hierarchical names),
/// jid allocation (get_next_prid with wrap at JAIL_MAX), every error path and message of
/// kern_jail_set in its order, create-only (RDTUN) and read-only parameters, defaults of a new
/// jail, inheritance and propagation to descendants (securelevel, children.max, enforce_statfs,
/// devfs_ruleset, host.*, allow.*, IP restriction), IP validation, subset and clash checks,
/// revival of dying jails with JAIL_DYING, life cycle by references (persist, processes, child
/// jails, external holds), jail_get (lastjid/jid/name, JAIL_DYING, vfs_setopt* output rules,
/// jailsys read-back quirk), jail_remove (kills descendants and their processes), jail_attach
/// checks, the SysV IPC modules' OSD check/set/get, and the sysctl MIB for
/// security.jail.param.* with the CTL_SYSCTL name/next/name2oid/oidfmt interface,
/// security.jail.{jailed,vnet,jail_max_af_ips} and kern.{ostype,osrelease,hostname,osreldate}.
/// </para>
/// <para>
/// Not modelled: a caller inside a jail (the caller is always the host, prison0); cpusets beyond
/// handing out an id; vnet internals; racct/rctl; MAC; JAIL_AT_DESC (the descriptors themselves
/// and meta/env of FreeBSD 15 are modelled: SimulatedKernel.JailDesc.cs, SimulatedKernel.Meta.cs);
/// allow.adjtime/settime/routing/unprivileged_parent_tampering;
/// OSD modules other than the configured file systems and sysvmsg/sysvsem/sysvshm (no linux*,
/// no OpenZFS "zfs"/"zfs.mount_snapshot"); the legacy jail(2) call; security.jail.list and the
/// deprecated security.jail.*_allowed defaults; sysctl descriptions (CTL_SYSCTL_OIDDESCR);
/// SysV IPC objects themselves; jail_attach moving a real process (it validates and returns 0).
/// </para>
/// </summary>
public sealed unsafe partial class SimulatedKernel : ILibc, IMountLibc
{
    /// <summary>Syscall names used as keys of <see cref="CallCounts"/> and by <see cref="InjectFault"/>.</summary>
    public static IReadOnlyList<string> SyscallNames { get; } = new[]
    {
        "jail_set", "jail_get", "jail_attach", "jail_remove", "sysctl", "sysctlbyname",
        "nmount", "unmount", "getfsstat", "open", "close", "ioctl", "socket", "getifaddrs", "jail_attach_jd", "jail_remove_jd",
        "rctl_get_racct", "rctl_get_rules", "rctl_add_rule", "rctl_remove_rule", "cpuset_getaffinity", "cpuset_setaffinity",
    };

    /// <summary>SIGKILL (sys/sys/signal.h).</summary>
    public const int SigKill = SimDefs.SigKill;

    /// <summary>SIGTERM (sys/sys/signal.h).</summary>
    public const int SigTerm = SimDefs.SigTerm;

    [ThreadStatic] private static int t_errno;

    private readonly object _lock = new();
    private readonly SimulatedKernelOptions _options;
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private readonly List<Fault> _faults = new();

    /// <summary>allprison: every prison but prison0, sorted by jid.</summary>
    private readonly List<SimPrison> _allprison = new();
    private readonly SimPrison _prison0;
    private readonly Dictionary<int, SimProcess> _procs = new();
    private int _lastprid;
    private int _lastPid = 99;
    private uint _maxAfIps;
    private long _generation;

    private sealed class Fault
    {
        public string Syscall = "";
        public int Remaining;
        public int Errno;
        public string? Errmsg;
    }

    /// <summary>Creates an empty simulated host (no jails, no processes).</summary>
    public SimulatedKernel(SimulatedKernelOptions? options = null)
    {
        _options = (options ?? new SimulatedKernelOptions()).Validate();
        CallerUid = _options.CallerUid;
        _maxAfIps = _options.MaxAfIps;
        foreach (var s in SyscallNames) _counts[s] = 0;
        BuildParameterTables();
        _prison0 = new SimPrison
        {
            Id = 0,
            Name = "0",
            Path = "/",
            State = PrisonState.Alive,
            SecureLevel = -1,
            DevfsRuleset = 0,
            EnforceStatfs = 0,
            ChildMax = JailLimits.JailMax,
            HostUuid = SimDefs.DefaultHostUuid,
            Flags = SimDefs.PrHost | SimDefs.PrVnet | SimDefs.PrIp4Saddrsel | SimDefs.PrIp6Saddrsel,
            OsRelease = _options.OsRelease,
            OsRelDate = _options.OsRelDate,
            HostName = _options.Hostname,
            CpusetId = 1,
        };
        foreach (var a in _allowParams) _prison0.Allow.Add(a.Name);
        foreach (var m in _sysvModules) _prison0.SysvRoot[m] = _prison0;
        BuildSysctlTree();
        BootMounts();
        BootInterfaces();
    }

    /// <summary>The options this kernel was created with.</summary>
    public SimulatedKernelOptions Options => _options;

    /// <summary>Effective uid of the simulated caller; non-zero callers get EPERM where the kernel checks privilege.</summary>
    public uint CallerUid { get; set; }

    /// <inheritdoc />
    public int LastErrno => t_errno;

    /// <summary>Increments on every change of simulated state (jails, processes, holds, writable sysctls).</summary>
    public long Generation
    {
        get { lock (_lock) return _generation; }
    }

    /// <summary>Calls made per syscall since creation or the last <see cref="ResetCounts"/>.</summary>
    public IReadOnlyDictionary<string, long> CallCounts
    {
        get { lock (_lock) return new Dictionary<string, long>(_counts, StringComparer.Ordinal); }
    }

    public void ResetCounts()
    {
        lock (_lock)
        {
            foreach (var s in SyscallNames) _counts[s] = 0;
            _ioctlCounts.Clear();
        }
    }

    /// <summary>
    /// Makes the <paramref name="nthCall"/>-th call of <paramref name="syscall"/> made after this
    /// injection (1 = the next one) fail with <paramref name="errno"/> without touching state; a
    /// jail_set/jail_get with an errmsg buffer gets <paramref name="errmsg"/> written into it.
    /// </summary>
    public void InjectFault(string syscall, int nthCall, int errno, string? errmsg = null)
    {
        if (!SyscallNames.Contains(syscall))
            throw new ArgumentException("Unknown syscall '" + syscall + "'; expected one of " + string.Join(", ", SyscallNames) + ".", nameof(syscall));
        if (nthCall < 1)
            throw new ArgumentOutOfRangeException(nameof(nthCall), "nthCall is 1-based.");
        if (errno <= 0)
            throw new ArgumentOutOfRangeException(nameof(errno), "errno must be a positive FreeBSD errno.");
        lock (_lock)
            _faults.Add(new Fault { Syscall = syscall, Remaining = nthCall, Errno = errno, Errmsg = errmsg });
    }

    public void ClearFaults()
    {
        lock (_lock) _faults.Clear();
    }

    /// <inheritdoc />
    public uint GetEuid() => CallerUid;

    private int Fail(int errno)
    {
        t_errno = errno;
        return -1;
    }

    private void Touch() => _generation++;

    /// <summary>Counts the call and returns a fault that fires on it, if any. Caller holds the lock.</summary>
    /// <summary>
    /// Test seam: called with the syscall name at the start of every simulated syscall, before the
    /// kernel looks at its arguments (to race a change against it, such as swapping a symbolic link
    /// in after userland validated a path).
    /// </summary>
    public Action<string>? SyscallEntered { get; set; }

    private Fault? Enter(string syscall)
    {
        SyscallEntered?.Invoke(syscall);
        _counts[syscall]++;
        Fault? fire = null;
        for (int i = 0; i < _faults.Count; i++)
        {
            var f = _faults[i];
            if (f.Syscall != syscall) continue;
            if (--f.Remaining == 0)
            {
                fire ??= f;
                _faults.RemoveAt(i);
                i--;
            }
        }
        return fire;
    }

    private int FireIovFault(Fault f, IoVec* iov, uint niov)
    {
        if (f.Errmsg is not null && iov != null && (niov & 1) == 0
            && VfsOptList.CopyInUio(iov, niov) == 0 && VfsOptList.Build(iov, niov, out var opts) == 0)
        {
            opts.OptError(f.Errmsg);
            opts.CopyOutErrmsg(iov);
        }
        return Fail(f.Errno);
    }

    // ------------------------------------------------------------------ life cycle

    private SimPrison? FindPrison(int jid)
    {
        foreach (var p in _allprison)
        {
            if (p.Id == jid) return p;
            if (p.Id > jid) break;
        }
        return null;
    }

    private void InsertSorted(SimPrison pr)
    {
        int i = 0;
        while (i < _allprison.Count && _allprison[i].Id < pr.Id) i++;
        _allprison.Insert(i, pr);
    }

    /// <summary>A user reference was dropped: the last one turns an alive prison into a dying one.</summary>
    private void AfterUrefRelease(SimPrison pr)
    {
        if (pr == _prison0) return;
        if (pr.URef == 0 && pr.State == PrisonState.Alive)
            pr.State = PrisonState.Dying;
        AfterRefRelease(pr);
    }

    /// <summary>A reference was dropped: the last one unlinks the prison, releasing its parent's references.</summary>
    private void AfterRefRelease(SimPrison pr)
    {
        if (pr == _prison0 || pr.Refs != 0 || !_allprison.Contains(pr)) return;
        _allprison.Remove(pr);
        ForgetCpuset(pr.Id);
        var parent = pr.Parent!;
        parent.Children.Remove(pr);
        pr.State = PrisonState.Invalid;
        DestroyVnet(pr);
        // zone_destroy (OpenZFS module/os/freebsd/spl/spl_zone.c), the OSD destructor: the datasets attached to the jail are let go with it.
        foreach (var d in _zfs)
            if (d.AttachedJid == pr.Id) d.AttachedJid = 0;
        AfterUrefRelease(parent);
    }

    /// <summary>prison_deref(PD_KILL): the prison and its live descendants die; their processes get SIGKILL.</summary>
    private void Kill(SimPrison pr)
    {
        var killed = new List<SimPrison>();
        pr.WalkDescendants(c =>
        {
            if (!c.IsAlive) return false;
            killed.Add(c);
            return true;
        });
        foreach (var c in killed)
        {
            c.State = PrisonState.Dying;
            c.Flags &= ~SimDefs.PrPersist;
        }
        pr.State = PrisonState.Dying;
        pr.Flags &= ~SimDefs.PrPersist;

        var subtree = new List<SimPrison> { pr };
        subtree.AddRange(pr.Descendants());
        foreach (var p in subtree)
        {
            foreach (var proc in p.Processes)
                _procs.Remove(proc.Pid);
            p.Processes.Clear();
        }
        // Release bottom-up so that children unlink before their parents are considered.
        subtree.Reverse();
        foreach (var p in subtree)
            AfterUrefRelease(p);
    }

    // ------------------------------------------------------------------ process table

    /// <summary>Starts a simulated process in a live jail and returns its pid.</summary>
    public int Spawn(int jid, string command, bool ignoresSigterm = false)
    {
        ArgumentNullException.ThrowIfNull(command);
        lock (_lock)
        {
            var pr = FindPrison(jid);
            if (pr is null || !pr.IsAlive)
                throw new InvalidOperationException("jail " + jid + " is not an alive jail of this simulated host.");
            var proc = AddProcess(pr, command, ignoresSigterm);
            Touch();
            return proc.Pid;
        }
    }

    private SimProcess AddProcess(SimPrison pr, string command, bool ignoresSigterm)
    {
        int pid = _lastPid;
        for (int tries = 0; ; tries++)
        {
            if (tries > SimDefs.PidMax)
                throw new InvalidOperationException("The simulated process table is full.");
            pid = pid >= SimDefs.PidMax ? 100 : pid + 1;
            if (!_procs.ContainsKey(pid)) break;
        }
        _lastPid = pid;
        var proc = new SimProcess { Pid = pid, Command = command, IgnoresSigterm = ignoresSigterm, Prison = pr };
        _procs[pid] = proc;
        pr.Processes.Add(proc);
        return proc;
    }

    private void RemoveProcess(SimProcess proc)
    {
        _procs.Remove(proc.Pid);
        proc.Prison.Processes.Remove(proc);
        AfterUrefRelease(proc.Prison);
    }

    /// <summary>
    /// Sends a signal to every process of the jail and its descendant jails (what kill -sig -1
    /// run inside the jail reaches). SIGKILL kills all; signal 0 only probes; any other signal
    /// kills the processes that do not ignore SIGTERM. Returns the number of processes signalled.
    /// </summary>
    public int Signal(int jid, int signal)
    {
        if (signal < 0 || signal > 128)
            throw new ArgumentOutOfRangeException(nameof(signal));
        lock (_lock)
        {
            var pr = FindPrison(jid);
            if (pr is null) return 0;
            var targets = new List<SimProcess>(pr.Processes);
            foreach (var d in pr.Descendants()) targets.AddRange(d.Processes);
            if (signal == 0) return targets.Count;
            bool changed = false;
            foreach (var proc in targets)
            {
                if (signal == SigKill || !proc.IgnoresSigterm)
                {
                    RemoveProcess(proc);
                    changed = true;
                }
            }
            if (changed) Touch();
            return targets.Count;
        }
    }

    /// <summary>The process exits on its own. Returns false when there is no such pid.</summary>
    public bool Exit(int pid)
    {
        lock (_lock)
        {
            if (!_procs.TryGetValue(pid, out var proc)) return false;
            RemoveProcess(proc);
            Touch();
            return true;
        }
    }

    /// <summary>Processes attached directly to the jail (empty for an unknown jid).</summary>
    public IReadOnlyList<SimulatedProcessInfo> ProcessesIn(int jid)
    {
        lock (_lock)
        {
            var pr = FindPrison(jid);
            if (pr is null) return Array.Empty<SimulatedProcessInfo>();
            return pr.Processes.Select(p => new SimulatedProcessInfo(p.Pid, jid, p.Command, p.IgnoresSigterm)).ToArray();
        }
    }

    /// <summary>
    /// Takes a kernel reference on the jail (like a socket in TIME_WAIT): once it dies it stays
    /// on the list as dying until every hold is released.
    /// </summary>
    public void HoldDyingReference(int jid)
    {
        lock (_lock)
        {
            var pr = FindPrison(jid) ?? throw new ArgumentException("No jail " + jid + ".", nameof(jid));
            pr.Holds++;
            Touch();
        }
    }

    /// <summary>Drops a reference taken by <see cref="HoldDyingReference"/>; the last one frees a dying jail.</summary>
    public void ReleaseDyingReference(int jid)
    {
        lock (_lock)
        {
            var pr = FindPrison(jid) ?? throw new ArgumentException("No jail " + jid + ".", nameof(jid));
            if (pr.Holds == 0)
                throw new InvalidOperationException("jail " + jid + " holds no reference taken by HoldDyingReference.");
            pr.Holds--;
            AfterRefRelease(pr);
            Touch();
        }
    }

    /// <summary>Every jail on the kernel's list (alive and dying), in jid order.</summary>
    public IReadOnlyList<SimulatedJailInfo> Jails
    {
        get
        {
            lock (_lock)
            {
                return _allprison.Select(p => new SimulatedJailInfo(
                    p.Id,
                    Display(p.Name),
                    Display(p.Path),
                    p.IsAlive ? SimulatedJailState.Alive : SimulatedJailState.Dying,
                    p.Persist,
                    p.Processes.Count,
                    p.Parent == _prison0 ? 0 : p.Parent!.Id)).ToArray();
            }
        }
    }

    /// <summary>Kernel strings are bytes; show them as UTF-8 text.</summary>
    private static string Display(string kernelString) => Encoding.UTF8.GetString(SimDefs.Bytes.GetBytes(kernelString));

    /// <summary>Internal test seam: the highest jid get_next_prid hands out (JAIL_MAX on a real kernel).</summary>
    internal int JidLimit { get; set; } = JailLimits.JailMax;

    // ------------------------------------------------------------------ jail_attach / jail_remove

    /// <inheritdoc />
    public int JailAttach(int jid)
    {
        lock (_lock)
        {
            var fault = Enter("jail_attach");
            if (fault is not null) return Fail(fault.Errno);
            if (CallerUid != 0) return Fail(Errno.EPERM);
            var pr = FindChild(_prison0, jid);
            if (pr is null || !pr.IsAlive) return Fail(Errno.EINVAL);
            return 0;
        }
    }

    /// <inheritdoc />
    public int JailRemove(int jid)
    {
        lock (_lock)
        {
            var fault = Enter("jail_remove");
            if (fault is not null) return Fail(fault.Errno);
            if (CallerUid != 0) return Fail(Errno.EPERM);
            var pr = FindChild(_prison0, jid);
            if (pr is null) return Fail(Errno.EINVAL);
            if (!pr.IsAlive) return 0;
            Kill(pr);
            Touch();
            return 0;
        }
    }

    /// <summary>prison_find_child: a descendant of <paramref name="mypr"/> with that jid, alive or dying.</summary>
    private SimPrison? FindChild(SimPrison mypr, int jid)
    {
        if (mypr == _prison0)
            return FindPrison(jid); // every prison on the list descends from prison0
        SimPrison? found = null;
        mypr.WalkDescendants(p =>
        {
            if (found is null && p.Id == jid) found = p;
            return found is null;
        });
        return found;
    }

    /// <summary>prison_find_name: an alive descendant by (relative) name, else the last dying one.</summary>
    private SimPrison? FindName(SimPrison mypr, string name)
    {
        int mylen = mypr == _prison0 ? 0 : mypr.Name.Length + 1;
        SimPrison? alive = null, dead = null;
        mypr.WalkDescendants(p =>
        {
            if (alive is not null) return false;
            if (SimDefs.At(p.Name, mylen) == name)
            {
                if (p.IsAlive) alive = p;
                else dead = p;
            }
            return true;
        });
        return alive ?? dead;
    }

    /// <summary>prison_name(mypr, pr): the name relative to the caller ("0" for itself).</summary>
    private string PrisonName(SimPrison mypr, SimPrison pr) => pr == mypr ? "0" : pr.Name;
}
