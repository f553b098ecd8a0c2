using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>
/// devfs rulesets and the DEVFSIO_* ioctls, modelled from sys/fs/devfs/devfs_rule.c
/// (devfs_rules_ioctl, devfs_rule_input, devfs_rid_input, devfs_rule_insert, devfs_rule_autonumber,
/// devfs_rule_delete, devfs_ruleset_use, devfs_ruleset_reap, devfs_rule_match, devfs_rule_run),
/// plus open(2)/close(2)/ioctl(2) on a devfs mount's root directory.
/// <para>
/// Every devfs mount has its own dirents over one fixed device list (<see cref="DevfsDeviceList"/>);
/// a rule hides, unhides or changes owner/group/mode of the dirents it matches. Rules reach
/// existing dirents only when applied (mount with <c>ruleset=N</c>, update mount, RAPPLY,
/// RAPPLYID, SAPPLY); DEVFSIO_SUSE only changes the current ruleset, which devfs applies to
/// dirents created later (the fixed list creates none later). Includes nest to
/// vfs.devfs.rule_depth = 1.
/// </para>
/// </summary>
public sealed unsafe partial class SimulatedKernel
{
    private const int DevfsRuleDepth = 1;   // vfs.devfs.rule_depth default
    private const int OAccMode = 0x0003;    // O_ACCMODE, sys/sys/fcntl.h
    private const int DirentChr = 'c', DirentDir = 'd', DirentLnk = 'l';

    /// <summary>A node of the simulated FreeBSD 14 amd64 /dev: path relative to the mount, kind, cdevsw d_flags, owner, mode.</summary>
    private sealed record DevEntry(string Path, int Kind, int DswFlags, uint Uid, uint Gid, ushort Mode);

    // root:wheel = 0:0, operator = 5, kmem = 2, tty = 4, dialer = 68.
    private static readonly DevEntry[] s_devices = BuildDeviceList();

    private static DevEntry[] BuildDeviceList()
    {
        var l = new List<DevEntry>();
        void C(string p, int d = 0, uint uid = 0, uint gid = 0, ushort mode = 0x180 /*0600*/) => l.Add(new DevEntry(p, DirentChr, d, uid, gid, mode));
        void D(string p) => l.Add(new DevEntry(p, DirentDir, 0, 0, 0, 0x1ED /*0755*/));
        void L(string p) => l.Add(new DevEntry(p, DirentLnk, 0, 0, 0, 0x1ED));
        C("acpi", mode: 0x1A4); C("apm"); C("apmctl"); C("audit"); C("auditpipe"); C("bpf"); L("bpf0");
        C("console", DeviceTypes.Tty); C("consolectl"); C("ctty", mode: 0x1B6); C("crypto", mode: 0x1B6);
        C("cuau0", DeviceTypes.Tty, 68, 68, 0x1B0); C("cuau0.init", DeviceTypes.Tty, 68, 68, 0x1B0); C("cuau0.lock", DeviceTypes.Tty, 68, 68, 0x1B0);
        C("devctl", mode: 0x100); C("devctl2"); C("devstat", mode: 0x124); D("fd"); C("fd/0", mode: 0x1B6); C("fd/1", mode: 0x1B6); C("fd/2", mode: 0x1B6);
        C("full", mode: 0x1B6); C("fuse", mode: 0x1B6); C("geom.ctl", mode: 0x1A0); C("io"); C("kbd0"); C("kbdmux0"); C("klog");
        C("kmem", DeviceTypes.Mem, 0, 2, 0x1A0); L("log"); C("mdctl"); C("mem", DeviceTypes.Mem, 0, 2, 0x1A0); C("midistat", mode: 0x1A4);
        C("netdump"); C("netmap", mode: 0x1B6); C("null", mode: 0x1B6); C("nvme0"); C("nvme0ns1", DeviceTypes.Disk, 0, 5, 0x1A0);
        C("nda0", DeviceTypes.Disk, 0, 5, 0x1A0); C("nda0p1", DeviceTypes.Disk, 0, 5, 0x1A0); C("nda0p2", DeviceTypes.Disk, 0, 5, 0x1A0);
        C("nda0p3", DeviceTypes.Disk, 0, 5, 0x1A0); C("nda0p4", DeviceTypes.Disk, 0, 5, 0x1A0);
        C("cd0", DeviceTypes.Disk, 0, 5, 0x1A0); C("pass0", gid: 5); C("pci", mode: 0x1A4); C("pf"); C("ptmx", mode: 0x1B6);
        D("pts"); C("pts/0", DeviceTypes.Tty, 0, 4, 0x190); C("pts/1", DeviceTypes.Tty, 0, 4, 0x190);
        C("random", mode: 0x1B6); D("reroot"); C("reroot/reroot"); C("sndstat", mode: 0x1B6); L("stderr"); L("stdin"); L("stdout");
        C("sysmouse", mode: 0x1A4); C("tcp_log"); C("ttyu0", DeviceTypes.Tty, 0, 0, 0x180); C("ttyu0.init", DeviceTypes.Tty); C("ttyu0.lock", DeviceTypes.Tty);
        for (int i = 0; i < 8; i++) C("ttyv" + i, DeviceTypes.Tty);
        C("ufssuspend"); D("usb"); C("usb/0.1.0", gid: 5, mode: 0x1B0); C("usb/0.1.1", gid: 5, mode: 0x1B0); C("usbctl", gid: 5, mode: 0x1B0);
        L("urandom"); C("xpt0", gid: 5, mode: 0x1B0); C("zero", mode: 0x1B6); C("zfs", mode: 0x1B6);
        return l.OrderBy(e => e.Path, StringComparer.Ordinal).ToArray();
    }

