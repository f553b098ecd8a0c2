using System.IO;
using System;
using System.Collections.Generic;

namespace JailPS.Core.Host;

/// <summary>
/// The host's file system as JailPS sees it. Paths given to and returned from these methods are
/// always FreeBSD host paths ("/etc/jail.conf"); on the real host they are used as they are, on the
/// simulated host they live under the sandbox directory that stands for "/".
/// </summary>
public interface IHostFileSystem
{
    /// <summary>The local path that backs a host path (identity on the real host).</summary>
    string ToLocalPath(string hostPath);

    bool FileExists(string hostPath);

    /// <summary>
    /// realpath(3) of a host path: every symbolic link resolved, as the kernel records a path it
    /// mounted on. Used only for paths the host chose (a jail's root), never beneath one.
    /// </summary>
    string RealPath(string hostPath);
    bool DirectoryExists(string hostPath);

    /// <summary>The file's text, or null when it does not exist.</summary>
    string? ReadAllText(string hostPath);

    /// <summary>
    /// Host paths matching a glob(3) pattern ("*", "?", "[...]" within one path component),
    /// sorted in byte order as glob(3) returns them. A pattern without wildcards yields the path
    /// itself when it exists.
    /// </summary>
    IReadOnlyList<string> Glob(string hostPattern);

    /// <summary>
    /// The one way JailPS changes a host file: under the file's own lock (so two commands editing
    /// the same file take turns, whatever jail they act on), read the file as it is now, let
    /// <paramref name="change"/> compute the new text from it (null deletes the file; returning the
    /// text unchanged writes nothing), and write it keeping the bytes nobody changed (encoding, BOM),
    /// the owner, the mode (setuid included) and hard links. Links to the file are followed (see
    /// <c>RootedFileSystem</c>). Returns the text before and after.
    /// </summary>
    HostFileEdit Edit(string hostPath, Func<string?, string?> change)
    {
        // For in-memory stand-ins in tests; RootedFileSystem, the host's own, locks and keeps bytes.
        string? before = ReadAllText(hostPath);
        string? after = change(before);
        if (after is null) { if (before != null) DeleteFile(hostPath); }
        else if (after != before) WriteAllTextAtomic(hostPath, after);
        return new HostFileEdit(before, after);
    }

    /// <summary>Writes a whole file (an <see cref="Edit"/> that ignores what the file held).</summary>
    void WriteAllTextAtomic(string hostPath, string text);

    void DeleteFile(string hostPath);

    /// <summary>Creates a directory and its missing parents (mode 0755).</summary>
    void CreateDirectory(string hostPath);

    /// <summary>Removes an empty directory.</summary>
    void DeleteEmptyDirectory(string hostPath);

    /// <summary>Appends text to a file, creating it when missing (exec.consolelog).</summary>
    void AppendAllText(string hostPath, string text);

    /// <summary>
    /// A stream on a file of JailPS's own (the release cache), links on the way resolved as for the
    /// other host configuration paths; never used beneath a jail root.
    /// </summary>
    Stream OpenFile(string hostPath, FileMode mode, FileAccess access)
        => throw new NotSupportedException("this host file system has no streams");

    /// <summary>Renames a directory of JailPS's own (rename(2)); the last component is taken as it is.</summary>
    void MoveDirectory(string fromHostPath, string toHostPath)
        => throw new NotSupportedException("this host file system cannot rename");

    /// <summary>Makes a symbolic link whose text is <paramref name="target"/> (a thin jail's bin -> /basejail/bin).</summary>
    void CreateSymbolicLink(string hostPath, string target)
        => throw new NotSupportedException("this host file system cannot make links");

    /// <summary>Renames a file of JailPS's own over another (rename(2): atomic on one file system).</summary>
    void MoveFile(string fromHostPath, string toHostPath)
        => throw new NotSupportedException("this host file system cannot rename");
}

/// <summary>What <see cref="IHostFileSystem.Edit"/> found and left: null for a file that did not exist, or that was deleted.</summary>
public sealed record HostFileEdit(string? Before, string? After);
