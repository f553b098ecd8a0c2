using System;
using System.Collections.Generic;
using System.Text.Json;
using JailPS.Core.Host;

namespace JailPS.Core.Mounts;

/// <summary>One mount JailPS made for a jail, as the ledger records it.</summary>
public sealed class MountLedgerEntry
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
public sealed class MountLedger
{
    public const string Directory = "/var/run/jailps/mounts";
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    private readonly IHostFileSystem _files;

    public MountLedger(IHostFileSystem files) => _files = files;

    public static string PathOf(string jailName) => HostPath.Combine(Directory, HostFileName.ForJail(jailName, ".json"));

    /// <summary>Every jail's ledger: the jail's name (as its entries record it) and its entries.</summary>
    public IEnumerable<(string Jail, IReadOnlyList<MountLedgerEntry> Entries)> ReadAll()
    {
        foreach (string file in _files.Glob(Directory + "/*.json"))
        {
            var entries = ReadFile(file);
            string jail = entries.Count > 0 && entries[0].Jail.Length > 0 ? entries[0].Jail : HostPath.GetFileName(file)[..^".json".Length];
            yield return (jail, entries);
        }
    }

    public IReadOnlyList<MountLedgerEntry> Read(string jailName) => ReadFile(PathOf(jailName));

    private IReadOnlyList<MountLedgerEntry> ReadFile(string path)
    {
        string? text = _files.ReadAllText(path);
        if (string.IsNullOrWhiteSpace(text)) return Array.Empty<MountLedgerEntry>();
        try
        {
            return JsonSerializer.Deserialize<List<MountLedgerEntry>>(text, s_json) ?? new List<MountLedgerEntry>();
        }
        catch (JsonException ex)
        {
            throw new System.IO.IOException($"The mount ledger {path} is not valid JSON: {ex.Message}", ex);
        }
    }

    public void Add(string jailName, MountLedgerEntry entry)
    {
        entry.Jail = jailName;
        var list = new List<MountLedgerEntry>(Read(jailName)) { entry };
        Write(jailName, list);
    }

    /// <summary>Drops the entry with this file system id (a no-op when there is none).</summary>
    public void Remove(string jailName, string fsId)
    {
        var list = new List<MountLedgerEntry>(Read(jailName));
        if (list.RemoveAll(e => e.FsId == fsId) == 0) return;
        Write(jailName, list);
    }

    private void Write(string jailName, List<MountLedgerEntry> list)
    {
        string path = PathOf(jailName);
        if (list.Count == 0)
        {
            if (_files.FileExists(path)) _files.DeleteFile(path);
            return;
        }
        _files.CreateDirectory(Directory);
        _files.WriteAllTextAtomic(path, JsonSerializer.Serialize(list, s_json));
    }
}
