using System.Linq;
using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Enumeration;

namespace JailPS.Core.Host;

/// <summary>
/// The host file system under a root directory: "/" itself on the real host, the sandbox
/// directory on the simulated host.
/// </summary>
public sealed class RootedFileSystem : IHostFileSystem
{
    private readonly string _root;

    public RootedFileSystem(string root)
    {
        _root = Path.GetFullPath(root).TrimEnd('/');
    }

    public string Root => _root.Length == 0 ? "/" : _root;

    public string ToLocalPath(string hostPath)
    {
        string normalized = HostPath.Normalize(hostPath);
        return _root.Length == 0 ? normalized : _root + (normalized == "/" ? "" : normalized);
    }

    public string RealPath(string hostPath)
    {
        var done = new List<string>();
        var pending = new List<string>(HostPath.Normalize(hostPath).Split('/', StringSplitOptions.RemoveEmptyEntries));
        int links = 0;
        while (pending.Count > 0)
        {
            string c = pending[0];
            pending.RemoveAt(0);
            if (c == ".") continue;
            if (c == "..") { if (done.Count > 0) done.RemoveAt(done.Count - 1); continue; }
            string host = "/" + string.Join('/', done.Append(c));
            string? target = new FileInfo(ToLocalPath(host)).LinkTarget;
            if (target is null) { done.Add(c); continue; }
            if (++links > 32) throw new IOException($"{hostPath}: too many levels of symbolic links");
            if (target.StartsWith('/')) done.Clear();
            pending.InsertRange(0, target.Split('/', StringSplitOptions.RemoveEmptyEntries));
        }
        return "/" + string.Join('/', done);
    }

    public bool FileExists(string hostPath) => File.Exists(FollowLinks(ToLocalPath(hostPath)));
    public bool DirectoryExists(string hostPath) => Directory.Exists(FollowLinks(ToLocalPath(hostPath)));

    public string? ReadAllText(string hostPath)
    {
        string local = FollowLinks(ToLocalPath(hostPath));
        return File.Exists(local) ? File.ReadAllText(local) : null;
    }

    public IReadOnlyList<string> Glob(string hostPattern)
    {
        string pattern = HostPath.Normalize(hostPattern);
        var results = new List<string> { "/" };
        foreach (string component in pattern.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = new List<string>();
            bool wild = component.IndexOfAny(new[] { '*', '?', '[' }) >= 0;
            foreach (string dir in results)
            {
                string localDir = ToLocalPath(dir);
                if (!wild)
                {
                    string candidate = HostPath.Combine(dir, component);
                    if (File.Exists(ToLocalPath(candidate)) || Directory.Exists(ToLocalPath(candidate)))
                        next.Add(candidate);
                    continue;
                }
                if (!Directory.Exists(localDir)) continue;
                foreach (string entry in Directory.EnumerateFileSystemEntries(localDir))
                {
                    string name = Path.GetFileName(entry);
                    if (name.StartsWith('.') && !component.StartsWith('.')) continue; // glob(3): leading dot must match explicitly
                    if (FileSystemName.MatchesSimpleExpression(component, name, ignoreCase: false))
                        next.Add(HostPath.Combine(dir, name));
                }
            }
            results = next;
        }
        results.Sort(StringComparer.Ordinal);
        return results;
    }

    public void WriteAllTextAtomic(string hostPath, string text)
    {
        string local = ToLocalPath(hostPath);
        // Replace the file a symlink points to, not the link itself (/etc/jail.conf is often a link
        // into a configuration repository), and keep the old file's permission bits.
        local = FollowLinks(local);
        UnixFileMode? mode = !OperatingSystem.IsWindows() && File.Exists(local) ? File.GetUnixFileMode(local) : null;
        string dir = Path.GetDirectoryName(local)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, "." + Path.GetFileName(local) + ".jailps-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            using (var w = new StreamWriter(fs))
            {
                w.Write(text);
                w.Flush();
                fs.Flush(flushToDisk: true);
            }
            if (mode is UnixFileMode m && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(temp, m);
            File.Move(temp, local, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// The file a chain of symlinks ends at. Absolute link targets are host paths, so under a
    /// sandbox root they resolve inside it: a link never leads out of the simulated host.
    /// </summary>
    private string FollowLinks(string local)
    {
        for (int hops = 0; hops < 32; hops++)
        {
            string? target = new FileInfo(local).LinkTarget;
            if (target is null) return local;
            local = target.StartsWith('/')
                ? (_root.Length == 0 ? target : _root + HostPath.Normalize(target))
                : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(local)!, target));
            if (_root.Length > 0 && !local.StartsWith(_root + "/", StringComparison.Ordinal))
                throw new IOException($"a symbolic link leads outside the simulated host's root {_root}");
        }
        throw new IOException("too many levels of symbolic links");
    }

    public void DeleteFile(string hostPath) => File.Delete(ToLocalPath(hostPath));

    public void CreateDirectory(string hostPath)
    {
        var info = Directory.CreateDirectory(ToLocalPath(hostPath));
        if (!OperatingSystem.IsWindows())
            info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    }

    public void DeleteEmptyDirectory(string hostPath) => Directory.Delete(ToLocalPath(hostPath), recursive: false);

    public void AppendAllText(string hostPath, string text) => File.AppendAllText(ToLocalPath(hostPath), text);
}
