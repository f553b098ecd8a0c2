using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Lifecycle;

/// <summary>
/// Import-IocageJail: config.json over defaults.json becomes the definition of ioc-NAME with the
/// parameters iocage_lib/ioc_start.py passes to jail -c; a running jail stays the same jail; VNET
/// and jailed datasets are refused per jail, the others still imported.
/// </summary>
public sealed class IocageImportTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public IocageImportTests()
    {
        _f.Host.Files.CreateDirectory("/iocage/jails/db/root/dev");
        _f.Host.Files.CreateDirectory("/iocage/jails/net/root");
        _f.Host.Files.CreateDirectory("/iocage/log");
        _f.WriteFile("/iocage/defaults.json", """{"securelevel": "2", "enforce_statfs": "2", "allow_raw_sockets": "0", "allow_set_hostname": "1", "allow_mount_fusefs": "0", "mount_devfs": "1", "exec_start": "/bin/sh /etc/rc", "exec_stop": "/bin/sh /etc/rc.shutdown", "exec_clean": "1", "vnet": "off", "jail_zfs": "off", "ip6_addr": "none", "devfs_ruleset": "4"}""");
        _f.WriteFile("/iocage/jails/db/config.json", """{"host_hostname": "db", "ip4_addr": "em0|10.1.0.7/24", "allow_raw_sockets": "1", "release": "14.3-RELEASE"}""");
        _f.WriteFile("/iocage/jails/db/fstab", "");
        _f.WriteFile("/iocage/jails/net/config.json", """{"host_hostname": "net", "vnet": "on"}""");
    }

    public void Dispose() => _f.Dispose();

    [Fact]
    public void A_running_iocage_jail_is_taken_over_with_iocages_parameters_and_a_vnet_one_is_refused()
    {
        var c = _f.Host.Kernel.Catalog;
        _f.Host.Kernel.Set(new List<JailParameterSetting> { new(c.Find("name")!, "ioc-db"), new(c.Find("path")!, "/iocage/jails/db/root"), new(c.Find("persist")!, true) }, JailFlags.Create);
        int jid = _f.Host.Kernel.GetByName("ioc-db")!.Jid;
        var importer = new JailImportService(_f.Service);
        var candidates = importer.IocageJails(null);
        Assert.Equal(new[] { "ioc-db", "ioc-net" }, candidates.Select(x => x.Name).OrderBy(n => n));
        PlanRunner.Execute(importer.PlanImport(candidates.Single(x => x.Name == "ioc-db")), _f);
        string conf = _f.Host.Files.ReadAllText("/etc/jail.conf.d/ioc-db.conf")!;
        foreach (string line in new[] { "path = \"/iocage/jails/db/root\";", "host.hostuuid = db;", "host.hostname = db;", "allow.raw_sockets;", "allow.set_hostname;",
                     "securelevel = 2;", "ip4.addr = \"em0|10.1.0.7/24\";", "mount.fstab = \"/iocage/jails/db/fstab\";", "exec.start = \"/bin/sh /etc/rc\";", "persist;" })
            Assert.True(conf.Contains(line), line + "\n" + conf);
        Assert.DoesNotContain("fusefs", conf);   // a no of a parameter this kernel does not have is the default
        _f.Service.Invalidate();
        Assert.Equal(jid, _f.Service.Get("ioc-db")!.Jid);
        Assert.Equal("jail.conf", _f.Service.Get("ioc-db")!.ManagedBy);

        var refused = Assert.Throws<JailOperationException>(() => importer.PlanImport(candidates.Single(x => x.Name == "ioc-net")));
        Assert.Equal("JailImportInvalid", refused.ErrorId);
        Assert.Contains("VNET", refused.Message);
        Assert.False(_f.Host.Files.FileExists("/etc/jail.conf.d/ioc-net.conf"));
    }

    [Fact]
    public void Iocages_rctl_properties_and_cpuset_become_persisted_limits_and_the_cpu_list_that_start_jail_applies()
    {
        // iocage set memoryuse=deny=4G pcpu=log=80 cpuset=0-1 db (values as IOCRCTL.validate_rctl_props takes them);
        // maxproc=off is no rule; the old iocage's "4G:deny" form is not one ioc_start.py can add.
        _f.WriteFile("/iocage/jails/db/config.json", """{"host_hostname": "db", "memoryuse": "deny=4G", "pcpu": "log=80", "maxproc": "off", "openfiles": "1000:deny", "swapuse": "forbid=1G", "cpuset": "0-1"}""");
        var importer = new JailImportService(_f.Service);
        var plan = importer.PlanImport(importer.IocageJails(null).Single(x => x.Name == "ioc-db"));
        Assert.Contains(plan.Notes, n => n.Contains("\"jail:ioc-db:openfiles:1000:deny\" is not an rctl rule", StringComparison.Ordinal));
        Assert.Contains(plan.Notes, n => n.Contains("\"jail:ioc-db:swapuse:forbid=1G\" is not an rctl rule", StringComparison.Ordinal));   // no such action
        PlanRunner.Execute(plan, _f);
        Assert.Equal("jail:ioc-db:memoryuse:deny=4294967296\njail:ioc-db:pcpu:log=80\n", _f.Host.Files.ReadAllText("/etc/rctl.conf"));
        Assert.Contains("$jailps_cpuset = 0-1;", _f.Host.Files.ReadAllText("/etc/jail.conf.d/ioc-db.conf")!);

        _f.Service.Invalidate();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("ioc-db")!)), _f);
        var jail = _f.Service.Get("ioc-db")!;
        Assert.Equal("0-1", new JailPS.Core.Limits.JailCpuSetService(_f.Host).Describe(jail).Cpu);
        Assert.Contains(_f.Host.Simulation!.Kernel.RctlRules, r => r.Contains("jail:ioc-db:memoryuse:deny=4294967296", StringComparison.Ordinal));
    }
}
