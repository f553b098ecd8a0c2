using System;
using System.Collections.Generic;
using System.Linq;
using System.IO;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>
/// namei(LOOKUP, FOLLOW) for the jail "path" parameter against the simulated host: the sandbox
/// directory stands for "/", ".." never climbs above it, symbolic links are followed inside it
/// (absolute targets restart at the sandbox root) and more than MAXSYMLINKS links give ELOOP.
/// The result is the global path vn_path_to_global_path would store (links resolved).
/// </summary>
internal static class SimPathLookup
{
    private enum Kind { Missing, File, Directory, Link }

    public static int Lookup(string? root, string path, out string globalPath, out bool isDirectory)
        => Lookup(root, path, null, out globalPath, out isDirectory);

    /// <summary>
    /// As <see cref="Lookup(string?, string, out string, out bool)"/>, but a component whose global
    /// path is a mount root (<paramref name="isMountRoot"/>) is a directory even when the sandbox
    /// lacks it: the root vnode of a mounted file system always exists.
    /// </summary>
    public static int Lookup(string? root, string path, Func<string, bool>? isMountRoot, out string globalPath, out bool isDirectory)
    {
        globalPath = "";
        isDirectory = false;
        if (path.Length == 0)
            return Errno.ENOENT;
        if (path.Length + 1 > JailLimits.MaxPathLen)
            return Errno.ENAMETOOLONG;

        if (root is null)
        {
            globalPath = Normalize(path);
            isDirectory = true;
            return 0;
        }

        var cur = new List<string>();
        var pending = new List<string>(Split(path));
        bool mustBeDir = path.EndsWith('/');
        int links = 0;
        while (pending.Count > 0)
        {
            string c = pending[0];
            pending.RemoveAt(0);
            if (c.Length > SimDefs.NameMax)
                return Errno.ENAMETOOLONG;
            if (c == ".")
                continue;
            if (c == "..")
            {
                if (cur.Count > 0) cur.RemoveAt(cur.Count - 1);
                continue;
            }
            string local = Local(root, cur, c);
            switch (Classify(local, out string? target))
            {
                case Kind.Missing:
                    if (isMountRoot is not null && isMountRoot("/" + string.Join('/', cur.Append(c))))
                    {
                        cur.Add(c);
                        break;
                    }
                    return Errno.ENOENT;
                case Kind.Directory:
                    cur.Add(c);
                    break;
                case Kind.File:
                    if (pending.Count > 0 || mustBeDir)
                        return Errno.ENOTDIR;
                    cur.Add(c);
                    globalPath = "/" + string.Join('/', cur);
                    isDirectory = false;
                    return 0;
                case Kind.Link:
                    if (++links > SimDefs.MaxSymlinks)
                        return Errno.ELOOP;
                    if (string.IsNullOrEmpty(target))
                        return Errno.ENOENT;
                    if (target.StartsWith('/'))
                        cur.Clear();
                    if (target.EndsWith('/') && pending.Count == 0)
                        mustBeDir = true;
                    pending.InsertRange(0, Split(target));
                    break;
            }
        }
        globalPath = "/" + string.Join('/', cur);
        isDirectory = Directory.Exists(Local(root, cur, null))
            || (isMountRoot is not null && isMountRoot(globalPath));
        if (!isDirectory && mustBeDir)
            return Errno.ENOTDIR;
        return 0;
    }

    private static string[] Split(string p) => p.Split('/', StringSplitOptions.RemoveEmptyEntries);

    private static string Local(string root, List<string> cur, string? last)
    {
        string p = root;
        foreach (var c in cur) p = Path.Combine(p, c);
        return last is null ? p : Path.Combine(p, last);
    }

    private static Kind Classify(string local, out string? linkTarget)
    {
        linkTarget = null;
        FileSystemInfo info = new FileInfo(local);
        try
        {
            if (info.LinkTarget is string t)
            {
                linkTarget = t;
                return Kind.Link;
            }
        }
        catch (IOException) { return Kind.Missing; }
        catch (UnauthorizedAccessException) { return Kind.Missing; }
        if (Directory.Exists(local)) return Kind.Directory;
        if (File.Exists(local)) return Kind.File;
        return Kind.Missing;
    }

    /// <summary>Lexical normalisation used when no sandbox root is configured.</summary>
    public static string Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var c in Split(path))
        {
            if (c == ".") continue;
            if (c == "..")
            {
                if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
                continue;
            }
            parts.Add(c);
        }
        return "/" + string.Join('/', parts);
    }
}
