using System.IO;
using Microsoft.Win32.SafeHandles;

namespace JailPS.Core.Host.SafePath;

/// <summary>
/// Resolves paths beneath a jail root without ever following a symbolic link and without ever
/// leaving the root (DESIGN.md, Host safety). Every operation starts from a held directory
/// handle, walks component by component (or in one kernel-checked call), and refuses any escape
/// with <see cref="PathEscapeException"/>: a symbolic link anywhere on the path, a ".."
/// component, a non-directory where a directory is needed, or a kernel "outside the root" error.
/// Paths are relative to the handle; a leading "/" is read as the jail's own "/" (the root).
/// Handles returned are owned by the caller (dispose them); operations through a held handle
/// stay on the directory that was resolved, even if the name is later replaced.
/// </summary>
public interface IBeneathResolver
{
    /// <summary>Opens the jail root itself. The root path is the host's (trusted) choice.</summary>
    SafeFileHandle OpenRoot(string rootPath);

    /// <summary>Opens an existing directory beneath <paramref name="root"/>; "" or "/" opens the root again.</summary>
    SafeFileHandle OpenDirectoryBeneath(SafeFileHandle root, string relativePath);

    /// <summary>mkdir -p beneath <paramref name="root"/> without following links; returns the last directory.</summary>
    SafeFileHandle CreateDirectoryBeneath(SafeFileHandle root, string relativePath, UnixFileMode mode = DefaultDirectoryMode);

    /// <summary>
    /// Opens a file for writing beneath <paramref name="root"/>: every directory component is
    /// resolved as above and the last component is opened with O_NOFOLLOW (a link there is
    /// refused). <paramref name="fileMode"/> is <see cref="FileMode.Create"/> (create or truncate),
    /// <see cref="FileMode.CreateNew"/> (must not exist) or <see cref="FileMode.OpenOrCreate"/>.
    /// Parent directories must exist (use <see cref="CreateDirectoryBeneath"/> first).
    /// </summary>
    SafeFileHandle OpenFileForWriteBeneath(SafeFileHandle root, string relativePath, FileMode fileMode = FileMode.Create, UnixFileMode mode = DefaultFileMode);

    /// <summary>
    /// Opens an existing regular file for reading beneath <paramref name="root"/>: the directories
    /// resolved as above, the last component opened with O_NOFOLLOW and O_NONBLOCK (a link or a
    /// FIFO the jail planted neither redirects nor hangs the host).
    /// </summary>
    SafeFileHandle OpenFileForReadBeneath(SafeFileHandle root, string relativePath);

    /// <summary>Which mechanism does the walk ("openat2", "openat-walk", "openat-resolve-beneath").</summary>
    string Mechanism { get; }

    const UnixFileMode DefaultDirectoryMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    const UnixFileMode DefaultFileMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
}
