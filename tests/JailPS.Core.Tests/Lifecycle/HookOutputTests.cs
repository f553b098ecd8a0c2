using System.Diagnostics;
using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Tests.Lifecycle;

/// <summary>
/// Where exec.* hooks' output goes and what environment they get. jail(8) lets every hook inherit
/// its stdout and stderr, except that in-jail commands write to exec.consolelog when it is set
/// (usr.sbin/jail/command.c run_command); FreeBSD 15 adds JID, JNAME and JPATH to host commands
/// (usr.sbin/jail/jail.8; usr.sbin/jail/tests/jail_basic_test.sh, "commands" and "param_consistency").
/// </summary>
public sealed class HookOutputTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private int Start(string body)
    {
        var def = _f.Define("web", body);
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        return _f.Host.Kernel.GetByName("web")!.Jid;
    }

    private void Stop(int jid)
    {
        var spec = _f.Spec(_f.Service.FindDefinition("web")!);
        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false), _f);
    }

    private SimulatedCommand Ran(string purpose) => _f.Sim.Processes.Log.Single(c => c.Purpose == purpose);

    private List<JailHookOutput> Lines => _f.HookLines.Select(h => h.Line).ToList();

    [Fact]
    public void Host_hook_lines_reach_the_output_seam_with_jail_hook_and_stream()
    {
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.prestart", StandardOutput = "START\n", StandardError = "note: slow disk\n" });
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.poststart", StandardOutput = "up\n" });
        int jid = Start("persist;\nexec.prestart = \"echo START\";\nexec.poststart = \"echo up\";");

        Assert.Collection(Lines,
            l => { Assert.Equal(("web", "exec.prestart", "stdout", "START"), (l.JailName, l.Hook, l.Stream, l.Line)); Assert.Null(l.Jid); },
            l => Assert.Equal(("exec.prestart", "stderr", "note: slow disk"), (l.Hook, l.Stream, l.Line)),
            l => { Assert.Equal(("exec.poststart", "stdout", "up"), (l.Hook, l.Stream, l.Line)); Assert.Equal(jid, l.Jid); });
        Assert.All(Lines, l => Assert.Equal(_f.Host.ComputerName, l.ComputerName));
        Assert.Equal("START", Lines[0].ToString());
    }

    [Fact]
    public void In_jail_output_without_consolelog_reaches_the_output_seam()
    {
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.start", StandardOutput = "Starting sshd.\n", LeaveRunning = 1 });
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.stop", StandardOutput = "Stopping sshd.\n" });
        int jid = Start("exec.start = \"/bin/sh /etc/rc\";\nexec.stop = \"/bin/sh /etc/rc.shutdown jail\";");
        Stop(jid);

        Assert.Equal(new[] { ("exec.start", "Starting sshd.", (int?)jid), ("exec.stop", "Stopping sshd.", jid) },
            Lines.Select(l => (l.Hook, l.Line, l.Jid)));
    }

    [Fact]
    public void With_consolelog_in_jail_output_goes_only_to_the_log_and_host_output_never_does()
    {
        _f.Host.Files.CreateDirectory("/var/log");
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.start", StandardOutput = "Starting sshd.\n", StandardError = "sshd: warning\n", LeaveRunning = 1 });
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.prestart", StandardOutput = "from the host\n" });
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.poststart", StandardError = "also the host\n" });
        Start("exec.consolelog = \"/var/log/jail_web.log\";\nexec.prestart = \"echo from the host\";\nexec.start = \"/bin/sh /etc/rc\";\nexec.poststart = \"logger up\";");

        Assert.Equal("Starting sshd.\nsshd: warning\n", _f.Host.Files.ReadAllText("/var/log/jail_web.log"));
        Assert.Equal(new[] { ("exec.prestart", "stdout", "from the host"), ("exec.poststart", "stderr", "also the host") },
            Lines.Select(l => (l.Hook, l.Stream, l.Line)));
        Assert.Contains(_f.VerboseLines, v => v.Contains("exec.start: 2 lines of output written to exec.consolelog /var/log/jail_web.log"));
    }

    [Fact]
    public void The_consolelog_is_opened_before_the_in_jail_command_runs()
    {
        // jail(8) opens it before it forks: the file exists even when nothing is written, and a log
        // that cannot be opened (here a directory) fails the step without running the command.
        _f.Host.Files.CreateDirectory("/var/log");
        Start("persist;\nexec.consolelog = \"/var/log/jail_web.log\";\nexec.start = \"/usr/bin/true\";");
        Assert.Equal("", _f.Host.Files.ReadAllText("/var/log/jail_web.log"));

        _f.Host.Files.CreateDirectory("/var/log/jail_db.log");
        var db = _f.Define("db", "persist;\nexec.consolelog = \"/var/log/jail_db.log\";\nexec.start = \"/bin/sh /etc/rc\";");
        Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(db)), _f));
        Assert.DoesNotContain(_f.Sim.Processes.Log, c => c.Jail == "db" && c.Purpose == "exec.start");
        Assert.Null(_f.Host.Kernel.GetByName("db"));
    }

    [Fact]
    public void Lines_arrive_on_the_callers_thread_while_the_command_still_runs()
    {
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.prestart", StandardOutput = "1\n2\n3\n", LineDelayMilliseconds = 300 });
        var clock = Stopwatch.StartNew();
        var arrived = new List<TimeSpan>();
        _f.OnHookOutput = _ => arrived.Add(clock.Elapsed);
        Start("persist;\nexec.prestart = \"/usr/local/bin/slow\";");
        TimeSpan finished = clock.Elapsed;

        Assert.Equal(3, arrived.Count);
        Assert.True(finished - arrived[0] >= TimeSpan.FromMilliseconds(500), $"first line at {arrived[0]}, start done at {finished}: lines came only at the end");
        Assert.All(_f.HookLines, h => Assert.Equal(Environment.CurrentManagedThreadId, h.Thread));
    }

    [Fact]
    public void A_consumer_that_throws_ends_the_running_command()
    {
        // A stopping pipeline (or -InformationAction Stop) throws from the output seam: the hook is
        // killed, not left running behind the cmdlet, and the start is rolled back.
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.prestart", StandardOutput = "first\n", Hang = true });
        _f.OnHookOutput = _ => throw new InvalidOperationException("pipeline stopped");
        // exec.timeout only bounds the test: the kill must come from the consumer, long before it.
        var def = _f.Define("web", "persist;\nexec.timeout = 30;\nexec.prestart = \"/usr/local/bin/hang\";");
        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f));
        Assert.IsType<InvalidOperationException>(ex.InnerException);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "took " + clock.Elapsed);
        Assert.True(Ran("exec.prestart").Cancelled);
        Assert.Null(_f.Host.Kernel.GetByName("web"));
    }

    [Fact]
    public void Host_hooks_get_JNAME_and_JPATH_and_JID_once_the_jail_has_one()
    {
        const string body = """
            persist;
            exec.prepare = "/usr/bin/true prepare";
            exec.prestart = "/usr/bin/true prestart";
            exec.created = "/usr/bin/true created";
            exec.start = "/bin/sh /etc/rc";
            exec.poststart = "/usr/bin/true poststart";
            exec.prestop = "/usr/bin/true prestop";
            exec.stop = "/bin/sh /etc/rc.shutdown jail";
            exec.poststop = "/usr/bin/true poststop";
            exec.release = "/usr/bin/true release";
            """;
        int jid = Start(body);
        Stop(jid);

        var before = new Dictionary<string, string> { ["JNAME"] = "web", ["JPATH"] = "/usr/jails/web" };
        var after = new Dictionary<string, string> { ["JID"] = jid.ToString(), ["JNAME"] = "web", ["JPATH"] = "/usr/jails/web" };
        foreach (string hook in new[] { "exec.prepare", "exec.prestart" })
            Assert.Equal(before, Ran(hook).Environment);
        foreach (string hook in new[] { "exec.created", "exec.poststart", "exec.prestop", "exec.poststop", "exec.release" })
            Assert.Equal(after, Ran(hook).Environment);
        // In-jail commands are not told the host's path (freebsd-src PR #1609).
        Assert.Null(Ran("exec.start").Environment);
        Assert.Null(Ran("exec.stop").Environment);
        Assert.All(_f.Sim.Processes.Log, c => Assert.False(c.CleanEnvironment));
    }

    [Fact]
    public void Exec_clean_sets_none_of_them()
    {
        Start("persist;\nexec.clean;\nexec.prestart = \"/usr/bin/true\";\nexec.poststart = \"/usr/bin/true\";");
        foreach (string hook in new[] { "exec.prestart", "exec.poststart" })
        {
            Assert.Null(Ran(hook).Environment);
            Assert.True(Ran(hook).CleanEnvironment);
        }
    }

    [Fact]
    public void Exec_poststart_env_shows_JID_JNAME_and_JPATH_as_in_jail8s_commands_test()
    {
        // The simulated counterpart of jail_basic_test.sh's "commands" case: exec.poststart = "env".
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "env", EchoEnvironment = true });
        int jid = Start("persist;\nexec.poststart = \"env\";");
        var env = Lines.Where(l => l.Hook == "exec.poststart").Select(l => l.Line).ToList();
        Assert.Contains($"JID={jid}", env);
        Assert.Contains("JNAME=web", env);
        Assert.Contains("JPATH=/usr/jails/web", env);
        Assert.Equal(string.Join("", env.Select(l => l + "\n")), Ran("exec.poststart").StandardOutput);
    }
}
