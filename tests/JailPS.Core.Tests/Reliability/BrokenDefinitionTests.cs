using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;
using JailPS.Core.Config;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Reliability;

/// <summary>
/// Issue 9 #2 and #8: a broken definition file is an error only for the jails it defines, and only
/// regular files are read as definitions (a FIFO is refused, never waited on).
/// </summary>
public sealed class BrokenDefinitionTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly OrchestratorTests.Sink _sink = new();

    public void Dispose() => _f.Dispose();

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    private JailOrchestrator Orchestrator() => new(_f.Service, _sink);

    private Jail Get(string name) => _f.Current(name);

    private void BreakDb() => _f.WriteFile("/etc/jail.conf.d/db.conf", "db {\n\tpath = \"/usr/jails/db\"\n\tpersist;\n}\n");

    private void MakeFifo(string hostPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Local(hostPath))!);
        using var p = Process.Start("mkfifo", new[] { Local(hostPath) })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        _f.Service.Invalidate();
    }

    [Fact]
    public void A_syntax_error_in_one_file_leaves_every_other_jail_usable()
    {
        _f.Define("web", "\tpersist;");
        BreakDb();

        var all = _f.Service.GetAll();
        Assert.Equal(new[] { "db", "web" }, all.Select(j => j.Name));
        var db = all.Single(j => j.Name == "db");
        Assert.False(db.IsDefined);
        Assert.StartsWith("/etc/jail.conf.d/db.conf:", db.DefinitionError, StringComparison.Ordinal);
        Assert.Null(all.Single(j => j.Name == "web").DefinitionError);
        Assert.Single(_f.Warnings, w => w.Contains("db.conf", StringComparison.Ordinal) && w.Contains("other jails are not affected", StringComparison.Ordinal));
        _f.Service.GetAll();
        Assert.Single(_f.Warnings); // said once per command

        Orchestrator().Start(new[] { Get("web") }, force: false, passThru: false);
        Assert.Empty(_sink.Errors);
        Assert.NotNull(_f.Host.Kernel.GetByName("web"));
        PlanRunner.Execute(_f.Service.PlanUpdate(Get("web"), new System.Collections.Hashtable { ["host.hostname"] = "w" }, writeDefinition: true), _f);
        Assert.Contains("host.hostname = w;", File.ReadAllText(Local("/etc/jail.conf.d/web.conf")), StringComparison.Ordinal);

        Orchestrator().Start(new[] { Get("db") }, force: false, passThru: false);
        var error = Assert.IsType<JailConfException>(Assert.Single(_sink.Errors).Error);
        Assert.Equal(JailConfErrorIds.MissingSemicolon, error.ErrorId);
        Assert.Null(_f.Host.Kernel.GetByName("db"));
        var set = Assert.Throws<JailConfException>(() => _f.Service.PlanUpdate(Get("db"), new System.Collections.Hashtable { ["persist"] = true }, writeDefinition: true));
        Assert.Equal("/etc/jail.conf.d/db.conf", set.File);
    }

    [Fact]
    public void A_broken_file_that_jail_conf_includes_is_left_out_and_the_others_keep_the_global_defaults()
    {
        _f.WriteFile("/etc/jail.conf", "path = \"/usr/jails/$name\";\npersist;\n.include \"/etc/jail.conf.d/*.conf\";\n");
        _f.WriteFile("/etc/jail.conf.d/web.conf", "web { host.hostname = web; }\n");
        _f.WriteFile("/etc/jail.conf.d/db.conf", "db { host.hostname = \"db; }\n");
        _f.Host.Files.CreateDirectory("/usr/jails/web");

        var web = Get("web");
        Assert.Equal("/usr/jails/web", web.Path);
        Assert.True(web.Persist);
        var db = Get("db");
        Assert.Equal(JailConfErrorIds.UnterminatedString, db.DefinitionException!.ErrorId);
        Assert.Equal(new[] { "db" }, _f.Service.BrokenDefinitions.Single().Jails);

        Orchestrator().Start(new[] { web }, force: false, passThru: false);
        Assert.Empty(_sink.Errors);
    }

    [Fact]
    public void A_broken_jail_conf_that_includes_jail_conf_d_breaks_exactly_the_jails_it_brings_in()
    {
        _f.WriteFile("/etc/jail.conf", "path = \"/usr/jails/$name\"\n.include \"/etc/jail.conf.d/*.conf\";\nold { }\n");
        _f.WriteFile("/etc/jail.conf.d/web.conf", "web { persist; }\n");
        _f.WriteFile("/etc/jail.NAME.conf".Replace("NAME", "solo", StringComparison.Ordinal), "solo { path = /usr/jails/solo; persist; }\n");

        var all = _f.Service.GetAll().ToDictionary(j => j.Name);
        Assert.NotNull(all["web"].DefinitionError);
        Assert.NotNull(all["old"].DefinitionError);
        Assert.Null(all["solo"].DefinitionError);
        Assert.True(all["solo"].IsDefined);
    }

    [Fact]
    public void A_running_jail_whose_file_broke_stops_only_with_Force_and_says_why()
    {
        var def = _f.Define("db", "\tpersist;\n\texec.prestop = \"/bin/echo prestop\";");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        BreakDb();

        var db = Get("db");
        Assert.Equal(JailState.Running, db.Status);
        Assert.NotNull(db.DefinitionError);

        Orchestrator().Stop(new[] { db }, timeout: 0, force: false, passThru: false);
        var error = Assert.IsType<JailOperationException>(Assert.Single(_sink.Errors).Error);
        Assert.Equal(JailConfErrorIds.MissingSemicolon, error.ErrorId);
        Assert.Contains("-Force", error.RecommendedAction, StringComparison.Ordinal);
        Assert.NotNull(_f.Host.Kernel.GetByName("db"));

        _sink.Errors.Clear();
        Orchestrator().Stop(new[] { Get("db") }, timeout: 0, force: true, passThru: false);
        Assert.Empty(_sink.Errors);
        Assert.Null(_f.Host.Kernel.GetByName("db"));
        Assert.DoesNotContain(_f.CommandPurposes(), p => p == "exec.prestop");
        Assert.Contains(_sink.Warnings, w => w.Contains("without its exec.* commands", StringComparison.Ordinal));
    }

    [Fact]
    public void One_jail_that_fails_to_evaluate_keeps_its_values_and_cannot_start_and_the_others_in_its_file_are_unaffected()
    {
        _f.WriteFile("/etc/jail.conf", "a { path = /a; persist; }\nb { path = /b; host.hostname = \"x$undefined\"; persist; }\n");
        _f.Host.Files.CreateDirectory("/a");
        _f.Host.Files.CreateDirectory("/b");
        Assert.Null(Get("a").DefinitionError);
        var b = Get("b");
        Assert.True(b.IsDefined); // as `jail -e` shows it: the variable left out
        Assert.Equal("x", b.Hostname);
        Assert.Equal(JailConfErrorIds.UndefinedVariable, b.DefinitionException!.ErrorId);
        _f.Service.GetAll();
        Assert.Contains(_f.Warnings, w => w.Contains("b: host.hostname: variable \"undefined\" not found", StringComparison.Ordinal)
            && w.Contains("marks b failed", StringComparison.Ordinal));

        Orchestrator().Start(new[] { Get("a"), b }, force: false, passThru: false);
        Assert.Equal(JailConfErrorIds.UndefinedVariable, Assert.IsType<JailConfException>(Assert.Single(_sink.Errors).Error).ErrorId);
        Assert.NotNull(_f.Host.Kernel.GetByName("a"));
        Assert.Null(_f.Host.Kernel.GetByName("b"));
    }

    [Fact]
    public void A_block_seen_in_a_broken_file_does_not_hide_a_good_definition_elsewhere()
    {
        _f.Define("web", "\tpersist;");
        _f.WriteFile("/etc/jail.conf.d/other.conf", "web { persist }\n");
        var web = Get("web");
        Assert.True(web.IsDefined);
        Assert.Null(web.DefinitionError);
    }

    [Fact]
    public void A_FIFO_as_a_definition_file_is_refused_at_once()
    {
        _f.Define("web", "\tpersist;");
        MakeFifo("/etc/jail.conf.d/db.conf");
        var load = Task.Run(() => _f.Service.GetAll());
        Assert.True(load.Wait(TimeSpan.FromSeconds(20)), "reading a FIFO blocked");
        var db = load.Result.Single(j => j.Name == "db");
        Assert.Equal(JailConfErrorIds.NotRegularFile, db.DefinitionException!.ErrorId);
        Assert.Contains("not a regular file (a FIFO)", db.DefinitionError, StringComparison.Ordinal);
        Assert.True(load.Result.Single(j => j.Name == "web").IsDefined);
    }

    [Fact]
    public void An_include_of_a_FIFO_is_a_typed_error_and_never_blocks()
    {
        _f.WriteFile("/etc/jail.conf", "a { path = /a; }\n.include \"/etc/pipe\";\n");
        MakeFifo("/etc/pipe");
        var load = Task.Run(() => JailConfLoader.Load(_f.Host.Files, new[] { "/etc/jail.conf" }));
        Assert.True(Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(20))).Result == load, "the .include of a FIFO blocked");
        var ex = Assert.Throws<AggregateException>(() => load.Wait()).InnerException;
        var conf = Assert.IsType<JailConfException>(ex);
        Assert.Equal(JailConfErrorIds.NotRegularFile, conf.ErrorId);
        Assert.Equal(("/etc/jail.conf", 2), (conf.File, conf.Line));
        Assert.IsType<HostFileNotRegularException>(conf.InnerException);

        // Tolerant (the lifecycle's way): the FIFO is left out, jail a stays.
        var problems = new List<JailConfProblem>();
        var defs = JailConfLoader.LoadTolerant(_f.Host.Files, "/etc/jail.conf", problems);
        Assert.Equal(new[] { "a" }, defs.Select(d => d.Name));
        Assert.Equal("/etc/pipe", Assert.Single(problems).File);
    }

    [Fact]
    public void A_directory_where_a_definition_file_should_be_is_refused()
    {
        _f.Define("web", "\tpersist;");
        _f.Host.Files.CreateDirectory("/etc/jail.conf.d/dir.conf");
        _f.Service.Invalidate();
        var dir = _f.Service.GetAll().Single(j => j.Name == "dir");
        Assert.Equal(JailConfErrorIds.NotRegularFile, dir.DefinitionException!.ErrorId);
    }

    [Fact]
    public void Editing_a_FIFO_is_refused_without_blocking()
    {
        MakeFifo("/etc/jail.conf.d/web.conf");
        var edit = Task.Run(() => _f.Host.Files.Edit("/etc/jail.conf.d/web.conf", t => (t ?? "") + "x { }\n"));
        Assert.True(Task.WhenAny(edit, Task.Delay(TimeSpan.FromSeconds(20))).Result == edit, "editing a FIFO blocked");
        Assert.IsType<HostFileNotRegularException>(Assert.Throws<AggregateException>(() => edit.Wait()).InnerException);
    }
}
