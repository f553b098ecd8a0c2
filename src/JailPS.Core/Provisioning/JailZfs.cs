using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Processes;

namespace JailPS.Core.Provisioning;

/// <summary>One line of `zfs list -H -p -o name,type,used,avail,refer,mountpoint,origin,creation`.</summary>
public sealed record ZfsListEntry(string Name, string Type, long Used, long? Available, long Referenced, string? Mountpoint, string? Origin, DateTime Created)
{
    /// <summary>The dataset of a snapshot (pool/ds for pool/ds@snap), or the name itself.</summary>
    public string Dataset => Name.Contains('@') ? Name[..Name.IndexOf('@')] : Name;
    /// <summary>The snapshot's own name (snap for pool/ds@snap), or null for a dataset.</summary>
    public string? SnapshotName => Name.Contains('@') ? Name[(Name.IndexOf('@') + 1)..] : null;
}

/// <summary>
/// ZFS for jail roots through zfs(8) and the process seam, never libzfs_core: zfs(8) mounts what it
/// creates, converts property values and prints parseable output (-H -p: one TAB between fields,
/// exact numbers), while lzc_* mounts nothing, takes nvlists whose index properties the kernel may
/// not accept as strings, and libnvpair's fnvlist_* abort the process on failure (facts §4.1,
/// §4.2; docs/design.md says more). Which dataset holds a directory comes from getfsstat, read
/// natively: a zfs mount exactly on the directory.
/// </summary>
public sealed class JailZfs
{
    public const string ZfsPath = "/sbin/zfs";

    /// <summary>The snapshot a jail's root is cloned from is named after the jail: ORIGIN@jailps-NAME (one per jail, so the origin's state when the jail was made).</summary>
    public const string ClonePrefix = "jailps-";

    private static readonly string[] s_columns = { "name", "type", "used", "avail", "refer", "mountpoint", "origin", "creation" };

    private readonly JailHost _host;

    public JailZfs(JailHost host) => _host = host;

    /// <summary>The dataset mounted exactly on <paramref name="directory"/> (getfsstat: a zfs entry whose f_mntonname it is), or null.</summary>
    public string? DatasetMountedOn(string directory)
    {
        string dir = HostPath.Normalize(directory);
        return new JailMountService(_host).Mounter.ReadTable().LastOrDefault(m => m.FsType == "zfs" && HostPath.Normalize(m.On) == dir)?.From;
    }

