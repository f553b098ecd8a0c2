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

    /// <summary>Writes a whole file by writing a temporary file beside it and renaming it over the target.</summary>
    void WriteAllTextAtomic(string hostPath, string text);

    void DeleteFile(string hostPath);

    /// <summary>Creates a directory and its missing parents (mode 0755).</summary>
    void CreateDirectory(string hostPath);

    /// <summary>Removes an empty directory.</summary>
    void DeleteEmptyDirectory(string hostPath);

    /// <summary>Appends text to a file, creating it when missing (exec.consolelog).</summary>
    void AppendAllText(string hostPath, string text);
}
