using System;
using System.Collections.Generic;
using System.Text.Json;
using JailPS.Core.Host;

namespace JailPS.Core.Mounts;

/// <summary>One mount JailPS made for a jail, as the ledger records it.</summary>
public sealed class MountLedgerEntry : IJailLedgerEntry
{
    public string Origin { get; set; } = "";
    public string FsType { get; set; } = "";
    public string Source { get; set; } = "";
    /// <summary>The host path the kernel reported for the mount (f_mntonname).</summary>
    public string MountPoint { get; set; } = "";
    public string Options { get; set; } = "";
    /// <summary>"FSID:v0:v1": unmounting goes by this id (MNT_BYFSID), never through a path the jail could change.</summary>
    public string FsId { get; set; } = "";

    /// <summary>The jail the mount belongs to (the file name is only an encoding of it, see <see cref="HostFileName"/>).</summary>
    public string Jail { get; set; } = "";
}

/// <summary>
/// The mount ledger (reference/prior-art.md #1): every mount JailPS makes for a jail, in mount
/// order, in /var/run/jailps/mounts/NAME.json. /var/run is emptied at boot, as the mount table
/// is. Writes are atomic (temp file + rename) and happen under the jail's lock.
/// </summary>
public sealed class MountLedger : JailLedger<MountLedgerEntry>
{
    public const string Directory = "/var/run/jailps/mounts";

    public MountLedger(IHostFileSystem files) : base(files, Directory, "mount ledger",
        "mounts under the jail's root are taken from the mount table") { }

    public static string PathOf(string jailName) => PathIn(Directory, jailName);

    public void Add(string jailName, MountLedgerEntry entry)
        // One entry per file system id: a mount id is never reused while mounted, so an older entry
        // with the same id is a leftover of a process killed before it could drop it.
        => Put(jailName, entry, e => e.FsId == entry.FsId);

    /// <summary>Drops the entry with this file system id (a no-op when there is none).</summary>
    public void Remove(string jailName, string fsId) => Drop(jailName, e => e.FsId == fsId);
}