    /// <summary>
    /// zfs list of filesystems and/or snapshots, one process whatever the number of jails: every
    /// dataset of the pool (or those under <paramref name="under"/>), parsed strictly.
    /// </summary>
    public IReadOnlyList<ZfsListEntry> List(string types = "filesystem", string? under = null, string? jail = null)
    {
        var args = new List<string> { "list", "-H", "-p", "-t", types, "-o", string.Join(",", s_columns) };
        if (under is not null) args.AddRange(new[] { "-r", under });
        var r = Zfs(jail, "list", args.ToArray());
        var result = new List<ZfsListEntry>();
        foreach (string line in r.StandardOutput.Split('\n'))
        {
            if (line.Length == 0) continue;
            var f = line.Split('\t');
            if (f.Length != s_columns.Length || !long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out long used)
                || !long.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out long refer)
                || !long.TryParse(f[7], NumberStyles.None, CultureInfo.InvariantCulture, out long created))
                throw new JailOperationException("JailZfsOutputInvalid", jail,
                    $"zfs list printed a line JailPS cannot read (expected {s_columns.Length} TAB-separated fields: {string.Join(",", s_columns)}): \"{line}\".",
                    "Check that /sbin/zfs is FreeBSD's OpenZFS zfs(8).") { TargetObject = line };
            long? avail = long.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out long a) ? a : null;
            result.Add(new ZfsListEntry(f[0], f[1], used, avail, refer, f[5] == "-" ? null : f[5], f[6] == "-" ? null : f[6],
                DateTimeOffset.FromUnixTimeSeconds(created).UtcDateTime));
        }
        return result;
    }

    /// <summary>
    /// Whether a dataset or snapshot exists. Only zfs's own "dataset does not exist" counts as no:
    /// any other failure (a timeout, a suspended pool, no permission) is an error, never taken for
    /// absence, since an undo or a parent walk decides from it what to destroy.
    /// </summary>
    public bool Exists(string name, string? jail = null)
    {
        var r = Run(jail, "list", "-H", "-o", "name", "-t", name.Contains('@') ? "snapshot" : "filesystem", name);
        if (r.ExitCode == 0) return r.StandardOutput.Split('\n').Contains(name);
        if (r.StandardError.Contains("dataset does not exist", StringComparison.Ordinal)) return false;
        throw Failed(jail, "list", new[] { "list", "-H", "-o", "name", name }, r);
    }

    /// <summary>A name zfs accepts for a dataset or snapshot component (zfs_namecheck: letters, digits, _ - . : and space; JailPS leaves out the space).</summary>
    public static bool IsValidComponent(string name) => name.Length is > 0 and < 200 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':') && name[0] != '-';

    /// <summary>zfs create DS (no -p: the parent must exist, and an existing DS is an error, never taken as made), its mountpoint inherited unless given.</summary>
    public void Create(string? jail, string dataset, string? mountpoint = null)
    {
        var args = new List<string> { "create" };
        if (mountpoint is not null) args.AddRange(new[] { "-o", "mountpoint=" + mountpoint });
        args.Add(dataset);
        Zfs(jail, "create", args.ToArray());
    }

    public void Snapshot(string? jail, string snapshot, bool recursive = false)
        => Zfs(jail, "snapshot", recursive ? new[] { "snapshot", "-r", snapshot } : new[] { "snapshot", snapshot });

    public void Clone(string? jail, string snapshot, string dataset, string? mountpoint = null)
    {
        var args = new List<string> { "clone" };
        if (mountpoint is not null) args.AddRange(new[] { "-o", "mountpoint=" + mountpoint });
        args.AddRange(new[] { snapshot, dataset });
        Zfs(jail, "clone", args.ToArray());
    }

    /// <summary>zfs destroy [-r] NAME; a name that no longer exists is not an error (an undo that runs twice).</summary>
    public void Destroy(string? jail, string name, bool recursive = false)
    {
        if (!Exists(name, jail)) return;
        Zfs(jail, "destroy", recursive ? new[] { "destroy", "-r", name } : new[] { "destroy", name });
    }

    public void Rollback(string? jail, string snapshot, bool destroyLater)
        => Zfs(jail, "rollback", destroyLater ? new[] { "rollback", "-r", snapshot } : new[] { "rollback", snapshot });

    /// <summary>The value of one property (zfs get -H -p -o value), or null when the dataset does not exist.</summary>
    public string? Get(string? jail, string property, string name)
    {
        var r = Run(jail, "get", "-H", "-p", "-o", "value", property, name);
        return r.ExitCode == 0 ? r.StandardOutput.TrimEnd('\n') : null;
    }

    /// <summary>zfs set MODULE:PROPERTY=VALUE DS (a user property).</summary>
    public void SetUserProperty(string? jail, string property, string value, string dataset)
        => Zfs(jail, "set", "set", property + "=" + value, dataset);

    public void Jail(string jailName, int jid, string dataset)
        => Zfs(jailName, "jail", "jail", jid.ToString(CultureInfo.InvariantCulture), dataset);

    public void Unjail(string jailName, int jid, string dataset)
        => Zfs(jailName, "unjail", "unjail", jid.ToString(CultureInfo.InvariantCulture), dataset);

    /// <summary>The command line as -WhatIf shows it.</summary>
    public static string Describe(params string[] args) => "zfs " + string.Join(" ", args);

    private ProcessResult Run(string? jail, params string[] args)
        => _host.Processes.Run(new ProcessRequest { Arguments = new[] { ZfsPath }.Concat(args).ToArray(), JailName = jail, Purpose = "zfs", Timeout = TimeSpan.FromMinutes(10) });

    private ProcessResult Zfs(string? jail, string verb, params string[] args)
    {
        var r = Run(jail, args);
        if (r.ExitCode != 0) throw Failed(jail, verb, args, r);
        return r;
    }

    private static JailOperationException Failed(string? jail, string verb, string[] args, ProcessResult r)
    {
        {
            string said = string.Join(" ", r.StandardError.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));
            return new JailOperationException(r.TimedOut ? "JailZfsTimedOut" : "JailZfsFailed", jail,
                $"{(jail is null ? "" : $"jail \"{jail}\": ")}{Describe(args)} failed (exit {r.ExitCode}): {(said.Length > 0 ? said : "no message")}.",
                verb switch
                {
                    "destroy" => "Look at what zfs names (zfs list -r -t all); unmount or destroy the dependents it lists first.",
                    "create" or "clone" => "Check the parent dataset and the mountpoint (zfs list -o name,mountpoint,mounted), and the space left (zfs list -o avail).",
                    _ => "Run the zfs command shown by hand to see more, and check zfs list.",
                }) { TargetObject = args[^1] };
        }
    }
}
