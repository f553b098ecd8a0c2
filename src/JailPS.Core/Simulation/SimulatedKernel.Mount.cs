using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>A mount as the simulated kernel's mount list holds it (read-only view for tests and diagnostics).</summary>
public sealed record SimulatedMountInfo(string FsType, string MountedOn, string MountedFrom, ulong Flags, int DevfsRuleset, int BusyCount);

/// <summary>
/// nmount(2), unmount(2) and getfsstat(2) over raw memory, modelled from sys/kern/vfs_mount.c
/// (sys_nmount, vfs_donmount, vfs_domount, vfs_domount_first, vfs_domount_update, kern_unmount,
/// dounmount, vfs_filteropt, vfs_getopt_size) and sys/kern/vfs_syscalls.c (kern_getfsstat), with the
/// VFS_MOUNT of devfs (sys/fs/devfs/devfs_vfsops.c), nullfs (sys/fs/nullfs/null_vfsops.c), tmpfs
/// (sys/fs/tmpfs/tmpfs_vfsops.c), fdescfs and the pseudofs file systems procfs, linprocfs, linsysfs.
/// <para>
/// The host boots with its root file system (zfs "zroot/ROOT/default" on "/", MNT_ROOTFS) and devfs
/// on "/dev" (ruleset 0). Mount points are looked up with <see cref="SimPathLookup"/> in the sandbox;
/// the root of a mounted file system always exists as a directory even when the sandbox lacks it.
/// The contents of mounted file systems are not modelled (a lookup below a mount point sees the
/// sandbox), except the device nodes of devfs mounts.
/// </para>
/// </summary>
public sealed unsafe partial class SimulatedKernel
{
    /// <summary>File systems the model can mount (anything else is a module kldload cannot find: EINVAL "Invalid fstype").</summary>
    public static IReadOnlyList<string> MountableFileSystems { get; } = new[]
    {
        "devfs", "fdescfs", "linprocfs", "linsysfs", "nullfs", "procfs", "tmpfs",
    };

    // vfs_filteropt's set every file system accepts (sys/kern/vfs_mount.c global_opts).
    private static readonly string[] s_globalOpts = { "errmsg", "fstype", "fspath", "ro", "rw", "nosuid", "noexec" };
    // devfs_opts (sys/fs/devfs/devfs_vfsops.c).
    private static readonly string[] s_devfsOpts = { "from", "export", "ruleset" };
    // tmpfs_opts (sys/fs/tmpfs/tmpfs_vfsops.c).
    private static readonly string[] s_tmpfsOpts =
    {
        "from", "easize", "export", "nomtime", "size", "maxfilesize", "inodes", "uid", "gid", "mode",
        "nonc", "pgread", "nosymfollow", "union",
    };
    // tmpfs_updateopts (sys/fs/tmpfs/tmpfs_vfsops.c): what an update mount may carry.
    private static readonly string[] s_tmpfsUpdateOpts = { "from", "easize", "export", "nomtime", "size", "nosymfollow" };

    // MNT_UPDATEMASK (sys/sys/mount.h): the flags an update may change.
    private const ulong UpdateMask = MountFlags.NoSuid | MountFlags.NoExec | MountFlags.Synchronous | MountFlags.Union
        | MountFlags.Async | MountFlags.NoAtime | MountFlags.NoSymFollow | MountFlags.Ignore | MountFlags.NoClusterR
        | MountFlags.NoClusterW | MountFlags.SuidDir | MountFlags.Acls | MountFlags.User | MountFlags.Nfs4Acls
        | MountFlags.AutoMounted | MountFlags.Untrusted;

    // MNT_VISFLAGMASK (sys/sys/mount.h): the mnt_flag bits statfs reports.
    private const ulong VisFlagMask = MountFlags.ReadOnly | MountFlags.Synchronous | MountFlags.NoExec | MountFlags.NoSuid
        | MountFlags.Union | MountFlags.Async | MountFlags.ExReadOnly | MountFlags.Exported | MountFlags.ExPublic
        | MountFlags.Local | MountFlags.Quota | MountFlags.RootFs | MountFlags.User | MountFlags.Ignore
        | MountFlags.Snapshot | MountFlags.NoAtime | MountFlags.NoClusterR | MountFlags.NoClusterW | MountFlags.SuidDir
        | MountFlags.SoftDep | MountFlags.NoSymFollow | MountFlags.GJournal | MountFlags.MultiLabel | MountFlags.Acls
        | MountFlags.Nfs4Acls | MountFlags.Untrusted | MountFlags.AutoMounted | MountFlags.Verified | MountFlags.Suj
        | 0x00000200 | 0x00000400 | 0x00000800; // MNT_DEFEXPORTED, MNT_EXPORTANON, MNT_EXKERB

