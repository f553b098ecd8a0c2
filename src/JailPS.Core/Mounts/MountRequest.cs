using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Mounts;

/// <summary>One nmount option: a name and an optional value (a valueless option is a flag such as "ro").</summary>
public sealed record MountOption(string Name, string? Value)
{
    public override string ToString() => Value is null ? Name : Name + "=" + Value;
}

/// <summary>
/// One mount to make: what mount(8) would be told by an fstab(5) line. Target is a host path that
/// must lie beneath the jail root; Origin says where the request came from (the jail.conf
/// parameter, or Mount-JailFileSystem).
/// </summary>
public sealed class MountRequest
{
    // fstab(5) options that mount(8) consumes itself and never passes to the kernel.
    private static readonly HashSet<string> s_userlandOptions = new(StringComparer.Ordinal)
    {
        "noauto", "late", "failok", "userquota", "groupquota", "sw", "xx",
    };

    // nmount(2) options that say where, what or how something is mounted rather than how it behaves.
    // JailPS passes the first ones itself (fstype, fspath, the source as "from" or "target", errmsg);
    // a copy in the options would replace them, because vfs_buildopts keeps only the last of equal
    // options (vfs_sanitizeopts; "nofspath" counts as equal to "fspath"). The others turn the call into
    // one on the file system already mounted there (update, reload, fsid, snapshot: vfs_donmount and
    // vfs_domount_update in sys/kern/vfs_mount.c) or drop the nocover every JailPS mount carries (cover).
    // The nullfs source is "from" or "target" (nullfs_mount in sys/fs/nullfs/null_vfsops.c).
    private static readonly Dictionary<string, string> s_locationOptions = new(StringComparer.Ordinal)
    {
        ["fstype"] = "names the file system type",
        ["fspath"] = "names the mount point",
        ["from"] = "names what is mounted (the source)",
        ["target"] = "names what is mounted (the nullfs source)",
        ["errmsg"] = "is the kernel's error message buffer, which JailPS passes itself",
        ["update"] = "would change the file system already mounted there instead of mounting a new one",
        ["reload"] = "would reload the file system already mounted there instead of mounting a new one",
        ["fsid"] = "selects a file system already mounted instead of mounting a new one",
        ["snapshot"] = "would take a snapshot of the file system already mounted there instead of mounting a new one",
        ["cover"] = "would let the mount cover another mount (JailPS always mounts with nocover)",
    };

    // nfs_opts (sys/fs/nfsclient/nfs_clvfsops.c): the server address, file handle, host and export path.
    private static readonly string[] s_nfsLocationOptions = { "addr", "fh", "hostname", "dirpath", "nfs_args" };

    public MountRequest(string fsType, string source, string target, IReadOnlyList<MountOption> options, string origin)
    {
        if (string.IsNullOrWhiteSpace(fsType)) throw new ArgumentException("A file system type is required.", nameof(fsType));
        CheckOptions(fsType, options, null, origin);
        FsType = fsType;
        Source = source;
        Target = target;
        Options = options;
        Origin = origin;
    }

    public string FsType { get; }
    public string Source { get; }
    /// <summary>The mount point, a host path beneath the jail root.</summary>
    public string Target { get; }
    public IReadOnlyList<MountOption> Options { get; }
    public string Origin { get; }

    public bool ReadOnly => Has("ro") || Has("rdonly");

    public bool Has(string name)
    {
        foreach (var o in Options) if (o.Name == name) return true;
        return false;
    }

    /// <summary>The options as fstab(5) writes them ("rw" when there are none).</summary>
    public string OptionsText => Options.Count == 0 ? "rw" : string.Join(",", Options);

    /// <summary>
    /// The nmount(2) name/value pairs, in order: fstype, fspath, the source (nullfs "target", which
    /// every nullfs reads; "from" for the others), then the options. Valueless options carry no value.
    /// </summary>
    public IReadOnlyList<MountOption> NmountPairs(string fsPath)
    {
        var pairs = new List<MountOption>
        {
            new("fstype", FsType),
            new("fspath", fsPath),
            new(FsType == "nullfs" ? "target" : "from", Source),
        };
        pairs.AddRange(Options);
        // Never cover a mount root (MNT_NOCOVER, sys/sys/mount.h): closes the race where something is
        // mounted on the checked place meanwhile, and makes a link swapped in towards a host mount
        // point such as /dev or /tmp fail with EBUSY instead of landing there.
        if (!Has("nocover") && !Has("cover")) pairs.Add(new MountOption("nocover", null));
        return pairs;
    }

    /// <summary>The nmount call and the equivalent mount(8) command, as -WhatIf shows it.</summary>
    public string Describe(string fsPath)
    {
        var sb = new StringBuilder("nmount(");
        bool first = true;
        foreach (var p in NmountPairs(fsPath))
        {
            if (!first) sb.Append(' ');
            first = false;
            sb.Append(p.Name);
            if (p.Value != null) sb.Append('=').Append(Quote(p.Value));
        }
        sb.Append(")  # mount -t ").Append(FsType);
        if (Options.Count > 0) sb.Append(" -o ").Append(Quote(OptionsText));
        sb.Append(' ').Append(Quote(Source)).Append(' ').Append(Quote(fsPath));
        return sb.ToString();
    }

