using System.IO;
using System.Text;
using JailPS.Core.Host.SafePath;
using Microsoft.Win32.SafeHandles;
using Xunit.Abstractions;

#pragma warning disable CA1416 // Unix file modes: these tests run on Linux and FreeBSD only

namespace JailPS.Core.Tests.SafePath;

/// <summary>
/// The escape suite, run against every resolver implementation. Each test builds a fresh temp
/// tree with REAL symbolic links:
///   tmp/jails/web        the jail root (what the resolver is given)
///   tmp/outside          a directory outside the root, with a sentinel file
/// and, after every attempt, checks that nothing outside the root was created or changed.
/// </summary>
public abstract class BeneathResolverSuite : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _tmp;
    protected readonly string Root;
    protected readonly string Outside;
    private readonly string _outsideSnapshot;
    private readonly string _etcProbe = "jailps-escape-probe-" + Guid.NewGuid().ToString("N");
    private IBeneathResolver? _resolver;

    protected BeneathResolverSuite(ITestOutputHelper output)
    {
        _output = output;
        _tmp = Path.Combine(Path.GetTempPath(), "jailps-safepath-" + Guid.NewGuid().ToString("N"));
        Root = Path.Combine(_tmp, "jails", "web");
        Outside = Path.Combine(_tmp, "outside");
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Path.Combine(Outside, "etc"));
        File.WriteAllText(Path.Combine(Outside, "etc", "passwd"), "root:*:0:0::/root:/bin/sh\n");
        File.WriteAllText(Path.Combine(Outside, "hosts"), "sentinel\n");

        // Legitimate content.
        Directory.CreateDirectory(Path.Combine(Root, "etc"));
        Directory.CreateDirectory(Path.Combine(Root, "sub", "inner"));
        Directory.CreateDirectory(Path.Combine(Root, "legit", "dir"));
        File.WriteAllText(Path.Combine(Root, "file.txt"), "a file, not a directory\n");

        // What a jail's root user could plant.
        Directory.CreateSymbolicLink(Path.Combine(Root, "dev"), "/etc");                                   // dev -> /etc
        Directory.CreateSymbolicLink(Path.Combine(Root, "devout"), Path.Combine(Outside, "etc"));          // absolute link to outside
        Directory.CreateSymbolicLink(Path.Combine(Root, "rel"), "../../outside");                          // relative, climbs out
        Directory.CreateSymbolicLink(Path.Combine(Root, "a"), "b");                                        // chain a -> b -> c -> outside
        Directory.CreateSymbolicLink(Path.Combine(Root, "b"), "c");
        Directory.CreateSymbolicLink(Path.Combine(Root, "c"), Outside);
        Directory.CreateSymbolicLink(Path.Combine(Root, "chainetc"), "chainetc2");                          // chain -> /etc
        Directory.CreateSymbolicLink(Path.Combine(Root, "chainetc2"), "/etc");
        Directory.CreateSymbolicLink(Path.Combine(Root, "slash"), "/");                                    // link to /
        Directory.CreateSymbolicLink(Path.Combine(Root, "inside"), "sub");                                 // stays inside: still refused
        Directory.CreateSymbolicLink(Path.Combine(Root, "self"), ".");                                     // points at itself
        Directory.CreateSymbolicLink(Path.Combine(Root, "loop1"), "loop2");                                // a loop
        Directory.CreateSymbolicLink(Path.Combine(Root, "loop2"), "loop1");
        Directory.CreateSymbolicLink(Path.Combine(Root, "proc"), "/proc/self/root");                       // magic-link target
        Directory.CreateSymbolicLink(Path.Combine(Root, "legit", "dir", "deep"), "../../../../outside");    // deep link, climbs out
        File.CreateSymbolicLink(Path.Combine(Root, "etc", "hosts"), Path.Combine(Outside, "hosts"));        // last component: existing target
        File.CreateSymbolicLink(Path.Combine(Root, "etc", "resolv.conf"), Path.Combine(Outside, "new.conf")); // last component: dangling
        File.CreateSymbolicLink(Path.Combine(Root, "etc", "rc.conf"), "../../../outside/rc.conf");         // dangling, relative

        _outsideSnapshot = Snapshot(Outside);
    }

    /// <summary>The implementation under test; skips (with the reason) where it cannot run.</summary>
    protected abstract IBeneathResolver CreateResolver();

    protected IBeneathResolver Resolver => _resolver ??= CreateResolver();

    public void Dispose()
    {
        try { Directory.Delete(_tmp, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    // ---------------------------------------------------------------- escapes

    public enum Op { OpenDirectory, CreateDirectory, OpenFileForWrite }

    /// <summary>(path beneath the root, operation, expected reason, offending component).</summary>
    public static IEnumerable<object[]> EscapeAttempts()
    {
        object[] A(string path, Op op, PathEscapeReason reason, string component) => new object[] { path, op, reason, component };
        const PathEscapeReason Link = PathEscapeReason.SymbolicLink;
        // dev -> /etc: only opened, never created in or written through, whatever happens.
        yield return A("dev", Op.OpenDirectory, Link, "dev");
        yield return A("/dev", Op.OpenDirectory, Link, "dev");
        yield return A("dev/ssh", Op.OpenDirectory, Link, "dev");
        yield return A("chainetc", Op.OpenDirectory, Link, "chainetc");
        yield return A("slash", Op.OpenDirectory, Link, "slash");
        yield return A("slash/etc", Op.OpenDirectory, Link, "slash");
        yield return A("proc", Op.OpenDirectory, Link, "proc");
        // The same shapes pointing at our own outside directory: every operation.
        foreach (Op op in new[] { Op.OpenDirectory, Op.CreateDirectory, Op.OpenFileForWrite })
        {
            string leaf = op == Op.OpenDirectory ? "" : "/probe";
            yield return A("devout" + (op == Op.OpenDirectory ? "" : "/passwd"), op, Link, "devout");
            yield return A("rel" + leaf, op, Link, "rel");
            yield return A("rel/etc" + leaf, op, Link, "rel");
            yield return A("a" + leaf, op, Link, "a");
            yield return A("b/etc" + leaf, op, Link, "b");
            yield return A("legit/dir/deep" + leaf, op, Link, "legit/dir/deep");
            yield return A("legit/dir/deep/etc" + leaf, op, Link, "legit/dir/deep");
            yield return A("inside" + leaf, op, Link, "inside");
            yield return A("self/sub" + leaf, op, Link, "self");
            yield return A("loop1" + leaf, op, Link, "loop1");
            yield return A("sub/../../outside" + leaf, op, PathEscapeReason.DotDot, "sub/..");
            yield return A("../outside" + leaf, op, PathEscapeReason.DotDot, "..");
            yield return A("sub/inner/../inner" + leaf, op, PathEscapeReason.DotDot, "sub/inner/..");
            yield return A("file.txt/x" + leaf, op, PathEscapeReason.NotDirectory, "file.txt");
        }
        // Links as the last component of a host-side write (hosts, resolv.conf, rc.conf).
        foreach (FileMode mode in new[] { FileMode.Create, FileMode.CreateNew, FileMode.OpenOrCreate })
        {
            yield return A("etc/hosts|" + mode, Op.OpenFileForWrite, Link, "etc/hosts");
            yield return A("/etc/resolv.conf|" + mode, Op.OpenFileForWrite, Link, "etc/resolv.conf");
            yield return A("etc/rc.conf|" + mode, Op.OpenFileForWrite, Link, "etc/rc.conf");
        }
        // A link as the last component of mkdir -p / open directory.
        yield return A("etc/hosts", Op.OpenDirectory, Link, "etc/hosts");
        yield return A("etc/resolv.conf", Op.CreateDirectory, Link, "etc/resolv.conf");
        yield return A("sub/inner/new/../x", Op.CreateDirectory, PathEscapeReason.DotDot, "sub/inner/new/..");
    }

    public static int EscapeAttemptCount => EscapeAttempts().Count();

    [SkippableTheory]
    [MemberData(nameof(EscapeAttempts))]
    public void Escape_attempt_is_refused_and_nothing_outside_changes(string path, Op op, PathEscapeReason reason, string component)
    {
        IBeneathResolver resolver = Resolver;
        using SafeFileHandle root = resolver.OpenRoot(Root);
        string before = Snapshot(Root);

        PathEscapeException ex = Assert.Throws<PathEscapeException>(() => Attempt(resolver, root, path, op));

        _output.WriteLine($"{resolver.Mechanism}: {op} '{path}' refused: {ex.Message}");
        Assert.Equal("JailPathEscape", ex.ErrorId);
        Assert.Equal(reason, ex.Reason);
        Assert.Equal(component, ex.Component);
        Assert.Equal(Root, ex.Root);
        AssertOutsideUntouched();
        Assert.Equal(before, Snapshot(Root)); // a refused mkdir -p leaves no half-made prefix behind either
    }

    private static void Attempt(IBeneathResolver resolver, SafeFileHandle root, string path, Op op)
    {
        FileMode mode = FileMode.Create;
        int bar = path.IndexOf('|');
        if (bar >= 0)
        {
            mode = Enum.Parse<FileMode>(path.Substring(bar + 1));
            path = path.Substring(0, bar);
        }
        switch (op)
        {
            case Op.OpenDirectory:
                resolver.OpenDirectoryBeneath(root, path).Dispose();
                break;
            case Op.CreateDirectory:
                resolver.CreateDirectoryBeneath(root, path).Dispose();
                break;
            default:
                using (var handle = resolver.OpenFileForWriteBeneath(root, path, mode))
                using (var stream = new FileStream(handle, FileAccess.Write))
                    stream.Write("ESCAPED\n"u8);
                break;
        }
    }

    [SkippableFact]
    public void Dev_link_to_etc_never_creates_or_writes_in_etc()
    {
        // The one case the brief names literally: dev -> /etc, with create and write attempts
        // whose names are unique, so their absence from the real /etc proves nothing got through.
        IBeneathResolver resolver = Resolver;
        using SafeFileHandle root = resolver.OpenRoot(Root);
        Assert.Throws<PathEscapeException>(() => resolver.CreateDirectoryBeneath(root, "dev/" + _etcProbe).Dispose());
        Assert.Throws<PathEscapeException>(() => resolver.OpenFileForWriteBeneath(root, "dev/" + _etcProbe).Dispose());
        Assert.Throws<PathEscapeException>(() => resolver.OpenFileForWriteBeneath(root, "chainetc/" + _etcProbe).Dispose());
        Assert.False(Path.Exists(Path.Combine("/etc", _etcProbe)));
    }

    [SkippableFact]
    public void A_read_beneath_the_root_follows_no_planted_link_and_a_fifo_does_not_hang()
    {
        IBeneathResolver resolver = Resolver;
        using SafeFileHandle root = resolver.OpenRoot(Root);
        using (var handle = resolver.OpenFileForReadBeneath(root, "file.txt"))
        using (var stream = new FileStream(handle, FileAccess.Read))
        using (var reader = new StreamReader(stream))
            Assert.Equal("a file, not a directory\n", reader.ReadToEnd());
        // The last component a link (to a file outside), or a link on the way: refused, nothing read.
        Assert.Equal(PathEscapeReason.SymbolicLink, Assert.Throws<PathEscapeException>(() => resolver.OpenFileForReadBeneath(root, "etc/hosts").Dispose()).Reason);
        Assert.Equal(PathEscapeReason.SymbolicLink, Assert.Throws<PathEscapeException>(() => resolver.OpenFileForReadBeneath(root, "devout/passwd").Dispose()).Reason);
        Assert.Equal(PathEscapeReason.SymbolicLink, Assert.Throws<PathEscapeException>(() => resolver.OpenFileForReadBeneath(root, "dev/passwd").Dispose()).Reason);
        // A FIFO the jail made opens at once with O_NONBLOCK (no writer needed): the host never hangs on it.
        if (OperatingSystem.IsLinux())
        {
            MakeFifo(Path.Combine(Root, "sub", "fifo"));
            resolver.OpenFileForReadBeneath(root, "sub/fifo").Dispose();
        }
        AssertOutsideUntouched();
    }

    private static unsafe void MakeFifo(string path)
    {
        byte[] b = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = b)
            Assert.Equal(0, Tmds.Linux.LibC.mkfifo(p, 0x1b6));
    }

    // ---------------------------------------------------------------- TOCTOU

    [SkippableFact]
    public void Held_handle_stays_on_the_resolved_directory_after_a_link_is_swapped_in()
    {
        IBeneathResolver resolver = Resolver;
        Directory.CreateDirectory(Path.Combine(Root, "var", "run"));
        using SafeFileHandle root = resolver.OpenRoot(Root);
        using SafeFileHandle held = resolver.OpenDirectoryBeneath(root, "var");

        // The jail swaps var for a link to the outside after the host validated it.
        Directory.Move(Path.Combine(Root, "var"), Path.Combine(Root, "var.old"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "var"), Outside);

        // Work through the held handle lands in the directory that was resolved, inside the root.
        using (SafeFileHandle pid = resolver.OpenFileForWriteBeneath(held, "run/jail.pid"))
        using (var stream = new FileStream(pid, FileAccess.Write))
            stream.Write("42\n"u8);
        resolver.CreateDirectoryBeneath(held, "log/jailps").Dispose();
        Assert.Equal("42\n", File.ReadAllText(Path.Combine(Root, "var.old", "run", "jail.pid")));
        Assert.True(Directory.Exists(Path.Combine(Root, "var.old", "log", "jailps")));

        // A fresh resolution by name sees the link and refuses it.
        var ex = Assert.Throws<PathEscapeException>(() => resolver.OpenDirectoryBeneath(root, "var/run").Dispose());
        Assert.Equal("var", ex.Component);
        Assert.Throws<PathEscapeException>(() => resolver.OpenFileForWriteBeneath(root, "var/run/jail.pid").Dispose());
        Assert.Throws<PathEscapeException>(() => resolver.CreateDirectoryBeneath(root, "var/log").Dispose());
        AssertOutsideUntouched();
    }

    [SkippableFact]
    public void Held_handle_for_a_file_target_stays_on_the_file_after_a_swap()
    {
        IBeneathResolver resolver = Resolver;
        using SafeFileHandle root = resolver.OpenRoot(Root);
        using SafeFileHandle file = resolver.OpenFileForWriteBeneath(root, "etc/motd");
        // Swap the name for a link to an outside file after opening: the write goes to the opened file.
        File.Move(Path.Combine(Root, "etc", "motd"), Path.Combine(Root, "etc", "motd.old"));
        File.CreateSymbolicLink(Path.Combine(Root, "etc", "motd"), Path.Combine(Outside, "hosts"));
        using (var stream = new FileStream(file, FileAccess.Write))
            stream.Write("welcome\n"u8);
        Assert.Equal("welcome\n", File.ReadAllText(Path.Combine(Root, "etc", "motd.old")));
        Assert.Throws<PathEscapeException>(() => resolver.OpenFileForWriteBeneath(root, "etc/motd").Dispose());
        AssertOutsideUntouched();
    }

    // ---------------------------------------------------------------- legitimate paths

    [SkippableFact]
    public void Deep_legitimate_paths_work()
    {
        IBeneathResolver resolver = Resolver;
        using SafeFileHandle root = resolver.OpenRoot(Root);
        const string deep = "usr/local/etc/jailps/a/b/c/d/e/f/g/h/i/j";
        resolver.CreateDirectoryBeneath(root, deep).Dispose();
        Assert.True(Directory.Exists(Path.Combine(Root, deep)));
        // Again (all exist now), and with leading "/", "." and doubled slashes.
        using (SafeFileHandle dir = resolver.CreateDirectoryBeneath(root, "/usr//local/./etc/jailps/a/b/c/d/e/f/g/h/i/j/"))
        using (SafeFileHandle f = resolver.OpenFileForWriteBeneath(dir, "deep.conf"))
        using (var stream = new FileStream(f, FileAccess.Write))
            stream.Write("deep\n"u8);
        Assert.Equal("deep\n", File.ReadAllText(Path.Combine(Root, deep, "deep.conf")));

        using (SafeFileHandle f = resolver.OpenFileForWriteBeneath(root, "/" + deep + "/deep.conf", FileMode.Create))
        using (var stream = new FileStream(f, FileAccess.Write))
            stream.Write("x\n"u8);
        Assert.Equal("x\n", File.ReadAllText(Path.Combine(Root, deep, "deep.conf"))); // truncated

        using (SafeFileHandle f = resolver.OpenFileForWriteBeneath(root, "sub/inner/hostname", FileMode.CreateNew))
        using (var stream = new FileStream(f, FileAccess.Write))
            stream.Write("web\n"u8);
        Assert.Equal("web\n", File.ReadAllText(Path.Combine(Root, "sub", "inner", "hostname")));

        resolver.OpenDirectoryBeneath(root, "").Dispose();
        resolver.OpenDirectoryBeneath(root, "/").Dispose();
        resolver.OpenDirectoryBeneath(root, "legit/dir").Dispose();
        AssertOutsideUntouched();
    }

    [SkippableFact]
    public void Missing_and_existing_paths_are_ordinary_errors_not_escapes()
    {
        IBeneathResolver resolver = Resolver;
        using SafeFileHandle root = resolver.OpenRoot(Root);
        Assert.Throws<DirectoryNotFoundException>(() => resolver.OpenDirectoryBeneath(root, "nope/deeper").Dispose());
        Assert.Throws<DirectoryNotFoundException>(() => resolver.OpenFileForWriteBeneath(root, "nope/file").Dispose());
        var exists = Assert.Throws<IOException>(() => resolver.OpenFileForWriteBeneath(root, "file.txt", FileMode.CreateNew).Dispose());
        Assert.IsNotType<PathEscapeException>(exists);
        Assert.Throws<ArgumentException>(() => resolver.OpenFileForWriteBeneath(root, "/").Dispose());
        Assert.Throws<ArgumentException>(() => resolver.OpenDirectoryBeneath(root, "a\0b").Dispose());
        Assert.Throws<ArgumentOutOfRangeException>(() => resolver.OpenFileForWriteBeneath(root, "x", FileMode.Append).Dispose());
        Assert.False(Directory.Exists(Path.Combine(Root, "nope")));
        AssertOutsideUntouched();
    }

    [SkippableFact]
    public void Created_directories_get_the_requested_mode()
    {
        IBeneathResolver resolver = Resolver;
        using SafeFileHandle root = resolver.OpenRoot(Root);
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        resolver.CreateDirectoryBeneath(root, "private/keys", mode).Dispose();
        Assert.Equal(mode, File.GetUnixFileMode(Path.Combine(Root, "private", "keys")));
    }

    // ---------------------------------------------------------------- helpers

    private void AssertOutsideUntouched()
    {
        Assert.Equal(_outsideSnapshot, Snapshot(Outside));
        Assert.False(Path.Exists(Path.Combine(Path.GetDirectoryName(Outside)!, "probe")));
    }

    /// <summary>Every entry under a directory, never descending into links, with its kind and content.</summary>
    private static string Snapshot(string dir)
    {
        var sb = new StringBuilder();
        void Visit(string current)
        {
            foreach (string entry in Directory.GetFileSystemEntries(current).Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(entry);
                sb.Append(Path.GetRelativePath(dir, entry)).Append(' ');
                if (info.LinkTarget is not null)
                    sb.Append("-> ").Append(info.LinkTarget).Append('\n');
                else if (Directory.Exists(entry))
                {
                    sb.Append("dir\n");
                    Visit(entry);
                }
                else
                    sb.Append(File.ReadAllText(entry)).Append('\n');
            }
        }
        Visit(dir);
        return sb.ToString();
    }
}
