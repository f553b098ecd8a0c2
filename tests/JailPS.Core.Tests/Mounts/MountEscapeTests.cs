using System.IO;
using JailPS.Core.Host.SafePath;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Mounts;

/// <summary>
/// A jail's root user owns everything beneath the jail root and can plant symbolic links there.
/// Every attempt to make a host-side mount land outside the root is refused, with real links
/// planted in the simulated host's directory and resolved by the real openat2/openat walk.
/// </summary>
public sealed class MountEscapeTests : IDisposable
{
    private const string Root = "/usr/jails/web";
    private readonly SimulatedHostFixture _f = new();
    private readonly JailMounter _mounter;

    public MountEscapeTests()
    {
        _f.Host.Files.CreateDirectory(Root);
        _f.Host.Files.CreateDirectory("/etc");
        _f.Host.Files.WriteAllTextAtomic("/etc/passwd", "root:*:0:0::0:0:Charlie &:/root:/bin/sh\n");
        _mounter = new JailMounter(_f.Host);
    }

    public void Dispose() => _f.Dispose();

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    private void Link(string jailRelative, string target)
    {
        string local = Local(Root + "/" + jailRelative);
        Directory.CreateDirectory(Path.GetDirectoryName(local)!);
        File.CreateSymbolicLink(local, target);
    }

    private static MountRequest Tmpfs(string target) => new("tmpfs", "tmpfs", target, new[] { new MountOption("size", "1m") }, "test");

    public static TheoryData<string, string> PlantedLinks => new()
    {
        { "absolute link to /etc", "dev" },
        { "relative link climbing out", "dev" },
        { "relative link that stays inside", "dev" },
        { "chain of links", "a/x" },
        { "link in the middle of the path", "usr/local" },
        { "link to a file", "dev" },
        { "link loop", "loop" },
    };

    private void Plant(string attempt)
    {
        switch (attempt)
        {
            case "absolute link to /etc": Link("dev", "/etc"); break;
            case "relative link climbing out": Link("dev", "../../../../etc"); break;
            case "relative link that stays inside": Directory.CreateDirectory(Local(Root + "/realdev")); Link("dev", "realdev"); break;
            case "chain of links": Link("b", "/etc"); Link("a", "b"); Directory.CreateDirectory(Local("/etc/x")); break;
            case "link in the middle of the path": Link("usr", "/etc"); Directory.CreateDirectory(Local("/etc/local")); break;
            case "link to a file": Link("dev", "/etc/passwd"); break;
            case "link loop": Link("loop", "loop"); break;
        }
    }

    [Theory]
    [MemberData(nameof(PlantedLinks))]
    public void A_planted_link_is_refused_and_nothing_is_mounted(string attempt, string target)
    {
        Plant(attempt);
        int before = _f.Sim.Kernel.Mounts.Count;
        var ex = Assert.Throws<PathEscapeException>(() => _mounter.Mount("web", Root, Tmpfs(Root + "/" + target)));
        Assert.Equal("JailPathEscape", ex.ErrorId);
        Assert.Equal(before, _f.Sim.Kernel.Mounts.Count);
        Assert.Equal(0, _f.Sim.Kernel.CallCounts["nmount"]);
        Assert.Empty(_mounter.Ledger.Read("web"));
    }

    [Theory]
    [InlineData("/usr/jails/web/../../../etc")]
    [InlineData("/usr/jails/web/dev/../../../../etc")]
    [InlineData("/usr/jails/web/./..")]
    public void Dot_dot_is_refused_wherever_it_appears(string target)
    {
        _f.Host.Files.CreateDirectory(Root + "/dev");
        var ex = Assert.Throws<PathEscapeException>(() => _mounter.Mount("web", Root, Tmpfs(target)));
        Assert.Equal(PathEscapeReason.DotDot, ex.Reason);
        Assert.Equal(0, _f.Sim.Kernel.CallCounts["nmount"]);
    }

    [Theory]
    [InlineData("/etc")]
    [InlineData("/usr/jails/webx/dev")]
    [InlineData("/usr/jails")]
    public void A_target_outside_the_root_is_refused(string target)
    {
        var ex = Assert.Throws<JailOperationException>(() => _mounter.Mount("web", Root, Tmpfs(target)));
        Assert.Equal("JailMountOutsideRoot", ex.ErrorId);
    }

    [Theory]
    [InlineData("/etc")]
    [InlineData("realdev")]
    public void A_link_swapped_in_after_validation_is_caught_unmounted_and_refused(string linkTarget)
    {
        _f.Host.Files.CreateDirectory(Root + "/dev");
        _f.Host.Files.CreateDirectory(Root + "/realdev");
        string dev = Local(Root + "/dev");
        // The race: between JailPS's check of dev and the kernel's lookup in nmount, the jail's
        // root replaces the directory with a link.
        _f.Sim.Kernel.SyscallEntered = name =>
        {
            if (name != "nmount" || !Directory.Exists(dev) || new DirectoryInfo(dev).LinkTarget != null) return;
            Directory.Delete(dev);
            File.CreateSymbolicLink(dev, linkTarget);
        };
        int before = _f.Sim.Kernel.Mounts.Count;
        var ex = Assert.Throws<PathEscapeException>(() => _mounter.Mount("web", Root, Tmpfs(Root + "/dev")));
        _f.Sim.Kernel.SyscallEntered = null;
        Assert.Equal(PathEscapeReason.OutsideRoot, ex.Reason);
        Assert.Contains("landed on", ex.Message);
        Assert.Equal(1, _f.Sim.Kernel.CallCounts["nmount"]);
        // The stray mount was taken away again: the table is as it was, and /etc is untouched.
        Assert.Equal(before, _f.Sim.Kernel.Mounts.Count);
        Assert.DoesNotContain(_f.Sim.Kernel.Mounts, m => m.MountedOn == "/etc");
        Assert.Empty(_mounter.Ledger.Read("web"));
    }

