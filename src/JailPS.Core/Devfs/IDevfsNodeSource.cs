using System;
using System.Collections.Generic;
using System.IO;

namespace JailPS.Core.Devfs;

/// <summary>What a process sees in one devfs mount: the node paths relative to the mount ("null", "pts/0").</summary>
public interface IDevfsNodeSource
{
    /// <summary>
    /// The visible nodes of the devfs mounted on <paramref name="devfsMountPoint"/> (a host path),
    /// sorted ordinally. Hidden nodes are not listed by devfs itself, so this is what the jail sees.
    /// </summary>
    IReadOnlyList<string> VisibleNodes(string devfsMountPoint);
}

/// <summary>
/// The real host: lists the devfs directory tree. Never follows a symbolic link, and never
/// descends into another file system mounted below (fdescfs on dev/fd shows the caller's own
/// descriptors, not the jail's devices).
/// </summary>
public sealed class DevfsDirectoryNodeSource : IDevfsNodeSource
{
    private readonly Func<string, ISet<string>> _mountPointsBelow;

    /// <param name="mountPointsBelow">The mount points strictly below a directory (from getfsstat).</param>
    public DevfsDirectoryNodeSource(Func<string, ISet<string>> mountPointsBelow) => _mountPointsBelow = mountPointsBelow;

    public IReadOnlyList<string> VisibleNodes(string devfsMountPoint)
    {
        string root = devfsMountPoint.TrimEnd('/');
        var skip = _mountPointsBelow(root);
        var result = new List<string>();
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            string dir = pending.Pop();
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                string rel = entry.FullName.Substring(root.Length + 1);
                result.Add(rel);
                bool isLink = entry.LinkTarget != null;
                if (!isLink && entry is DirectoryInfo && !skip.Contains(entry.FullName))
                    pending.Push(entry.FullName);
            }
        }
        result.Sort(StringComparer.Ordinal);
        return result;
    }
}
