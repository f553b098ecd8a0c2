using System;
using System.Collections.Generic;
using System.Text;

namespace JailPS.Core.Host;

/// <summary>Pure helpers for FreeBSD host paths (always '/'-separated, whatever the local OS).</summary>
public static class HostPath
{
    public static bool IsAbsolute(string path) => path.Length > 0 && path[0] == '/';

    /// <summary>Lexically normalises an absolute path: collapses "//", "." and ".." (never above "/").</summary>
    public static string Normalize(string path)
    {
        if (!IsAbsolute(path))
            throw new ArgumentException("Host paths must be absolute: " + path, nameof(path));
        var parts = new List<string>();
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        return "/" + string.Join("/", parts);
    }

    public static string Combine(string dir, string name)
        => dir.EndsWith('/') ? dir + name.TrimStart('/') : dir + "/" + name.TrimStart('/');

    public static string GetDirectoryName(string path)
    {
        int i = path.TrimEnd('/').LastIndexOf('/');
        return i <= 0 ? "/" : path.Substring(0, i);
    }

    public static string GetFileName(string path)
    {
        var t = path.TrimEnd('/');
        return t.Substring(t.LastIndexOf('/') + 1);
    }
}
