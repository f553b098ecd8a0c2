using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using JailPS.Core.Simulation;

namespace JailPS.Core.Host;

/// <summary>
/// The simulated host's /sbin/zfs, over the kernel model's pool (SimulatedKernel.Zfs): list, get,
/// create, snapshot, clone, destroy, rollback, set, jail and unjail, in the forms JailPS and an
/// admin's runbook use. A mounted dataset's files are the sandbox directory at its mountpoint; a
/// snapshot keeps a copy of them beneath the state directory, and a clone starts as a copy of its
/// snapshot. Messages and exit statuses follow zfs(8) (1 for a failed command, 2 for a usage
/// error). Everything happens inside the simulated host's directory; no link is followed.
/// </summary>
internal static class SimulatedZfs
{
    /// <summary>What the model's pool says it has free, in bytes (20 GiB).</summary>
    private const long PoolSize = 20L << 30;

    public static (int Exit, string Out, string Err) Run(SimulatedHost host, IReadOnlyList<string> argv)
    {
        if (argv.Count < 2) return Usage("missing command");
        var args = argv.Skip(2).ToList();
        try
        {
            return argv[1] switch
            {
                "list" => List(host, args),
                "get" => Get(host, args),
                "create" => Change(host, args, Create),
                "snapshot" or "snap" => Change(host, args, Snapshot),
                "clone" => Change(host, args, Clone),
                "destroy" => Change(host, args, Destroy),
                "rollback" => Change(host, args, Rollback),
                "set" => Change(host, args, Set),
                "jail" => Change(host, args, (h, p, a) => Jail(h, p, a, attach: true)),
                "unjail" => Change(host, args, (h, p, a) => Jail(h, p, a, attach: false)),
                _ => (2, "", $"unrecognized command '{argv[1]}'\nthe simulated host models zfs list, get, create, snapshot, clone, destroy, rollback, set, jail and unjail\n"),
            };
        }
        catch (IOException ex)
        {
            return (1, "", $"internal error: {ex.Message}\n");
        }
    }

    private sealed class Failure : Exception
    {
        public int Exit { get; }
        public Failure(string message, int exit = 1) : base(message) => Exit = exit;
    }

    private static (int, string, string) Usage(string why) => (2, "", why + "\n");

    private delegate string ChangeOp(SimulatedHost host, List<SimulatedZfsDataset> pool, List<string> args);

    /// <summary>Runs a change under the kernel's lock; the file side happens inside it too.</summary>
    private static (int, string, string) Change(SimulatedHost host, List<string> args, ChangeOp op)
        => host.Transact(k => k.ZfsChange(pool =>
        {
            try
            {
                return ((0, op(host, pool, args), ""), true);
            }
            catch (Failure f)
            {
                return ((f.Exit, "", f.Message.TrimEnd('\n') + "\n"), true);
            }
        }));

    // ------------------------------------------------------------------ options

    private static (HashSet<char> Flags, List<(char Flag, string Value)> Values, List<string> Operands) Options(List<string> args, string flags, string valued)
    {
        var set = new HashSet<char>();
        var values = new List<(char, string)>();
        int i = 0;
        for (; i < args.Count && args[i].Length > 1 && args[i][0] == '-'; i++)
        {
            if (args[i] == "--") { i++; break; }
            for (int c = 1; c < args[i].Length; c++)
            {
                char f = args[i][c];
                if (valued.Contains(f))
                {
                    string v = c + 1 < args[i].Length ? args[i][(c + 1)..] : i + 1 < args.Count ? args[++i] : throw new Failure($"missing argument for '{f}' option", 2);
                    values.Add((f, v));
                    break;
                }
                if (!flags.Contains(f)) throw new Failure($"invalid option '{f}'", 2);
                set.Add(f);
            }
        }
        return (set, values, args.Skip(i).ToList());
    }

    // ------------------------------------------------------------------ names and properties

    private static SimulatedZfsDataset? Find(List<SimulatedZfsDataset> pool, string name) => pool.FirstOrDefault(d => d.Name == name);

    private static SimulatedZfsDataset Open(List<SimulatedZfsDataset> pool, string name)
        => Find(pool, name) ?? throw new Failure($"cannot open '{name}': dataset does not exist");

    private static string? Parent(string name)
    {
        int slash = name.LastIndexOf('/');
        return slash < 0 ? null : name[..slash];
    }