    private readonly List<SimMount> _mounts = new();
    private int _nextMountId = 1;
    private int _mntIdBase;

    /// <summary>vfs.recursive_forced_unmount (sys/kern/vfs_mount.c), default 0: a forced unmount does not take stacked nullfs mounts with it.</summary>
    public bool RecursiveForcedUnmount { get; set; }

    /// <summary>
    /// Simulated f_type (vfc_typenum) values. Real kernels assign them at VFS registration; these are
    /// fixed stand-ins (not taken from a running system).
    /// </summary>
    private static uint TypeNum(string fs) => fs switch
    {
        "zfs" => 0xde, "devfs" => 0x71, "nullfs" => 0x29, "tmpfs" => 0x87, "fdescfs" => 0x59,
        "procfs" => 0x02, "linprocfs" => 0x8e, "linsysfs" => 0x8f, _ => 0x01,
    };

    private void BootMounts()
    {
        var root = NewMount("zfs", "/", "zroot/ROOT/default", MountFlags.Local | MountFlags.RootFs | MountFlags.Nfs4Acls | MountFlags.NoAtime, -1, 0);
        root.StatFlags = root.Flags & VisFlagMask;
        _mounts.Add(root);
        var dev = NewMount("devfs", "/dev", "devfs", MountFlags.Local, root.Id, 0);
        dev.StatFlags = 0;
        dev.Nodes = NewDevfsNodes();
        _mounts.Add(dev);
    }

    private SimMount NewMount(string fs, string on, string from, ulong flags, int covered, uint owner)
    {
        var mp = new SimMount
        {
            Id = _nextMountId++,
            FsType = fs,
            On = on,
            From = from,
            Flags = flags,
            TypeNum = TypeNum(fs),
            Owner = owner,
            CoveredId = covered,
        };
        GetNewFsId(mp);
        return mp;
    }

    /// <summary>vfs_getnewfsid: val[0] = makedev(255, mtype | base bits), val[1] = mtype, unique among mounts.</summary>
    private void GetNewFsId(SimMount mp)
    {
        uint mtype = mp.TypeNum;
        while (true)
        {
            uint y = mtype | ((uint)(_mntIdBase & 0xff00) << 8) | (uint)(_mntIdBase & 0xff);
            _mntIdBase++;
            // makedev(x, y) with x = 255 (sys/sys/types.h), truncated to the int32 of fsid_t.val[0].
            int v0 = unchecked((int)(((255u & 0xff) << 8) | (y & 0xffff00ff)));
            if (!_mounts.Any(m => m.FsId0 == v0 && m.FsId1 == (int)mtype))
            {
                mp.FsId0 = v0;
                mp.FsId1 = (int)mtype;
                return;
            }
        }
    }

    private bool IsMountRoot(string globalPath) => _mounts.Any(m => m.On == globalPath);

    /// <summary>The topmost mount whose root is at <paramref name="globalPath"/>, if any.</summary>
    private SimMount? TopMountAt(string globalPath)
    {
        for (int i = _mounts.Count - 1; i >= 0; i--)
            if (_mounts[i].On == globalPath) return _mounts[i];
        return null;
    }

    /// <summary>The mount a vnode at <paramref name="globalPath"/> belongs to: the topmost mount with the longest covering prefix.</summary>
    private SimMount ContainingMount(string globalPath)
    {
        SimMount? best = null;
        foreach (var m in _mounts)
        {
            bool covers = m.On == "/" || globalPath == m.On || globalPath.StartsWith(m.On + "/", StringComparison.Ordinal);
            if (covers && (best is null || m.On.Length >= best.On.Length)) best = m;
        }
        return best!;
    }

    private SimMount? MountById(int id) => _mounts.FirstOrDefault(m => m.Id == id);

    private int LookupPath(string path, out string global, out bool isDir)
        => SimPathLookup.Lookup(_options.RootDirectory, path, IsMountRoot, out global, out isDir);

    /// <summary>Mounts in mount-list order (what getfsstat returns to an unjailed root caller).</summary>
    public IReadOnlyList<SimulatedMountInfo> Mounts
    {
        get
        {
            lock (_lock)
                return _mounts.Select(m => new SimulatedMountInfo(m.FsType, m.On, m.From, m.Flags, m.Ruleset, m.Busy)).ToArray();
        }
    }

    /// <summary>
    /// Test seam: marks the topmost mount on <paramref name="mountPoint"/> (a global path) as having
    /// <paramref name="busyCount"/> vnodes in use below its root (a process's cwd or open files), so
    /// unmount without MNT_FORCE fails with EBUSY as vflush would.
    /// </summary>
    public void SetMountBusy(string mountPoint, int busyCount)
    {
        ArgumentNullException.ThrowIfNull(mountPoint);
        if (busyCount < 0) throw new ArgumentOutOfRangeException(nameof(busyCount));
        lock (_lock)
        {
            var mp = TopMountAt(SimPathLookup.Normalize(mountPoint))
                ?? throw new ArgumentException("Nothing is mounted on " + mountPoint + ".", nameof(mountPoint));
            mp.Busy = busyCount;
            Touch();
        }
    }