    /// <summary>
    /// The device nodes every simulated devfs mount starts with (paths relative to the mount, as
    /// <c>ls -R</c> shows them), a plausible FreeBSD 14 amd64 host with an NVMe disk, a CD drive,
    /// a serial port, USB, the syscons/vt ttys and two pseudo-terminals. Directories are "fd",
    /// "pts", "reroot", "usb"; symlinks are bpf0, log, stdin, stdout, stderr, urandom. type flags:
    /// D_MEM mem/kmem; D_DISK nvme0ns1, nda0*, cd0; D_TTY console, ttyv*, ttyu*, cuau*, pts/*.
    /// </summary>
    public static IReadOnlyList<string> DevfsDeviceList { get; } = s_devices.Select(e => e.Path).ToArray();

    /// <summary>The device list with each node's kind ('c' device, 'd' directory, 'l' link) and D_* type flags (for cross-checks in tests).</summary>
    internal static IReadOnlyList<(string Path, char Kind, int DswFlags)> DevfsDeviceTable { get; } =
        s_devices.Select(e => (e.Path, (char)e.Kind, e.DswFlags)).ToArray();

    private readonly SortedDictionary<ushort, SimRuleset> _rulesets = new();
    private readonly SortedDictionary<int, SimFd> _fds = new();

    private static Dictionary<string, SimDevNode> NewDevfsNodes()
        => s_devices.ToDictionary(e => e.Path, e => new SimDevNode { Uid = e.Uid, Gid = e.Gid, Mode = e.Mode }, StringComparer.Ordinal);

    /// <summary>
    /// What a process sees in the devfs mounted on <paramref name="mountPoint"/> (a global path): the
    /// nodes not hidden by a rule whose parent directories are not hidden either, sorted.
    /// </summary>
    public IReadOnlyList<string> DevfsVisibleNodes(string mountPoint)
    {
        ArgumentNullException.ThrowIfNull(mountPoint);
        lock (_lock)
        {
            var mp = TopMountAt(SimPathLookup.Normalize(mountPoint));
            if (mp is null || mp.Nodes is null)
                throw new ArgumentException("No devfs is mounted on " + mountPoint + ".", nameof(mountPoint));
            var result = new List<string>();
            foreach (var e in s_devices)
            {
                if (mp.Nodes[e.Path].Hidden) continue;
                bool ok = true;
                for (int slash = e.Path.IndexOf('/'); slash >= 0 && ok; slash = e.Path.IndexOf('/', slash + 1))
                    ok = !mp.Nodes[e.Path.Substring(0, slash)].Hidden;
                if (ok) result.Add(e.Path);
            }
            return result;
        }
    }

    /// <summary>Numbers of the rulesets that exist in the kernel (those with rules or references), ascending.</summary>
    public IReadOnlyList<int> DevfsRulesets
    {
        get { lock (_lock) return _rulesets.Keys.Select(k => (int)k).ToArray(); }
    }

    private static ushort Rsn(uint rid) => (ushort)(rid >> 16);
    private static ushort Rn(uint rid) => (ushort)(rid & 0xffff);
    private static uint MkRid(ushort rs, ushort rn) => ((uint)rs << 16) | rn;

