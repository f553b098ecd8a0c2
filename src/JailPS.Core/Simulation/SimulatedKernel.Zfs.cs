using System;
using System.Collections.Generic;
using System.Linq;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>One dataset or snapshot of the simulated pool (what zfs list shows of it).</summary>
public sealed class SimulatedZfsDataset
{
    /// <summary>pool/a/b, or pool/a/b@snap for a snapshot.</summary>
    public string Name { get; set; } = "";
    /// <summary>"filesystem" or "snapshot".</summary>
    public string Type { get; set; } = "filesystem";
    /// <summary>The mountpoint property set on this dataset (a path, "none" or "legacy"); null when inherited.</summary>
    public string? LocalMountpoint { get; set; }
    /// <summary>canmount=off: the dataset holds properties for its children and is never mounted.</summary>
    public bool CanMount { get; set; } = true;
    /// <summary>A clone's origin snapshot, or null.</summary>
    public string? Origin { get; set; }
    /// <summary>jailed=on: the dataset may be attached to a jail (zfs jail) and is then managed from inside.</summary>
    public bool Jailed { get; set; }
    /// <summary>The jail a jailed dataset is attached to (zfs jail), 0 for none.</summary>
    public int AttachedJid { get; set; }
    /// <summary>Seconds since the epoch the dataset or snapshot was made (the creation property, as -p prints it).</summary>
    public long Creation { get; set; }
    /// <summary>A snapshot's content: a directory beneath the simulated host's state directory.</summary>
    public string? Store { get; set; }
    /// <summary>User properties (module:property=value), as zfs set stores them.</summary>
    public Dictionary<string, string> UserProperties { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The pool of the simulated host: datasets, snapshots and clones, and which jail a jailed dataset
/// is attached to. The model has no ZFS VFS; a mounted dataset's files are the sandbox directory
/// at its mountpoint and the mount list carries a "zfs" entry for it (what getfsstat shows on
/// FreeBSD). The simulated zfs(8) (Host/SimulatedZfs) is the only caller and does the file side.
/// The pool at boot: zroot (mountpoint none), zroot/ROOT (none) and zroot/ROOT/default on /.
/// </summary>
public sealed partial class SimulatedKernel
{
    private List<SimulatedZfsDataset> _zfs = BootPool();

    private static List<SimulatedZfsDataset> BootPool() => new()
    {
        new SimulatedZfsDataset { Name = "zroot", LocalMountpoint = "none" },
        new SimulatedZfsDataset { Name = "zroot/ROOT", LocalMountpoint = "none" },
        new SimulatedZfsDataset { Name = "zroot/ROOT/default", LocalMountpoint = "/" },
    };

    /// <summary>A copy of every dataset and snapshot, in creation order (test surface).</summary>
    public IReadOnlyList<SimulatedZfsDataset> ZfsDatasets
    {
        get
        {
            lock (_lock)
                return _zfs.Select(Copy).ToList();
        }
    }

    private static SimulatedZfsDataset Copy(SimulatedZfsDataset d) => new()
    {
        Name = d.Name, Type = d.Type, LocalMountpoint = d.LocalMountpoint, CanMount = d.CanMount, Origin = d.Origin,
        Jailed = d.Jailed, AttachedJid = d.AttachedJid, Creation = d.Creation, Store = d.Store,
        UserProperties = new Dictionary<string, string>(d.UserProperties, StringComparer.Ordinal),
    };

    /// <summary>
    /// Runs a change of the pool under the kernel's lock: <paramref name="change"/> edits the live
    /// list (the simulated zfs tool does the file side in the same call, so no other command sees
    /// half of it). The state counts as changed when the lambda returns true.
    /// </summary>
    internal T ZfsChange<T>(Func<List<SimulatedZfsDataset>, (T Result, bool Changed)> change)
    {
        lock (_lock)
        {
            var (result, changed) = change(_zfs);
            if (changed) Touch();
            return result;
        }
    }

    /// <summary>The zfs entry in the mount list for a dataset mounted at <paramref name="on"/> (zfs_mount's nmount, modelled). 0, or EBUSY when something is mounted there already.</summary>
    internal int MountZfs(string dataset, string on)
    {
        lock (_lock)
        {
            if (_mounts.Any(m => m.FsType == "zfs" && m.From == dataset) || IsMountRoot(on)) return Errno.EBUSY;
            var covered = ContainingMount(on);
            var mp = NewMount("zfs", on, dataset, MountFlags.Local | MountFlags.Nfs4Acls, covered.Id, 0);
            mp.StatFlags = mp.Flags & VisFlagMask;
            _mounts.Add(mp);
            Touch();
            return 0;
        }
    }

    /// <summary>Unmounts a dataset (zfs unmount, and zfs destroy's unmount first): 0, EINVAL when it is not mounted, EBUSY as unmount(2) says.</summary>
    internal int UnmountZfs(string dataset)
    {
        lock (_lock)
        {
            var mp = _mounts.LastOrDefault(m => m.FsType == "zfs" && m.From == dataset);
            if (mp is null) return Errno.EINVAL;
            if ((mp.Flags & MountFlags.RootFs) != 0) return Errno.EBUSY;
            int e = DoUnmount(mp, 0);
            if (e == 0) Touch();
            return e;
        }
    }

    /// <summary>Where a dataset is mounted, or null.</summary>
    internal string? ZfsMountedOn(string dataset)
    {
        lock (_lock)
            return _mounts.LastOrDefault(m => m.FsType == "zfs" && m.From == dataset)?.On;
    }

    /// <summary>Every mount point in the mount list (the simulated zfs tool never copies or deletes across one).</summary>
    internal IReadOnlyList<string> MountPoints()
    {
        lock (_lock)
            return _mounts.Select(m => m.On).ToList();
    }

    /// <summary>A live jail's id by name or number (what zfs jail accepts), or 0.</summary>
    internal int FindJid(string nameOrJid)
    {
        lock (_lock)
        {
            var pr = int.TryParse(nameOrJid, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int jid)
                ? FindPrison(jid)
                : _allprison.FirstOrDefault(p => p.Name == nameOrJid && p.IsAlive);
            return pr is { IsAlive: true } ? pr.Id : 0;
        }
    }
}
