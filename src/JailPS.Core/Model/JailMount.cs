using System;

namespace JailPS;

/// <summary>How a mount under a jail root compares with what JailPS expects there.</summary>
public enum JailMountState
{
    /// <summary>Mounted, and expected: recorded in the mount ledger, or in the running jail's definition.</summary>
    Mounted,
    /// <summary>Expected (ledger, or the running jail's definition) but not in the kernel's mount list.</summary>
    Missing,
    /// <summary>Mounted under the jail root but neither recorded nor part of a running jail: left behind.</summary>
    Leaked,
    /// <summary>In the stopped jail's definition; mounted when the jail starts.</summary>
    NotMounted,
}

/// <summary>
/// One file system mounted (or to be mounted) under a jail root. Paths are host paths; JailPath is
/// the same place as the jail sees it. Type name JailPS.JailMount is stable.
/// </summary>
public sealed class JailMount
{
    public JailMount(string jailName, string fsType, string source, string mountPoint, string jailPath,
        string options, string origin, JailMountState state, string? fsId, string computerName)
    {
        JailName = jailName;
        FsType = fsType;
        Source = source;
        MountPoint = mountPoint;
        JailPath = jailPath;
        Options = options;
        Origin = origin;
        Status = state;
        FsId = fsId;
        ComputerName = computerName;
    }

    public string JailName { get; }
    /// <summary>devfs, nullfs, tmpfs, fdescfs, procfs, linprocfs, linsysfs...</summary>
    public string FsType { get; }
    /// <summary>What is mounted: the nullfs source directory, or the file system's name (devfs, tmpfs...).</summary>
    public string Source { get; }
    /// <summary>Where, as a host path (the kernel's f_mntonname).</summary>
    public string MountPoint { get; }
    /// <summary>Where, as the jail sees it ("/dev", "/basejail").</summary>
    public string JailPath { get; }
    /// <summary>Mount options as fstab(5) writes them ("ro", "ruleset=4", "size=64m,mode=1777").</summary>
    public string Options { get; }
    /// <summary>
    /// Why it is there: mount, mount.fstab, mount.devfs, mount.fdescfs or mount.procfs (jail.conf),
    /// Mount-JailFileSystem, or "" when JailPS has no record of it.
    /// </summary>
    public string Origin { get; }
    /// <summary>The state's name (Mounted, Leaked, Missing, NotMounted), a string for JSON and CSV as Jail.State.</summary>
    public string State => Status.ToString();

    internal JailMountState Status { get; }
    /// <summary>The kernel's file system id ("FSID:v0:v1"), by which JailPS unmounts it; null when not mounted.</summary>
    public string? FsId { get; }
    public bool ReadOnly => Array.IndexOf(Options.Split(','), "ro") >= 0 || Array.IndexOf(Options.Split(','), "rdonly") >= 0;
    public string ComputerName { get; }

    public override string ToString() => $"{FsType} {Source} on {MountPoint}";
}