    private SimRuleset? RulesetByNum(ushort n) => _rulesets.TryGetValue(n, out var ds) ? ds : null;

    private SimRuleset RulesetCreate(ushort n)
    {
        var ds = new SimRuleset { Number = n };
        _rulesets[n] = ds;
        return ds;
    }

    /// <summary>devfs_ruleset_reap: an empty, unreferenced ruleset disappears.</summary>
    private void RulesetReap(SimRuleset ds)
    {
        if (ds.Rules.Count == 0 && ds.RefCount == 0) _rulesets.Remove(ds.Number);
    }

    /// <summary>devfs_ruleset_use: make <paramref name="rsnum"/> the mount's current ruleset, creating it if needed.</summary>
    private void RulesetUse(ushort rsnum, SimMount dm)
    {
        if (dm.Ruleset != 0)
        {
            var cds = RulesetByNum(dm.Ruleset);
            if (cds is not null)
            {
                cds.RefCount--;
                RulesetReap(cds);
            }
        }
        if (rsnum == 0)
        {
            dm.Ruleset = 0;
            return;
        }
        var ds = RulesetByNum(rsnum) ?? RulesetCreate(rsnum);
        ds.RefCount++;
        dm.Ruleset = rsnum;
    }

    private void RulesetApplyToMount(ushort rsnum, SimMount dm)
    {
        var ds = RulesetByNum(rsnum);
        if (ds is null) return;
        foreach (var rule in ds.Rules.ToList())
            RuleApplyToMount(rule, dm);
    }

    private void RuleApplyToMount(DevfsRule rule, SimMount dm)
    {
        foreach (var e in s_devices)
            RuleRun(rule, e, dm.Nodes![e.Path], dm, DevfsRuleDepth);
    }

    private void RulesetApplyToNode(SimRuleset ds, DevEntry e, SimDevNode de, SimMount dm, int depth)
    {
        foreach (var rule in ds.Rules.ToList())
            RuleRun(rule, e, de, dm, depth);
    }

    /// <summary>devfs_rule_run.</summary>
    private void RuleRun(DevfsRule dr, DevEntry e, SimDevNode de, SimMount dm, int depth)
    {
        if (!RuleMatch(dr, e)) return;
        if ((dr.IActs & DevfsActions.BooleanActions) != 0)
        {
            if ((dr.BActs & DevfsBooleanActions.Hide) != 0) de.Hidden = true;
            if ((dr.BActs & DevfsBooleanActions.Unhide) != 0) de.Hidden = false;
        }
        if ((dr.IActs & DevfsActions.Uid) != 0) de.Uid = dr.Uid;
        if ((dr.IActs & DevfsActions.Gid) != 0) de.Gid = dr.Gid;
        if ((dr.IActs & DevfsActions.Mode) != 0) de.Mode = dr.Mode;
        if ((dr.IActs & DevfsActions.IncludeSet) != 0 && depth > 0)
        {
            var ds = RulesetByNum(dr.IncSet);
            if (ds is not null) RulesetApplyToNode(ds, e, de, dm, depth - 1);
        }
    }

    /// <summary>devfs_rule_match: type conditions match devices only; path patterns match devices, links and directories.</summary>
    private static bool RuleMatch(DevfsRule dr, DevEntry e)
    {
        if ((dr.ICond & DevfsConditions.DswFlags) != 0)
        {
            if (e.Kind != DirentChr || (e.DswFlags & dr.DswFlags) == 0) return false;
        }
        if ((dr.ICond & DevfsConditions.PathPattern) != 0)
        {
            string pattern = SimDefs.CString(new ReadOnlySpan<byte>(dr.PathPattern, DevfsConstants.MaxPatternLength));
            if (!Devfs.DevfsPattern.IsMatch(pattern, e.Path)) return false; // libkern fnmatch with FNM_PATHNAME
        }
        return true;
    }

    // ------------------------------------------------------------------ open / close / ioctl

