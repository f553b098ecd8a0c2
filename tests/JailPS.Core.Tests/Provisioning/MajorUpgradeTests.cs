using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Provisioning;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// Update-Jail -Release, seed 003's major upgrade of a thin jail: the new release's basejail made
/// beside the old one, the running jail stopped, its mount line switched, started again, and its
/// databases rebuilt, as one plan whose failure puts the jail back as it was.
/// </summary>
public sealed class MajorUpgradeTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly ReleaseMedia _media = new();

    public MajorUpgradeTests()
    {
        _media.SaveInto(_f.Host, _f, "14.3-RELEASE", "15.0-RELEASE");
        PlanRunner.Execute(_f.Service.PlanCreate(new NewJailRequest { Name = "app", Path = "/usr/jails/app", Release = "14.3-RELEASE", Thin = true, Persist = true }), _f);
        _f.Service.Invalidate();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("app")!)), _f);
        _f.Service.Invalidate();
    }

    public void Dispose()
    {
        _f.Dispose();
        _media.Dispose();
    }

    private JailReleaseUpdater Updater() => new(_f.Service, _f);

    private string BasejailMount() => _f.Sim.Kernel.Mounts.Single(m => m.MountedOn == "/usr/jails/app/basejail").MountedFrom;

    [Fact]
    public void A_running_thin_jail_is_stopped_switched_to_the_new_basejail_started_and_rebuilt()
    {
        Assert.Equal("/usr/jails/basejail/14.3-RELEASE", BasejailMount());
        var plan = Updater().PlanUpgradeThin(_f.Service.Get("app")!, "15.0-RELEASE", "amd64");
        Assert.Equal(new[] { "layout lock", "extract", "template", "stop", "write", "start", "rebuild", "rebuild", "rebuild" }, plan.Steps.Select(s => s.Name));
        Assert.Contains(plan.Notes, n => n.Contains("etcupdate", StringComparison.Ordinal));
        PlanRunner.Execute(plan, _f);
        _f.Service.Invalidate();
        Assert.Equal("/usr/jails/basejail/15.0-RELEASE", BasejailMount());
        Assert.NotNull(_f.Host.Kernel.GetByName("app"));
        string conf = _f.Host.Files.ReadAllText("/etc/jail.conf.d/app.conf")!;
        Assert.Contains("/usr/jails/basejail/15.0-RELEASE /usr/jails/app/basejail nullfs ro 0 0", conf);
        Assert.Contains("$jailps_release = \"15.0-RELEASE amd64\";", conf);
        Assert.True(Directory.Exists(_f.Host.Files.ToLocalPath("/usr/jails/basejail/14.3-RELEASE")));   // the old basejail stays for its other jails
    }

    [Fact]
    public void A_failed_start_on_the_new_basejail_puts_the_jail_back_as_it_was()
    {
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.start", Jail = "app", ExitCode = 1, StandardError = "/etc/rc: libc.so.7 not found\n" });
        int calls = 0;
        // The first start (on the new basejail) fails; the rollback's start (on the old one) succeeds.
        _f.Sim.Kernel.SyscallEntered = name => { if (name == "jail_set") calls++; if (calls == 2) _f.Sim.Processes.ClearResponses(); };
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Updater().PlanUpgradeThin(_f.Service.Get("app")!, "15.0-RELEASE", "amd64"), _f));
        _f.Sim.Kernel.SyscallEntered = null;
        Assert.Equal("start", ex.FailedStep);
        _f.Service.Invalidate();
        Assert.Contains("/usr/jails/basejail/14.3-RELEASE /usr/jails/app/basejail nullfs ro 0 0", _f.Host.Files.ReadAllText("/etc/jail.conf.d/app.conf")!);
        Assert.NotNull(_f.Host.Kernel.GetByName("app"));
        Assert.Equal("/usr/jails/basejail/14.3-RELEASE", BasejailMount());
    }

    [Fact]
    public void A_thick_jail_or_the_same_release_is_refused()
    {
        Assert.Equal("JailReleaseInvalid", Assert.Throws<JailOperationException>(() => Updater().PlanUpgradeThin(_f.Service.Get("app")!, "14.3-RELEASE", "amd64")).ErrorId);
        PlanRunner.Execute(_f.Service.PlanCreate(new NewJailRequest { Name = "web", Path = "/usr/jails/web", Release = "14.3-RELEASE", Persist = true }), _f);
        _f.Service.Invalidate();
        Assert.Equal("JailIsThick", Assert.Throws<JailOperationException>(() => Updater().PlanUpgradeThin(_f.Service.Get("web")!, "15.0-RELEASE", "amd64")).ErrorId);
    }
}
