using System;
using System.Collections.Generic;
using System.Text;

namespace JailPS.Core.Host;

/// <summary>Pure helpers for FreeBSD host paths (always '/'-separated, whatever the local OS).</summary>
public static class HostPath
{
    public static bool IsAbsolute(string path) => path.Length > 0 && path[0] == '/';

    /// <summary>
    /// Refuses text that no FreeBSD path can be: one with a NUL character (the kernel reads paths as
    /// C strings, which end there, and .NET's file APIs throw on it). <paramref name="what"/> names the
    /// path in the message ("path", "-Target", "config file").
    /// </summary>
    public static void CheckText(string path, string what, string? jailName = null)
    {
        if (path.IndexOf('\0') < 0) return;
        throw new Lifecycle.JailOperationException("JailPathInvalid", jailName,
            $"{what} \"{path.Replace("\0", "\\0", StringComparison.Ordinal)}\" contains a NUL character; no FreeBSD path can hold one.",
            "Remove the NUL character (`0 in a PowerShell string) from the path.")
        { TargetObject = path };
    }

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
