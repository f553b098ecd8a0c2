using System.Collections.Specialized;
using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Lifecycle;

public sealed class ServiceTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private void CreatePersistent(int count)
    {
        var c = _f.Host.Kernel.Catalog;
        for (int i = 1; i <= count; i++)
        {
            _f.Host.Files.CreateDirectory("/usr/jails/j" + i);
            _f.Host.Kernel.Set(new List<JailParameterSetting>
            {
                new(c.Find("name")!, "j" + i), new(c.Find("path")!, "/usr/jails/j" + i), new(c.Find("persist")!, true),
            }, JailFlags.Create);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(25)]
    public void GetAll_over_N_jails_is_N_plus_1_jail_get_and_no_process(int n)
    {
        CreatePersistent(n);
        _ = _f.Host.Kernel.Catalog; // discovered once per process; not part of the listing
        _f.Sim.Kernel.ResetCounts();
        var jails = _f.Service.GetAll();
        Assert.Equal(n, jails.Count);
        Assert.Equal(n + 1, _f.Sim.Kernel.CallCounts.GetValueOrDefault("jail_get"));
        Assert.Equal(0, _f.Sim.Kernel.CallCounts.GetValueOrDefault("jail_set"));
        Assert.Empty(_f.Sim.Processes.Log);
    }

    [Fact]
    public void Defined_and_running_jails_merge_by_name()
    {
        CreatePersistent(1); // j1 runs without a definition
        _f.Define("web", "host.hostname = web.example.org;\nip4.addr = \"10.1.0.5/24\";");
        var all = _f.Service.GetAll();
        Assert.Equal(new[] { "j1", "web" }, all.Select(j => j.Name));
        var web = all[1];
        Assert.Equal(JailState.Stopped, web.Status);
        Assert.Null(web.Jid);
        Assert.Equal(new[] { "10.1.0.5" }, web.IPv4Address);
        Assert.Equal("/etc/jail.conf.d/web.conf", web.ConfigFile);
        Assert.True(all[0].Status == JailState.Running && all[0].Jid > 0 && !all[0].IsDefined);
        Assert.True(web.IsSimulated);
        Assert.StartsWith("simulated:", web.ComputerName);
    }

    [Fact]
    public void Definitions_follow_rc_d_jail_precedence_and_keep_globals_in_their_file()
    {
        _f.WriteFile("/etc/jail.conf", "host.hostname = \"$name.global\";\nweb { path = /from/main; }\ndb { path = /from/main; }\n");
        _f.WriteFile("/etc/jail.conf.d/web.conf", "web { path = /from/d; }\napp { path = /app; }\n");
        _f.WriteFile("/etc/jail.db.conf", "db { path = /from/jail.db.conf; }\n");
        var defs = _f.Service.Definitions.ToDictionary(d => d.Name);
        Assert.Equal(new[] { "web", "db", "app" }, _f.Service.Definitions.Select(d => d.Name));
        Assert.Equal("/from/d", defs["web"].Get("path")!.Values.Single());
        Assert.Null(defs["web"].Get("host.hostname"));            // jail.conf's globals stay in jail.conf
        Assert.Equal("/etc/jail.conf.d/web.conf", defs["web"].SourceFile);
        Assert.Equal("/from/jail.db.conf", defs["db"].Get("path")!.Values.Single());
        Assert.Equal("/app", defs["app"].Get("path")!.Values.Single());
    }

    [Fact]
    public void A_jail_conf_that_includes_jail_conf_d_is_used_for_those_jails()
    {
        _f.WriteFile("/etc/jail.conf", "host.hostname = \"$name.global\";\n.include \"/etc/jail.conf.d/*.conf\";\n");
        _f.WriteFile("/etc/jail.conf.d/web.conf", "web { path = /from/d; }\n");
        var web = _f.Service.FindDefinition("web")!;
        Assert.Equal("web.global", web.Get("host.hostname")!.Values.Single()); // merged, as `jail -f /etc/jail.conf` sees it
        Assert.Equal("/etc/jail.conf.d/web.conf", web.SourceFile);
    }

    [Fact]
    public void Start_order_puts_dependencies_first_and_finds_cycles()
    {
        _f.Define("db", "persist;");
        _f.Define("app", "depend = db;\npersist;");
        _f.Define("web", "depend = app, db;\npersist;");
        Assert.Equal(new[] { "db", "app", "web" }, _f.Service.StartOrder(new[] { _f.Service.FindDefinition("web")! }).Select(d => d.Name));
        Assert.Equal(new[] { "web", "app" }, _f.Service.DependentsToStopFirst("db"));

        _f.Define("a", "depend = b;");
        _f.Define("b", "depend = c;");
        _f.Define("c", "depend = a;");
        var ex = Assert.Throws<JailOperationException>(() => _f.Service.StartOrder(new[] { _f.Service.FindDefinition("a")! }));
        Assert.Equal("JailDependencyCycle", ex.ErrorId);
        Assert.Contains("a -> b -> c -> a", ex.Message);
    }

    private static NewJailRequest Web(IDictionary<string, object>? parameters = null)
    {
        var p = new OrderedDictionary();
        if (parameters != null) foreach (var kv in parameters) p[kv.Key] = kv.Value;
        return new NewJailRequest
        {
            Name = "web", Path = "/usr/jails/web", Hostname = "web.example.org", IPv4Address = new[] { "10.1.0.5" },
            ExecStart = new[] { "/bin/sh /etc/rc" }, ExecStop = new[] { "/bin/sh /etc/rc.shutdown jail" }, Parameters = p,
        };
    }

    [Fact]
    public void Create_writes_a_jail_conf_d_file_that_jail8_reads_back()
    {
        var plan = _f.Service.PlanCreate(Web(new Dictionary<string, object> { ["allow.raw_sockets"] = false, ["securelevel"] = 3 }));
        PlanRunner.Execute(plan, _f);
        string text = _f.Host.Files.ReadAllText("/etc/jail.conf.d/web.conf")!;
        Assert.Contains("allow.noraw_sockets;", text);
        Assert.Contains("securelevel = 3;", text);
        Assert.True(_f.Host.Files.DirectoryExists("/usr/jails/web"));
        var def = _f.Service.FindDefinition("web")!;
        Assert.Equal("/bin/sh /etc/rc", def.Get("exec.start")!.Values.Single());
        Assert.Equal("10.1.0.5", def.Get("ip4.addr")!.Values.Single());
    }

    [Fact]
    public void Create_rolls_back_the_directory_when_the_file_cannot_be_written()
    {
        // A directory where the file must go makes the rename fail.
        Directory.CreateDirectory(_f.Host.Files.ToLocalPath("/etc/jail.conf.d/web.conf"));
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Service.PlanCreate(Web()), _f));
        Assert.Equal("write", ex.FailedStep);
        Assert.Equal(new[] { "remove /usr/jails/web" }, ex.RolledBack);
        Assert.False(_f.Host.Files.DirectoryExists("/usr/jails/web"));
    }

    [Theory]
    [InlineData("0123", "JailInvalidName")]
    [InlineData("0", "JailInvalidName")]
    [InlineData("a.5", "JailInvalidName")]
    [InlineData(".web", "JailInvalidName")]
    [InlineData("we*b", "JailInvalidName")]
    [InlineData("", "JailInvalidName")]
    public void Invalid_names_are_refused(string name, string id)
        => Assert.Equal(id, Assert.Throws<JailOperationException>(() => JailService.ValidateName(name)).ErrorId);

    [Fact]
    public void Create_refuses_duplicates_relative_paths_and_bad_values_without_writing()
    {
        PlanRunner.Execute(_f.Service.PlanCreate(Web()), _f);
        Assert.Equal("JailAlreadyExists", Assert.Throws<JailOperationException>(() => _f.Service.PlanCreate(Web())).ErrorId);
        var rel = new NewJailRequest { Name = "x", Path = "usr/jails/x" };
        Assert.Equal("JailPathNotAbsolute", Assert.Throws<JailOperationException>(() => _f.Service.PlanCreate(rel)).ErrorId);
        var bad = new NewJailRequest { Name = "y", Path = "/usr/jails/y", Parameters = new OrderedDictionary { ["securelevel"] = "high" } };
        Assert.Equal("JailParameterInvalidValue", Assert.Throws<JailParameterException>(() => _f.Service.PlanCreate(bad)).ErrorId);
        var unknown = new NewJailRequest { Name = "z", Path = "/usr/jails/z", Parameters = new OrderedDictionary { ["allow.nosuch"] = true } };
        Assert.Equal("JailParameterUnknown", Assert.Throws<JailParameterException>(() => _f.Service.PlanCreate(unknown)).ErrorId);
        Assert.False(_f.Host.Files.FileExists("/etc/jail.conf.d/y.conf"));
        Assert.False(_f.Host.Files.FileExists("/etc/jail.conf.d/z.conf"));
    }

    [Fact]
    public void Update_changes_the_running_jail_and_the_file_keeping_comments()
    {
        _f.WriteFile("/etc/jail.conf.d/web.conf", "# my web jail\nweb {\n    path = \"/usr/jails/web\";   # root\n    host.hostname = old.example.org;\n    persist;\n}\n");
        _f.Host.Files.CreateDirectory("/usr/jails/web");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)), _f);
        var jail = _f.Service.Get("web")!;
        PlanRunner.Execute(_f.Service.PlanUpdate(jail, new OrderedDictionary { ["host.hostname"] = "www.example.org" }, writeDefinition: true), _f);
        Assert.Equal("www.example.org", _f.Host.Kernel.GetByName("web")!["host.hostname"]);
        string text = _f.Host.Files.ReadAllText("/etc/jail.conf.d/web.conf")!;
        Assert.Contains("# my web jail", text);
        Assert.Contains("# root", text);
        Assert.Contains("www.example.org", text);
        Assert.DoesNotContain("old.example.org", text);
    }

    [Fact]
    public void Update_of_a_create_only_parameter_on_a_running_jail_is_refused()
    {
        _f.Define("web", "persist;");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)), _f);
        var ex = Assert.Throws<JailOperationException>(() => _f.Service.PlanUpdate(_f.Service.Get("web")!, new OrderedDictionary { ["path"] = "/tmp" }, false));
        Assert.Equal("JailParameterCreateOnly", ex.ErrorId);
    }

    [Fact]
    public void A_failed_live_update_leaves_the_file_untouched()
    {
        _f.Define("web", "persist;\nhost.hostname = a;");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)), _f);
        string before = _f.Host.Files.ReadAllText("/etc/jail.conf.d/web.conf")!;
        _f.Sim.Kernel.InjectFault("jail_set", 1, Errno.EPERM);
        Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Service.PlanUpdate(_f.Service.Get("web")!, new OrderedDictionary { ["host.hostname"] = "b" }, true), _f));
        Assert.Equal(before, _f.Host.Files.ReadAllText("/etc/jail.conf.d/web.conf"));
        Assert.Equal("a", _f.Host.Kernel.GetByName("web")!["host.hostname"]);
    }

    [Fact]
    public void Remove_deletes_a_jail_conf_d_file_or_just_the_block()
    {
        _f.Define("web", "persist;");
        PlanRunner.Execute(_f.Service.PlanRemoveDefinition(_f.Service.FindDefinition("web")!), _f);
        Assert.False(_f.Host.Files.FileExists("/etc/jail.conf.d/web.conf"));
        Assert.True(_f.Host.Files.DirectoryExists("/usr/jails/web"));

        _f.WriteFile("/etc/jail.conf", "# site jails\na { path = /a; }\n\n# b is next\nb { path = /b; }\n");
        PlanRunner.Execute(_f.Service.PlanRemoveDefinition(_f.Service.FindDefinition("b")!), _f);
        string text = _f.Host.Files.ReadAllText("/etc/jail.conf")!;
        Assert.Contains("# site jails\na { path = /a; }", text);
        Assert.DoesNotContain("b {", text);
    }

    [Fact]
    public void Simulated_state_survives_a_new_host_object_in_another_process()
    {
        CreatePersistent(2);
        _f.Host.Commit();
        var other = new SimulatedHost(_f.Root); // what a second pwsh process would load
        Assert.Equal(2, new JailKernel(other).List().Count());
    }
}
