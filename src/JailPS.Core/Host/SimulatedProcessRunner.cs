using System;
using System.Linq;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Enumeration;
using System.Text.Json;
using System.Threading;
using JailPS.Core.Processes;

namespace JailPS.Core.Host;

/// <summary>One scripted answer of the simulated host's responder.</summary>
public sealed class SimulatedResponse
{
    /// <summary>Wildcard (*, ?) matched against the command text; null matches any.</summary>
    public string? Command { get; set; }
    /// <summary>Wildcard matched against the jail name; null matches any (host commands have no jail).</summary>
    public string? Jail { get; set; }
    /// <summary>Wildcard matched against the purpose: exec.start, exec.stop, exec.prestart, ...; null matches any.</summary>
    public string? Purpose { get; set; }
    public int ExitCode { get; set; }
    public string StandardOutput { get; set; } = "";
    public string StandardError { get; set; } = "";
    /// <summary>Processes the command leaves running in the jail (daemons started by /etc/rc).</summary>
    public int LeaveRunning { get; set; }
    /// <summary>Whether those processes ignore SIGTERM (so only jail_remove's SIGKILL ends them).</summary>
    public bool IgnoreSigterm { get; set; }
    /// <summary>
    /// The command never ends by itself (after its delay and its output): it runs until its
    /// timeout (a TimedOut result) or until it is cancelled (OperationCanceledException). With
    /// neither, the call blocks for good, as a real hung command would.
    /// </summary>
    public bool Hang { get; set; }
    /// <summary>How long the command takes before it answers (a real wait; a timeout or a cancellation ends it).</summary>
    public int DelayMilliseconds { get; set; }
    /// <summary>Pause before each output line after the first, so that streaming can be observed.</summary>
    public int LineDelayMilliseconds { get; set; }
    /// <summary>The command's standard output is the request's standard input (like cat); <see cref="StandardOutput"/> is ignored.</summary>
    public bool EchoStandardInput { get; set; }
    /// <summary>
    /// The command's standard output lists the variables JailPS set for it, one NAME=value line each
    /// (the JID, JNAME and JPATH of a host hook), as env(1) would show them among the ones it
    /// inherits; <see cref="StandardOutput"/> is ignored. Answers exec.poststart = "env" off-box.
    /// </summary>
    public bool EchoEnvironment { get; set; }
}

/// <summary>A command the simulated host was asked to run.</summary>
public sealed class SimulatedCommand
{
    public DateTime Time { get; set; }
    public string Purpose { get; set; } = "";
    public string? Jail { get; set; }
    public int? Jid { get; set; }
    public string[] Arguments { get; set; } = Array.Empty<string>();
    public string? Text { get; set; }
    public int ExitCode { get; set; }
    /// <summary>Length (in characters) of the text given on standard input; null when none was given.</summary>
    public int? StandardInputLength { get; set; }
    /// <summary>The timeout the command was run with; null for none.</summary>
    public TimeSpan? Timeout { get; set; }
    /// <summary>Whether the command asked for the terminal (Enter-Jail).</summary>
    public bool Interactive { get; set; }
    /// <summary>Whether the command was ended by its timeout.</summary>
    public bool TimedOut { get; set; }
    /// <summary>Whether the command was ended by cancellation (Ctrl+C).</summary>
    public bool Cancelled { get; set; }
    /// <summary>
    /// The variables JailPS set for the command on top of the ones it inherits (a host hook's JID,
    /// JNAME and JPATH; Invoke-JailCommand -Environment goes through env(1) in the argv instead); null
    /// when none were set.
    /// </summary>
    public Dictionary<string, string>? Environment { get; set; }
    /// <summary>Whether the command was run in a clean environment (exec.clean for a host hook): only TERM and PATH=/bin:/usr/bin kept.</summary>
    public bool CleanEnvironment { get; set; }
    /// <summary>What the command wrote to its standard output (as far as it got before a timeout).</summary>
    public string StandardOutput { get; set; } = "";
    /// <summary>What the command wrote to its standard error.</summary>
    public string StandardError { get; set; } = "";
}

