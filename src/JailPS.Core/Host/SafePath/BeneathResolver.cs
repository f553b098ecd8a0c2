using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace JailPS.Core.Host.SafePath;

/// <summary>
/// The walk shared by every implementation: lexical checks, then one directory component at a
/// time from a held descriptor, each opened so the kernel refuses a symbolic link or a
/// non-directory. Subclasses supply the system calls and map their own OS's errno values
/// (Linux and FreeBSD numbers differ; neither is ever used for the other). No OS-specific type
/// appears here, so loading this class loads nothing Linux- or FreeBSD-specific.
/// </summary>
public abstract class BeneathResolver : IBeneathResolver
{
    /// <summary>What a failed *at call means for the walk.</summary>
    protected enum Failure { NotFound, Exists, SymbolicLink, NotDirectory, OutsideRoot, IsDirectory, NotSupported, Other }

    public abstract string Mechanism { get; }

    // ---- system calls, per OS. Each returns an fd (or 0 for mkdir) or -1 with errno set. ----

    /// <summary>open(path, O_RDONLY|O_DIRECTORY|O_CLOEXEC) for the trusted root path.</summary>
    protected abstract int OpenRootFd(byte[] path, out int errno);
    /// <summary>Opens one name in <paramref name="dirFd"/> as a directory, refusing a link or non-directory.</summary>
    protected abstract int OpenDirectoryComponent(int dirFd, byte[] name, out int errno);
    /// <summary>mkdirat(dirFd, name, mode): never follows a link at <paramref name="name"/>.</summary>
    protected abstract int MakeDirectoryComponent(int dirFd, byte[] name, UnixFileMode mode, out int errno);
    /// <summary>Opens one name in <paramref name="dirFd"/> for writing with O_NOFOLLOW (and O_CREAT).</summary>
    protected abstract int OpenFileComponent(int dirFd, byte[] name, bool truncate, bool exclusive, UnixFileMode mode, out int errno);
    /// <summary>Opens one name in <paramref name="dirFd"/> for reading with O_NOFOLLOW and O_NONBLOCK.</summary>
    protected abstract int OpenReadComponent(int dirFd, byte[] name, out int errno);
    protected abstract void CloseFd(int fd);
    /// <summary>
    /// readlinkat(dirFd, name) succeeds: the name is a symbolic link. Used only to name the reason
    /// of a refusal that already happened (Linux's openat answers ENOTDIR, not ELOOP, for
    /// O_DIRECTORY|O_NOFOLLOW on a link, and O_CREAT|O_EXCL answers EEXIST for any link).
    /// </summary>
    protected abstract bool IsSymbolicLink(int dirFd, byte[] name);
    protected abstract Failure Classify(int errno);
    protected abstract string ErrnoName(int errno);

    /// <summary>
    /// Optional whole-path fast path (Linux openat2). Returns an fd, or -1 to make the caller run the
    /// component walk (which is safe on its own and also names the offending component).
    /// </summary>
    protected virtual int TryOpenDirectoryPath(int rootFd, byte[] relativePath) => -1;

    // ---- public operations ----

