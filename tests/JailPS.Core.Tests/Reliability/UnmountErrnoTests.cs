using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Tests.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Reliability;

/// <summary>
/// Reliability C: only EBUSY from unmount(2) means "still in use". Any other errno (EIO, EROFS, ...)
/// is reported by its name and strerror text, as JailUnmountFailed.
/// </summary>
public sealed class UnmountErrnoTests : IDisposable
{
    private const string Root = "/usr/jails/web";
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private (JailSpec Spec, int Jid) StartWithTwoMounts()
    {
        foreach (string d in new[] { "tmp", "proc" })
            _f.Host.Files.CreateDirectory($"{Root}/{d}");
        var spec = _f.Spec(_f.Define("web", $"mount = \"tmpfs {Root}/tmp tmpfs rw 0 0\";\nmount.procfs;\npersist;"));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        return (spec, _f.Host.Kernel.GetByName("web")!.Jid);
    }

    [Theory]
    [InlineData(Errno.EIO, "EIO", "Input/output error")]
    [InlineData(Errno.EROFS, "EROFS", "Read-only file system")]
    [InlineData(Errno.EINTEGRITY, "EINTEGRITY", "Integrity check failed")]
    public void An_unmount_that_fails_with_another_errno_is_named_by_it_not_called_in_use(int errno, string name, string text)
    {
        var (spec, jid) = StartWithTwoMounts();
        _f.Sim.Kernel.InjectFault("unmount", 1, errno); // procfs, the newest mount, goes first

        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false, Root), _f));

        var cause = Assert.IsType<JailOperationException>(ex.InnerException);
        Assert.Equal("JailUnmountFailed", cause.ErrorId);
        Assert.DoesNotContain("in use", cause.Message);
        Assert.Contains($"procfs on {Root}/proc: unmount failed with {text} ({name})", cause.Message);
        Assert.DoesNotContain("fstat", cause.RecommendedAction);
        Assert.Equal(Root + "/proc", Assert.IsType<JailMount>(cause.TargetObject).MountPoint);
        Assert.Equal(name, Assert.IsType<JailKernelException>(cause.InnerException).ErrnoName);
    }

    [Fact]
    public void EBUSY_alone_is_still_in_use()
    {
        var (spec, jid) = StartWithTwoMounts();
        _f.Sim.Kernel.InjectFault("unmount", 1, Errno.EBUSY);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false, Root), _f));
        var cause = Assert.IsType<JailOperationException>(ex.InnerException);
        Assert.Equal("JailMountBusy", cause.ErrorId);
        Assert.Contains("still in use (EBUSY)", cause.Message);
        Assert.Contains("fstat -f", cause.RecommendedAction);
    }

    [Fact]
    public void A_busy_and_a_failed_unmount_are_each_described_as_what_they_are()
    {
        var (spec, jid) = StartWithTwoMounts();
        _f.Sim.Kernel.InjectFault("unmount", 1, Errno.EIO);
        _f.Sim.Kernel.InjectFault("unmount", 2, Errno.EBUSY); // the second unmount: tmpfs

        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false, Root), _f));
        var cause = Assert.IsType<JailOperationException>(ex.InnerException);
        Assert.Equal("JailUnmountFailed", cause.ErrorId);
        Assert.Contains($"tmpfs on {Root}/tmp", cause.Message.Split("; and ")[0]); // the busy one
        Assert.Contains("still in use (EBUSY)", cause.Message);
        Assert.Contains($"procfs on {Root}/proc: unmount failed with Input/output error (EIO)", cause.Message);
        Assert.Equal(2, Assert.IsType<JailMount[]>(cause.TargetObject).Length);

        // Nothing holds them any more: the second stop finishes.
        PlanRunner.Execute(_f.Lifecycle().PlanUnmountCleanup("web", spec, Root, force: false), _f);
        Assert.DoesNotContain(_f.Sim.Kernel.Mounts, m => m.MountedOn.StartsWith(Root + "/"));
    }

    [Fact]
    public void Dismount_by_the_mounter_names_the_errno_too()
    {
        var (_, _) = StartWithTwoMounts();
        var mounter = new JailMounter(_f.Host);
        var proc = mounter.ReadTable().Single(m => m.On == Root + "/proc");
        _f.Sim.Kernel.InjectFault("unmount", 1, Errno.EIO);
        var ex = Assert.Throws<JailOperationException>(() => mounter.Unmount("web", proc, force: true));
        Assert.Equal("JailUnmountFailed", ex.ErrorId);
        Assert.Equal($"jail \"web\": unmounting procfs on {Root}/proc failed: Input/output error (EIO).", ex.Message);
    }
}
