using System.IO;
using JailPS.Core.Host;

namespace JailPS.Core.Tests.HostTests;

public sealed class RootedFileSystemTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "jailps-fs-" + Guid.NewGuid().ToString("N"));
    private readonly RootedFileSystem _fs;

    public RootedFileSystemTests()
    {
        Directory.CreateDirectory(_root);
        _fs = new RootedFileSystem(_root);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Host_paths_map_under_the_root_and_never_above_it()
    {
        Assert.Equal(_root + "/etc/jail.conf", _fs.ToLocalPath("/etc/jail.conf"));
        Assert.Equal(_root + "/etc", _fs.ToLocalPath("/../../etc"));
        Assert.Throws<ArgumentException>(() => _fs.ToLocalPath("etc/jail.conf"));
    }

    [Fact]
    public void Glob_sorts_and_skips_dot_files()
    {
        _fs.WriteAllTextAtomic("/etc/jail.conf.d/b.conf", "b");
        _fs.WriteAllTextAtomic("/etc/jail.conf.d/a.conf", "a");
        _fs.WriteAllTextAtomic("/etc/jail.conf.d/.hidden.conf", "h");
        _fs.WriteAllTextAtomic("/etc/jail.conf.d/c.txt", "c");
        Assert.Equal(new[] { "/etc/jail.conf.d/a.conf", "/etc/jail.conf.d/b.conf" }, _fs.Glob("/etc/jail.conf.d/*.conf"));
        Assert.Equal(new[] { "/etc/jail.conf.d/a.conf" }, _fs.Glob("/etc/jail.conf.d/a.conf"));
        Assert.Empty(_fs.Glob("/etc/missing/*.conf"));
    }

    [Fact]
    public void Atomic_write_replaces_whole_file_and_leaves_no_temporary()
    {
        _fs.WriteAllTextAtomic("/etc/jail.conf", "old");
        _fs.WriteAllTextAtomic("/etc/jail.conf", "new text");
        Assert.Equal("new text", _fs.ReadAllText("/etc/jail.conf"));
        Assert.Single(Directory.GetFiles(Path.Combine(_root, "etc")));
        Assert.Null(_fs.ReadAllText("/etc/none"));
    }

    [Fact]
    public void Atomic_write_through_a_symlink_replaces_the_target_and_keeps_its_mode()
    {
        _fs.WriteAllTextAtomic("/etc/repo/jail.conf", "old");
        string target = _fs.ToLocalPath("/etc/repo/jail.conf");
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        File.CreateSymbolicLink(_fs.ToLocalPath("/etc/jail.conf"), "/etc/repo/jail.conf"); // a host path, as on FreeBSD
        _fs.WriteAllTextAtomic("/etc/jail.conf", "new");
        Assert.NotNull(new FileInfo(_fs.ToLocalPath("/etc/jail.conf")).LinkTarget);   // still a link
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(target));
    }

    [Fact]
    public void A_relative_link_out_of_the_simulated_root_stays_inside_it()
    {
        // ".." stops at the root, as it stops at "/" on a real host: the write lands inside DIR.
        string outside = Path.Combine(Path.GetTempPath(), "jailps-outside-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(outside, "not yours");
        try
        {
            Directory.CreateDirectory(_fs.ToLocalPath("/etc"));
            File.CreateSymbolicLink(_fs.ToLocalPath("/etc/jail.conf"), Path.GetRelativePath(_fs.ToLocalPath("/etc"), outside));
            _fs.WriteAllTextAtomic("/etc/jail.conf", "x");
            Assert.Equal("not yours", File.ReadAllText(outside));
            Assert.Equal("x", _fs.ReadAllText("/etc/jail.conf"));
            Assert.StartsWith(_fs.Root + "/", _fs.ToLocalPath(_fs.RealPath("/etc/jail.conf")), StringComparison.Ordinal);
        }
        finally { File.Delete(outside); }
    }

    [Fact]
    public void HostPath_normalises_lexically()
    {
        Assert.Equal("/usr/jails/web", HostPath.Normalize("/usr//jails/./x/../web/"));
        Assert.Equal("/", HostPath.Normalize("/.."));
        Assert.Equal("/etc", HostPath.GetDirectoryName("/etc/jail.conf"));
        Assert.Equal("jail.conf", HostPath.GetFileName("/etc/jail.conf"));
    }
}
