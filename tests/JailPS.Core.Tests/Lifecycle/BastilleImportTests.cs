using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Core.Limits;
using JailPS.Native;

namespace JailPS.Core.Tests.Lifecycle;

/// <summary>
/// Import-BastilleJail: a jail as Bastille keeps it (BASTILLE/jails/NAME/jail.conf, root/, fstab)
/// becomes a JailPS definition with the same parameters, root and fstab, Bastille's files untouched,
/// a running jail left running, and it then starts and stops as any other.
/// </summary>
public sealed class BastilleImportTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private const string Dir = "/usr/local/bastille/jails/web";

    private const string BastilleConf = """
        web {
          devfs_ruleset = 4;
          enforce_statfs = 2;
          exec.clean;
          exec.consolelog = /var/log/bastille/web_console.log;
          exec.start = '/bin/sh /etc/rc';
          exec.stop = '/bin/sh /etc/rc.shutdown';
          host.hostname = web;
          mount.devfs;
          mount.fstab = /usr/local/bastille/jails/web/fstab;
          path = /usr/local/bastille/jails/web/root;
          securelevel = 2;

          ip4.addr = 10.1.0.5;
          ip6 = disable;
        }

        """;

    public BastilleImportTests()
    {
        _f.Host.Files.CreateDirectory(Dir + "/root/dev");
        _f.Host.Files.CreateDirectory("/var/log/bastille");
        _f.WriteFile(Dir + "/jail.conf", BastilleConf);
        _f.WriteFile(Dir + "/fstab", "");
        // bastille limits web memoryuse 1G (limits.sh): a deny and a log rule.
        _f.WriteFile(Dir + "/rctl.conf", "jail:web:memoryuse:deny=1G/jail\njail:web:memoryuse:log=1G/jail\n");
    }

    public void Dispose() => _f.Dispose();

    [Fact]
    public void A_running_Bastille_jail_is_taken_over_as_it_is_and_then_stops_and_starts_from_its_new_definition()
    {
        var c = _f.Host.Kernel.Catalog;
        _f.Host.Kernel.Set(new List<JailParameterSetting> { new(c.Find("name")!, "web"), new(c.Find("path")!, Dir + "/root"), new(c.Find("persist")!, true) }, JailFlags.Create);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        _f.Service.Invalidate();
        Assert.Equal("bastille", _f.Service.Get("web")!.ManagedBy);

        var importer = new JailImportService(_f.Service);
        var candidate = Assert.Single(importer.BastilleJails(null));
        var plan = importer.PlanImport(candidate);
        PlanRunner.Execute(plan, _f);
        string conf = _f.Host.Files.ReadAllText("/etc/jail.conf.d/web.conf")!;
        Assert.Contains("path = \"/usr/local/bastille/jails/web/root\";", conf);
        Assert.Contains("mount.fstab = \"/usr/local/bastille/jails/web/fstab\";", conf);
        Assert.Contains("securelevel = 2;", conf);
        Assert.Contains("$jailps_imported = \"bastille /usr/local/bastille/jails/web/jail.conf\";", conf);
        Assert.Equal(BastilleConf, _f.Host.Files.ReadAllText(Dir + "/jail.conf"));   // Bastille's file as it was
        Assert.Equal("jail:web:memoryuse:deny=1073741824\njail:web:memoryuse:log=1073741824\n", _f.Host.Files.ReadAllText("/etc/rctl.conf"));
        _f.Service.Invalidate();
        var jail = _f.Service.Get("web")!;
        Assert.Equal(("jail.conf", jid), (jail.ManagedBy, jail.Jid));   // the same jail, still running

        var spec = _f.Spec(_f.Service.FindDefinition("web")!);
        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, force: false), _f);
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        Assert.Equal("web", _f.Host.Kernel.GetByName("web")!["host.hostname"]);

        Assert.Equal("JailAlreadyExists", Assert.Throws<JailOperationException>(() => importer.PlanImport(candidate)).ErrorId);
    }

    [Fact]
    public void A_file_whose_path_is_not_the_root_beside_it_is_refused_and_a_failed_write_leaves_nothing()
    {
        _f.WriteFile(Dir + "/jail.conf", BastilleConf.Replace("path = /usr/local/bastille/jails/web/root;", "path = /;"));
        var importer = new JailImportService(_f.Service);
        Assert.Equal("JailImportInvalid", Assert.Throws<JailOperationException>(() => importer.PlanImport(importer.BastilleJails(null).Single())).ErrorId);
        Assert.False(_f.Host.Files.FileExists("/etc/jail.conf.d/web.conf"));

        _f.WriteFile(Dir + "/jail.conf", BastilleConf);
        var plan = importer.PlanImport(importer.BastilleJails(null).Single());
        plan.Steps.Add(new PlanStep("fail", "injected", () => throw new JailOperationException("InjectedFault", "web", "injected")));
        Assert.Throws<JailPlanException>(() => PlanRunner.Execute(plan, _f));
        Assert.False(_f.Host.Files.FileExists("/etc/jail.conf.d/web.conf"));
        Assert.Null(_f.Host.Files.ReadAllText("/etc/rctl.conf"));   // the limits' step was taken back too
    }

    [Fact]
    public void Bastilles_cpuset_conf_becomes_the_definitions_cpu_list_as_its_start_would_leave_it_and_start_jail_applies_it()
    {
        // bastille limits web cpu 1,2,3 then cpu 0-3 then cpu 2,3 (limits.sh appends each): start.sh
        // runs cpuset -l for each line in order, each replacing the one before, so the last wins.
        _f.WriteFile(Dir + "/cpuset.conf", "1,2,3\n0-3\n2,3\nlots\n");
        var importer = new JailImportService(_f.Service);
        var plan = importer.PlanImport(importer.BastilleJails(null).Single());
        Assert.Contains(plan.Notes, n => n.Contains("\"2,3\" replaces 0-3", StringComparison.Ordinal));
        Assert.Contains(plan.Notes, n => n.Contains("\"lots\" is not a CPU list", StringComparison.Ordinal));
        PlanRunner.Execute(plan, _f);
        string importedConf = _f.Host.Files.ReadAllText("/etc/jail.conf.d/web.conf")!;
        Assert.True(importedConf.Contains("$jailps_cpuset = 2-3;", StringComparison.Ordinal), importedConf);

        _f.Service.Invalidate();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)), _f);
        Assert.Equal("2-3", new JailCpuSetService(_f.Host).Describe(_f.Service.Get("web")!).Cpu);
    }
}
