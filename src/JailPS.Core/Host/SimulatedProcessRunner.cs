using System;
using System.Collections.Generic;
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
    /// <summary>The command never ends by itself: it runs until its timeout.</summary>
    public bool Hang { get; set; }
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
}

/// <summary>
/// Answers process requests on the simulated host without running anything on this machine.
/// Host tools JailPS itself uses (pkill/pgrep -j) act on the simulated kernel's process table;
/// everything else is answered by the first matching <see cref="SimulatedResponse"/> from
/// DIR/.simulation/responses.json or <see cref="AddResponse"/>; by default commands succeed and an
/// in-jail exec.start or command leaves one process running, as /etc/rc leaves daemons.
/// Every request is appended to DIR/.simulation/commands.log (one JSON object a line).
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
        var argv = request.Arguments;
        string program = Path.GetFileName(argv[0]);
        ProcessResult result;
        if (request.Jid is null && (program == "pkill" || program == "pgrep") && TryJailOption(argv, out int jid))
            result = ProcessTool(program, argv, jid);
        else
            result = Respond(request, cancellationToken);
        Record(request, result);
        return result;
    }

    private ProcessResult ProcessTool(string program, IReadOnlyList<string> argv, int jid)
    {
        var kernel = _host.Kernel;
        if (program == "pgrep")
        {
            var procs = kernel.ProcessesIn(jid);
            var lines = new System.Text.StringBuilder();
            foreach (var p in procs) lines.Append(p.Pid.ToString(CultureInfo.InvariantCulture)).Append('\n');
            return new ProcessResult { ExitCode = procs.Count > 0 ? 0 : 1, StandardOutput = lines.ToString() };
        }
        int signal = 15; // pkill's default, SIGTERM (sys/sys/signal.h)
        foreach (var a in argv)
            if (a.Length > 1 && a[0] == '-' && a != "-j")
            {
                string s = a.Substring(1);
                if (s == "TERM") signal = 15; else if (s == "KILL") signal = 9;
                else if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) signal = n;
            }
        int matched = kernel.Signal(jid, signal);
        return new ProcessResult { ExitCode = matched > 0 ? 0 : 1 };
    }

    private ProcessResult Respond(ProcessRequest request, CancellationToken cancellationToken)
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
        if (match.Hang)
        {
            var wait = request.Timeout ?? Timeout.InfiniteTimeSpan;
            bool cancelled = cancellationToken.WaitHandle.WaitOne(wait);
            cancellationToken.ThrowIfCancellationRequested();
            return new ProcessResult { ExitCode = -1, TimedOut = !cancelled, Duration = request.Timeout ?? TimeSpan.Zero };
        }
        if (request.Jid is int jid && match.ExitCode == 0)
            for (int i = 0; i < match.LeaveRunning; i++)
                _host.Kernel.Spawn(jid, text, match.IgnoreSigterm);
        return new ProcessResult { ExitCode = match.ExitCode, StandardOutput = match.StandardOutput, StandardError = match.StandardError };
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

    private void Record(ProcessRequest request, ProcessResult result)
    {
        var entry = new SimulatedCommand
        {
            Time = DateTime.UtcNow,
            Purpose = request.Purpose,
            Jail = request.JailName,
            Jid = request.Jid,
            Arguments = new List<string>(request.Arguments).ToArray(),
            Text = request.DisplayText,
            ExitCode = result.ExitCode,
        };
        lock (_lock)
        {
            _log.Add(entry);
            File.AppendAllText(LogFile, JsonSerializer.Serialize(entry) + "\n");
        }
    }
}