    /// <inheritdoc />
    public int Open(byte* path, int flags)
    {
        lock (_lock)
        {
            var fault = Enter("open");
            if (fault is not null) return Fail(fault.Errno);
            int e = CopyInStr(path, JailLimits.MaxPathLen, out string p);
            if (e != 0) return Fail(e);
            e = LookupPath(p, out string global, out bool isDir);
            if (e != 0) return Fail(e);
            if ((flags & OpenFlags.Directory) != 0 && !isDir) return Fail(Errno.ENOTDIR);
            if (isDir && (flags & OAccMode) != OpenFlags.ReadOnly) return Fail(Errno.EISDIR);
            var top = TopMountAt(global);
            return AllocFd(new SimFd { Kind = SimFdKind.Vnode, MountId = (top ?? ContainingMount(global)).Id, IsRoot = top is not null });
        }
    }

    /// <summary>fdalloc: the lowest free descriptor number above the standard three.</summary>
    private int AllocFd(SimFd fd)
    {
        int n = 3;
        while (_fds.ContainsKey(n)) n++;
        _fds[n] = fd;
        return n;
    }

    /// <inheritdoc />
    public int Close(int fd)
    {
        lock (_lock)
        {
            var fault = Enter("close");
            if (fault is not null) return Fail(fault.Errno);
            if (!_fds.TryGetValue(fd, out var f)) return Fail(Errno.EBADF);
            if (f.Kind == SimFdKind.JailDesc) CloseJailDescriptor(f);
            _fds.Remove(fd);
            return 0;
        }
    }

    /// <inheritdoc />
    public int Ioctl(int fd, ulong request, void* arg)
    {
        lock (_lock)
        {
            var fault = Enter("ioctl");
            if (fault is not null) return Fail(fault.Errno);
            if (!_fds.TryGetValue(fd, out var f) || f.Dead) return Fail(Errno.EBADF);
            if (f.Kind == SimFdKind.Socket) return NetIoctl(f, request, arg);
            if (f.Kind != SimFdKind.Vnode) return Fail(Errno.ENOTTY);
            uint size = (uint)(request >> 16) & IoctlEncoding.ParmMask;
            bool dirIn = (request & IoctlEncoding.In) != 0;
            bool dirOut = (request & IoctlEncoding.Out) != 0;
            if ((dirIn || dirOut) && size > 0 && arg == null) return Fail(Errno.EFAULT);
            var mp = MountById(f.MountId);
            if (mp is null || mp.FsType != "devfs" || mp.Nodes is null) return Fail(Errno.ENOTTY);
            // sys_ioctl copies the argument in, the handler works on the kernel copy, which is copied out on success.
            byte[] data = new byte[size];
            if (dirIn && size > 0) new ReadOnlySpan<byte>(arg, (int)size).CopyTo(data);
            int e = DevfsRulesIoctl(mp, request, data);
            if (e != 0) return Fail(e);
            if (dirOut && size > 0) data.CopyTo(new Span<byte>(arg, (int)size));
            if (request != DevfsIoctl.RuleGetNext && request != DevfsIoctl.SetGetNext) Touch();
            return 0;
        }
    }

