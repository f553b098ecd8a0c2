using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Lifecycle;

public sealed class LifecycleTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private const string FullBody = """
        host.hostname = "web.example.org";
        ip4.addr = 10.1.0.5;
        exec.prestart = "/usr/bin/true prestart";
        exec.created = "/usr/bin/true created";
        exec.start = "/bin/sh /etc/rc";
        command = "/usr/bin/true command";
        exec.poststart = "/usr/bin/true poststart";
        exec.prestop = "/usr/bin/true prestop";
        exec.stop = "/bin/sh /etc/rc.shutdown jail";
        exec.poststop = "/usr/bin/true poststop";
        """;

    [Fact]
    public void Start_runs_the_steps_in_jail8_order_and_clears_the_temporary_persist()
    {
        var def = _f.Define("web", FullBody);
        var plan = _f.Lifecycle().PlanStart(_f.Spec(def));
        Assert.Equal(new[] { "exec.prestart", "jail_set", "exec.created", "exec.start", "command", "exec.poststart", "persist" },
            plan.Steps.Select(s => s.Name));
        PlanRunner.Execute(plan, _f);

        Assert.Equal(new[] { "exec.prestart", "exec.created", "exec.start", "command", "exec.poststart" }, _f.CommandPurposes());
        var rec = _f.Host.Kernel.GetByName("web");
        Assert.NotNull(rec);
        Assert.False(rec!.Persist);                       // cleared after exec.poststart
        Assert.Equal("web.example.org", rec["host.hostname"]);
        // In-jail commands go through jexec with the new jid; host ones do not.
        var start = _f.Sim.Processes.Log.Single(c => c.Purpose == "exec.start");
        Assert.Equal(new[] { "/usr/sbin/jexec", rec.Jid.ToString(), "/bin/sh", "/etc/rc" }, start.Arguments);
        Assert.Null(_f.Sim.Processes.Log.Single(c => c.Purpose == "exec.prestart").Jid);
    }

    [Fact]
    public void Jail_set_receives_every_kernel_parameter_with_its_type()
    {
        var def = _f.Define("web", "allow.noraw_sockets;\nsecurelevel = 3;\nhost.hostname = web;\nip4.addr = 10.1.0.5, 10.1.0.6;\npersist;");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        var rec = _f.Host.Kernel.GetByName("web")!;
        Assert.Equal(false, rec["allow.raw_sockets"]);
        Assert.Equal(3, rec["securelevel"]);
        Assert.True(rec.Persist);
        Assert.Equal(new[] { "10.1.0.5", "10.1.0.6" }, ((System.Net.IPAddress[])rec["ip4.addr"]!).Select(a => a.ToString()));
    }

    [Fact]
    public void A_jail_without_persist_or_processes_vanishes_after_start_with_a_warning()
    {
        var def = _f.Define("empty", "");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        Assert.Equal(0, _f.RunningCount());
        Assert.Contains(_f.Warnings, w => w.Contains("not persistent"));
    }

    public static IEnumerable<object[]> StartSteps() =>
        new[] { "exec.prestart", "jail_set", "exec.created", "exec.start", "command", "exec.poststart", "persist" }.Select(s => new object[] { s });

    [Theory]
    [MemberData(nameof(StartSteps))]
    public void A_failure_at_any_start_step_leaves_no_jail_and_names_the_step(string step)
    {
        var def = _f.Define("web", FullBody);
        if (step == "jail_set") _f.Sim.Kernel.InjectFault("jail_set", 1, Errno.EPERM);
        else if (step == "persist") _f.Sim.Kernel.InjectFault("jail_set", 2, Errno.EINVAL, "injected");
        else _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = step, ExitCode = 3, StandardError = "boom" });

        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f));
        Assert.Equal(step, ex.FailedStep);
        Assert.Contains(step, ex.Message);
        Assert.Equal(0, _f.RunningCount());
        Assert.Empty(_f.Host.Kernel.List(includeDying: true));
        bool created = step is not ("exec.prestart" or "jail_set");
        Assert.Equal(created ? new[] { "jail_remove(web)" } : Array.Empty<string>(), ex.RolledBack);
        Assert.Empty(ex.RollbackFailures);
    }

    [Fact]
    public void A_failed_rollback_is_reported_not_hidden()
    {
        var def = _f.Define("web", FullBody);
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.poststart", ExitCode = 1 });
        _f.Sim.Kernel.InjectFault("jail_remove", 1, Errno.EPERM);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f));
        Assert.Single(ex.RollbackFailures);
        Assert.Contains("ROLLBACK INCOMPLETE", ex.Message);
    }

    private (JailSpec Spec, int Jid) StartWeb(string body = FullBody)
    {
        var spec = _f.Spec(_f.Define("web", body));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        return (spec, _f.Host.Kernel.GetByName("web")!.Jid);
    }

    [Fact]
    public void Stop_runs_the_steps_in_jail8_order()
    {
        var (spec, jid) = StartWeb();
        _f.Sim.Processes.Log.ToString();
        int before = _f.Sim.Processes.Log.Count;
        var plan = _f.Lifecycle().PlanStop("web", jid, spec, null, force: false);
        Assert.Equal(new[] { "exec.prestop", "exec.stop", "stop.timeout", "jail_remove", "exec.poststop", "check mounts" }, plan.Steps.Select(s => s.Name));
        PlanRunner.Execute(plan, _f);
        Assert.Equal(new[] { "exec.prestop", "exec.stop", "pkill" }, _f.CommandPurposes().Skip(before).Take(3));
        Assert.Equal("exec.poststop", _f.CommandPurposes().Last());
        Assert.Equal(0, _f.RunningCount());
    }

    [Theory]
    [InlineData("exec.prestop")]
    [InlineData("exec.stop")]
    public void A_failing_stop_command_keeps_the_jail_running_unless_forced(string step)
    {
        var (spec, jid) = StartWeb();
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = step, ExitCode = 1 });
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, null, false), _f));
        Assert.Equal(step, ex.FailedStep);
        Assert.NotNull(_f.Host.Kernel.GetByJid(jid));

        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, null, force: true), _f);
        Assert.Null(_f.Host.Kernel.GetByJid(jid));
        Assert.Contains(_f.Warnings, w => w.Contains(step));
    }

    [Fact]
    public void A_failing_jail_remove_is_one_error_and_the_jail_stays_consistent()
    {
        var (spec, jid) = StartWeb("exec.start = \"/bin/sh /etc/rc\";\npersist;");
        _f.Sim.Kernel.InjectFault("jail_remove", 1, Errno.EPERM);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false), _f));
        Assert.Equal("jail_remove", ex.FailedStep);
        Assert.IsType<JailKernelException>(ex.InnerException);
        Assert.NotNull(_f.Host.Kernel.GetByJid(jid));          // still running, persist untouched: a second Stop-Jail completes
        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false), _f);
        Assert.Null(_f.Host.Kernel.GetByJid(jid));
    }

    [Fact]
    public void Processes_that_ignore_SIGTERM_are_killed_by_jail_remove_after_the_timeout()
    {
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.start", LeaveRunning = 2, IgnoreSigterm = true });
        var (spec, jid) = StartWeb("exec.start = \"/bin/sh /etc/rc\";");
        Assert.Equal(2, _f.Sim.Kernel.ProcessesIn(jid).Count);
        var started = DateTime.UtcNow;
        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 1, false), _f);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(0.9), "stop.timeout was not waited");
        Assert.Null(_f.Host.Kernel.GetByJid(jid, includeDying: true));
    }

    [Fact]
    public void Zero_stop_timeout_skips_SIGTERM()
    {
        var (spec, jid) = StartWeb();
        var plan = _f.Lifecycle().PlanStop("web", jid, spec, 0, false);
        Assert.DoesNotContain(plan.Steps, s => s.Name == "stop.timeout");
    }

    [Fact]
    public void Exec_options_shape_the_command_lines()
    {
        _f.Host.Files.CreateDirectory("/var/log");
        var (_, jid) = StartWeb("exec.start = \"/bin/sh /etc/rc\";\nexec.prestart = 'echo $PATH > /tmp/x';\nexec.clean;\nexec.jail_user = www;\nexec.fib = 2;\nexec.consolelog = \"/var/log/jail_web.log\";");
        var start = _f.Sim.Processes.Log.Single(c => c.Purpose == "exec.start");
        Assert.Equal(new[] { "/usr/sbin/setfib", "2", "/usr/sbin/jexec", "-l", "-U", "www", jid.ToString(), "/bin/sh", "/etc/rc" }, start.Arguments);
        var pre = _f.Sim.Processes.Log.Single(c => c.Purpose == "exec.prestart");
        Assert.Equal(new[] { "/usr/sbin/setfib", "2", "/bin/sh", "-c", "echo $PATH > /tmp/x" }, pre.Arguments);
        Assert.True(_f.Host.Files.FileExists("/var/log/jail_web.log"));
    }

    [Fact]
    public void A_command_that_outlives_exec_timeout_fails_the_start()
    {
        var def = _f.Define("web", "exec.start = \"/bin/sh /etc/rc\";\nexec.timeout = 1;");
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.start", Hang = true });
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f));
        Assert.Equal("JailCommandTimedOut", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Equal(0, _f.RunningCount());
    }

    [Fact]
    public void Mount_devfs_off_is_fine()
    {
        var def = _f.Define("web", "mount.nodevfs;\npersist;");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        Assert.Equal(1, _f.RunningCount());
    }

    [Theory]
    [InlineData("allow.nosuch;", "JailParameterUnknown")]
    [InlineData("securelevel = high;", "JailParameterInvalidValue")]
    [InlineData("dying;", "JailParameterReadOnly")]
    [InlineData("stop.timeout = soon;", "JailParameterInvalidValue")]
    public void Bad_parameters_are_typed_errors_before_anything_runs(string statement, string id)
    {
        var def = _f.Define("web", statement);
        var ex = Assert.Throws<JailParameterException>(() => _f.Spec(def));
        Assert.Equal(id, ex.ErrorId);
    }

    // A jail without path is started with the host's root, as jail(8) does (Fidelity/NamesAndPathTests).
    [Theory]
    [InlineData("usr/jails/web", "JailPathNotAbsolute")]
    [InlineData("/usr/jails/none", "JailPathNotFound")]
    public void Start_checks_path_like_jail8(string path, string id)
    {
        _f.WriteFile("/etc/jail.conf", $"web {{ path = \"{path}\"; persist; }}\n");
        var ex = Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)));
        Assert.Equal(id, ex.ErrorId);
    }
}