    // ------------------------------------------------------------------ nmount

    /// <inheritdoc />
    public int Nmount(IoVec* iov, uint niov, int flags)
    {
        lock (_lock)
        {
            var fault = Enter("nmount");
            if (fault is not null) return FireIovFault(fault, iov, niov);
            // sys_nmount: the int flags widen to uint64_t (sign-extended), MNT_ROOTFS is filtered out.
            ulong fsflags = unchecked((ulong)(long)flags) & ~MountFlags.RootFs;
            if ((niov & 1) != 0 || niov < 4) return Fail(Errno.EINVAL);
            int e = VfsOptList.CopyInUio(iov, niov);
            if (e != 0) return Fail(e);
            e = VfsOptList.Build(iov, niov, out var opts);
            if (e != 0) return Fail(e);
            e = DoNmount(opts, fsflags);
            opts.CopyOutErrmsg(iov);
            if (e != 0) return Fail(e);
            Touch();
            return 0;
        }
    }

    /// <summary>vfs_donmount.</summary>
    private int DoNmount(VfsOptList opts, ulong fsflags)
    {
        if (opts.GetOpt("fstype", out var tv, out int tlen) != 0 || tlen <= 0 || tv![tlen - 1] != 0)
        {
            opts.OptError("Invalid fstype");
            return Errno.EINVAL;
        }
        if (opts.GetOpt("fspath", out var pv, out int plen) != 0 || plen <= 0 || pv![plen - 1] != 0)
        {
            opts.OptError("Invalid fspath");
            return Errno.EINVAL;
        }

        foreach (var opt in opts.Items.ToList())
        {
            bool free = false;
            switch (opt.Name)
            {
                case "update": fsflags |= MountFlags.Update; free = true; break;
                case "async": fsflags |= MountFlags.Async; break;
                case "force": fsflags |= MountFlags.Force; free = true; break;
                case "reload": fsflags |= MountFlags.Reload; free = true; break;
                case "multilabel": fsflags |= MountFlags.MultiLabel; break;
                case "noasync": fsflags &= ~MountFlags.Async; break;
                case "noatime": fsflags |= MountFlags.NoAtime; break;
                case "atime": opt.Name = "nonoatime"; break;
                case "noclusterr": fsflags |= MountFlags.NoClusterR; break;
                case "clusterr": opt.Name = "nonoclusterr"; break;
                case "noclusterw": fsflags |= MountFlags.NoClusterW; break;
                case "clusterw": opt.Name = "nonoclusterw"; break;
                case "noexec": fsflags |= MountFlags.NoExec; break;
                case "exec": opt.Name = "nonoexec"; break;
                case "nosuid": fsflags |= MountFlags.NoSuid; break;
                case "suid": opt.Name = "nonosuid"; break;
                case "nosymfollow": fsflags |= MountFlags.NoSymFollow; break;
                case "symfollow": opt.Name = "nonosymfollow"; break;
                case "noro": fsflags &= ~MountFlags.ReadOnly; break;
                case "rw": fsflags &= ~MountFlags.ReadOnly; break;
                case "ro": fsflags |= MountFlags.ReadOnly; break;
                case "rdonly": opt.Name = "ro"; fsflags |= MountFlags.ReadOnly; break;
                case "autoro": free = true; break;
                case "suiddir": fsflags |= MountFlags.SuidDir; break;
                case "sync": fsflags |= MountFlags.Synchronous; break;
                case "union": fsflags |= MountFlags.Union; break;
                case "export": fsflags |= MountFlags.Exported; break;
                case "automounted": fsflags |= MountFlags.AutoMounted; free = true; break;
                case "nocover": fsflags |= MountFlags.NoCover; free = true; break;
                case "cover": fsflags &= ~MountFlags.NoCover; free = true; break;
                case "emptydir": fsflags |= MountFlags.EmptyDir; free = true; break;
                case "noemptydir": fsflags &= ~MountFlags.EmptyDir; free = true; break;
            }
            if (free) opts.Items.Remove(opt);
        }

        if (tlen > MountLimits.MfsNameLen || plen > MountLimits.MNameLen)
            return Errno.ENAMETOOLONG;

        int e = DoMount(opts, SimDefs.CString(tv), SimDefs.CString(pv), fsflags);
        if (e == Errno.ENODEV)
        {
            opts.OptError("Invalid fstype");
            return Errno.EINVAL;
        }
        return e;
    }