/// <summary>
/// Answers process requests on the simulated host without running anything on this machine.
/// Host tools JailPS itself uses (pkill/pgrep -j) act on the simulated kernel's process table;
/// everything else is answered by the first matching <see cref="SimulatedResponse"/> from
/// DIR/.simulation/responses.json or <see cref="AddResponse"/>; by default commands succeed and an
/// in-jail exec.start or command leaves one process running, as /etc/rc leaves daemons.
/// Every request is appended to DIR/.simulation/commands.log (one JSON object a line).
/// Answers behave like processes: they take their delay in real time, deliver their output line by
/// line through the request's line callbacks, end at the request's timeout with a TimedOut result
/// and throw OperationCanceledException when cancelled. Interactive requests are answered the
/// same way (no terminal is touched).
/// </summary>
public sealed class SimulatedProcessRunner : IProcessRunner
{
    private readonly SimulatedHost _host;
    private readonly List<SimulatedResponse> _responses = new();
    private readonly List<SimulatedCommand> _log = new();
    private readonly object _lock = new();
    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };

    internal SimulatedProcessRunner(SimulatedHost host) => _host = host;

    public string LogFile => Path.Combine(_host.StateDirectory, "commands.log");
    public string ResponsesFile => Path.Combine(_host.StateDirectory, "responses.json");

    /// <summary>Commands run through this runner in this process, oldest first.</summary>
    public IReadOnlyList<SimulatedCommand> Log { get { lock (_lock) return _log.ToArray(); } }

    public void AddResponse(SimulatedResponse response) { lock (_lock) _responses.Insert(0, response); }
    public void ClearResponses() { lock (_lock) _responses.Clear(); }

    public ProcessResult Run(ProcessRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var argv = request.Arguments;
        if (argv is null || argv.Count == 0)
            throw new ArgumentException("the request has no program (Arguments is empty).", nameof(request));
        DateTime startTime = DateTime.UtcNow;
        var duration = Stopwatch.StartNew();
        string program = Path.GetFileName(argv[0]);
        Answer answer;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (request.Jid is null && (program == "pkill" || program == "pgrep") && TryJailOption(argv, out int jid))
                answer = ProcessTool(program, argv, jid, request);
            else if (request.Jid is null && program is "chflags" or "rm" or "cp" or "mv" && !HasResponseFor(request))
            {
                var (exit, stdout, stderr) = SimulatedFileTools.Run(_host, program, argv);
                answer = new Answer { ExitCode = exit, StandardOutput = stdout, StandardError = stderr };
            }
            else if (request.Jid is null && program == "tar" && !HasResponseFor(request))
            {
                var (exit, stdout, stderr) = SimulatedTar.Run(_host, argv);
                answer = new Answer { ExitCode = exit, StandardOutput = stdout, StandardError = stderr };
            }
            else if (request.Jid is null && program == "debootstrap" && !HasResponseFor(request))
            {
                var (exit, stdout, stderr) = SimulatedDebootstrap.Run(_host, argv);
                answer = Delivered(request, new Answer { ExitCode = exit, StandardOutput = stdout, StandardError = stderr });
            }
            else if (request.Jid is null && program == "pkg" && !HasResponseFor(request))
            {
                var (exit, stdout, stderr) = SimulatedPkg.Run(_host, argv);
                answer = Delivered(request, new Answer { ExitCode = exit, StandardOutput = stdout, StandardError = stderr });
            }
            else if (request.Jid is null && program == "kldstat" && !HasResponseFor(request))
            {
                var (exit, stdout, stderr) = SimulatedDebootstrap.Kldstat(_host, argv);
                answer = new Answer { ExitCode = exit, StandardOutput = stdout, StandardError = stderr };
            }
            else if (request.Jid is null && program == "zfs" && !HasResponseFor(request))
            {
                var (exit, stdout, stderr) = SimulatedZfs.Run(_host, argv);
                answer = new Answer { ExitCode = exit, StandardOutput = stdout, StandardError = stderr };
            }
            else if (request.Jid is null && program == "pfctl" && !HasResponseFor(request))
            {
                var (exit, stdout, stderr) = SimulatedPfctl.Run(_host, argv, request.StandardInput);
                answer = new Answer { ExitCode = exit, StandardOutput = stdout, StandardError = stderr };
            }
            else
                answer = Respond(request, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Record(request, new Answer { ExitCode = -1 }, cancelled: true);
            throw;
        }
        Record(request, answer, cancelled: false);
        return new ProcessResult
        {
            ExitCode = answer.TimedOut ? -1 : answer.ExitCode,
            StandardOutput = answer.StandardOutput,
            StandardError = answer.StandardError,
            TimedOut = answer.TimedOut,
            StartTime = startTime,
            Duration = duration.Elapsed,
        };
    }

    /// <summary>A modelled tool's output handed to the request's line callbacks, as a process's would be.</summary>
    private static Answer Delivered(ProcessRequest request, Answer answer)
    {
        foreach (var (start, end) in Lines(answer.StandardOutput))
            request.OnOutputLine?.Invoke(LineText(answer.StandardOutput, start, end));
        foreach (var (start, end) in Lines(answer.StandardError))
            request.OnErrorLine?.Invoke(LineText(answer.StandardError, start, end));
        return answer;
    }

    /// <summary>What a command produced, before it becomes a <see cref="ProcessResult"/>.</summary>
    private sealed class Answer
    {
        public int ExitCode;
        public string StandardOutput = "";
        public string StandardError = "";
        public bool TimedOut;
    }

    private Answer ProcessTool(string program, IReadOnlyList<string> argv, int jid, ProcessRequest request)
    {
        var kernel = _host.Kernel;
        if (program == "pgrep")
        {
            var procs = kernel.ProcessesIn(jid);
            var lines = new System.Text.StringBuilder();
            foreach (var p in procs) lines.Append(p.Pid.ToString(CultureInfo.InvariantCulture)).Append('\n');
            string text = lines.ToString();
            foreach (var (start, end) in Lines(text))
                request.OnOutputLine?.Invoke(LineText(text, start, end));
            return new Answer { ExitCode = procs.Count > 0 ? 0 : 1, StandardOutput = text };
        }
        int signal = 15; // pkill's default, SIGTERM (sys/sys/signal.h)
        foreach (var a in argv)
            if (a.Length > 1 && a[0] == '-' && a != "-j")
            {
                string s = a.Substring(1);
                if (s == "TERM") signal = 15; else if (s == "KILL") signal = 9;
                else if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) signal = n;
            }
        int matched = _host.Transact(k => k.Signal(jid, signal));
        return new Answer { ExitCode = matched > 0 ? 0 : 1 };
    }

    /// <summary>A response set for this command (Set-JailSimulatedResponse) wins over the modelled tool: a test can make pfctl fail.</summary>
    private bool HasResponseFor(ProcessRequest request)
    {
        string text = request.DisplayText ?? CommandLine.Render(request.Arguments);
        lock (_lock)
            return Responses().Any(r => r.Command is not null && Matches(r.Command, text) && Matches(r.Jail, request.JailName ?? "") && Matches(r.Purpose, request.Purpose));
    }

    private Answer Respond(ProcessRequest request, CancellationToken cancellationToken)
    {
        string text = request.DisplayText ?? CommandLine.Render(request.Arguments);
        SimulatedResponse? match = null;
        lock (_lock)
        {
            foreach (var r in Responses())
                if (Matches(r.Command, text) && Matches(r.Jail, request.JailName ?? "") && Matches(r.Purpose, request.Purpose))
                {
                    match = r;
                    break;
                }
        }
        match ??= new SimulatedResponse
        {
            LeaveRunning = request.Jid != null && (request.Purpose == "exec.start" || request.Purpose == "command") ? 1 : 0,
        };

        // The command "starts" now that its answer is chosen: its timeout counts from here.
        var clock = new Clock(request.Timeout, cancellationToken);
        string stdout = match.EchoStandardInput ? request.StandardInput ?? ""
            : match.EchoEnvironment ? EnvironmentText(request)
            : match.StandardOutput ?? "";
        string stderr = match.StandardError ?? "";
        if (!clock.Wait(match.DelayMilliseconds))
            return new Answer { TimedOut = true };

        // Output, line by line: standard output first, then standard error.
        var outLines = Lines(stdout);
        var errLines = Lines(stderr);
        int delivered = 0;
        int outDone = 0, errDone = 0;
        for (; outDone < outLines.Count; outDone++)
        {
            if (delivered++ > 0 && !clock.Wait(match.LineDelayMilliseconds))
                return new Answer { TimedOut = true, StandardOutput = Prefix(stdout, outLines, outDone) };
            request.OnOutputLine?.Invoke(LineText(stdout, outLines[outDone].Start, outLines[outDone].End));
        }
        for (; errDone < errLines.Count; errDone++)
        {
            if (delivered++ > 0 && !clock.Wait(match.LineDelayMilliseconds))
                return new Answer { TimedOut = true, StandardOutput = stdout, StandardError = Prefix(stderr, errLines, errDone) };
            request.OnErrorLine?.Invoke(LineText(stderr, errLines[errDone].Start, errLines[errDone].End));
        }

        if (match.Hang)
        {
            clock.WaitForTimeout();
            return new Answer { TimedOut = true, StandardOutput = stdout, StandardError = stderr };
        }
        if (request.Jid is int jid && match.ExitCode == 0)
            _host.Transact(k =>
            {
                for (int i = 0; i < match.LeaveRunning; i++)
                    k.Spawn(jid, text, match.IgnoreSigterm);
                return 0;
            });
        return new Answer { ExitCode = match.ExitCode, StandardOutput = stdout, StandardError = stderr };
    }

    /// <summary>The request's own variables as env(1) prints them: NAME=value lines, in the order they were set.</summary>
    private static string EnvironmentText(ProcessRequest request)
    {
        var text = new System.Text.StringBuilder();
        if (request.Environment != null)
            foreach (var kv in request.Environment)
                text.Append(kv.Key).Append('=').Append(kv.Value).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// Lines of <paramref name="text"/> as the real runner cuts them: each ends at '\n' (End is the
    /// index after it); a last line without '\n' counts too.
    /// </summary>
    private static List<(int Start, int End)> Lines(string text)
    {
        var lines = new List<(int, int)>();
        int start = 0;
        while (start < text.Length)
        {
            int nl = text.IndexOf('\n', start);
            int end = nl < 0 ? text.Length : nl + 1;
            lines.Add((start, end));
            start = end;
        }
        return lines;
    }

    /// <summary>A line's text without its '\n' and without a '\r' before it.</summary>
    private static string LineText(string text, int start, int end)
    {
        if (end > start && text[end - 1] == '\n') end--;
        if (end > start && text[end - 1] == '\r') end--;
        return text.Substring(start, end - start);
    }

    /// <summary>The text of the first <paramref name="count"/> lines, as far as a command that timed out got.</summary>
    private static string Prefix(string text, List<(int Start, int End)> lines, int count)
        => count == 0 ? "" : text.Substring(0, lines[count - 1].End);

    /// <summary>Real waits for simulated commands, bounded by the request's timeout and cancellation.</summary>
    private sealed class Clock
    {
        private readonly Stopwatch _watch = Stopwatch.StartNew();
        private readonly TimeSpan? _timeout;
        private readonly CancellationToken _cancel;

        public Clock(TimeSpan? timeout, CancellationToken cancel)
        {
            _timeout = timeout is { } t && t != System.Threading.Timeout.InfiniteTimeSpan ? t : null;
            _cancel = cancel;
        }

        /// <summary>Waits <paramref name="milliseconds"/>; false when the timeout came first; throws when cancelled.</summary>
        public bool Wait(int milliseconds)
        {
            _cancel.ThrowIfCancellationRequested();
            if (milliseconds <= 0)
                return true;
            TimeSpan wanted = TimeSpan.FromMilliseconds(milliseconds);
            TimeSpan? left = _timeout - _watch.Elapsed;
            bool cut = left is { } l && l < wanted;
            TimeSpan wait = cut ? Max(left!.Value, TimeSpan.Zero) : wanted;
            _cancel.WaitHandle.WaitOne(wait);
            _cancel.ThrowIfCancellationRequested();
            return !cut;
        }

        /// <summary>Waits until the timeout (or for good when there is none); throws when cancelled.</summary>
        public void WaitForTimeout()
        {
            _cancel.ThrowIfCancellationRequested();
            TimeSpan wait = _timeout is { } t ? Max(t - _watch.Elapsed, TimeSpan.Zero) : System.Threading.Timeout.InfiniteTimeSpan;
            _cancel.WaitHandle.WaitOne(wait);
            _cancel.ThrowIfCancellationRequested();
        }

        private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    }

    private IEnumerable<SimulatedResponse> Responses()
    {
        foreach (var r in _responses) yield return r;
        if (File.Exists(ResponsesFile))
        {
            List<SimulatedResponse>? fromFile;
            try
            {
                fromFile = JsonSerializer.Deserialize<List<SimulatedResponse>>(File.ReadAllText(ResponsesFile), s_json);
            }
            catch (JsonException ex)
            {
                throw new Lifecycle.JailOperationException("JailSimulationResponsesInvalid", null,
                    $"{ResponsesFile} is not a valid list of responses: {ex.Message}", "Fix the JSON (an array of objects with Command, Jail, Purpose, ExitCode, ...).", ex);
            }
            if (fromFile != null)
                foreach (var r in fromFile) yield return r;
        }
    }

    private static bool Matches(string? pattern, string value)
        => pattern is null || FileSystemName.MatchesSimpleExpression(pattern, value, ignoreCase: false);

    private static bool TryJailOption(IReadOnlyList<string> argv, out int jid)
    {
        jid = 0;
        for (int i = 1; i + 1 < argv.Count; i++)
            if (argv[i] == "-j")
                return int.TryParse(argv[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out jid);
        return false;
    }

    private void Record(ProcessRequest request, Answer answer, bool cancelled)
    {
        var entry = new SimulatedCommand
        {
            Time = DateTime.UtcNow,
            Purpose = request.Purpose,
            Jail = request.JailName,
            Jid = request.Jid,
            Arguments = new List<string>(request.Arguments).ToArray(),
            Text = request.DisplayText,
            ExitCode = answer.TimedOut || cancelled ? -1 : answer.ExitCode,
            StandardInputLength = request.StandardInput?.Length,
            Timeout = request.Timeout,
            Interactive = request.Interactive,
            TimedOut = answer.TimedOut,
            Cancelled = cancelled,
            Environment = request.Environment is null ? null : new Dictionary<string, string>(request.Environment, StringComparer.Ordinal),
            CleanEnvironment = request.CleanEnvironment,
            StandardOutput = answer.StandardOutput,
            StandardError = answer.StandardError,
        };
        lock (_lock)
        {
            _log.Add(entry);
            File.AppendAllText(LogFile, JsonSerializer.Serialize(entry) + "\n");
        }
    }
}