    private static string Quote(string s) => s.Length == 0 || s.IndexOfAny(new[] { ' ', '\t', '"', '\'', '\\' }) >= 0
        ? "'" + s.Replace("'", "'\\''") + "'"
        : s;

    /// <summary>
    /// Refuses an option that would say where or what is mounted (see s_locationOptions): those come
    /// only from the type, source and mount point JailPS checked, never from the options, so the
    /// mount cannot land elsewhere than checked nor record another source in the ledger. Called
    /// before any system call.
    /// </summary>
    public static void CheckOptions(string fsType, IEnumerable<MountOption> options, string? jailName, string origin)
    {
        foreach (var o in options)
        {
            // The kernel reads names and values as C strings: "fspath\0x" would reach it as "fspath".
            if (o.Name.IndexOf('\0') >= 0 || (o.Value?.IndexOf('\0') ?? -1) >= 0)
                throw new JailOperationException("JailMountOptionNotAllowed", jailName,
                    $"{(jailName is null ? "" : $"jail \"{jailName}\": ")}{origin}: mount option \"{o.ToString().Replace("\0", "\\0", StringComparison.Ordinal)}\" contains a NUL character, which would cut it short in the kernel. Nothing was mounted.",
                    "Remove the NUL character (`0 in a PowerShell string) from the option.")
                { TargetObject = o.ToString() };
            string name = o.Name;
            // vfs_equalopts: "noNAME" is the same option as "NAME" and would replace it; "nocover"
            // is the safe form, which JailPS adds itself.
            string plain = name != "nocover" && name.StartsWith("no", StringComparison.Ordinal) && IsLocationOption(fsType, name.Substring(2)) ? name.Substring(2) : name;
            if (!IsLocationOption(fsType, plain))
                continue;
            string why = s_locationOptions.TryGetValue(plain, out var w) ? w : "names the NFS server or export";
            bool fromCmdlet = origin == JailMountPlanner.OriginCmdlet;
            string how = plain switch
            {
                "fstype" => fromCmdlet ? "Give the type with -Type." : "Give the type as the third field of the fstab(5) line.",
                "fspath" => fromCmdlet ? "Give the mount point with -Target." : "Give the mount point as the second field of the fstab(5) line.",
                "from" or "target" or "addr" or "fh" or "hostname" or "dirpath" or "nfs_args"
                    => fromCmdlet ? "Give what to mount with -Source." : "Give what to mount as the first field of the fstab(5) line.",
                _ => $"Remove \"{o}\" from the options.",
            };
            string prefix = jailName is null ? "" : $"jail \"{jailName}\": ";
            throw new JailOperationException("JailMountOptionNotAllowed", jailName,
                $"{prefix}{origin}: mount option \"{o}\" is not allowed: it {why}. Nothing was mounted.", how)
            { TargetObject = o.ToString() };
        }
    }

    private static bool IsLocationOption(string fsType, string name)
        => s_locationOptions.ContainsKey(name) || (fsType == "nfs" && Array.IndexOf(s_nfsLocationOptions, name) >= 0);

    /// <summary>Parses "a,b=c" mount options; fstab-only words (noauto, late...) are dropped.</summary>
    public static List<MountOption> ParseOptions(string? text)
    {
        var list = new List<MountOption>();
        if (string.IsNullOrEmpty(text)) return list;
        foreach (string raw in text.Split(','))
        {
            string word = raw.Trim();
            if (word.Length == 0 || s_userlandOptions.Contains(word)) continue;
            int eq = word.IndexOf('=');
            list.Add(eq < 0 ? new MountOption(word, null) : new MountOption(word.Substring(0, eq), word.Substring(eq + 1)));
        }
        return list;
    }

    /// <summary>
    /// Parses one fstab(5) line as jail(8) reads the values of `mount` and the lines of
    /// `mount.fstab`: "device mountpoint fstype [options [dump [pass]]]", whitespace-separated,
    /// "\040" standing for a space. Null for a blank line or a comment.
    /// </summary>
    public static MountRequest? ParseFstabLine(string line, string origin, string jailName)
    {
        string trimmed = line.Trim();
        if (trimmed.Length == 0 || trimmed[0] == '#') return null;
        var fields = trimmed.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 3)
            throw new JailOperationException("JailMountInvalid", jailName,
                $"jail \"{jailName}\": {origin}: \"{trimmed}\" is not an fstab(5) line (device mountpoint fstype [options]).",
                "Write mount lines as in fstab(5), for example: /usr/jails/base /usr/jails/web/base nullfs ro 0 0");
        for (int i = 0; i < fields.Length; i++) fields[i] = fields[i].Replace("\\040", " ", StringComparison.Ordinal);
        string target = fields[1];
        if (target.Length == 0 || target[0] != '/')
            throw new JailOperationException("JailMountInvalid", jailName,
                $"jail \"{jailName}\": {origin}: mount point \"{target}\" is not an absolute path.",
                "Give the mount point as the full host path beneath the jail's path.");
        if (fields.Length > 4 && !int.TryParse(fields[4], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            throw new JailOperationException("JailMountInvalid", jailName,
                $"jail \"{jailName}\": {origin}: \"{trimmed}\": the dump field \"{fields[4]}\" is not a number.");
        var options = ParseOptions(fields.Length > 3 ? fields[3] : null);
        CheckOptions(fields[2], options, jailName, origin);
        return new MountRequest(fields[2], fields[0], target, options, origin);
    }
}
