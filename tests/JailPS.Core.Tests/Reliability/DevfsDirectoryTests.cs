using System.IO;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Reliability;

/// <summary>
/// Reliability C (simulated host): a devfs mount provides its directory nodes, as on FreeBSD, so
/// mount.fdescfs finds dev/fd without anyone creating it by hand; the stand-in goes with the mount.
/// </summary>
public sealed class DevfsDirectoryTests : IDisposable
{
    private const string Root = "/usr/jails/web";
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    [Fact]
    public void Mount_fdescfs_finds_dev_fd_that_devfs_provides_and_stop_leaves_dev_as_it_was()
    {
        _f.Host.Files.CreateDirectory(Root + "/dev"); // only the mount point jail(8) needs: an empty /dev
        var spec = _f.Spec(_f.Define("web", "mount.devfs;\nmount.fdescfs;\npersist;"));

        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);

        Assert.Equal(new[] { Root + "/dev", Root + "/dev/fd" },
            _f.Sim.Kernel.Mounts.Where(m => m.MountedOn.StartsWith(Root + "/")).Select(m => m.MountedOn));
        Assert.True(Directory.Exists(Local(Root + "/dev/fd")));

        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false, Root), _f);
        Assert.DoesNotContain(_f.Sim.Kernel.Mounts, m => m.MountedOn.StartsWith(Root + "/"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Local(Root + "/dev"))); // the lower /dev is empty again
    }

    [Fact]
    public void A_dev_fd_the_user_made_is_left_alone_at_unmount()
    {
        _f.Host.Files.CreateDirectory(Root + "/dev/fd");
        var spec = _f.Spec(_f.Define("web", "mount.devfs;\nmount.fdescfs;\npersist;"));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false, Root), _f);
        Assert.True(Directory.Exists(Local(Root + "/dev/fd")));
    }

    [Fact]
    public void Only_directories_the_ruleset_shows_are_provided()
    {
        _f.Host.Files.CreateDirectory(Root + "/dev");
        var spec = _f.Spec(_f.Define("web", "mount.devfs;\npersist;")); // ruleset 4, devfsrules_jail
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        var visible = _f.Sim.Kernel.DevfsVisibleNodes(Root + "/dev");
        foreach (string dir in new[] { "fd", "pts", "reroot", "usb" })
            Assert.Equal(visible.Contains(dir), Directory.Exists(Local($"{Root}/dev/{dir}")));
    }

    [Fact]
    public void The_stand_in_survives_a_reload_of_the_kernel_state_and_still_goes_at_unmount()
    {
        _f.Host.Files.CreateDirectory(Root + "/dev");
        var spec = _f.Spec(_f.Define("web", "mount.devfs;\npersist;"));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        _f.Host.Commit();

        using var other = new SimulatedHostFixtureView(_f.Root); // another process's view of the same host
        var mounter = new JailMounter(other.Host);
        var devfs = mounter.ReadTable().Single(m => m.On == Root + "/dev");
        mounter.Unmount("web", devfs, force: false);
        Assert.False(Directory.Exists(Local(Root + "/dev/fd")));
    }

    /// <summary>A second simulated host object over the same directory, loaded from its saved state.</summary>
    private sealed class SimulatedHostFixtureView : IDisposable
    {
        public SimulatedHostFixtureView(string root)
        {
            JailPS.Core.Host.JailHost.ForgetSimulated(root);
            Host = JailPS.Core.Host.JailHost.Simulated(root);
        }

        public JailPS.Core.Host.JailHost Host { get; }

        public void Dispose() { }
    }
}
