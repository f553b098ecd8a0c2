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
            // A damaged ledger must never make a jail unstoppable: it counts as empty (the mount
            // table still shows what is mounted), the damage is reported, and the next write keeps
            // the damaged file beside the new one for inspection.
            lock (_problems)
                _problems.Add($"the mount ledger {path} is damaged ({ex.Message}) and is not used; mounts under the jail's root are taken from the mount table");
            return Array.Empty<MountLedgerEntry>();
        }
    }

    private readonly List<string> _problems = new();

    private static bool IsLedger(string text)
    {
        try { JsonSerializer.Deserialize<List<MountLedgerEntry>>(text, s_json); return true; }
        catch (JsonException) { return false; }
    }

    /// <summary>What was wrong with the ledger files read since the last call (damaged JSON), once each.</summary>
    public IReadOnlyList<string> TakeProblems()
    {
        lock (_problems)
        {
            var all = new List<string>(new HashSet<string>(_problems));
            _problems.Clear();
            return all;
        }
    }

    public void Add(string jailName, MountLedgerEntry entry)
    {
        entry.Jail = jailName;
        // One entry per file system id: a mount id is never reused while mounted, so an older entry
        // with the same id is a leftover of a process killed before it could drop it.
        var list = new List<MountLedgerEntry>(Read(jailName));
        list.RemoveAll(e => e.FsId == entry.FsId);
        list.Add(entry);
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
        string json = JsonSerializer.Serialize(list, s_json);
        _files.Edit(path, current =>
        {
            if (current is not null && !IsLedger(current))
                _files.WriteAllTextAtomic(path + ".damaged-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture), current);
            return json;
        });
    }
}