    [Fact]
    public void A_link_swapped_in_towards_a_host_mount_point_never_lands_there()
    {
        _f.Host.Files.CreateDirectory(Root + "/dev");
        string dev = Local(Root + "/dev");
        _f.Sim.Kernel.SyscallEntered = name =>
        {
            if (name != "nmount" || new DirectoryInfo(dev).LinkTarget != null) return;
            Directory.Delete(dev);
            File.CreateSymbolicLink(dev, "/dev");   // the host's devfs
        };
        int before = _f.Sim.Kernel.Mounts.Count;
        var ex = Assert.Throws<JailOperationException>(() => _mounter.Mount("web", Root, Tmpfs(Root + "/dev")));
        _f.Sim.Kernel.SyscallEntered = null;
        // nocover: the kernel refuses to cover a mount root, so the host's /dev was never covered.
        Assert.Equal("JailMountFailed", ex.ErrorId);
        Assert.Equal(JailPS.Native.Errno.EBUSY, Assert.IsType<JailPS.Core.Kernel.JailKernelException>(ex.InnerException).Errno);
        Assert.Equal(before, _f.Sim.Kernel.Mounts.Count);
        Assert.Empty(_mounter.Ledger.Read("web"));
    }

    [Theory]
    [InlineData(1)]   // reading the mount list after nmount fails
    public void A_failure_after_nmount_takes_the_new_mount_away_again(int getfsstatAfter)
    {
        _f.Host.Files.CreateDirectory(Root + "/dev");
        int before = _f.Sim.Kernel.Mounts.Count;
        // Mount reads the table (count + fill) before nmount; the next getfsstat is the one after it.
        _f.Sim.Kernel.InjectFault("getfsstat", 2 + getfsstatAfter, JailPS.Native.Errno.EIO);
        var ex = Assert.Throws<JailOperationException>(() => _mounter.Mount("web", Root, Tmpfs(Root + "/dev")));
        Assert.Equal("JailMountFailed", ex.ErrorId);
        Assert.Contains("was unmounted again", ex.Message);
        Assert.Equal(before, _f.Sim.Kernel.Mounts.Count);
        Assert.Empty(_mounter.Ledger.Read("web"));
    }

    [Fact]
    public void A_failing_ledger_write_takes_the_new_mount_away_again()
    {
        _f.Host.Files.CreateDirectory(Root + "/dev");
        // A directory where the ledger file must go makes the atomic write fail.
        Directory.CreateDirectory(Local(MountLedger.PathOf("web")));
        int before = _f.Sim.Kernel.Mounts.Count;
        var ex = Assert.Throws<JailOperationException>(() => _mounter.Mount("web", Root, Tmpfs(Root + "/dev")));
        Assert.Equal("JailMountFailed", ex.ErrorId);
        Assert.Contains("was unmounted again", ex.Message);
        Assert.Equal(before, _f.Sim.Kernel.Mounts.Count);
    }

    [Fact]
    public void A_plain_directory_mounts_and_is_recorded()
    {
        _f.Host.Files.CreateDirectory(Root + "/dev");
        var entry = _mounter.Mount("web", Root, Tmpfs(Root + "/dev"));
        Assert.Equal(Root + "/dev", entry.On);
        Assert.Equal(entry.FsIdText, Assert.Single(_mounter.Ledger.Read("web")).FsId);
        _mounter.Unmount("web", entry, force: false);
        Assert.Empty(_mounter.Ledger.Read("web"));
        Assert.DoesNotContain(_f.Sim.Kernel.Mounts, m => m.MountedOn == Root + "/dev");
    }

    [Fact]
    public void Unmounting_goes_by_file_system_id_so_a_link_planted_later_changes_nothing()
    {
        _f.Host.Files.CreateDirectory(Root + "/dev");
        var entry = _mounter.Mount("web", Root, Tmpfs(Root + "/dev"));
        // A second tmpfs on /etc that a path-based unmount through a planted link would hit.
        Assert.Equal(0, JailMounter.CallNmount(_f.Host.MountLibc,
            new[] { new MountOption("fstype", "tmpfs"), new MountOption("fspath", "/etc"), new MountOption("from", "tmpfs") }, out _, out _));
        _mounter.Unmount("web", entry, force: false);
        Assert.Contains(_f.Sim.Kernel.Mounts, m => m.MountedOn == "/etc");
        Assert.DoesNotContain(_f.Sim.Kernel.Mounts, m => m.MountedOn == Root + "/dev");
    }
}