    /// <summary>vfs_domount.</summary>
    private int DoMount(VfsOptList opts, string fstype, string fspath, ulong fsflags)
    {
        if (fstype.Length >= MountLimits.MfsNameLen || fspath.Length >= MountLimits.MNameLen)
            return Errno.ENAMETOOLONG;
        // usermount is 0: PRIV_VFS_MOUNT (and the export/suiddir privileges) need root.
        if (CallerUid != 0)
            return Errno.EPERM;
        if ((fsflags & MountFlags.Update) == 0 && !MountableFileSystems.Contains(fstype))
            return Errno.ENODEV; // vfs_byname_kld found no such VFS (kldload failed)

        int e = LookupPath(fspath, out string global, out bool isDir);
        if (e != 0) return e;
        var top = TopMountAt(global);
        if ((fsflags & MountFlags.Update) != 0)
            return DoMountUpdate(opts, top, fsflags);
        if (top is not null && (fsflags & MountFlags.NoCover) != 0)
            return Errno.EBUSY;
        return DoMountFirst(opts, fstype, global, isDir, top, fsflags);
    }

    /// <summary>vfs_domount_first followed by the file system's VFS_MOUNT and VFS_STATFS.</summary>
    private int DoMountFirst(VfsOptList opts, string fstype, string global, bool isDir, SimMount? top, ulong fsflags)
    {
        if (!isDir) return Errno.ENOTDIR;
        if ((fsflags & MountFlags.EmptyDir) != 0 && !IsEmptyDirectory(global, top))
            return Errno.ENOTEMPTY;

        var covered = top ?? ContainingMount(global);
        var mp = new SimMount
        {
            FsType = fstype,
            On = global,
            Flags = fsflags & (UpdateMask | MountFlags.RootFs | MountFlags.ReadOnly | MountFlags.Force),
            TypeNum = TypeNum(fstype),
            Owner = CallerUid,
            CoveredId = covered.Id,
        };
        int e = fstype switch
        {
            "devfs" => DevfsMount(opts, mp),
            "tmpfs" => TmpfsMount(opts, mp),
            "nullfs" => NullfsMount(opts, mp),
            "fdescfs" => SimpleMount(mp, "fdescfs", local: false),
            _ => SimpleMount(mp, fstype, local: true), // pseudofs: procfs, linprocfs, linsysfs
        };
        if (e != 0)
        {
            if (mp.FsType == "devfs" && mp.Ruleset != 0) RulesetUse(0, mp); // devfs_rules_cleanup on the failed mount
            return e;
        }
        mp.Flags &= ~MountFlags.Force;
        mp.Id = _nextMountId++;
        GetNewFsId(mp);
        if (mp.FsType != "devfs" && mp.FsType != "nullfs")
            mp.StatFlags = mp.Flags & VisFlagMask;
        _mounts.Add(mp);
        if (mp.FsType == "devfs")
            ProvideDevfsDirectories(mp);
        return 0;
    }

