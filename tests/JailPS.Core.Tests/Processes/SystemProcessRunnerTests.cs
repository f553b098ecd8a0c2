using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using JailPS.Core.Processes;

namespace JailPS.Core.Tests.Processes;

/// <summary>
/// The real runner against real processes (/bin/sh, cat, printf). The code path is the one the
/// FreeBSD host uses for /usr/sbin/jexec; only the program differs. The class runs alone: its
/// fan-out test fills the thread pool and its timing checks should not feel other tests' load.
/// </summary>
[Collection(nameof(RealProcesses))]
public sealed class SystemProcessRunnerTests : IDisposable
{
    private const string Sh = "/bin/sh";
    private readonly SystemProcessRunner _runner = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "jailps-proc-" + Guid.NewGuid().ToString("N"));
    private readonly List<int> _strays = new();

    public SystemProcessRunnerTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        foreach (int pid in _strays)
            try { Process.GetProcessById(pid).Kill(); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static void RequireUnix() => Skip.If(OperatingSystem.IsWindows(), "the process runner's tests use /bin/sh and run on Linux and FreeBSD only");

    private ProcessResult Run(string script, Action<ProcessRequest>? check = null, string? stdin = null, TimeSpan? timeout = null,
        Action<string>? onOut = null, Action<string>? onErr = null, CancellationToken token = default, params string[] args)
    {
        var argv = new List<string> { Sh, "-c", script, "jailps-test" };
        argv.AddRange(args);
        var request = new ProcessRequest
        {
            Arguments = argv,
            StandardInput = stdin,
            Timeout = timeout ?? TimeSpan.FromSeconds(20),
            OnOutputLine = onOut,
            OnErrorLine = onErr,
        };
        check?.Invoke(request);
        return _runner.Run(request, token);
    }

    [SkippableFact]
    public void Megabytes_on_both_streams_come_back_whole_and_in_order()
    {
        RequireUnix();
        // 8 MiB on each stream, written alternately one 1 KiB line at a time: a reader that drained
        // one pipe before the other would deadlock on the 64 KiB pipe buffer.
        const int Lines = 8 * 1024;
        string pad = new string('x', 1024 - 14);
        string script = "i=0; while [ $i -lt " + Lines + " ]; do printf 'out %08d %s\\n' $i \"$1\"; printf 'err %08d %s\\n' $i \"$1\" >&2; i=$((i+1)); done";
        int outLines = 0, errLines = 0;
        string? firstBadLine = null;
        var result = Run(script, args: pad,
            onOut: l => { if (l != $"out {outLines:D8} {pad}") firstBadLine ??= l; outLines++; },
            onErr: l => { if (l != $"err {errLines:D8} {pad}") firstBadLine ??= l; errLines++; });

        var expectOut = new StringBuilder();
        var expectErr = new StringBuilder();
        for (int i = 0; i < Lines; i++)
        {
            expectOut.Append("out ").Append(i.ToString("D8")).Append(' ').Append(pad).Append('\n');
            expectErr.Append("err ").Append(i.ToString("D8")).Append(' ').Append(pad).Append('\n');
        }
        Assert.False(result.TimedOut);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(8 * 1024 * 1024, result.StandardOutput.Length);
        Assert.True(expectOut.ToString() == result.StandardOutput, "stdout differs");
        Assert.True(expectErr.ToString() == result.StandardError, "stderr differs");
        Assert.Null(firstBadLine);
        Assert.Equal(Lines, outLines);
        Assert.Equal(Lines, errLines);
    }

    [SkippableFact]
    public void Lines_are_streamed_while_the_process_is_still_running()
    {
        RequireUnix();
        // The process prints a line and then waits for a file that only the test's line callback
        // creates: it can only finish if that line reached us before it exited.
        string flag = Path.Combine(_dir, "go");
        var seen = new List<string>();
        var result = Run("echo ready; echo warming >&2; while [ ! -e \"$1\" ]; do sleep 0.02; done; echo done", args: flag,
            timeout: TimeSpan.FromSeconds(10),
            onOut: l => { lock (seen) seen.Add("out:" + l); if (l == "ready") File.WriteAllText(flag, ""); },
            onErr: l => { lock (seen) seen.Add("err:" + l); });
        Assert.False(result.TimedOut, "the first line was not delivered before the process ended");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(new[] { "out:ready", "out:done" }, seen.Where(s => s.StartsWith("out:")));
        Assert.Equal(new[] { "err:warming" }, seen.Where(s => s.StartsWith("err:")));
        Assert.Equal("ready\ndone\n", result.StandardOutput);
    }

    [SkippableFact]
    public void A_line_ends_at_newline_without_a_trailing_CR_and_a_last_unterminated_line_counts()
    {
        RequireUnix();
        var lines = new List<string>();
        var errors = new List<string>();
        var result = Run("printf 'a\\r\\nb\\n\\nc\\rd\\n\\303\\274ber\\ntail'; printf 'e1\\ne2' >&2", onOut: lines.Add, onErr: errors.Add);
        Assert.Equal(new[] { "a", "b", "", "c\rd", "über", "tail" }, lines);
        Assert.Equal(new[] { "e1", "e2" }, errors);
        Assert.Equal("a\r\nb\n\nc\rd\nüber\ntail", result.StandardOutput);
        Assert.Equal("e1\ne2", result.StandardError);
    }

    [SkippableFact]
    public void Standard_input_reaches_the_process()
    {
        RequireUnix();
        var result = _runner.Run(new ProcessRequest { Arguments = new[] { "cat" }, StandardInput = "hello\nwörld\n", Timeout = TimeSpan.FromSeconds(10) });
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("hello\nwörld\n", result.StandardOutput);
    }

    [SkippableFact]
    public void Without_standard_input_a_reader_sees_end_of_file()
    {
        RequireUnix();
        var result = _runner.Run(new ProcessRequest { Arguments = new[] { "cat" }, Timeout = TimeSpan.FromSeconds(10) });
        Assert.False(result.TimedOut);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
    }

    [SkippableFact]
    public void Large_standard_input_does_not_deadlock_whether_the_process_reads_it_or_not()
    {
        RequireUnix();
        var big = new StringBuilder();
        for (int i = 0; big.Length < 4 * 1024 * 1024; i++)
            big.Append("line ").Append(i).Append(' ').Append('y', 90).Append('\n');
        string text = big.ToString();

        // cat echoes 4 MiB while we are still writing it: input and output must both flow.
        var echoed = _runner.Run(new ProcessRequest { Arguments = new[] { "cat" }, StandardInput = text, Timeout = TimeSpan.FromSeconds(20) });
        Assert.False(echoed.TimedOut);
        Assert.True(text == echoed.StandardOutput, "cat did not echo the input unchanged");

        // A process that never reads stdin and exits: the broken pipe is not an error.
        var ignored = Run("exit 3", stdin: text, timeout: TimeSpan.FromSeconds(10));
        Assert.False(ignored.TimedOut);
        Assert.Equal(3, ignored.ExitCode);

        // A slow reader that stops early.
        var slow = Run("sleep 0.2; head -c 5", stdin: text, timeout: TimeSpan.FromSeconds(10));
        Assert.False(slow.TimedOut);
        Assert.Equal("line ", slow.StandardOutput);
    }

    [SkippableFact]
    public void Arguments_reach_the_process_unchanged()
    {
        RequireUnix();
        string[] args =
        {
            "with space", "  lead and trail  ", "single'quote", "double\"quote", "a;b", "a && b | c",
            "$(echo injected)", "`echo injected`", "${HOME}", "line1\nline2", "", "tab\there", "*", "back\\slash",
            "-n", "--", "ünïcødé ✓ 日本語 😀", "%s %d",
        };
        var argv = new List<string> { "printf", "%s\\0" };
        argv.AddRange(args);
        var result = _runner.Run(new ProcessRequest { Arguments = argv, Timeout = TimeSpan.FromSeconds(10) });
        Assert.Equal(0, result.ExitCode);
        string[] back = result.StandardOutput.Split('\0');
        Assert.Equal("", back[^1]);
        Assert.Equal(args, back[..^1]);
    }

    [SkippableFact]
    public void Many_runs_at_once_on_pool_threads_each_get_their_own_output()
    {
        RequireUnix();
        // Fan-out as Invoke-JailCommand -ThrottleLimit does it: callers block pool threads while
        // the runner's own readers also need the pool.
        const int Runs = 50;
        var results = new ProcessResult[Runs];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, Runs, new ParallelOptions { MaxDegreeOfParallelism = Runs }, i =>
            results[i] = Run("i=0; while [ $i -lt 2000 ]; do echo \"$1 $i\"; echo \"$1 e$i\" >&2; i=$((i+1)); done; exit $(($1 % 7))",
                args: i.ToString()));
        for (int i = 0; i < Runs; i++)
        {
            Assert.Equal(i % 7, results[i].ExitCode);
            string[] lines = results[i].StandardOutput.Split('\n');
            Assert.Equal(2001, lines.Length);
            Assert.Equal($"{i} 0", lines[0]);
            Assert.Equal($"{i} 1999", lines[1999]);
            Assert.StartsWith($"{i} e0\n", results[i].StandardError);
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "took " + clock.Elapsed);
    }

    [SkippableFact]
    public void Exit_codes_propagate()
    {
        RequireUnix();
        Assert.Equal(0, Run("true").ExitCode);
        Assert.Equal(1, Run("false").ExitCode);
        Assert.Equal(42, Run("exit 42").ExitCode);
        Assert.Equal(128 + 9, Run("kill -9 $$").ExitCode); // killed by a signal: 128 + signal, as sh reports it
    }

    [SkippableFact]
    public void Environment_and_working_directory_are_applied()
    {
        RequireUnix();
        var result = _runner.Run(new ProcessRequest
        {
            Arguments = new[] { Sh, "-c", "pwd; echo \"$JAILPS_A\"; echo \"${JAILPS_PARENT-unset}\"; echo \"$PATH\"" },
            CleanEnvironment = true,
            Environment = new Dictionary<string, string> { ["JAILPS_A"] = "x y" },
            WorkingDirectory = _dir,
            Timeout = TimeSpan.FromSeconds(10),
        });
        string[] lines = result.StandardOutput.Split('\n');
        Assert.Equal(Path.GetFullPath(_dir), Path.GetFullPath(lines[0]));
        Assert.Equal("x y", lines[1]);
        Assert.Equal("unset", lines[2]);
        Assert.Equal("/bin:/usr/bin", lines[3]);
    }

    [SkippableFact]
    public void A_timeout_kills_the_whole_tree_and_nothing_is_left_running()
    {
        RequireUnix();
        string marker = Marker();
        var clock = Stopwatch.StartNew();
        var result = Run(TreeScript, timeout: TimeSpan.FromMilliseconds(500), args: marker);
        clock.Stop();
        Assert.True(result.TimedOut);
        Assert.Equal(-1, result.ExitCode);
        Assert.Contains("started", result.StandardOutput);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "took " + clock.Elapsed);
        Assert.True(result.Duration >= TimeSpan.FromMilliseconds(450), "duration " + result.Duration);
        // Checked at once, not polled: the runner must not return before the tree is gone.
        Assert.Empty(ProcessesWith(marker));
    }

    [SkippableFact]
    public void A_timeout_also_ends_children_that_do_not_hold_the_output_pipes()
    {
        RequireUnix();
        string marker = Marker();
        var result = Run("sleep \"$1\" </dev/null >/dev/null 2>&1 & (sleep \"$1\" </dev/null >/dev/null 2>&1 & wait) & echo started; wait",
            timeout: TimeSpan.FromMilliseconds(400), args: marker);
        Assert.True(result.TimedOut);
        Assert.Empty(ProcessesWith(marker));
    }

    [SkippableFact]
    public void Cancellation_kills_the_whole_tree_and_throws()
    {
        RequireUnix();
        string marker = Marker();
        using var cts = new CancellationTokenSource();
        var lines = new List<string>();
        // Cancel from inside the line callback, as Ctrl+C during a streamed command would.
        Assert.ThrowsAny<OperationCanceledException>(() => Run(TreeScript, args: marker, token: cts.Token,
            onOut: l => { lines.Add(l); if (l == "started") cts.Cancel(); }));
        Assert.Equal(new[] { "started" }, lines);
        Assert.Empty(ProcessesWith(marker));
    }

    [SkippableFact]
    public void A_throwing_line_callback_ends_the_process_and_surfaces_its_exception()
    {
        RequireUnix();
        string marker = Marker();
        var ex = Assert.Throws<InvalidDataException>(() => Run(TreeScript, args: marker,
            onOut: l => throw new InvalidDataException("consumer failed on " + l)));
        Assert.Equal("consumer failed on started", ex.Message);
        Assert.Empty(ProcessesWith(marker));
    }

    [SkippableFact]
    public void A_background_process_holding_stdout_does_not_hold_the_call_open()
    {
        RequireUnix();
        // The command exits at once but leaves a process (a daemon, say) that keeps stdout open
        // and wrote half a line: the call returns after DrainTimeout of silence with all the text,
        // and that process is the command's business, not killed.
        string marker = Marker();
        var runner = new SystemProcessRunner { DrainTimeout = TimeSpan.FromMilliseconds(200) };
        var lines = new List<string>();
        var clock = Stopwatch.StartNew();
        var result = runner.Run(new ProcessRequest
        {
            Arguments = new[] { Sh, "-c", "echo first; (printf begun; exec sleep \"$1\") &", "jailps-test", marker },
            Timeout = TimeSpan.FromSeconds(10),
            OnOutputLine = lines.Add,
        });
        clock.Stop();
        var strays = ProcessesWith(marker);
        _strays.AddRange(strays.Select(p => int.Parse(p.Split(' ')[0])));
        Assert.Single(strays);
        Assert.False(result.TimedOut);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("first\nbegun", result.StandardOutput);
        Assert.Equal(new[] { "first", "begun" }, lines);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), "took " + clock.Elapsed);
    }

    [SkippableFact]
    public void Interactive_runs_without_redirection_and_returns_the_exit_code()
    {
        RequireUnix();
        var result = _runner.Run(new ProcessRequest { Arguments = new[] { Sh, "-c", "exit 7" }, Interactive = true, Timeout = TimeSpan.FromSeconds(10) });
        Assert.Equal(7, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.False(result.TimedOut);
    }

    [SkippableFact]
    public void Interactive_is_killed_on_cancellation()
    {
        RequireUnix();
        string marker = Marker();
        using var cts = SimulatedProcessRunnerTests.CancelAfter(300);
        Assert.ThrowsAny<OperationCanceledException>(() => _runner.Run(new ProcessRequest
        {
            Arguments = new[] { Sh, "-c", "sleep \"$1\" </dev/null >/dev/null 2>&1 & wait", "jailps-test", marker },
            Interactive = true,
        }, cts.Token));
        Assert.Empty(ProcessesWith(marker));
    }

    [SkippableFact]
    public void Start_time_and_duration_are_filled()
    {
        RequireUnix();
        DateTime before = DateTime.UtcNow;
        var result = Run("sleep 0.2");
        Assert.InRange(result.StartTime, before.AddSeconds(-1), DateTime.UtcNow);
        Assert.Equal(DateTimeKind.Utc, result.StartTime.Kind);
        Assert.InRange(result.Duration, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5));
    }

    [SkippableFact]
    public void A_missing_program_is_reported()
    {
        RequireUnix();
        var ex = Assert.Throws<InvalidOperationException>(() => _runner.Run(new ProcessRequest { Arguments = new[] { "/nonexistent/jailps-no-such-program" } }));
        Assert.Contains("/nonexistent/jailps-no-such-program", ex.Message);
    }

    /// <summary>
    /// A tree two levels deep whose every sleep carries the marker as its argument: sh → sleep,
    /// sh → subshell → sleep; the shells wait, so only a kill ends it.
    /// </summary>
    private const string TreeScript = "sleep \"$1\" & (sleep \"$1\" & wait) & echo started; wait";

    /// <summary>A sleep duration no other process on the machine has: about 1000 s with a random fraction.</summary>
    private static string Marker() => "1000." + Random.Shared.NextInt64(100_000_000, 999_999_999).ToString();

    /// <summary>Live processes (not zombies) whose argv contains <paramref name="marker"/>.</summary>
    private static List<string> ProcessesWith(string marker)
    {
        var found = new List<string>();
        if (Directory.Exists("/proc/self/task"))
        {
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                string name = Path.GetFileName(dir);
                if (!int.TryParse(name, out _)) continue;
                try
                {
                    string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                    if (!cmdline.Contains(marker)) continue;
                    string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    char state = stat[stat.LastIndexOf(')') + 2];
                    if (state != 'Z' && state != 'X')
                        found.Add(name + " " + cmdline.Replace('\0', ' '));
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
            return found;
        }
        // FreeBSD (no /proc by default): ps shows every process with its arguments and state.
        var ps = Process.Start(new ProcessStartInfo("ps", "-axww -o pid= -o state= -o args=") { RedirectStandardOutput = true, UseShellExecute = false })!;
        string text = ps.StandardOutput.ReadToEnd();
        ps.WaitForExit();
        foreach (string line in text.Split('\n'))
        {
            string[] parts = line.Trim().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 3 && parts[2].Contains(marker) && !parts[1].StartsWith('Z'))
                found.Add(line.Trim());
        }
        return found;
    }
}

[CollectionDefinition(nameof(RealProcesses), DisableParallelization = true)]
public sealed class RealProcesses { }
