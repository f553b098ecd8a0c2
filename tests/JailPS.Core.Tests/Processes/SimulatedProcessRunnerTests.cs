using System.Diagnostics;
using System.IO;
using System.Text.Json;
using System.Threading;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Processes;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Processes;

/// <summary>The simulated host's responder: answers that behave like processes, and what it records.</summary>
public sealed class SimulatedProcessRunnerTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private SimulatedProcessRunner Runner => _f.Sim.Processes;

    private static ProcessRequest Request(string text = "service nginx status", TimeSpan? timeout = null, string? stdin = null,
        Action<string>? onOut = null, Action<string>? onErr = null, bool interactive = false, string purpose = "invoke")
        => new()
        {
            Arguments = new[] { "/usr/sbin/jexec", "7", "/bin/sh", "-c", text },
            Jid = null,
            JailName = "web",
            Purpose = purpose,
            DisplayText = text,
            Timeout = timeout,
            StandardInput = stdin,
            OnOutputLine = onOut,
            OnErrorLine = onErr,
            Interactive = interactive,
        };

    [Fact]
    public void A_delay_is_a_real_wait_and_fills_duration_and_start_time()
    {
        Runner.AddResponse(new SimulatedResponse { DelayMilliseconds = 200, StandardOutput = "ok\n", ExitCode = 4 });
        DateTime before = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var r = Runner.Run(Request());
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(190), "took " + clock.Elapsed);
        Assert.True(r.Duration >= TimeSpan.FromMilliseconds(190), "duration " + r.Duration);
        Assert.InRange(r.StartTime, before, DateTime.UtcNow);
        Assert.Equal(4, r.ExitCode);
        Assert.Equal("ok\n", r.StandardOutput);
        Assert.False(r.TimedOut);
    }

    [Fact]
    public void A_delay_longer_than_the_timeout_times_out()
    {
        Runner.AddResponse(new SimulatedResponse { DelayMilliseconds = 5000, StandardOutput = "never\n" });
        var clock = Stopwatch.StartNew();
        var r = Runner.Run(Request(timeout: TimeSpan.FromMilliseconds(100)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), "took " + clock.Elapsed);
        Assert.True(r.TimedOut);
        Assert.Equal(-1, r.ExitCode);
        Assert.Equal("", r.StandardOutput);
        var entry = Runner.Log.Single();
        Assert.True(entry.TimedOut);
        Assert.Equal(-1, entry.ExitCode);
    }

    [Fact]
    public void A_delay_ends_on_cancellation()
    {
        Runner.AddResponse(new SimulatedResponse { DelayMilliseconds = 5000 });
        using var cts = CancelAfter(100);
        var clock = Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => Runner.Run(Request(), cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), "took " + clock.Elapsed);
        Assert.True(Runner.Log.Single().Cancelled);
    }

    [Fact]
    public void An_already_cancelled_token_answers_nothing()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var lines = new List<string>();
        Runner.AddResponse(new SimulatedResponse { StandardOutput = "x\n" });
        Assert.ThrowsAny<OperationCanceledException>(() => Runner.Run(Request(onOut: lines.Add), cts.Token));
        Assert.Empty(lines);
    }

    [Fact]
    public void A_hang_ends_at_the_timeout_after_its_output()
    {
        Runner.AddResponse(new SimulatedResponse { Hang = true, StandardOutput = "tailing\n" });
        var lines = new List<string>();
        var clock = Stopwatch.StartNew();
        var r = Runner.Run(Request(timeout: TimeSpan.FromMilliseconds(150), onOut: lines.Add));
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(140), TimeSpan.FromSeconds(2));
        Assert.True(r.TimedOut);
        Assert.Equal(-1, r.ExitCode);
        Assert.Equal(new[] { "tailing" }, lines);
        Assert.Equal("tailing\n", r.StandardOutput);
    }

    [Fact]
    public void A_hang_ends_on_cancellation_with_or_without_a_timeout()
    {
        Runner.AddResponse(new SimulatedResponse { Hang = true });
        using (var cts = CancelAfter(100))
            Assert.ThrowsAny<OperationCanceledException>(() => Runner.Run(Request(), cts.Token));
        using (var cts = CancelAfter(100))
            Assert.ThrowsAny<OperationCanceledException>(() => Runner.Run(Request(timeout: TimeSpan.FromSeconds(30)), cts.Token));
        Assert.All(Runner.Log, c => Assert.True(c.Cancelled));
    }

    [Fact]
    public void A_hanging_command_leaves_nothing_running_in_the_jail()
    {
        int jid = StartPersistentJail();
        Runner.AddResponse(new SimulatedResponse { Hang = true, LeaveRunning = 3 });
        var r = Runner.Run(new ProcessRequest { Arguments = new[] { "/usr/sbin/jexec", jid.ToString(), "daemon" }, Jid = jid, JailName = "web", Timeout = TimeSpan.FromMilliseconds(50) });
        Assert.True(r.TimedOut);
        Assert.Empty(_f.Sim.Kernel.ProcessesIn(jid));
    }

    [Fact]
    public void Output_is_delivered_line_by_line_in_order()
    {
        Runner.AddResponse(new SimulatedResponse { StandardOutput = "a\r\nb\n\nc\rd\ntail", StandardError = "e1\ne2\n" });
        var seen = new List<string>();
        var r = Runner.Run(Request(onOut: l => seen.Add("out:" + l), onErr: l => seen.Add("err:" + l)));
        Assert.Equal(new[] { "out:a", "out:b", "out:", "out:c\rd", "out:tail", "err:e1", "err:e2" }, seen);
        Assert.Equal("a\r\nb\n\nc\rd\ntail", r.StandardOutput);
        Assert.Equal("e1\ne2\n", r.StandardError);
    }

    [Fact]
    public void Line_delay_spaces_the_lines_so_streaming_is_observable()
    {
        Runner.AddResponse(new SimulatedResponse { StandardOutput = "1\n2\n3\n", LineDelayMilliseconds = 100 });
        var clock = Stopwatch.StartNew();
        var times = new List<TimeSpan>();
        var r = Runner.Run(Request(onOut: _ => times.Add(clock.Elapsed)));
        TimeSpan returned = clock.Elapsed;
        Assert.Equal(3, times.Count);
        Assert.True(times[2] - times[0] >= TimeSpan.FromMilliseconds(190), "lines at " + string.Join(", ", times));
        Assert.True(returned - times[0] >= TimeSpan.FromMilliseconds(190), "the first line came only when the command ended");
        Assert.Equal("1\n2\n3\n", r.StandardOutput);
    }

    [Fact]
    public void A_timeout_between_lines_keeps_the_lines_delivered_so_far()
    {
        Runner.AddResponse(new SimulatedResponse { StandardOutput = "1\n2\n3\n4\n5\n", LineDelayMilliseconds = 100 });
        var lines = new List<string>();
        var r = Runner.Run(Request(timeout: TimeSpan.FromMilliseconds(250), onOut: lines.Add));
        Assert.True(r.TimedOut);
        // Lines at about 0, 100 and 200 ms; the fourth would come after the timeout. However late
        // the waits wake on a loaded machine, what was delivered is a prefix and is what is returned.
        Assert.InRange(lines.Count, 1, 3);
        Assert.Equal(new[] { "1", "2", "3", "4", "5" }.Take(lines.Count), lines);
        Assert.Equal(string.Concat(lines.Select(l => l + "\n")), r.StandardOutput);
    }

    [Fact]
    public void Cancellation_between_lines_stops_the_stream()
    {
        Runner.AddResponse(new SimulatedResponse { StandardOutput = "1\n2\n3\n4\n5\n", LineDelayMilliseconds = 50 });
        using var cts = new CancellationTokenSource();
        var lines = new List<string>();
        Assert.ThrowsAny<OperationCanceledException>(() => Runner.Run(Request(onOut: l => { lines.Add(l); if (l == "2") cts.Cancel(); }), cts.Token));
        Assert.Equal(new[] { "1", "2" }, lines);
    }

    [Fact]
    public void Echo_standard_input_proves_stdin_reaches_the_command()
    {
        Runner.AddResponse(new SimulatedResponse { EchoStandardInput = true, StandardOutput = "ignored" });
        var lines = new List<string>();
        var r = Runner.Run(Request(stdin: "first\nsecond ü\n", onOut: lines.Add));
        Assert.Equal("first\nsecond ü\n", r.StandardOutput);
        Assert.Equal(new[] { "first", "second ü" }, lines);
        Assert.Equal("", Runner.Run(Request()).StandardOutput);
    }

    [Fact]
    public void The_log_records_stdin_length_timeout_and_interactive()
    {
        Runner.Run(Request(stdin: "12345", timeout: TimeSpan.FromSeconds(9)));
        Runner.Run(Request(interactive: true, purpose: "enter"));
        var log = Runner.Log;
        Assert.Equal(5, log[0].StandardInputLength);
        Assert.Equal(TimeSpan.FromSeconds(9), log[0].Timeout);
        Assert.False(log[0].Interactive);
        Assert.Null(log[1].StandardInputLength);
        Assert.Null(log[1].Timeout);
        Assert.True(log[1].Interactive);
        Assert.Equal("enter", log[1].Purpose);

        // commands.log holds the same, one JSON object a line, readable back.
        var fromFile = File.ReadAllLines(Runner.LogFile).Select(l => JsonSerializer.Deserialize<SimulatedCommand>(l)!).ToArray();
        Assert.Equal(2, fromFile.Length);
        Assert.Equal(5, fromFile[0].StandardInputLength);
        Assert.Equal(TimeSpan.FromSeconds(9), fromFile[0].Timeout);
        Assert.True(fromFile[1].Interactive);
        Assert.Equal("service nginx status", fromFile[0].Text);
    }

    [Fact]
    public void The_log_records_the_environment_and_what_the_command_wrote()
    {
        Runner.AddResponse(new SimulatedResponse { StandardOutput = "out 1\nout 2\n", StandardError = "err\n" });
        var env = new Dictionary<string, string> { ["JID"] = "3", ["JNAME"] = "web", ["JPATH"] = "/usr/jails/web" };
        Runner.Run(new ProcessRequest { Arguments = new[] { "/usr/bin/true" }, Purpose = "exec.poststart", Environment = env });
        Runner.Run(new ProcessRequest { Arguments = new[] { "/usr/bin/true" }, Purpose = "exec.prestart", CleanEnvironment = true });

        foreach (var log in new[] { Runner.Log, File.ReadAllLines(Runner.LogFile).Select(l => JsonSerializer.Deserialize<SimulatedCommand>(l)!).ToArray() })
        {
            Assert.Equal(env, log[0].Environment);
            Assert.False(log[0].CleanEnvironment);
            Assert.Equal("out 1\nout 2\n", log[0].StandardOutput);
            Assert.Equal("err\n", log[0].StandardError);
            Assert.Null(log[1].Environment);
            Assert.True(log[1].CleanEnvironment);
        }
    }

    [Fact]
    public void Echo_environment_prints_the_variables_set_for_the_command_as_env_does()
    {
        Runner.AddResponse(new SimulatedResponse { Command = "env", EchoEnvironment = true, StandardOutput = "ignored" });
        var lines = new List<string>();
        var r = Runner.Run(new ProcessRequest
        {
            Arguments = new[] { "env" },
            Environment = new Dictionary<string, string> { ["JID"] = "3", ["JNAME"] = "web" },
            OnOutputLine = lines.Add,
        });
        Assert.Equal("JID=3\nJNAME=web\n", r.StandardOutput);
        Assert.Equal(new[] { "JID=3", "JNAME=web" }, lines);
        Assert.Equal("", Runner.Run(new ProcessRequest { Arguments = new[] { "env" } }).StandardOutput);
    }

    [Fact]
    public void Interactive_requests_are_answered_like_others()
    {
        Runner.AddResponse(new SimulatedResponse { Purpose = "enter", ExitCode = 3 });
        var r = Runner.Run(Request(interactive: true, purpose: "enter"));
        Assert.Equal(3, r.ExitCode);
        Assert.True(Runner.Log.Single().Interactive);
    }

    [Fact]
    public void Command_matches_display_text_when_set_else_the_rendered_argv()
    {
        Runner.AddResponse(new SimulatedResponse { Command = "service * status", ExitCode = 11 });
        Runner.AddResponse(new SimulatedResponse { Command = "/usr/bin/printf 'a b' *", ExitCode = 12 });
        Assert.Equal(11, Runner.Run(Request("service nginx status")).ExitCode);
        // The argv of Request() renders as "/usr/sbin/jexec 7 /bin/sh -c ..." but the display text wins.
        Assert.Equal(0, Runner.Run(new ProcessRequest { Arguments = new[] { "/usr/sbin/jexec", "7", "service", "nginx", "status" }, DisplayText = "other" }).ExitCode);
        Assert.Equal(12, Runner.Run(new ProcessRequest { Arguments = new[] { "/usr/bin/printf", "a b", "x;y" } }).ExitCode);
        Assert.Equal(0, Runner.Run(Request("SERVICE nginx STATUS")).ExitCode); // Command is case-sensitive
    }

    [Fact]
    public void Jail_and_purpose_wildcards_select_the_rule()
    {
        Runner.AddResponse(new SimulatedResponse { Jail = "db*", ExitCode = 21 });
        Runner.AddResponse(new SimulatedResponse { Jail = "web?", Purpose = "invoke*", ExitCode = 22 });
        var req = Request();
        Assert.Equal(0, Runner.Run(req).ExitCode);                                                   // "web" is not "web?"
        Assert.Equal(22, Runner.Run(new ProcessRequest { Arguments = req.Arguments, JailName = "web1", Purpose = "invoke.pwsh" }).ExitCode);
        Assert.Equal(0, Runner.Run(new ProcessRequest { Arguments = req.Arguments, JailName = "web1", Purpose = "exec.start" }).ExitCode);
        Assert.Equal(21, Runner.Run(new ProcessRequest { Arguments = req.Arguments, JailName = "db01" }).ExitCode);
    }

    [Fact]
    public void Responses_json_takes_the_new_properties_in_any_case()
    {
        File.WriteAllText(Runner.ResponsesFile, """
            [
              { "command": "tail *", "linedelaymilliseconds": 10, "standardoutput": "l1\nl2\n", "HANG": true },
              { "COMMAND": "cat", "echoStandardInput": true, "delayMilliseconds": 50, "exitcode": 2 }
            ]
            """);
        var lines = new List<string>();
        var tail = Runner.Run(Request("tail -f /var/log/messages", timeout: TimeSpan.FromMilliseconds(300), onOut: lines.Add));
        Assert.True(tail.TimedOut);
        Assert.Equal(new[] { "l1", "l2" }, lines);

        var clock = Stopwatch.StartNew();
        var cat = Runner.Run(Request("cat", stdin: "in"));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(45));
        Assert.Equal("in", cat.StandardOutput);
        Assert.Equal(2, cat.ExitCode);
    }

    [Fact]
    public void Rules_added_in_code_come_before_the_file_and_the_newest_first()
    {
        File.WriteAllText(Runner.ResponsesFile, """[ { "Command": "x", "ExitCode": 1 } ]""");
        Assert.Equal(1, Runner.Run(Request("x")).ExitCode);
        Runner.AddResponse(new SimulatedResponse { Command = "x", ExitCode = 2 });
        Runner.AddResponse(new SimulatedResponse { Command = "x", ExitCode = 3 });
        Assert.Equal(3, Runner.Run(Request("x")).ExitCode);
        Runner.ClearResponses();
        Assert.Equal(1, Runner.Run(Request("x")).ExitCode);
    }

    [Fact]
    public void In_jail_commands_leave_a_process_running_by_default_and_pgrep_pkill_see_the_process_table()
    {
        int jid = StartPersistentJail();
        var kernel = _f.Sim.Kernel;
        Runner.Run(new ProcessRequest { Arguments = new[] { "/usr/sbin/jexec", jid.ToString(), "nginx" }, Jid = jid, JailName = "web", Purpose = "command" });
        Runner.Run(new ProcessRequest { Arguments = new[] { "/usr/sbin/jexec", jid.ToString(), "ls" }, Jid = jid, JailName = "web", Purpose = "invoke" });
        var procs = kernel.ProcessesIn(jid);
        Assert.Single(procs);

        var pids = new List<string>();
        var pgrep = Runner.Run(new ProcessRequest { Arguments = new[] { "pgrep", "-j", jid.ToString() }, Purpose = "pgrep", OnOutputLine = pids.Add });
        Assert.Equal(0, pgrep.ExitCode);
        Assert.Equal(new[] { procs[0].Pid.ToString() }, pids);

        Assert.Equal(0, Runner.Run(new ProcessRequest { Arguments = new[] { "pkill", "-j", jid.ToString() }, Purpose = "pkill" }).ExitCode);
        Assert.Empty(kernel.ProcessesIn(jid));
        Assert.Equal(1, Runner.Run(new ProcessRequest { Arguments = new[] { "pgrep", "-j", jid.ToString() }, Purpose = "pgrep" }).ExitCode);
    }

    /// <summary>
    /// A token cancelled after <paramref name="milliseconds"/> by a thread of its own: a
    /// CancellationTokenSource timer needs the thread pool, which other tests may keep busy.
    /// </summary>
    internal static CancellationTokenSource CancelAfter(int milliseconds)
    {
        var cts = new CancellationTokenSource();
        new Thread(() =>
        {
            Thread.Sleep(milliseconds);
            try { cts.Cancel(); } catch (ObjectDisposedException) { }
        }) { IsBackground = true }.Start();
        return cts;
    }

    private int StartPersistentJail()
    {
        var def = _f.Define("web", "persist;");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        return _f.Host.Kernel.GetByName("web")!.Jid;
    }
}
