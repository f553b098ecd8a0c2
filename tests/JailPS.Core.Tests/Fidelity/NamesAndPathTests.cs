using JailPS.Core.Lifecycle;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Fidelity;

/// <summary>
/// Issue 10 #4: one set of name rules (the kernel's), path optional as for jail(8), and a numeric
/// name as the jid (an unnamed jail is named after its jid).
/// </summary>
public sealed class NamesAndPathTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly OrchestratorTests.Sink _sink = new();

    public void Dispose() => _f.Dispose();

    private Jail Get(string name) => _f.Current(name);

    private void Start(string name) => new JailOrchestrator(_f.Service, _sink).Start(new[] { Get(name) }, force: false, passThru: false);

    [Theory]
    [InlineData("web:80")]      // refused by New-Jail before, started fine from jail.conf
    [InlineData("my jail")]
    [InlineData("5309")]        // a numeric block: jid 5309
    public void Names_the_kernel_takes_are_created_and_started(string name)
    {
        PlanRunner.Execute(_f.Service.PlanCreate(new NewJailRequest { Name = name, Path = "/usr/jails/x", Persist = true }), _f);
        Start(name);
        Assert.Empty(_sink.Errors);
        var rec = _f.Host.Kernel.GetByName(name)!;
        if (name == "5309") Assert.Equal(5309, rec.Jid);
        Assert.Equal(JailState.Running, Get(name).Status);
    }

    [Fact]
    public void A_name_with_a_slash_needs_its_own_config_file()
    {
        var e = Assert.Throws<JailOperationException>(() => _f.Service.PlanCreate(new NewJailRequest { Name = "a/b", Path = "/x" }));
        Assert.Equal("JailInvalidName", e.ErrorId);
        PlanRunner.Execute(_f.Service.PlanCreate(new NewJailRequest { Name = "a/b", Path = "/usr/jails/ab", ConfigFile = "/etc/jail.conf", Persist = true }), _f);
        Start("a/b");
        Assert.Empty(_sink.Errors);
    }

    [Fact]
    public void A_jail_without_path_gets_the_host_root_and_its_fstab_mounts_but_not_devfs()
    {
        _f.Host.Files.CreateDirectory("/srv/data");
        _f.WriteFile("/etc/jail.conf", "svc {\n\tpersist;\n\tmount = \"tmpfs /srv/data tmpfs rw 0 0\";\n}\nnodev {\n\tpersist;\n\tmount.devfs;\n}\n");
        Start("svc");
        Assert.Empty(_sink.Errors);
        var rec = _f.Host.Kernel.GetByName("svc")!;
        Assert.Equal("/", rec.Path);
        Assert.Contains(_f.Sim.Kernel.Mounts, m => m.MountedOn == "/srv/data" && m.FsType == "tmpfs");

        new JailOrchestrator(_f.Service, _sink).Stop(new[] { Get("svc") }, timeout: 0, force: false, passThru: false);
        Assert.Empty(_sink.Errors);
        Assert.DoesNotContain(_f.Sim.Kernel.Mounts, m => m.MountedOn == "/srv/data");
        Assert.Contains(_f.Sim.Kernel.Mounts, m => m.MountedOn == "/dev"); // the host's own devfs is left alone

        Start("nodev");
        var e = Assert.IsType<JailOperationException>(Assert.Single(_sink.Errors).Error);
        Assert.Equal("JailPathMissing", e.ErrorId);
        Assert.Contains("mount.devfs: no jail root path defined", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void New_Jail_without_a_path_writes_none_and_creates_no_directory()
    {
        var plan = _f.Service.PlanCreate(new NewJailRequest { Name = "np", Persist = true });
        Assert.DoesNotContain(plan.Steps, s => s.Name == "mkdir");
        PlanRunner.Execute(plan, _f);
        Assert.Null(_f.Service.FindDefinition("np")!.Get("path"));
        Start("np");
        Assert.Empty(_sink.Errors);
        Assert.Equal("/", _f.Host.Kernel.GetByName("np")!.Path);
    }
}