    /// <summary>
    /// A devfs mount has directory nodes (fd, pts, ...: devfs creates dev/fd with fd/0-2), and code
    /// that walks the real namespace finds them there; the simulated host's lookups walk the sandbox,
    /// which stays the lower directory under a mount. So the directory nodes the mount shows (not
    /// hidden by its ruleset) that the sandbox lacks are created there, and removed again, when still
    /// empty, at unmount: fdescfs can then be mounted on dev/fd as on FreeBSD, without creating it by hand.
    /// </summary>
    private void ProvideDevfsDirectories(SimMount mp)
    {
        if (_options.RootDirectory is null || mp.Nodes is null) return;
        foreach (var e in s_devices)
        {
            if (e.Kind != DirentDir || e.Path.Contains('/') || mp.Nodes[e.Path].Hidden) continue;
            string local = Path.Combine(_options.RootDirectory, mp.On.TrimStart('/'), e.Path);
            try
            {
                if (Directory.Exists(local) || File.Exists(local) || !Directory.Exists(Path.GetDirectoryName(local))) continue;
                Directory.CreateDirectory(local);
                (mp.StandInDirectories ??= new List<string>()).Add(e.Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The sandbox refuses: the node is then missing for lookups, as before.
            }
        }
    }

    /// <summary>Removes the stand-in directories of a devfs mount that is going away (only those still empty).</summary>
    private void RemoveDevfsDirectories(SimMount mp)
    {
        if (_options.RootDirectory is null || mp.StandInDirectories is null) return;
        foreach (string rel in mp.StandInDirectories)
        {
            string local = Path.Combine(_options.RootDirectory, mp.On.TrimStart('/'), rel);
            try
            {
                if (Directory.Exists(local) && !Directory.EnumerateFileSystemEntries(local).Any())
                    Directory.Delete(local);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left in the sandbox; it does not change what the kernel model reports.
            }
        }
        mp.StandInDirectories = null;
    }

    private bool IsEmptyDirectory(string global, SimMount? top)
    {
        if (top is not null)
        {
            switch (top.FsType)
            {
                case "tmpfs": return true;
                case "nullfs": global = top.From; break;
                default: return false; // devfs, fdescfs and the pseudofs roots always have entries
            }
        }
        if (_options.RootDirectory is null) return true;
        string local = Path.Combine(_options.RootDirectory, global.TrimStart('/'));
        return !Directory.Exists(local) || !Directory.EnumerateFileSystemEntries(local).Any();
    }

    /// <summary>vfs_filteropt: every option must be global or in <paramref name="legal"/> ("no" prefix allowed).</summary>
    private static int FilterOpt(VfsOptList opts, string[] legal)
    {
        string? msg = null;
        foreach (var opt in opts.Items)
        {
            string p = opt.Name;
            string? q = p.StartsWith("no", StringComparison.Ordinal) ? p.Substring(2) : null;
            bool ok = s_globalOpts.Any(t => t == p || t == q) || legal.Any(t => t == p || t == q);
            if (!ok) msg = "mount option <" + p + "> is unknown";
        }
        if (msg is null) return 0;
        opts.OptError(msg);
        return Errno.EINVAL;
    }

    /// <summary>vfs_scanopt(opts, name, "%d"): sscanf of a NUL-terminated value; false when absent or no number.</summary>
    private static bool ScanInt(VfsOptList opts, string name, out long value, out bool present)
    {
        value = 0;
        present = opts.GetOpt(name, out var v, out int len) == 0;
        if (!present || len == 0 || v![len - 1] != 0) return false;
        string s = SimDefs.CString(v);
        int i = 0;
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        bool neg = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
        int start = i;
        long n = 0;
        while (i < s.Length && s[i] >= '0' && s[i] <= '9')
        {
            n = Math.Min(n * 10 + (s[i] - '0'), 1L << 40);
            i++;
        }
        if (i == start) return false;
        value = neg ? -n : n;
        return true;
    }

    /// <summary>devfs_mount (sys/fs/devfs/devfs_vfsops.c), first mount.</summary>
    private int DevfsMount(VfsOptList opts, SimMount mp)
    {
        long rsnum = 0;
        int e = FilterOpt(opts, s_devfsOpts);
        if (e != 0) return e;
        if (opts.FlagOpt("export")) return Errno.EOPNOTSUPP;
        if (opts.GetOpt("ruleset", out _, out _) == 0)
        {
            if (!ScanInt(opts, "ruleset", out rsnum, out _) || rsnum < 0 || rsnum > 65535)
            {
                opts.OptError("invalid ruleset specification");
                return Errno.EINVAL;
            }
            opts.GetOpt("ruleset", out var rv, out _);
            mp.RulesetOpt = SimDefs.CString(rv!);
        }
        mp.Flags |= MountFlags.Local;
        mp.From = "devfs";
        mp.StatFlags = 0; // devfs_statfs reports no flags
        mp.Nodes = NewDevfsNodes();
        if (rsnum != 0)
        {
            // devfs_ruleset_set; the nodes are populated afterwards and each gets the ruleset applied.
            RulesetUse((ushort)rsnum, mp);
            RulesetApplyToMount(mp.Ruleset, mp);
        }
        return 0;
    }

    /// <summary>vfs_getopt_size: a number (strtoq base 0) with an optional k/m/g/t/p/e suffix.</summary>
    private static int GetOptSize(VfsOptList opts, string name, out long value)
    {
        value = 0;
        int e = opts.GetOpt(name, out var v, out int len);
        if (e != 0) return e;
        if (len == 0 || v is null || v[0] == 0 || v[len - 1] != 0) return Errno.EINVAL;
        string s = SimDefs.CString(v);
        int i = 0;
        bool neg = false;
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
        int radix = 10;
        if (i + 1 < s.Length && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) { radix = 16; i += 2; }
        else if (i < s.Length && s[i] == '0') radix = 8;
        int start = i;
        long n = 0;
        while (i < s.Length)
        {
            int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0'
                : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                : s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : 99;
            if (d >= radix) break;
            n = n > (long.MaxValue - d) / radix ? long.MaxValue : n * radix + d;
            i++;
        }
        if (i == start && radix != 8) return Errno.EINVAL;
        if (neg) n = -n;
        string rest = s.Substring(i);
        if (rest.Length > 1) return Errno.EINVAL;
        if (n < 0) return Errno.EINVAL;
        int shifts = rest.Length == 0 ? 0 : char.ToLowerInvariant(rest[0]) switch
        {
            'k' => 1, 'm' => 2, 'g' => 3, 't' => 4, 'p' => 5, 'e' => 6, _ => -1,
        };
        if (shifts < 0) return Errno.EINVAL;
        for (int k = 0; k < shifts; k++) n = unchecked(n * 1024);
        value = n;
        return 0;
    }

    /// <summary>tmpfs_mount (sys/fs/tmpfs/tmpfs_vfsops.c), first mount.</summary>
    private int TmpfsMount(VfsOptList opts, SimMount mp)
    {
        int e = FilterOpt(opts, s_tmpfsOpts);
        if (e != 0) return e;
        // uid/gid/mode are honoured only for a real uid of 0; a bad mode falls back to the covered directory's.
        if (CallerUid == 0 && opts.GetOpt("mode", out var mv, out int mlen) == 0 && mlen > 0 && mv![mlen - 1] == 0)
        {
            string s = SimDefs.CString(mv).TrimStart();
            int i = 0;
            int m = 0;
            while (i < s.Length && s[i] >= '0' && s[i] <= '7') { m = (m * 8 + (s[i] - '0')) & 0xffff; i++; }
            if (i > 0) mp.TmpfsMode = m;
        }
        // An unparsable size is silently "no limit", as tmpfs_mount does.
        if (GetOptSize(opts, "size", out long size) != 0) size = 0;
        if (size > 0 && size <= long.MaxValue - 4096) size = (size + 4095) / 4096 * 4096; // roundup(size_max, PAGE_SIZE)
        mp.TmpfsSize = size;
        mp.Flags |= MountFlags.Local;
        mp.From = "tmpfs";
        return 0;
    }

    /// <summary>nullfs_mount (sys/fs/nullfs/null_vfsops.c), first mount.</summary>
    private int NullfsMount(VfsOptList opts, SimMount mp)
    {
        int e = opts.GetOpt("from", out var tv, out int tlen);
        if (e != 0) e = opts.GetOpt("target", out tv, out tlen);
        if (e != 0 || tlen == 0 || tv is null || tv[tlen - 1] != 0) return Errno.EINVAL;
        string target = SimDefs.CString(tv);
        e = LookupPath(target, out string lowerPath, out _);
        if (e != 0) return e;
        var lower = TopMountAt(lowerPath) ?? ContainingMount(lowerPath);
        // Mounting over a nullfs mount of the same lower vnode would lock against itself.
        var coveredMount = MountById(mp.CoveredId);
        if (coveredMount is not null && coveredMount.FsType == "nullfs" && coveredMount.On == mp.On && coveredMount.From == lowerPath)
            return Errno.EDEADLK;
        mp.LowerId = lower.Id;
        if ((lower.Flags & MountFlags.Local) != 0) mp.Flags |= MountFlags.Local;
        mp.From = target;
        // nullfs_statfs: own visibility flags merged with the lower file system's.
        ulong own = mp.Flags & (MountFlags.ReadOnly | MountFlags.NoExec | MountFlags.NoSuid | MountFlags.Union
            | MountFlags.NoSymFollow | MountFlags.AutoMounted | MountFlags.Exported | MountFlags.Ignore);
        mp.StatFlags = own | (lower.StatFlags & ~(MountFlags.RootFs | MountFlags.AutoMounted));
        return 0;
    }

    private static int SimpleMount(SimMount mp, string from, bool local)
    {
        if (local) mp.Flags |= MountFlags.Local;
        mp.From = from;
        return 0;
    }

    /// <summary>vfs_domount_update with the file system's update handling.</summary>
    private int DoMountUpdate(VfsOptList opts, SimMount? mp, ulong fsflags)
    {
        if (mp is null)
            return opts.GetOpt("export", out _, out _) == 0 ? Errno.EXDEV : Errno.EINVAL;
        if ((fsflags & MountFlags.Reload) != 0 && (mp.Flags & MountFlags.ReadOnly) == 0)
            return Errno.EOPNOTSUPP;
        ulong saved = mp.Flags;
        mp.Flags &= ~UpdateMask;
        mp.Flags |= fsflags & (MountFlags.Reload | MountFlags.Force | MountFlags.Update | MountFlags.Snapshot
            | MountFlags.RootFs | UpdateMask | MountFlags.ReadOnly);
        int e;
        switch (mp.FsType)
        {
            case "devfs":
                // vfs_mergeopts: the mount's previous "ruleset" option is still in the list unless replaced.
                e = FilterOpt(opts, s_devfsOpts);
                if (e != 0) break;
                if (opts.FlagOpt("export")) { e = Errno.EOPNOTSUPP; break; }
                long rsnum = 0;
                string? rsText = null;
                if (opts.GetOpt("ruleset", out var rv, out _) == 0)
                {
                    if (!ScanInt(opts, "ruleset", out rsnum, out _) || rsnum < 0 || rsnum > 65535)
                    {
                        opts.OptError("invalid ruleset specification");
                        e = Errno.EINVAL;
                        break;
                    }
                    rsText = SimDefs.CString(rv!);
                }
                else if (mp.RulesetOpt is not null)
                {
                    rsText = mp.RulesetOpt;
                    long.TryParse(rsText.Trim(), out rsnum);
                }
                if (rsnum != 0)
                {
                    RulesetUse((ushort)rsnum, mp);
                    RulesetApplyToMount(mp.Ruleset, mp);
                }
                mp.RulesetOpt = rsText;
                e = 0;
                break;
            case "tmpfs":
                // tmpfs_mount with MNT_UPDATE: only tmpfs_updateopts, and no resizing.
                e = FilterOpt(opts, s_tmpfsOpts);
                if (e != 0) break;
                if (FilterOpt(opts, s_tmpfsUpdateOpts) != 0) { e = Errno.EOPNOTSUPP; break; }
                if (GetOptSize(opts, "size", out long newSize) == 0 && newSize != mp.TmpfsSize) { e = Errno.EOPNOTSUPP; break; }
                break;
            default:
                // nullfs supports update only for NFS export; fdescfs and pseudofs refuse updates.
                e = mp.FsType == "nullfs" && opts.FlagOpt("export") ? 0 : Errno.EOPNOTSUPP;
                break;
        }
        mp.Flags &= ~(MountFlags.Update | MountFlags.Reload | MountFlags.Force | MountFlags.Snapshot);
        if (e != 0)
        {
            mp.Flags = saved;
            return e;
        }
        if (mp.FsType == "nullfs")
        {
            var lower = MountById(mp.LowerId);
            ulong own = mp.Flags & (MountFlags.ReadOnly | MountFlags.NoExec | MountFlags.NoSuid | MountFlags.Union
                | MountFlags.NoSymFollow | MountFlags.AutoMounted | MountFlags.Exported | MountFlags.Ignore);
            mp.StatFlags = own | ((lower?.StatFlags ?? 0) & ~(MountFlags.RootFs | MountFlags.AutoMounted));
        }
        else if (mp.FsType != "devfs")
            mp.StatFlags = mp.Flags & VisFlagMask;
        return 0;
    }

    // ------------------------------------------------------------------ unmount

    /// <summary>copyinstr with a MAXPATHLEN/MNAMELEN buffer.</summary>
    private static int CopyInStr(byte* p, int max, out string s)
    {
        s = "";
        if (p == null) return Errno.EFAULT;
        int n = 0;
        while (n < max && p[n] != 0) n++;
        if (n == max) return Errno.ENAMETOOLONG;
        s = SimDefs.Bytes.GetString(p, n);
        return 0;
    }

    /// <inheritdoc />
    public int Unmount(byte* path, int flags)
    {
        lock (_lock)
        {
            var fault = Enter("unmount");
            if (fault is not null) return Fail(fault.Errno);
            if (CallerUid != 0) return Fail(Errno.EPERM);
            ulong f = unchecked((ulong)(uint)flags);
            int e = CopyInStr(path, MountLimits.MNameLen, out string pathbuf);
            if (e != 0) return Fail(e);
            SimMount? mp = null;
            if ((f & MountFlags.ByFsId) != 0)
            {
                if (!ParseFsId(pathbuf, out int v0, out int v1)) return Fail(Errno.EINVAL);
                mp = _mounts.FirstOrDefault(m => m.FsId0 == v0 && m.FsId1 == v1);
                if (mp is null) return Fail(Errno.ENOENT);
            }
            else
            {
                // The global path if the lookup succeeds; otherwise the string as given.
                if (LookupPath(pathbuf, out string global, out _) == 0) pathbuf = global;
                mp = TopMountAt(pathbuf);
                if (mp is null) return Fail(Errno.EINVAL);
            }
            if ((mp.Flags & MountFlags.RootFs) != 0) return Fail(Errno.EINVAL);
            e = DoUnmount(mp, f);
            if (e != 0) return Fail(e);
            Touch();
            return 0;
        }
    }

    /// <summary>sscanf(buf, "FSID:%d:%d").</summary>
    private static bool ParseFsId(string s, out int v0, out int v1)
    {
        v0 = v1 = 0;
        if (!s.StartsWith("FSID:", StringComparison.Ordinal)) return false;
        int i = 5;
        if (!ScanD(s, ref i, out v0)) return false;
        if (i >= s.Length || s[i] != ':') return false;
        i++;
        return ScanD(s, ref i, out v1);
    }

    private static bool ScanD(string s, ref int i, out int v)
    {
        v = 0;
        while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
        bool neg = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
        int start = i;
        long n = 0;
        while (i < s.Length && s[i] >= '0' && s[i] <= '9') { n = unchecked(n * 10 + (s[i] - '0')); i++; }
        if (i == start) return false;
        v = unchecked((int)(neg ? -n : n));
        return true;
    }

    /// <summary>dounmount and the file system's VFS_UNMOUNT (vflush).</summary>
    private int DoUnmount(SimMount mp, ulong flags)
    {
        bool force = (flags & MountFlags.Force) != 0;
        // Stacked (upper) mounts registered on this one: EBUSY unless a recursive forced unmount.
        var uppers = _mounts.Where(m => m.LowerId == mp.Id).ToList();
        if (uppers.Count > 0)
        {
            if (!(force && RecursiveForcedUnmount)) return Errno.EBUSY;
            foreach (var u in uppers.AsEnumerable().Reverse())
            {
                int ue = DoUnmount(u, flags);
                if (ue != 0) return ue;
            }
        }
        // A file system mounted on a vnode of this one holds that vnode: vflush reports it busy.
        if (_mounts.Any(m => m.CoveredId == mp.Id)) return Errno.EBUSY;
        if ((flags & MountFlags.NonBusy) != 0 && mp.Busy > 0) return Errno.EBUSY;
        bool openRoot = _fds.Values.Any(d => d.MountId == mp.Id && !d.Dead);
        if (!force && (mp.Busy > 0 || openRoot)) return Errno.EBUSY;
        foreach (var d in _fds.Values)
            if (d.MountId == mp.Id) d.Dead = true;
        if (mp.FsType == "devfs" && mp.Ruleset != 0) RulesetUse(0, mp); // devfs_rules_cleanup
        _mounts.Remove(mp);
        RemoveDevfsDirectories(mp);
        return 0;
    }

    // ------------------------------------------------------------------ getfsstat

    /// <inheritdoc />
    public int GetFsStat(StatFs* buf, long bufsize, int mode)
    {
        lock (_lock)
        {
            var fault = Enter("getfsstat");
            if (fault is not null) return Fail(fault.Errno);
            if (bufsize < 0) return Fail(Errno.EINVAL);
            if (mode != FsStatMode.Wait && mode != FsStatMode.NoWait) return Fail(Errno.EINVAL);
            long maxcount = bufsize / sizeof(StatFs);
            bool copy = bufsize != 0;
            if (copy && buf == null && maxcount > 0 && _mounts.Count > 0) return Fail(Errno.EFAULT);
            int count = 0;
            foreach (var mp in _mounts)
            {
                if (copy && count < maxcount)
                    FillStatFs(mp, buf + count);
                count++;
            }
            return copy && count > maxcount ? (int)maxcount : count;
        }
    }

    private void FillStatFs(SimMount mp, StatFs* sp)
    {
        *sp = default;
        sp->Version = MountLimits.StatFsVersion;
        sp->Type = mp.TypeNum;
        sp->Flags = mp.StatFlags;
        sp->NameMax = SimDefs.NameMax;
        sp->Owner = mp.Owner;
        switch (mp.FsType)
        {
            case "devfs":
            case "fdescfs":
                sp->BSize = 512; sp->IoSize = 512; sp->Blocks = 2; // DEV_BSIZE, "1K to keep df happy"
                break;
            case "tmpfs":
                sp->BSize = 4096; sp->IoSize = 4096;
                sp->Blocks = mp.TmpfsSize > 0 ? (ulong)(mp.TmpfsSize / 4096) : 4194304UL;
                sp->BFree = sp->Blocks; sp->BAvail = (long)sp->Blocks;
                break;
            case "zfs":
            case "nullfs":
                sp->BSize = 4096; sp->IoSize = 131072; sp->Blocks = 26214400; sp->BFree = 20971520;
                sp->BAvail = 20971520; sp->Files = 41943040; sp->FFree = 41000000;
                break;
            default:
                sp->BSize = 4096; sp->IoSize = 4096; sp->Blocks = 1;
                break;
        }
        // PRIV_VFS_GENERATION: an unprivileged caller sees a zero fsid.
        if (CallerUid == 0)
        {
            sp->FsId[0] = mp.FsId0;
            sp->FsId[1] = mp.FsId1;
        }
        PutCString(sp->FsTypeName, MountLimits.MfsNameLen, mp.FsType);
        PutCString(sp->MntFromName, MountLimits.MNameLen, mp.From);
        PutCString(sp->MntOnName, MountLimits.MNameLen, mp.On);
    }

    private static void PutCString(byte* dst, int size, string s)
    {
        byte[] b = SimDefs.Bytes.GetBytes(s);
        int n = Math.Min(b.Length, size - 1);
        for (int i = 0; i < n; i++) dst[i] = b[i];
        dst[n] = 0;
    }
}