    public SafeFileHandle OpenRoot(string rootPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootPath);
        int fd = OpenRootFd(ToCString(rootPath), out int errno);
        if (fd < 0)
            throw Io($"Cannot open jail root '{rootPath}'", errno);
        var handle = new SafeFileHandle((IntPtr)fd, ownsHandle: true);
        s_names.AddOrUpdate(handle, rootPath);
        return handle;
    }

    public SafeFileHandle OpenDirectoryBeneath(SafeFileHandle root, string relativePath)
    {
        string[] components = Split(root, relativePath);
        return WithFd(root, rootFd =>
        {
            if (components.Length > 0)
            {
                int fast = TryOpenDirectoryPath(rootFd, ToCString(string.Join('/', components)));
                if (fast >= 0)
                    return Named(new SafeFileHandle((IntPtr)fast, ownsHandle: true), root, components);
            }
            return Named(new SafeFileHandle((IntPtr)Walk(NameOf(root), rootFd, components, components.Length, create: false, 0, relativePath), ownsHandle: true), root, components);
        });
    }

    public SafeFileHandle CreateDirectoryBeneath(SafeFileHandle root, string relativePath, UnixFileMode mode = IBeneathResolver.DefaultDirectoryMode)
    {
        string[] components = Split(root, relativePath);
        return WithFd(root, rootFd =>
            Named(new SafeFileHandle((IntPtr)Walk(NameOf(root), rootFd, components, components.Length, create: true, mode, relativePath), ownsHandle: true), root, components));
    }

    public SafeFileHandle OpenFileForWriteBeneath(SafeFileHandle root, string relativePath, FileMode fileMode = FileMode.Create, UnixFileMode mode = IBeneathResolver.DefaultFileMode)
    {
        bool truncate, exclusive;
        switch (fileMode)
        {
            case FileMode.Create: truncate = true; exclusive = false; break;
            case FileMode.CreateNew: truncate = false; exclusive = true; break;
            case FileMode.OpenOrCreate: truncate = false; exclusive = false; break;
            default: throw new ArgumentOutOfRangeException(nameof(fileMode), fileMode, "Only Create, CreateNew and OpenOrCreate are supported.");
        }
        return OpenLeafBeneath(root, relativePath, (parent, leaf) => (OpenFileComponent(parent, leaf, truncate, exclusive, mode, out int errno), errno));
    }

    public SafeFileHandle OpenFileForReadBeneath(SafeFileHandle root, string relativePath)
        => OpenLeafBeneath(root, relativePath, (parent, leaf) => (OpenReadComponent(parent, leaf, out int errno), errno));

    /// <summary>The directories walked as everywhere, then the last component opened by <paramref name="open"/> from its parent's descriptor.</summary>
    private SafeFileHandle OpenLeafBeneath(SafeFileHandle root, string relativePath, Func<int, byte[], (int Fd, int Errno)> open)
    {
        string[] components = Split(root, relativePath);
        if (components.Length == 0)
            throw new ArgumentException("A file path beneath the root must name a file.", nameof(relativePath));
        return WithFd(root, rootFd =>
        {
            int parent = Walk(NameOf(root), rootFd, components, components.Length - 1, create: false, 0, relativePath);
            try
            {
                byte[] leaf = ToCString(components[^1]);
                var (fd, errno) = open(parent, leaf);
                if (fd < 0)
                    throw Refusal(NameOf(root), relativePath, string.Join('/', components), errno, isFile: true, parent, leaf);
                return Named(new SafeFileHandle((IntPtr)fd, ownsHandle: true), root, components);
            }
            finally
            {
                CloseFd(parent);
            }
        });
    }

    // ---- the walk ----

    /// <summary>
    /// Opens components[0..count) one by one from <paramref name="rootFd"/>, each from the
    /// descriptor of the one before (never by name from the root again), so a component swapped
    /// for a link after it was opened cannot redirect the rest. Returns a new fd the caller owns.
    /// </summary>
    private int Walk(string rootName, int rootFd, string[] components, int count, bool create, UnixFileMode mode, string relativePath)
    {
        int current = OpenDirectoryComponent(rootFd, Dot, out int errno);
        if (current < 0)
            throw Io("Cannot reopen the jail root", errno);
        try
        {
            for (int i = 0; i < count; i++)
            {
                byte[] name = ToCString(components[i]);
                int next = OpenDirectoryComponent(current, name, out errno);
                if (next < 0 && create && Classify(errno) == Failure.NotFound)
                {
                    if (MakeDirectoryComponent(current, name, mode, out errno) < 0 && Classify(errno) != Failure.Exists)
                        throw Refusal(rootName, relativePath, Prefix(components, i), errno, isFile: false, current, name);
                    // Whatever is there now (ours, or something raced in) is opened with the same
                    // checks: a link planted between mkdirat and openat is refused here.
                    next = OpenDirectoryComponent(current, name, out errno);
                }
                if (next < 0)
                    throw Refusal(rootName, relativePath, Prefix(components, i), errno, isFile: false, current, name);
                CloseFd(current);
                current = next;
            }
            int result = current;
            current = -1;
            return result;
        }
        finally
        {
            if (current >= 0)
                CloseFd(current);
        }
    }

    private Exception Refusal(string rootName, string relativePath, string component, int errno, bool isFile, int dirFd, byte[] name)
    {
        Failure failure = Classify(errno);
        if ((failure == Failure.NotDirectory || failure == Failure.Exists) && IsSymbolicLink(dirFd, name))
            failure = Failure.SymbolicLink;
        switch (failure)
        {
            case Failure.SymbolicLink:
                return new PathEscapeException(rootName, relativePath, component, PathEscapeReason.SymbolicLink, errno, ErrnoName(errno));
            case Failure.NotDirectory:
                return new PathEscapeException(rootName, relativePath, component, PathEscapeReason.NotDirectory, errno, ErrnoName(errno));
            case Failure.OutsideRoot:
                return new PathEscapeException(rootName, relativePath, component, PathEscapeReason.OutsideRoot, errno, ErrnoName(errno));
            case Failure.NotFound:
                return isFile
                    ? new FileNotFoundException($"'{component}' does not exist beneath the jail root ({ErrnoName(errno)}).", component)
                    : new DirectoryNotFoundException($"'{component}' does not exist beneath the jail root ({ErrnoName(errno)}).");
            default:
                return Io($"Cannot open '{component}' beneath the jail root", errno);
        }
    }

    private IOException Io(string what, int errno) => new($"{what}: {ErrnoName(errno)}.");

    private static string Prefix(string[] components, int index) => string.Join('/', components, 0, index + 1);

    /// <summary>Host paths of the handles this resolver returned, for error messages only.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SafeFileHandle, string> s_names = new();

    private static string NameOf(SafeFileHandle handle) => s_names.TryGetValue(handle, out string? name) ? name : "<directory handle>";

    private static SafeFileHandle Named(SafeFileHandle handle, SafeFileHandle parent, string[] components)
    {
        string baseName = NameOf(parent);
        s_names.AddOrUpdate(handle, components.Length == 0 ? baseName : baseName.TrimEnd('/') + "/" + string.Join('/', components));
        return handle;
    }

    private static readonly byte[] Dot = { (byte)'.', 0 };

    /// <summary>Lexical checks: a leading "/" means the root, "" and "." are skipped, ".." is refused.</summary>
    internal static string[] Split(SafeFileHandle root, string relativePath)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(relativePath);
        if (root.IsInvalid || root.IsClosed)
            throw new ArgumentException("The root handle is closed or invalid.", nameof(root));
        if (relativePath.IndexOf('\0') >= 0)
            throw new ArgumentException("A path may not contain NUL.", nameof(relativePath));
        var result = new List<string>();
        foreach (string part in relativePath.Split('/'))
        {
            if (part.Length == 0 || part == ".")
                continue;
            if (part == "..")
            {
                result.Add(part);
                throw new PathEscapeException(NameOf(root), relativePath, string.Join('/', result), PathEscapeReason.DotDot);
            }
            result.Add(part);
        }
        return result.ToArray();
    }

    private static T WithFd<T>(SafeFileHandle handle, Func<int, T> action)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return action((int)handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }

    internal static byte[] ToCString(string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        byte[] bytes = new byte[n + 1];
        Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
        return bytes;
    }
}
