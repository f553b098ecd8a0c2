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

    /// <summary>
    /// The local path of a host path with every symbolic link on it resolved the way the kernel
    /// resolves them, component by component (<see cref="RealPath"/>): absolute link targets are
    /// host paths and ".." stops at the root, so under a sandbox root nothing, neither a linked
    /// directory (DIR/etc -> /etc) nor a linked file, ever leads outside it. This is the stated rule
    /// for host configuration paths (jail.conf, jail.conf.d, /var/run/jailps, export targets): the
    /// host's administrator placed those links. Paths beneath a jail root are never opened here but
    /// with the beneath-root resolver, which follows no link at all.
    /// </summary>
    private string Resolved(string hostPath) => ToLocalPath(RealPath(hostPath));

    /// <summary>As <see cref="Resolved"/> for the directories, the last component taken as it is (to delete a link, not its target).</summary>
    private string ResolvedParent(string hostPath)
    {
        string normalized = HostPath.Normalize(hostPath);
        return ToLocalPath(HostPath.Combine(RealPath(HostPath.GetDirectoryName(normalized)), HostPath.GetFileName(normalized)));
    }

    public bool FileExists(string hostPath) => File.Exists(Resolved(hostPath));
    public bool DirectoryExists(string hostPath) => Directory.Exists(Resolved(hostPath));

    /// <summary>
    /// The text of a regular file; null when it does not exist. Anything else there (a FIFO, a
    /// device, a socket, a directory) is a <see cref="HostFileNotRegularException"/>: it is checked
    /// on the open descriptor, which a FIFO cannot block (<see cref="IHostFileCalls.OpenRegularForRead"/>).
    /// </summary>
    public string? ReadAllText(string hostPath)
        => ReadRegularFile(Resolved(hostPath)) is { } bytes ? HostText.Decode(bytes).Text : null;

    /// <summary>The bytes of the regular file at a local path, or null when there is none.</summary>
    private static byte[]? ReadRegularFile(string local)
    {
        using var handle = HostFileCalls.ForCurrentOs().OpenRegularForRead(local);
        if (handle is null) return null;
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 1);
        var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
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
                string localDir = Resolved(dir);
                if (!wild)
                {
                    string candidate = HostPath.Combine(dir, component);
                    string localCandidate = Resolved(candidate);
                    if (File.Exists(localCandidate) || Directory.Exists(localCandidate))
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

    public void WriteAllTextAtomic(string hostPath, string text) => Edit(hostPath, _ => text);

    /// <summary>Where the per-file locks live: one lock file per edited file, named by its resolved host path.</summary>
    public const string FileLockDirectory = "/var/run/jailps/files";

    public HostFileEdit Edit(string hostPath, Func<string?, string?> change)
    {
        // Replace the file a symlink points to, not the link itself (/etc/jail.conf is often a link
        // into a configuration repository); the lock is the target's, so two names of one file share it.
        string local = Resolved(hostPath);
        using var fileLock = LockFile(local);
        byte[]? bytes = ReadRegularFile(local);
        HostText? current = bytes is null ? null : HostText.Decode(bytes);
        string? after = change(current?.Text);
        if (after is null)
        {
            if (bytes != null) File.Delete(local);
        }
        else if (current is null || after != current.Text)
        {
            Replace(local, (current ?? HostText.NewFile(after)).Encode(after, hostPath));
        }
        return new HostFileEdit(current?.Text, after);
    }

    /// <summary>flock on FileLockDirectory/NAME.lock for the file at <paramref name="local"/>; waits up to 30 s for another holder.</summary>
    private FileStream LockFile(string local)
    {
        string hostOfLocal = _root.Length == 0 ? local : local.Substring(_root.Length);
        string dir = Resolved(FileLockDirectory);
        Directory.CreateDirectory(dir);
        string lockPath = Path.Combine(dir, HostFileName.ForJail(hostOfLocal, ".lock"));
        return HostFlock.Acquire(lockPath, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(20));
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> as the file's new content. Normally a temporary file beside
    /// it, given the old file's owner and mode (owner first: chown clears setuid), then renamed
    /// over it, so a crash leaves the old file or the new one. A file with other hard links, or
    /// whose owner this process cannot give a new file (not root), is rewritten in place instead:
    /// a rename would cut the links or change the owner.
    /// </summary>
    private void Replace(string local, byte[] bytes)
    {
        string dir = Path.GetDirectoryName(local)!;
        Directory.CreateDirectory(dir);
        string name = Path.GetFileName(local);
        FileOwner? owner = null;
        UnixFileMode? mode = null;
        if (File.Exists(local) && !OperatingSystem.IsWindows())
        {
            using var old = File.OpenHandle(local, FileMode.Open, FileAccess.Read);
            owner = HostFileCalls.ForCurrentOs().Read(old);
            mode = File.GetUnixFileMode(old);
        }
        if (owner is { Links: > 1 })
        {
            WriteInPlace(local, bytes);
            return;
        }
        RemoveOrphans(dir, name);
        string temp = Path.Combine(dir, $".{name}.jailps-{Environment.ProcessId}-{Guid.NewGuid().ToString("N").Substring(0, 8)}");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
                if (owner is { } o && !OperatingSystem.IsWindows())
                {
                    var mine = HostFileCalls.ForCurrentOs().Read(fs.SafeFileHandle);
                    if ((mine.Uid != o.Uid || mine.Gid != o.Gid) && !HostFileCalls.ForCurrentOs().TryChown(fs.SafeFileHandle, o.Uid, o.Gid))
                    {
                        fs.Dispose();
                        File.Delete(temp);
                        WriteInPlace(local, bytes);
                        return;
                    }
                }
                if (mode is UnixFileMode m && !OperatingSystem.IsWindows())
                    File.SetUnixFileMode(fs.SafeFileHandle, m);
            }
            File.Move(temp, local, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static void WriteInPlace(string local, byte[] bytes)
    {
        using var fs = new FileStream(local, FileMode.Open, FileAccess.Write);
        fs.Write(bytes);
        fs.SetLength(bytes.Length);
        fs.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Deletes temporary files an earlier writer of this file left when it was killed mid-write
    /// (.NAME.jailps-PID-XXXXXXXX whose PID is no longer a process). A live writer's file is left alone.
    /// </summary>
    private static void RemoveOrphans(string dir, string name)
    {
        string prefix = "." + name + ".jailps-";
        foreach (string path in Directory.EnumerateFiles(dir, prefix + "*"))
        {
            string rest = Path.GetFileName(path).Substring(prefix.Length);
            int dash = rest.IndexOf('-');
            if (dash <= 0 || !int.TryParse(rest.AsSpan(0, dash), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid))
                continue;
            if (pid == Environment.ProcessId || IsAlive(pid)) continue;
            try { File.Delete(path); } catch (IOException) { }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public void DeleteFile(string hostPath) => File.Delete(ResolvedParent(hostPath));

    public void MoveDirectory(string fromHostPath, string toHostPath) => Directory.Move(ResolvedParent(fromHostPath), ResolvedParent(toHostPath));

    public void CreateSymbolicLink(string hostPath, string target) => File.CreateSymbolicLink(ResolvedParent(hostPath), target);

    public void MoveFile(string fromHostPath, string toHostPath) => File.Move(ResolvedParent(fromHostPath), ResolvedParent(toHostPath), overwrite: true);

    public Stream OpenFile(string hostPath, FileMode mode, FileAccess access)
    {
        string local = Resolved(hostPath);
        // A link at the last component was resolved above; what is opened must be a regular file.
        if (Directory.Exists(local)) throw new IOException($"{hostPath} is a directory");
        return new FileStream(local, mode, access, FileShare.Read, 1 << 16);
    }

    public void CreateDirectory(string hostPath)
    {
        var info = Directory.CreateDirectory(Resolved(hostPath));
        if (!OperatingSystem.IsWindows())
            info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    }

    public void DeleteEmptyDirectory(string hostPath) => Directory.Delete(ResolvedParent(hostPath), recursive: false);

    public void AppendAllText(string hostPath, string text) => File.AppendAllText(Resolved(hostPath), text);
}