    /// <summary>devfs_rules_ioctl.</summary>
    private int DevfsRulesIoctl(SimMount dm, ulong cmd, byte[] data)
    {
        if (CallerUid != 0) return Errno.EPERM; // PRIV_DEVFS_RULE
        switch (cmd)
        {
            case DevfsIoctl.RuleAdd:
            {
                var dr = MemoryMarshal.Read<DevfsRule>(data);
                int e = RuleInput(ref dr, dm);
                if (e == 0)
                {
                    if (RuleById(dr.Id, out _) is not null) e = Errno.EEXIST;
                    else if (Rsn(dr.Id) == 0) e = Errno.EIO;
                    else e = RuleInsert(dr);
                }
                MemoryMarshal.Write(data, in dr);
                return e;
            }
            case DevfsIoctl.RuleApply:
            {
                var dr = MemoryMarshal.Read<DevfsRule>(data);
                int e = RuleInput(ref dr, dm);
                MemoryMarshal.Write(data, in dr);
                if (e != 0) return e;
                if ((dr.IActs & DevfsActions.IncludeSet) != 0 && RulesetByNum(dr.IncSet) is null) return Errno.ESRCH;
                RuleApplyToMount(dr, dm);
                return 0;
            }
            case DevfsIoctl.RuleApplyId:
            {
                uint rid = RidInput(MemoryMarshal.Read<uint>(data), dm);
                var dk = RuleById(rid, out _);
                if (dk is null) return Errno.ENOENT;
                RuleApplyToMount(dk.Value, dm);
                return 0;
            }
            case DevfsIoctl.RuleDelete:
            {
                uint rid = RidInput(MemoryMarshal.Read<uint>(data), dm);
                var dk = RuleById(rid, out var ds);
                if (dk is null) return Errno.ENOENT;
                var rule = dk.Value;
                if ((rule.IActs & DevfsActions.IncludeSet) != 0 && RulesetByNum(rule.IncSet) is { } inc)
                {
                    inc.RefCount--;
                    RulesetReap(inc);
                }
                ds!.Rules.RemoveAll(r => Rn(r.Id) == Rn(rid));
                RulesetReap(ds);
                return 0;
            }
            case DevfsIoctl.RuleGetNext:
            {
                var dr = MemoryMarshal.Read<DevfsRule>(data);
                int e = RuleInput(ref dr, dm);
                MemoryMarshal.Write(data, in dr);
                if (e != 0) return e;
                var ds = RulesetByNum(Rsn(dr.Id));
                if (ds is null) return Errno.ENOENT;
                ushort rnum = Rn(dr.Id);
                foreach (var k in ds.Rules)
                {
                    if (Rn(k.Id) > rnum)
                    {
                        var copy = k;
                        MemoryMarshal.Write(data, in copy);
                        return 0;
                    }
                }
                return Errno.ENOENT;
            }
            case DevfsIoctl.SetUse:
                RulesetUse(MemoryMarshal.Read<ushort>(data), dm);
                return 0;
            case DevfsIoctl.SetApply:
            {
                ushort rsnum = Rsn(RidInput(MkRid(MemoryMarshal.Read<ushort>(data), 0), dm));
                if (RulesetByNum(rsnum) is null) return Errno.ESRCH;
                RulesetApplyToMount(rsnum, dm);
                return 0;
            }
            case DevfsIoctl.SetGetNext:
            {
                ushort rsnum = MemoryMarshal.Read<ushort>(data);
                foreach (var n in _rulesets.Keys)
                {
                    if (n > rsnum)
                    {
                        var v = n;
                        MemoryMarshal.Write(data, in v);
                        return 0;
                    }
                }
                return Errno.ENOENT;
            }
            default:
                return Errno.ENOTTY; // ENOIOCTL from the rules handler becomes ENOTTY
        }
    }

    /// <summary>devfs_rid_input: ruleset 0 in an id means the mount's current ruleset.</summary>
    private static uint RidInput(uint rid, SimMount dm) => Rsn(rid) == 0 ? MkRid(dm.Ruleset, Rn(rid)) : rid;

    /// <summary>devfs_rule_input: check the magic, resolve the ruleset.</summary>
    private static int RuleInput(ref DevfsRule dr, SimMount dm)
    {
        if (dr.Magic != DevfsConstants.Magic) return Errno.ERPCMISMATCH;
        dr.Id = RidInput(dr.Id, dm);
        return 0;
    }

    private DevfsRule? RuleById(uint rid, out SimRuleset? ds)
    {
        ds = RulesetByNum(Rsn(rid));
        if (ds is null) return null;
        foreach (var k in ds.Rules)
        {
            if (Rn(k.Id) == Rn(rid)) return k;
            if (Rn(k.Id) > Rn(rid)) break;
        }
        return null;
    }

    /// <summary>devfs_rule_insert (with devfs_rule_autonumber: last rule + 100, ERANGE on overflow).</summary>
    private int RuleInsert(DevfsRule dr)
    {
        SimRuleset? dsi = null;
        if ((dr.IActs & DevfsActions.IncludeSet) != 0)
        {
            dsi = RulesetByNum(dr.IncSet);
            if (dsi is null) return Errno.ESRCH;
        }
        ushort rsnum = Rsn(dr.Id);
        var ds = RulesetByNum(rsnum) ?? RulesetCreate(rsnum);
        int rn = Rn(dr.Id);
        if (rn == 0)
        {
            if (ds.Rules.Count == 0) rn = 100;
            else
            {
                rn = Rn(ds.Rules[^1].Id) + 100;
                if (rn > ushort.MaxValue)
                {
                    RulesetReap(ds);
                    return Errno.ERANGE;
                }
            }
        }
        if (dsi is not null) dsi.RefCount++;
        dr.Id = MkRid(rsnum, (ushort)rn);
        int at = ds.Rules.FindIndex(k => Rn(k.Id) > rn);
        if (at < 0) ds.Rules.Add(dr);
        else ds.Rules.Insert(at, dr);
        return 0;
    }
}
