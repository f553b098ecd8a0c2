using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Reliability;

/// <summary>
/// Reliability C: a jail that is not persistent and has no process left after exec.start is removed
/// by the kernel as soon as its temporary persist is cleared. jail(8) leaves its mounts mounted
/// (usr.sbin/jail/jail.c: jail_create_done only clears persist); JailPS does the same, but says so:
/// a warning that lists them and the JailMount objects, and Stop-Jail then unmounts them.
/// </summary>
public sealed class VanishedJailTests : IDisposable
{
    private const string Root = "/usr/jails/web";
    private readonly SimulatedHostFixture _f = new();

    public VanishedJailTests()
    {
        // exec.start runs and exits, leaving nothing in the jail (the simulated default leaves a daemon running).
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.start", LeaveRunning = 0 });
    }

    public void Dispose() => _f.Dispose();

    [Fact]
    public void The_mounts_of_a_jail_that_vanished_at_once_are_reported_and_a_stop_takes_them_down()
    {
        foreach (string d in new[] { "dev", "tmp" })
            _f.Host.Files.CreateDirectory($"{Root}/{d}");
        var spec = _f.Spec(_f.Define("web", $"mount = \"tmpfs {Root}/tmp tmpfs rw 0 0\";\nmount.devfs;\nexec.start = \"/bin/true\";"));
        var lifecycle = _f.Lifecycle();

        PlanRunner.Execute(lifecycle.PlanStart(spec), _f);

        Assert.Equal(0, _f.RunningCount());
        Assert.Equal(new[] { Root + "/tmp", Root + "/dev" }, lifecycle.StartLeftovers.Select(m => m.MountPoint));
        Assert.All(lifecycle.StartLeftovers, m => Assert.Equal(JailMountState.Mounted, m.Status));
        string warning = Assert.Single(_f.Warnings);
        Assert.Contains("removed it as soon as it started", warning);
        Assert.Contains($"tmpfs on {Root}/tmp; devfs on {Root}/dev", warning);
        Assert.Contains("Stop-Jail web", warning);
        Assert.Equal(2, new MountLedger(_f.Host.Files).Read("web").Count);

        var cleanup = _f.Lifecycle().PlanUnmountCleanup("web", spec, Root, force: false);
        Assert.True(JailLifecycle.HasUnmountWork(cleanup));
        PlanRunner.Execute(cleanup, _f);
        Assert.DoesNotContain(_f.Sim.Kernel.Mounts, m => m.MountedOn.StartsWith(Root + "/"));
        Assert.Empty(new MountLedger(_f.Host.Files).Read("web"));
    }

    /// <summary>
    /// A jail started for its command= ends when the command does. jail(8) says nothing when the
    /// command exits 0 (usr.sbin/jail/jail.c: after IP_COMMAND and exec.poststart, clear_persist()
    /// and no message); a non-zero exit fails the start (A_failure_at_any_start_step_... in LifecycleTests).
    /// </summary>
    [Fact]
    public void A_jail_whose_command_ended_with_status_0_goes_away_without_a_warning()
    {
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "command", LeaveRunning = 0 });
        var spec = _f.Spec(_f.Define("web", "command = \"/bin/sh /root/job.sh\";"));
        var lifecycle = _f.Lifecycle();

        PlanRunner.Execute(lifecycle.PlanStart(spec), _f);

        Assert.Equal("command", _f.CommandPurposes().Single());
        Assert.Empty(_f.Host.Kernel.List(includeDying: true));
        Assert.Empty(_f.Warnings);
        Assert.Empty(lifecycle.StartLeftovers);
    }

    [Fact]
    public void A_command_jail_that_leaves_mounts_warns_about_the_mounts_only()
    {
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "command", LeaveRunning = 0 });
        _f.Host.Files.CreateDirectory($"{Root}/dev");
        var spec = _f.Spec(_f.Define("web", "mount.devfs;\ncommand = \"/bin/sh /root/job.sh\";"));
        var lifecycle = _f.Lifecycle();

        PlanRunner.Execute(lifecycle.PlanStart(spec), _f);

        Assert.Equal(new[] { Root + "/dev" }, lifecycle.StartLeftovers.Select(m => m.MountPoint));
        string warning = Assert.Single(_f.Warnings);
        Assert.Contains($"devfs on {Root}/dev", warning);
        Assert.Contains("Stop-Jail web", warning);
        // Its command ending is what a command= jail is for: no advice to make it persist.
        Assert.DoesNotContain("persist", warning);
        Assert.DoesNotContain("removed it as soon as it started", warning);
    }

    [Fact]
    public void A_vanished_jail_without_mounts_warns_as_before_and_reports_none()
    {
        var spec = _f.Spec(_f.Define("web", "exec.start = \"/bin/true\";"));
        var lifecycle = _f.Lifecycle();
        PlanRunner.Execute(lifecycle.PlanStart(spec), _f);
        Assert.Empty(lifecycle.StartLeftovers);
        Assert.DoesNotContain("mounts", Assert.Single(_f.Warnings));
    }
}
