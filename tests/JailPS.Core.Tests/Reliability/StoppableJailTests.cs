using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Reliability;

/// <summary>
/// Issue 9 #2: every running jail stays stoppable. A stop is driven by the kernel, the mount ledger
/// and getfsstat; a definition changed or broken since the start, or a damaged ledger, never wedges it.
/// </summary>
public sealed class StoppableJailTests : IDisposable
{
    private const string Root = "/usr/jails/web";
    private readonly SimulatedHostFixture _f = new();
    private readonly OrchestratorTests.Sink _sink = new();

    public void Dispose() => _f.Dispose();

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    private void StartWithFstabAndDevfs()
    {
        foreach (string d in new[] { "tmp", "dev" }) _f.Host.Files.CreateDirectory($"{Root}/{d}");
        _f.WriteFile("/etc/fstab.web", "tmpfs /usr/jails/web/tmp tmpfs rw 0 0\n");
        var def = _f.Define("web", "\tpersist;\n\tmount.fstab = \"/etc/fstab.web\";\n\tmount.devfs;\n\texec.prestop = \"/bin/echo prestop\";");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        Assert.Equal(2, new MountLedger(_f.Host.Files).Read("web").Count);
    }

    private void Stop(bool force = false)
    {
        _f.Service.Invalidate();
        new JailOrchestrator(_f.Service, _sink).Stop(new[] { _f.Service.Get("web")! }, timeout: 0, force, passThru: false);
    }

    private void AssertStoppedAndUnmounted()
    {
        Assert.Null(_f.Host.Kernel.GetByName("web"));
        Assert.Empty(JailMountService.Beneath(MountTable.Read(_f.Host.MountLibc), Root));
        Assert.Empty(new MountLedger(_f.Host.Files).Read("web"));
    }

    [Fact]
    public void A_relative_mount_fstab_is_a_typed_error_at_start()
    {
        _f.Host.Files.CreateDirectory(Root);
        var def = _f.Define("web", "\tpersist;\n\tmount.fstab = \"fstab.web\";");
        var ex = Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(_f.Spec(def)));
        Assert.Equal("JailMountFstabNotAbsolute", ex.ErrorId);
    }

    [Theory]
    [InlineData("relative")]
    [InlineData("deleted")]
    [InlineData("edited")]
    public void A_jail_whose_fstab_changed_after_its_start_still_stops_and_unmounts_everything(string change)
    {
        StartWithFstabAndDevfs();
        switch (change)
        {
            case "relative":
                _f.WriteFile("/etc/jail.conf.d/web.conf", File.ReadAllText(Local("/etc/jail.conf.d/web.conf")).Replace("\"/etc/fstab.web\"", "\"fstab.web\"", StringComparison.Ordinal));
                break;
            case "deleted":
                File.Delete(Local("/etc/fstab.web"));
                break;
            case "edited":
                File.WriteAllText(Local("/etc/fstab.web"), "tmpfs /usr/jails/web/var/tmp tmpfs rw 0 0\n");
                break;
        }
        Stop();
        Assert.Empty(_sink.Errors);
        AssertStoppedAndUnmounted();
        if (change != "edited")
            Assert.Contains(_sink.Warnings, w => w.Contains("definition's mounts cannot be read", StringComparison.Ordinal));
    }

    [Fact]
    public void A_damaged_ledger_does_not_block_the_stop_and_is_kept_for_inspection()
    {
        StartWithFstabAndDevfs();
        File.WriteAllText(Local(MountLedger.PathOf("web")), "{ not json");
        Stop();
        Assert.Empty(_sink.Errors);
        Assert.Null(_f.Host.Kernel.GetByName("web"));
        // The definition still names both mounts, so both come down without the ledger.
        Assert.Empty(JailMountService.Beneath(MountTable.Read(_f.Host.MountLibc), Root));
        Assert.Contains(_sink.Warnings, w => w.Contains("is damaged", StringComparison.Ordinal));
    }

    [Fact]
    public void A_definition_edited_into_an_error_stops_with_Force_from_the_kernel_and_the_ledger()
    {
        StartWithFstabAndDevfs();
        _f.WriteFile("/etc/jail.conf.d/web.conf", File.ReadAllText(Local("/etc/jail.conf.d/web.conf")).Replace("persist;", "persist;\n\tallow.nosuchthing;", StringComparison.Ordinal));
        Stop();
        Assert.Single(_sink.Errors);
        Assert.NotNull(_f.Host.Kernel.GetByName("web"));

        _sink.Errors.Clear();
        Stop(force: true);
        Assert.Empty(_sink.Errors);
        AssertStoppedAndUnmounted();
        Assert.Contains(_sink.Warnings, w => w.Contains("stopped from the kernel and the mount ledger alone", StringComparison.Ordinal));
        Assert.DoesNotContain(_f.CommandPurposes(), p => p == "exec.prestop");
    }
}
