using System.Collections.Generic;

namespace JailPS.Core.Simulation;

/// <summary>One entry of the simulated mount list (struct mount, the parts the model needs).</summary>
internal sealed class SimMount
{
    /// <summary>Position in mount order; never reused.</summary>
    public int Id;
    public string FsType = "";
    /// <summary>f_mntonname: the global path the file system is mounted on.</summary>
    public string On = "";
    /// <summary>f_mntfromname (vfs_mountedfrom).</summary>
    public string From = "";
    /// <summary>mnt_flag (MNT_* bits).</summary>
    public ulong Flags;
    /// <summary>f_flags as the file system's statfs reports them (devfs 0, nullfs merged with the lower mount).</summary>
    public ulong StatFlags;
    public uint TypeNum;
    public int FsId0;
    public int FsId1;
    /// <summary>f_owner: uid of the caller that mounted it.</summary>
    public uint Owner;
    /// <summary>The mount holding the covered vnode (-1 for the root file system).</summary>
    public int CoveredId = -1;
    /// <summary>nullfs: the mount of the lower vnode, on whose mnt_uppers this mount is registered (-1 otherwise).</summary>
    public int LowerId = -1;
    /// <summary>Simulated vnodes in use below the root (open files, working directories): vflush sees them as busy.</summary>
    public int Busy;
    /// <summary>tmpfs: size_max in bytes (0 = unlimited), root mode (-1 = the covered directory's).</summary>
    public long TmpfsSize;
    public int TmpfsMode = -1;
    /// <summary>The "ruleset" option of the last (update) mount, kept in mnt_opt and merged into updates.</summary>
    public string? RulesetOpt;
    /// <summary>devfs: dm_ruleset, the mount's current ruleset (0 = none).</summary>
    public ushort Ruleset;
    /// <summary>devfs: per-mount dirent state by path relative to the mount.</summary>
    public Dictionary<string, SimDevNode>? Nodes;
    /// <summary>devfs: directories this mount created in the sandbox to stand for its directory nodes (removed at unmount).</summary>
    public List<string>? StandInDirectories;
}

/// <summary>A devfs dirent's rule-controlled state (DE_WHITEOUT, de_uid, de_gid, de_mode).</summary>
internal sealed class SimDevNode
{
    public bool Hidden;
    public uint Uid;
    public uint Gid;
    public ushort Mode;
}

/// <summary>A kernel devfs ruleset (struct devfs_ruleset): rules sorted by rule number, and a reference count.</summary>
internal sealed class SimRuleset
{
    public ushort Number;
    public int RefCount;
    public readonly List<JailPS.Native.DevfsRule> Rules = new();
}

/// <summary>An open file descriptor of the simulated process: the mount it refers to and whether it is that mount's root.</summary>
internal enum SimFdKind
{
    /// <summary>A vnode opened with open(2): a directory or device node under a mount.</summary>
    Vnode,
    /// <summary>A socket(2) of <see cref="SimFd.Family"/>, used for interface ioctls.</summary>
    Socket,
    /// <summary>A FreeBSD 15 jail descriptor (kern_jaildesc.c) of the prison <see cref="SimFd.PrisonSerial"/>.</summary>
    JailDesc,
}

internal sealed class SimFd
{
    public SimFdKind Kind;
    /// <summary>The mount a vnode lies on; -1 for sockets and jail descriptors, which lie on none.</summary>
    public int MountId = -1;
    public int Family;
    /// <summary>The prison a jail descriptor holds (SimPrison.Serial: never reused, unlike a jid).</summary>
    public long PrisonSerial;
    /// <summary>An owning descriptor (JDF_OWNING): closing its last reference removes the jail.</summary>
    public bool Owning;
    /// <summary>The uid that made a jail descriptor: uses through it are checked against it (f_cred).</summary>
    public uint CreatorUid;
    public bool IsRoot;
    /// <summary>The mount was forcibly unmounted: the vnode is dead.</summary>
    public bool Dead;
}
