using System;
using System.Collections.Generic;
using System.Text.Json;

namespace JailPS.Core.Host;

/// <summary>An entry of a <see cref="JailLedger{TEntry}"/>: it names the jail it belongs to.</summary>
public interface IJailLedgerEntry
{
    /// <summary>The jail the entry belongs to (the file name is only an encoding of it, see <see cref="HostFileName"/>).</summary>
    string Jail { get; set; }
}

/// <summary>
/// What JailPS did to the host for a jail and must undo when it stops (the mounts it made, the
/// addresses it added), one JSON file per jail under /var/run/jailps (emptied at boot, as the
/// mount table and the interfaces' addresses are). Writes are atomic and happen under the jail's
/// lock. A damaged file never makes a jail unstoppable: it counts as empty, the damage is reported
/// once, and the next write keeps the damaged file beside the new one for inspection.
/// </summary>
public abstract class JailLedger<TEntry> where TEntry : class, IJailLedgerEntry
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    private readonly IHostFileSystem _files;
    private readonly string _directory;
    private readonly string _what;
    private readonly string _fallback;
    private readonly List<string> _problems = new();

    /// <param name="what">The ledger's name in messages ("mount ledger").</param>
    /// <param name="fallback">What is used instead of a damaged file, for the message.</param>
    protected JailLedger(IHostFileSystem files, string directory, string what, string fallback)
    {
        _files = files;
        _directory = directory;
        _what = what;
        _fallback = fallback;
    }

    protected static string PathIn(string directory, string jailName) => HostPath.Combine(directory, HostFileName.ForJail(jailName, ".json"));

    private string FileOf(string jailName) => PathIn(_directory, jailName);

    /// <summary>Every jail's ledger: the jail's name (as its entries record it) and its entries.</summary>
    public IEnumerable<(string Jail, IReadOnlyList<TEntry> Entries)> ReadAll()
    {
        foreach (string file in _files.Glob(_directory + "/*.json"))
        {
            var entries = ReadFile(file);
            string jail = entries.Count > 0 && entries[0].Jail.Length > 0 ? entries[0].Jail : HostPath.GetFileName(file)[..^".json".Length];
            yield return (jail, entries);
        }
    }

    public IReadOnlyList<TEntry> Read(string jailName) => ReadFile(FileOf(jailName));

    private IReadOnlyList<TEntry> ReadFile(string path)
    {
        string? text = _files.ReadAllText(path);
        if (string.IsNullOrWhiteSpace(text)) return Array.Empty<TEntry>();
        try
        {
            return JsonSerializer.Deserialize<List<TEntry>>(text, s_json) ?? new List<TEntry>();
        }
        catch (JsonException ex)
        {
            lock (_problems)
                _problems.Add($"the {_what} {path} is damaged ({ex.Message}) and is not used; {_fallback}");
            return Array.Empty<TEntry>();
        }
    }

    private static bool IsLedger(string text)
    {
        try { JsonSerializer.Deserialize<List<TEntry>>(text, s_json); return true; }
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

    /// <summary>Adds <paramref name="entry"/> last, dropping the entries it replaces.</summary>
    protected void Put(string jailName, TEntry entry, Predicate<TEntry> replaces)
    {
        entry.Jail = jailName;
        var list = new List<TEntry>(Read(jailName));
        list.RemoveAll(replaces);
        list.Add(entry);
        Write(jailName, list);
    }

    /// <summary>Drops the matching entries (a no-op when there are none).</summary>
    protected void Drop(string jailName, Predicate<TEntry> match)
    {
        var list = new List<TEntry>(Read(jailName));
        if (list.RemoveAll(match) == 0) return;
        Write(jailName, list);
    }

    private void Write(string jailName, List<TEntry> list)
    {
        string path = FileOf(jailName);
        if (list.Count == 0)
        {
            if (_files.FileExists(path)) _files.DeleteFile(path);
            return;
        }
        _files.CreateDirectory(_directory);
        string json = JsonSerializer.Serialize(list, s_json);
        _files.Edit(path, current =>
        {
            if (current is not null && !IsLedger(current))
                _files.WriteAllTextAtomic(path + ".damaged-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture), current);
            return json;
        });
    }
}
