namespace JailPS;

/// <summary>
/// A ZFS dataset of a jail (Get-JailDataset): its root, a dataset below the root, or one handed to
/// it with zfs.dataset. Sizes are bytes, as zfs list -p prints them. Type name JailPS.JailDataset is stable.
/// </summary>
public sealed class JailDataset
{
    public JailDataset(string jailName, string dataset, JailDatasetRole role, long used, long? available, long referenced, string? mountpoint, string? origin, System.DateTime created, string computerName)
    {
        JailName = jailName;
        Dataset = dataset;
        RoleKind = role;
        Used = used;
        Available = available;
        Referenced = referenced;
        Mountpoint = mountpoint;
        Origin = origin;
        Created = created;
        ComputerName = computerName;
    }

    public string JailName { get; }

    /// <summary>pool/path, as zfs list names it.</summary>
    public string Dataset { get; }

    /// <summary>Root, Child or Delegated, by name: a string so that it stays a name through remoting and Export-Clixml (an enum comes back as its number).</summary>
    public string Role => RoleKind.ToString();

    internal JailDatasetRole RoleKind { get; }

    /// <summary>Bytes the dataset and its children use of their own (for a clone: what differs from its origin).</summary>
    public long Used { get; }

    public long? Available { get; }

    /// <summary>Bytes of data the dataset refers to (a clone's shared blocks included).</summary>
    public long Referenced { get; }

    /// <summary>The mountpoint property (a path, none or legacy).</summary>
    public string? Mountpoint { get; }

    /// <summary>The snapshot a clone was made from (pool/releases/14.3-RELEASE@jailps-web), or null.</summary>
    public string? Origin { get; }

    /// <summary>When the dataset was made (UTC).</summary>
    public System.DateTime Created { get; }

    public string ComputerName { get; }

    public override string ToString() => Dataset;
}

/// <summary>What a dataset is to its jail.</summary>
public enum JailDatasetRole
{
    /// <summary>Mounted at the jail's root (path).</summary>
    Root,
    /// <summary>Below the root dataset.</summary>
    Child,
    /// <summary>Handed to the jail with zfs.dataset (zfs jail), managed from inside it.</summary>
    Delegated,
}

/// <summary>
/// A snapshot of a jail's root dataset (Get-JailSnapshot, New-JailSnapshot): taken with zfs
/// snapshot -r, so the root's child datasets have one of the same name. Type name JailPS.JailSnapshot is stable.
/// </summary>
public sealed class JailSnapshot
{
    public JailSnapshot(string jailName, string snapshotName, string dataset, long used, long referenced, System.DateTime created, string computerName)
    {
        JailName = jailName;
        SnapshotName = snapshotName;
        Dataset = dataset;
        Used = used;
        Referenced = referenced;
        Created = created;
        ComputerName = computerName;
    }

    public string JailName { get; }

    /// <summary>The part after '@'.</summary>
    public string SnapshotName { get; }

    /// <summary>The jail's root dataset the snapshot is of.</summary>
    public string Dataset { get; }

    /// <summary>DATASET@SNAPSHOT, as zfs names it.</summary>
    public string FullName => Dataset + "@" + SnapshotName;

    /// <summary>Bytes only this snapshot holds (what changed since), summed over the root and its children.</summary>
    public long Used { get; }

    public long Referenced { get; }

    public System.DateTime Created { get; }

    public string ComputerName { get; }

    public override string ToString() => FullName;
}
