using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Core.Limits;
using JailPS.Core.Tests.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Limits;

/// <summary>
/// Test-Jail's drift: a jail started from its definition does not differ from it; a change made
/// behind JailPS's back (jail -m, an unmount, rctl -r, cpuset) is one difference each, naming what
/// the definition says and what the kernel has.
/// </summary>
public sealed class JailDriftTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private IReadOnlyList<JailDrift> Drift(string name) => new JailDriftService(_f.Service, _f).Differences(_f.Current(name));

    [Fact]
    public void A_jail_as_its_definition_says_has_no_drift_and_each_change_behind_its_back_is_one_difference()
    {
        _f.Host.Files.CreateDirectory("/usr/jails/web/dev");
        _f.Define("web", "persist;\n\thost.hostname = \"web.example.org\";\n\tip4.addr = 10.1.0.5;\n\tenforce_statfs = 1;\n\tmount.devfs;\n\tdevfs_ruleset = 4;\n\tallow.raw_sockets;\n\t$jailps_cpuset = \"0-1\";");
        _f.WriteFile(JailLimitService.RctlConf, "jail:web:memoryuse:deny=1073741824\n");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)), _f);
        Assert.Empty(Drift("web"));

        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        var c = _f.Host.Kernel.Catalog;
        _f.Host.Kernel.Set(new[] { new JailParameterSetting(c.Find("jid")!, jid), new JailParameterSetting(c.Find("host.hostname")!, "changed.example.org") }, JailFlags.Update, "web");
        new JailLimitService(_f.Host, _f).Remove("jail:web:memoryuse", "web");
        PlanRunner.Execute(new JailCpuSetService(_f.Host).PlanSet(_f.Service, _f.Current("web"), new[] { 1 }, persist: false), _f);
        var drift = Drift("web");
        var hostname = Assert.Single(drift, d => d.Kind == "Parameter");
        Assert.Equal(("host.hostname", "web.example.org", "changed.example.org"), (hostname.Item, hostname.Expected, hostname.Actual));
        var limit = Assert.Single(drift, d => d.Kind == "Limit");
        Assert.Equal(("memoryuse", "jail:web:memoryuse:deny=1073741824", (string?)null), (limit.Item, limit.Expected, limit.Actual));
        var cpus = Assert.Single(drift, d => d.Kind == "CpuSet");
        Assert.Equal(("0-1", "1"), (cpus.Expected, cpus.Actual));
        Assert.Equal(3, drift.Count);

        // Repair-Jail: everything here changes live, the wider CPU set too (a running jail's set is
        // checked against its parent's CPUs, kern_cpuset.c cpuset_modify).
        var repair = new JailDriftService(_f.Service, _f).PlanRepair(_f.Current("web"), out var left);
        PlanRunner.Execute(repair, _f);
        Assert.Empty(left);
        Assert.Equal("web.example.org", _f.Host.Kernel.GetByName("web")!["host.hostname"]);
        Assert.Contains("jail:web:memoryuse:deny=1073741824", _f.Sim.Kernel.RctlRules);
        Assert.Equal(new[] { 0, 1 }, _f.Sim.Kernel.JailCpus(jid));
        Assert.Empty(Drift("web"));
    }

    [Fact]
    public void An_unmounted_devfs_and_a_stopped_jail_and_a_jail_without_a_definition()
    {
        _f.Host.Files.CreateDirectory("/usr/jails/db/dev");
        _f.Define("db", "persist;\n\tmount.devfs;");
        Assert.Empty(Drift("db"));   // stopped: nothing runs to differ
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("db")!)), _f);
        var mounts = new JailPS.Core.Mounts.JailMountService(_f.Host);
        var devfs = mounts.Mounter.ReadTable().Single(m => m.On == "/usr/jails/db/dev");
        mounts.Mounter.Unmount("db", devfs, force: false);   // umount by hand, behind JailPS's back
        var drift = Assert.Single(Drift("db"));
        Assert.Equal(("Mount", "/usr/jails/db/dev"), (drift.Kind, drift.Item));
        Assert.Null(drift.Actual);

        var c = _f.Host.Kernel.Catalog;
        _f.Host.Files.CreateDirectory("/tmp/adhoc");
        _f.Host.Kernel.Set(new List<JailParameterSetting> { new(c.Find("name")!, "adhoc"), new(c.Find("path")!, "/tmp/adhoc"), new(c.Find("persist")!, true) }, JailFlags.Create);
        Assert.Equal("Definition", Assert.Single(Drift("adhoc")).Kind);
    }
}