    private static void CheckName(string name, string verb, bool snapshot)
    {
        bool ok = name.Length > 0 && name.Length < 256 && !name.StartsWith('/') && !name.EndsWith('/') && !name.Contains("//", StringComparison.Ordinal)
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '/' or '@' or ' ')
            && name.Count(c => c == '@') == (snapshot ? 1 : 0) && !name.Split('/', '@').Any(p => p is "." or "..");
        if (!ok) throw new Failure($"cannot {verb} '{name}': invalid character or name");
    }

    /// <summary>The mountpoint property as zfs get shows it: the local value, or the parent's with this dataset's last part appended.</summary>
    private static string Mountpoint(List<SimulatedZfsDataset> pool, SimulatedZfsDataset d)
    {
        if (d.LocalMountpoint is not null) return d.LocalMountpoint;
        var parent = Parent(d.Name) is { } p ? Find(pool, p) : null;
        if (parent is null) return "/" + d.Name;
        string pm = Mountpoint(pool, parent);
        if (pm is "none" or "legacy") return pm;
        return HostPath.Combine(pm, d.Name[(parent.Name.Length + 1)..]);
    }

    private static bool Mountable(List<SimulatedZfsDataset> pool, SimulatedZfsDataset d)
        => d.Type == "filesystem" && d.CanMount && !d.Jailed && Mountpoint(pool, d) is not ("none" or "legacy");

    private static IEnumerable<SimulatedZfsDataset> Descendants(List<SimulatedZfsDataset> pool, string name)
        => pool.Where(d => d.Name.StartsWith(name + "/", StringComparison.Ordinal) || d.Name.StartsWith(name + "@", StringComparison.Ordinal));

    // ------------------------------------------------------------------ files

    private static RootedFileSystem Files(SimulatedHost host) => new(host.Root);

    private static string Local(SimulatedHost host, string hostPath) => Files(host).ToLocalPath(HostPath.Normalize(hostPath));

    /// <summary>Bytes of the regular files of a tree, not counting what lies across a mount point or behind a link.</summary>
    private static long TreeSize(string local, ISet<string> skip)
    {
        if (!Directory.Exists(local)) return 0;
        long total = 0;
        foreach (var e in new DirectoryInfo(local).EnumerateFileSystemInfos())
        {
            if (e.LinkTarget is not null || skip.Contains(e.FullName)) continue;
            if (e is DirectoryInfo d) total += TreeSize(d.FullName, skip);
            else total += ((FileInfo)e).Length;
        }
        return total;
    }

    /// <summary>Bytes of the files in <paramref name="clone"/> that are not the same file in <paramref name="origin"/>: what a clone holds of its own.</summary>
    private static long OwnBytes(string clone, string origin, ISet<string> skip)
    {
        if (!Directory.Exists(clone)) return 0;
        long total = 0;
        foreach (var e in new DirectoryInfo(clone).EnumerateFileSystemInfos())
        {
            if (e.LinkTarget is not null || skip.Contains(e.FullName)) continue;
            string other = Path.Combine(origin, e.Name);
            if (e is DirectoryInfo d) total += OwnBytes(d.FullName, other, skip);
            else if (!File.Exists(other) || new FileInfo(other).LinkTarget is not null || !SameBytes(e.FullName, other)) total += ((FileInfo)e).Length;
        }
        return total;
    }

    private static bool SameBytes(string a, string b)
    {
        var fa = new FileInfo(a); var fb = new FileInfo(b);
        return fa.Length == fb.Length && (fa.Length > 1 << 20 ? fa.LastWriteTimeUtc == fb.LastWriteTimeUtc : File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b)));
    }

    private static HashSet<string> MountPointsBelow(SimulatedHost host, string hostDir)
    {
        string dir = HostPath.Normalize(hostDir);
        return host.Kernel.MountPoints().Where(m => m != dir && (dir == "/" || m.StartsWith(dir + "/", StringComparison.Ordinal)))
            .Select(m => Local(host, m)).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Empties a directory without crossing a mount point or following a link.</summary>
    private static void EmptyTree(string local, ISet<string> skip)
    {
        if (!Directory.Exists(local)) return;
        foreach (var e in new DirectoryInfo(local).EnumerateFileSystemInfos())
        {
            if (skip.Contains(e.FullName)) continue;
            if (e.LinkTarget is not null || e is FileInfo) File.Delete(e.FullName);
            else if (skip.Any(s => s.StartsWith(e.FullName + "/", StringComparison.Ordinal))) EmptyTree(e.FullName, skip);
            else Directory.Delete(e.FullName, recursive: true);
        }
    }

    /// <summary>zfs mount: makes the mountpoint directory (as zfs does) and enters the dataset in the mount list.</summary>
    private static void MountIt(SimulatedHost host, List<SimulatedZfsDataset> pool, SimulatedZfsDataset d, string? contentFrom, string? flagsFrom = null)
    {
        if (!Mountable(pool, d)) return;
        // A file system that was unmounted (jailed, canmount=off, mountpoint=none) keeps its files in its store until it is mounted again.
        string? held = d.Type == "filesystem" && d.Store is not null && contentFrom is null ? d.Store : null;
        if (held is not null)
        {
            contentFrom = Path.Combine(host.StateDirectory, "zfs", held);
            flagsFrom = FlagsKey(held);
        }
        string mp = Mountpoint(pool, d);
        var files = Files(host);
        // zfs creates the mountpoint and its parents, but never through a link.
        string real = files.RealPath(mp);
        if (real != mp)
            throw new Failure($"cannot mount '{d.Name}': mountpoint {mp} leads through a symbolic link");
        files.CreateDirectory(mp);
        string local = files.ToLocalPath(mp);
        if (Directory.EnumerateFileSystemEntries(local).Any())
            throw new Failure($"cannot mount '{mp}': directory is not empty");
        if (contentFrom is not null) SimulatedFileTools.CopyTree(contentFrom, local);
        if (flagsFrom is not null) host.Kernel.CopyFlags(flagsFrom, mp);
        int e = host.Kernel.MountZfs(d.Name, mp);
        if (e != 0) throw new Failure($"cannot mount '{mp}': mountpoint or dataset is busy");
        if (held is not null)
        {
            Directory.Delete(contentFrom!, recursive: true);
            host.Kernel.ForgetAtOrBelow(flagsFrom!);
            d.Store = null;
        }
    }

    /// <summary>zfs unmount: refused while anything is mounted beneath; the files go with it (they live in the dataset) and zfs removes the mountpoint directory.</summary>
    private static void UnmountIt(SimulatedHost host, SimulatedZfsDataset d)
    {
        string? on = host.Kernel.ZfsMountedOn(d.Name);
        if (on is null) return;
        if (MountPointsBelow(host, on).Count > 0 || host.Kernel.UnmountZfs(d.Name) != 0)
            throw new Failure($"cannot unmount '{on}': pool or dataset is busy");
        string local = Local(host, on);
        EmptyTree(local, new HashSet<string>());
        host.Kernel.ForgetAtOrBelow(on);   // the files, and their flags, stay in the dataset
        try { Directory.Delete(local); } catch (IOException) { }
    }

    private static string StoreFor(SimulatedHost host, SimulatedZfsDataset snapshot)
        => Path.Combine(host.StateDirectory, "zfs", snapshot.Store!);

    /// <summary>The key under which a snapshot's (or a moving dataset's) file flags are kept in the kernel model.</summary>
    private static string FlagsKey(string store) => "zfs:" + store;

    // ------------------------------------------------------------------ commands

    private static string Create(SimulatedHost host, List<SimulatedZfsDataset> pool, List<string> args)
    {
        var (flags, values, operands) = Options(args, "pu", "o");
        if (operands.Count != 1) throw new Failure("usage: zfs create [-pu] [-o property=value] ... filesystem", 2);
        string name = operands[0];
        CheckName(name, "create", snapshot: false);
        if (Find(pool, name) is not null)
        {
            // zfs create -p of what exists is not an error (zfs_main.c: -p "do not fail if it exists").
            if (flags.Contains('p')) return "";
            throw new Failure($"cannot create '{name}': dataset already exists");
        }
        string? parent = Parent(name);
        if (parent is null) throw new Failure($"cannot create '{name}': missing dataset name");
        var made = new List<SimulatedZfsDataset>();
        if (Find(pool, parent) is null)
        {
            if (!flags.Contains('p')) throw new Failure($"cannot create '{name}': parent does not exist");
            var chain = new List<string>();
            for (string? p = parent; p is not null && Find(pool, p) is null; p = Parent(p)) chain.Insert(0, p);
            if (Find(pool, chain[0].Split('/')[0]) is null) throw new Failure($"cannot create '{name}': no such pool '{chain[0].Split('/')[0]}'");
            foreach (string p in chain) made.Add(new SimulatedZfsDataset { Name = p, Creation = Now() });
        }
        var d = new SimulatedZfsDataset { Name = name, Creation = Now() };
        foreach (var (_, kv) in values) SetProperty(d, kv, "create");
        made.Add(d);
        foreach (var m in made)
        {
            pool.Add(m);
            // zfs create keeps a dataset it could not mount, says so and fails (zfs_main.c).
            try { MountIt(host, pool, m, null); }
            catch (Failure f) { throw new Failure(f.Message.TrimEnd('\n') + "\nfilesystem successfully created, but not mounted"); }
        }
        return "";
    }

    private static void SetProperty(SimulatedZfsDataset d, string assignment, string verb)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new Failure($"missing '=' for property: {assignment}", 2);
        string prop = assignment[..eq], value = assignment[(eq + 1)..];
        switch (prop)
        {
            case "mountpoint":
                if (value is not ("none" or "legacy") && !HostPath.IsAbsolute(value))
                    throw new Failure($"cannot {verb} '{d.Name}': 'mountpoint' must be an absolute path, 'none', or 'legacy'");
                d.LocalMountpoint = value is "none" or "legacy" ? value : HostPath.Normalize(value);
                break;
            case "canmount":
                d.CanMount = value switch { "on" => true, "off" or "noauto" => false, _ => throw new Failure($"cannot {verb} '{d.Name}': 'canmount' must be one of 'on | off | noauto'") };
                break;
            case "jailed":
                d.Jailed = value switch { "on" => true, "off" => false, _ => throw new Failure($"cannot {verb} '{d.Name}': 'jailed' must be one of 'on | off'") };
                break;
            default:
                if (!prop.Contains(':')) throw new Failure($"cannot {verb} '{d.Name}': the simulated host does not model property '{prop}'");
                d.UserProperties[prop] = value;
                break;
        }
    }

    private static string Snapshot(SimulatedHost host, List<SimulatedZfsDataset> pool, List<string> args)
    {
        var (flags, _, operands) = Options(args, "r", "o");
        if (operands.Count != 1) throw new Failure("usage: zfs snapshot [-r] filesystem@snapname", 2);
        string full = operands[0];
        CheckName(full, "create snapshot", snapshot: true);
        string ds = full[..full.IndexOf('@')], snap = full[(full.IndexOf('@') + 1)..];
        var of = Open(pool, ds);
        var targets = new List<SimulatedZfsDataset> { of };
        if (flags.Contains('r')) targets.AddRange(pool.Where(d => d.Type == "filesystem" && d.Name.StartsWith(ds + "/", StringComparison.Ordinal)));
        // Atomic, as lzc_snapshot: all or none.
        foreach (var t in targets)
            if (Find(pool, t.Name + "@" + snap) is not null) throw new Failure($"cannot create snapshot '{t.Name}@{snap}': dataset already exists");
        foreach (var t in targets)
        {
            var s = new SimulatedZfsDataset { Name = t.Name + "@" + snap, Type = "snapshot", Creation = Now(), Store = Guid.NewGuid().ToString("N") };
            string? on = host.Kernel.ZfsMountedOn(t.Name);
            string store = StoreFor(host, s);
            Directory.CreateDirectory(store);
            if (on is not null)
            {
                SimulatedFileTools.CopyTree(Local(host, on), store, MountPointsBelow(host, on));
                host.Kernel.CopyFlags(on, FlagsKey(s.Store!));
            }
            pool.Add(s);
        }
        return "";
    }

    private static string Clone(SimulatedHost host, List<SimulatedZfsDataset> pool, List<string> args)
    {
        var (flags, values, operands) = Options(args, "pu", "o");
        if (operands.Count != 2) throw new Failure("usage: zfs clone [-p] [-o property=value] ... <snapshot> <filesystem|volume>", 2);
        string origin = operands[0], name = operands[1];
        if (!origin.Contains('@')) throw new Failure($"cannot open '{origin}': snapshot delimiter '@' is not expected here", 2);
        var snap = Open(pool, origin);
        CheckName(name, "create", snapshot: false);
        if (Find(pool, name) is not null) throw new Failure($"cannot create '{name}': dataset already exists");
        if (name.Split('/')[0] != origin.Split('/', '@')[0]) throw new Failure($"cannot create '{name}': source and target pools differ");
        if (Parent(name) is { } parent && Find(pool, parent) is null)
        {
            if (!flags.Contains('p')) throw new Failure($"cannot create '{name}': parent does not exist");
            Create(host, pool, new List<string> { "-p", parent });
        }
        var d = new SimulatedZfsDataset { Name = name, Origin = snap.Name, Creation = Now() };
        foreach (var (_, kv) in values) SetProperty(d, kv, "create");
        pool.Add(d);
        // As zfs create: the clone stays when it cannot be mounted (its files are then the snapshot's, kept in its store).
        try { MountIt(host, pool, d, StoreFor(host, snap), FlagsKey(snap.Store!)); }
        catch (Failure f) { throw new Failure(f.Message.TrimEnd('\n') + "\nfilesystem successfully created, but not mounted"); }
        return "";
    }

    private static string Destroy(SimulatedHost host, List<SimulatedZfsDataset> pool, List<string> args)
    {
        var (flags, _, operands) = Options(args, "rRfnpv", "");
        if (operands.Count != 1) throw new Failure("usage: zfs destroy [-fnpRrv] <filesystem|volume|snapshot>", 2);
        string name = operands[0];
        var d = Open(pool, name);
        if (d.Name is "zroot" || Parent(d.Name) is null)
            throw new Failure($"cannot destroy '{name}': operation does not apply to pools\nuse 'zfs destroy -r {name}' to destroy all datasets in the pool\nuse 'zpool destroy {name}' to destroy the pool itself");
        if (host.Kernel.ZfsMountedOn(d.Name) == "/") throw new Failure($"cannot unmount '/': pool or dataset is busy");
        var doomed = new List<SimulatedZfsDataset> { d };
        if (d.Type == "filesystem")
        {
            var below = Descendants(pool, d.Name).ToList();
            if (below.Count > 0 && !flags.Contains('r') && !flags.Contains('R'))
                throw new Failure($"cannot destroy '{name}': filesystem has children\nuse '-r' to destroy the following datasets:\n" + string.Join("\n", below.Select(b => b.Name)));
            doomed.AddRange(below);
        }
        else if (flags.Contains('r') || flags.Contains('R'))
        {
            // -r on a snapshot: the snapshots of that name in the descendant file systems go too.
            string ds = d.Name[..d.Name.IndexOf('@')], snap = d.Name[(d.Name.IndexOf('@') + 1)..];
            doomed.AddRange(pool.Where(x => x.Type == "snapshot" && x.Name.StartsWith(ds + "/", StringComparison.Ordinal) && x.Name.EndsWith("@" + snap, StringComparison.Ordinal)));
        }
        // A snapshot with clones outside what is destroyed needs -R (which takes the clones too).
        var clones = pool.Where(c => c.Origin is not null && doomed.Any(x => x.Name == c.Origin) && !doomed.Contains(c)).ToList();
        if (clones.Count > 0)
        {
            if (!flags.Contains('R'))
                throw new Failure($"cannot destroy '{(d.Type == "snapshot" ? name : clones[0].Origin)}': snapshot has dependent clones\nuse '-R' to destroy the following datasets:\n" + string.Join("\n", clones.Select(c => c.Name)));
            foreach (var c in clones) { doomed.Add(c); doomed.AddRange(Descendants(pool, c.Name).Where(x => !doomed.Contains(x))); }
        }
        if (flags.Contains('n')) return flags.Contains('v') ? string.Concat(doomed.Select(x => $"would destroy {x.Name}\n")) : "";
        // Deepest first: children unmount before their parents.
        foreach (var x in doomed.Where(x => x.Type == "filesystem").OrderByDescending(x => x.Name.Length))
            if (x.AttachedJid != 0) throw new Failure($"cannot destroy '{x.Name}': dataset is busy (attached to jail {x.AttachedJid})");
        foreach (var x in doomed.Where(x => x.Type == "filesystem").OrderByDescending(x => x.Name.Length))
            UnmountIt(host, x);
        foreach (var x in doomed)
        {
            if (x.Store is not null && Directory.Exists(StoreFor(host, x))) Directory.Delete(StoreFor(host, x), recursive: true);
            if (x.Store is not null) host.Kernel.ForgetAtOrBelow(FlagsKey(x.Store));
            pool.Remove(x);
        }
        return flags.Contains('v') ? string.Concat(doomed.Select(x => $"will destroy {x.Name}\n")) : "";
    }

    private static string Rollback(SimulatedHost host, List<SimulatedZfsDataset> pool, List<string> args)
    {
        var (flags, _, operands) = Options(args, "rRf", "");
        if (operands.Count != 1 || !operands[0].Contains('@')) throw new Failure("usage: zfs rollback [-rRf] <snapshot>", 2);
        var snap = Open(pool, operands[0]);
        string ds = snap.Name[..snap.Name.IndexOf('@')];
        var later = pool.Where(s => s.Type == "snapshot" && s.Name.StartsWith(ds + "@", StringComparison.Ordinal) && pool.IndexOf(s) > pool.IndexOf(snap)).ToList();
        if (later.Count > 0 && !flags.Contains('r') && !flags.Contains('R'))
            throw new Failure($"cannot rollback to '{snap.Name}': more recent snapshots or bookmarks exist\nuse '-r' to force deletion of the following snapshots and bookmarks:\n" + string.Join("\n", later.Select(s => s.Name)));
        var dependent = pool.Where(c => c.Origin is not null && later.Any(s => s.Name == c.Origin)).ToList();
        if (dependent.Count > 0 && !flags.Contains('R'))
            throw new Failure($"cannot rollback to '{snap.Name}': clones of previous snapshots exist\nuse '-R' to force deletion of the following clones and dependents:\n" + string.Join("\n", dependent.Select(c => c.Name)));
        foreach (var s in later)
            Destroy(host, pool, new List<string> { "-R", s.Name });
        if (host.Kernel.ZfsMountedOn(ds) is { } on)
        {
            var skip = MountPointsBelow(host, on);
            string local = Local(host, on);
            EmptyTree(local, skip);
            host.Kernel.ForgetAtOrBelow(on);
            SimulatedFileTools.CopyTree(StoreFor(host, snap), local, skip);
            host.Kernel.CopyFlags(FlagsKey(snap.Store!), on);
        }
        return "";
    }

    private static string Set(SimulatedHost host, List<SimulatedZfsDataset> pool, List<string> args)
    {
        if (args.Count < 2) throw new Failure("usage: zfs set <property=value> ... <filesystem|volume|snapshot> ...", 2);
        var d = Open(pool, args[^1]);
        if (d.Type == "snapshot") throw new Failure($"cannot set property for '{d.Name}': this property can not be modified for snapshots");
        foreach (string kv in args.Take(args.Count - 1))
        {
            bool remount = kv.StartsWith("mountpoint=", StringComparison.Ordinal) || kv.StartsWith("canmount=", StringComparison.Ordinal) || kv.StartsWith("jailed=", StringComparison.Ordinal);
            if (!remount) { SetProperty(d, kv, "set property for"); continue; }
            if (kv.StartsWith("jailed=", StringComparison.Ordinal) && d.AttachedJid != 0)
                throw new Failure($"cannot set property for '{d.Name}': dataset is used in a non-global zone");
            // The dataset and its children move: their files are kept while they are unmounted.
            var affected = new[] { d }.Concat(pool.Where(x => x.Type == "filesystem" && x.Name.StartsWith(d.Name + "/", StringComparison.Ordinal))).ToList();
            var kept = new Dictionary<SimulatedZfsDataset, string>();
            foreach (var x in affected.OrderByDescending(x => x.Name.Length))
                if (host.Kernel.ZfsMountedOn(x.Name) is { } on)
                {
                    string keepName = "moving-" + Guid.NewGuid().ToString("N");
                    string keep = Path.Combine(host.StateDirectory, "zfs", keepName);
                    SimulatedFileTools.CopyTree(Local(host, on), keep, MountPointsBelow(host, on));
                    host.Kernel.CopyFlags(on, FlagsKey(keepName));
                    kept[x] = keep;
                    UnmountIt(host, x);
                }
            SetProperty(d, kv, "set property for");
            foreach (var x in affected.OrderBy(x => x.Name.Length))
            {
                string? from = kept.GetValueOrDefault(x);
                if (from is not null && !Mountable(pool, x))
                {
                    // No longer mounted: the files stay with the dataset, in its store, for its next mount.
                    x.Store = Path.GetFileName(from);
                    continue;
                }
                string? flags = from is null ? null : FlagsKey(Path.GetFileName(from));
                MountIt(host, pool, x, from, flags);
                if (from is not null) Directory.Delete(from, recursive: true);
                if (flags is not null) host.Kernel.ForgetAtOrBelow(flags);
            }
        }
        return "";
    }

    /// <summary>zfs jail / unjail: a jailed dataset handed to a live jail (the jail then mounts it itself).</summary>
    private static string Jail(SimulatedHost host, List<SimulatedZfsDataset> pool, List<string> args, bool attach)
    {
        string verb = attach ? "jail" : "unjail";
        if (args.Count != 2) throw new Failure($"usage: zfs {verb} <jailid|jailname> <filesystem>", 2);
        int jid = host.Kernel.FindJid(args[0]);
        if (jid == 0) throw new Failure($"invalid jail id or name '{args[0]}'");
        var d = Open(pool, args[1]);
        if (d.Type != "filesystem") throw new Failure($"cannot {verb} '{d.Name}': operation not applicable to datasets of this type");
        if (!d.Jailed) throw new Failure($"cannot {verb} '{d.Name}': 'jailed' property not set");
        if (attach)
        {
            if (d.AttachedJid != 0) throw new Failure($"cannot jail '{d.Name}': dataset already exists");
            d.AttachedJid = jid;
        }
        else
        {
            if (d.AttachedJid != jid) throw new Failure($"cannot unjail '{d.Name}': no such file or directory");
            d.AttachedJid = 0;
        }
        return "";
    }

    // ------------------------------------------------------------------ reading

    private static readonly string[] s_defaultColumns = { "name", "used", "avail", "refer", "mountpoint" };

    private static (int, string, string) List(SimulatedHost host, List<string> args)
    {
        try
        {
            var (flags, values, operands) = Options(args, "Hprj", "otdsS");
            var columns = values.Where(v => v.Flag == 'o').SelectMany(v => v.Value.Split(',')).ToList();
            if (columns.Count == 0) columns = s_defaultColumns.ToList();
            var types = values.Where(v => v.Flag == 't').SelectMany(v => v.Value.Split(',')).Select(t => t switch
            {
                "fs" or "filesystem" => "filesystem", "snap" or "snapshot" => "snapshot", "all" => "all", _ => t,
            }).ToHashSet();
            if (types.Count == 0) types.Add("filesystem");
            int depth = values.Where(v => v.Flag == 'd').Select(v => int.Parse(v.Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(flags.Contains('r') ? int.MaxValue : -1).Last();
            var pool = host.Kernel.ZfsDatasets.ToList();
            var rows = new List<SimulatedZfsDataset>();
            IEnumerable<SimulatedZfsDataset> Want(IEnumerable<SimulatedZfsDataset> ds) => ds.Where(d => types.Contains("all") || types.Contains(d.Type));
            if (operands.Count == 0)
                rows.AddRange(Want(pool));
            else
                foreach (string name in operands)
                {
                    var d = Find(pool, name) ?? throw new Failure($"cannot open '{name}': dataset does not exist");
                    rows.AddRange(Want(new[] { d }));
                    // How deep below it: -r all, -d N, and a filesystem named with -t snapshot alone lists its own snapshots.
                    int limit = depth != -1 ? depth : d.Type == "filesystem" && types.SetEquals(new[] { "snapshot" }) ? 1 : 0;
                    rows.AddRange(Want(Descendants(pool, d.Name).Where(x => x.Name[d.Name.Length..].Count(c => c == '/') + (x.Type == "snapshot" ? 1 : 0) <= limit)));
                }
            rows = rows.Distinct().OrderBy(d => SortKey(d.Name, pool.FindIndex(x => x.Name == d.Name)), StringComparer.Ordinal).ToList();
            var text = new StringBuilder();
            var table = rows.Select(d => columns.Select(c => Property(host, pool, d, c, flags.Contains('p'))).ToArray()).ToList();
            if (!flags.Contains('H'))
            {
                var header = columns.Select(c => c.ToUpperInvariant() switch { "AVAILABLE" => "AVAIL", "REFERENCED" => "REFER", var u => u }).ToArray();
                var widths = columns.Select((_, i) => table.Select(r => r[i].Length).Append(header[i].Length).Max()).ToArray();
                text.Append(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))).TrimEnd()).Append('\n');
                foreach (var r in table) text.Append(string.Join("  ", r.Select((v, i) => v.PadRight(widths[i]))).TrimEnd()).Append('\n');
            }
            else
                foreach (var r in table) text.Append(string.Join("\t", r)).Append('\n');
            return (0, text.ToString(), "");
        }
        catch (Failure f)
        {
            return (f.Exit, "", f.Message + "\n");
        }
    }

    /// <summary>zfs list's order: a dataset, then its snapshots oldest first (by creation), then its children.</summary>
    private static string SortKey(string name, int position)
    {
        int at = name.IndexOf('@');
        string ds = at < 0 ? name : name[..at];
        return ds.Replace('/', '\u0001') + (at < 0 ? "" : "\u0000" + position.ToString("D9", CultureInfo.InvariantCulture));
    }

    private static (int, string, string) Get(SimulatedHost host, List<string> args)
    {
        try
        {
            var (flags, values, operands) = Options(args, "Hprj", "oset");
            if (operands.Count < 2) throw new Failure("usage: zfs get [-Hp] [-o field[,...]] <\"all\" | property[,...]> <filesystem|volume|snapshot> ...", 2);
            var fields = values.Where(v => v.Flag == 'o').SelectMany(v => v.Value.Split(',')).DefaultIfEmpty("name,property,value,source").SelectMany(f => f.Split(',')).ToList();
            var pool = host.Kernel.ZfsDatasets.ToList();
            var text = new StringBuilder();
            foreach (string name in operands.Skip(1))
            {
                var d = Find(pool, name) ?? throw new Failure($"cannot open '{name}': dataset does not exist");
                foreach (string prop in operands[0].Split(','))
                {
                    string value = Property(host, pool, d, prop, flags.Contains('p'));
                    string source = prop == "mountpoint" ? (d.LocalMountpoint is not null ? "local" : Parent(d.Name) is { } p ? "inherited from " + p : "default")
                        : d.UserProperties.ContainsKey(prop) || (prop == "jailed" && d.Jailed) || (prop == "canmount" && !d.CanMount) ? "local" : "-";
                    var cells = fields.Select(f => f switch { "name" => d.Name, "property" => prop, "value" => value, "source" => source, _ => "-" });
                    text.Append(string.Join(flags.Contains('H') ? "\t" : "  ", cells)).Append('\n');
                }
            }
            return (0, text.ToString(), "");
        }
        catch (Failure f)
        {
            return (f.Exit, "", f.Message + "\n");
        }
    }

    private static string Property(SimulatedHost host, List<SimulatedZfsDataset> pool, SimulatedZfsDataset d, string prop, bool parsable)
    {
        string Size(long bytes) => parsable ? bytes.ToString(CultureInfo.InvariantCulture) : NiceNumber(bytes);
        string? on = d.Type == "filesystem" ? host.Kernel.ZfsMountedOn(d.Name) : null;
        long Referenced()
        {
            if (d.Type == "snapshot" || (on is null && d.Store is not null)) return TreeSize(StoreFor(host, d), new HashSet<string>());
            return on is null ? 0 : TreeSize(Local(host, on), MountPointsBelow(host, on));
        }
        long Used()
        {
            if (d.Type == "snapshot") return 0;
            long own = on is null ? 0
                : d.Origin is not null && Find(pool, d.Origin) is { } origin ? OwnBytes(Local(host, on), StoreFor(host, origin), MountPointsBelow(host, on))
                : Referenced();
            // used counts the children and the snapshots too (a snapshot of unchanged data holds nothing more).
            return own + pool.Where(c => c.Type == "filesystem" && Parent(c.Name) == d.Name).Sum(c => long.Parse(Property(host, pool, c, "used", true), CultureInfo.InvariantCulture));
        }
        return prop switch
        {
            "name" => d.Name,
            "type" => d.Type,
            "used" => Size(Used()),
            "avail" or "available" => d.Type == "snapshot" ? "-" : Size(PoolSize - Math.Min(PoolSize, pool.Where(x => x.Type == "filesystem" && Parent(x.Name) is null).Sum(x => long.Parse(Property(host, pool, x, "used", true), CultureInfo.InvariantCulture)))),
            "refer" or "referenced" => Size(Referenced()),
            "mountpoint" => d.Type == "snapshot" ? "-" : Mountpoint(pool, d),
            "mounted" => d.Type == "snapshot" ? "-" : on is null ? "no" : "yes",
            "origin" => d.Origin ?? "-",
            "creation" => parsable ? d.Creation.ToString(CultureInfo.InvariantCulture) : DateTimeOffset.FromUnixTimeSeconds(d.Creation).ToLocalTime().ToString("ddd MMM d HH:mm yyyy", CultureInfo.InvariantCulture),
            "canmount" => d.Type == "snapshot" ? "-" : d.CanMount ? "on" : "off",
            "jailed" => d.Type == "snapshot" ? "-" : d.Jailed ? "on" : "off",
            "jid" => d.AttachedJid == 0 ? "-" : d.AttachedJid.ToString(CultureInfo.InvariantCulture),
            _ => d.UserProperties.TryGetValue(prop, out string? v) ? v : "-",
        };
    }

    /// <summary>zfs_nicenum: 1024-based, three significant digits (1.50M, 123K, 20G).</summary>
    private static string NiceNumber(long n)
    {
        string units = "BKMGTPE";
        int u = 0;
        double v = n;
        while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
        if (u == 0) return n.ToString(CultureInfo.InvariantCulture) + "B";
        string digits = v < 10 ? v.ToString("0.00", CultureInfo.InvariantCulture) : v < 100 ? v.ToString("0.0", CultureInfo.InvariantCulture) : v.ToString("0", CultureInfo.InvariantCulture);
        return digits + units[u];
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
