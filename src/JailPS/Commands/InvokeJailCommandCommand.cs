using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using JailPS.Core.Exec;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Invoke-JailCommand: runs a command in one or many running jails (jexec(8)) and returns
/// JailPS.JailCommandResult objects, lines as they arrive with -Stream, or the objects a
/// -ScriptBlock produced in the jail's own pwsh.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "JailCommand", DefaultParameterSetName = ObjectCommandSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(JailCommandResult), ParameterSetName = new[] { NameCommandSet, NameShellSet, ObjectCommandSet, ObjectShellSet })]
[OutputType(typeof(PSObject), ParameterSetName = new[] { NameScriptSet, ObjectScriptSet })]
public sealed class InvokeJailCommandCommand : JailCmdletBase
{
    private const string NameCommandSet = "NameCommand";
    private const string NameShellSet = "NameShell";
    private const string NameScriptSet = "NameScriptBlock";
    private const string ObjectCommandSet = "ObjectCommand";
    private const string ObjectShellSet = "ObjectShell";
    private const string ObjectScriptSet = "ObjectScriptBlock";

    private readonly List<string> _targets = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly StringBuilder _stdin = new();
    private bool _haveStdin;

    [Parameter(ParameterSetName = NameCommandSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = NameShellSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = NameScriptSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [Alias("JailName")]
    [ArgumentCompleter(typeof(JailNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = ObjectCommandSet, Mandatory = true, ValueFromPipeline = true)]
    [Parameter(ParameterSetName = ObjectShellSet, Mandatory = true, ValueFromPipeline = true)]
    [Parameter(ParameterSetName = ObjectScriptSet, Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Jail[] InputObject { get; set; } = Array.Empty<Jail>();

    /// <summary>The program and its arguments, as argv: each element reaches the program unchanged.</summary>
    [Parameter(ParameterSetName = NameCommandSet, Mandatory = true, Position = 1)]
    [Parameter(ParameterSetName = ObjectCommandSet, Mandatory = true)]
    [AllowEmptyString]
    [ValidateCount(1, 65536)]
    public string[] Command { get; set; } = Array.Empty<string>();

    /// <summary>A command line run by /bin/sh -c in the jail, for pipes, redirections and globs.</summary>
    [Parameter(ParameterSetName = NameShellSet, Mandatory = true)]
    [Parameter(ParameterSetName = ObjectShellSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string ShellCommand { get; set; } = "";

    /// <summary>A script block run by pwsh inside the jail; its output comes back as deserialized objects.</summary>
    [Parameter(ParameterSetName = NameScriptSet, Mandatory = true)]
    [Parameter(ParameterSetName = ObjectScriptSet, Mandatory = true)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary>Lines written to the command's standard input (from the pipeline when -Name is given).</summary>
    [Parameter(ParameterSetName = NameCommandSet, ValueFromPipeline = true)]
    [Parameter(ParameterSetName = NameShellSet, ValueFromPipeline = true)]
    [Parameter(ParameterSetName = NameScriptSet, ValueFromPipeline = true)]
    [AllowEmptyString]
    [AllowNull]
    public object[]? StandardInput { get; set; }

    /// <summary>Run as this user of the jail (jexec -U), or of the host with -UserFromHost (jexec -u).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? User { get; set; }

    [Parameter]
    public SwitchParameter UserFromHost { get; set; }

    /// <summary>A clean login environment in the user's home directory (jexec -l).</summary>
    [Parameter]
    public SwitchParameter Login { get; set; }

    /// <summary>The directory inside the jail to run in.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WorkingDirectory { get; set; }

    /// <summary>Environment variables for the command.</summary>
    [Parameter]
    public IDictionary? Environment { get; set; }

    /// <summary>Seconds after which the command is killed (JailCommandTimedOut).</summary>
    [Parameter]
    [ValidateRange(1, 31_536_000)]
    public int? Timeout { get; set; }

    /// <summary>Write output lines as they arrive (tagged with JailName) instead of one result object per jail.</summary>
    [Parameter(ParameterSetName = NameCommandSet)]
    [Parameter(ParameterSetName = NameShellSet)]
    [Parameter(ParameterSetName = ObjectCommandSet)]
    [Parameter(ParameterSetName = ObjectShellSet)]
    public SwitchParameter Stream { get; set; }

    /// <summary>How many jails run the command at once.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 32;

    /// <summary>
    /// With the jail named on the command line, what comes down the pipeline is standard input:
    /// content, which lines from another host may be (Invoke-Command bsd2 { Get-Content f } |
    /// Invoke-JailCommand web -Command 'cat > f'). Otherwise the pipeline names the jails.
    /// </summary>
    protected override bool PipelineInputNamesThings => !(OnCommandLine(nameof(Name)) || OnCommandLine(nameof(InputObject)));

    protected override IReadOnlyCollection<string> ContentParameters => new[] { nameof(StandardInput) };

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        ThrowIfUserFromHostWithoutUser(UserFromHost, User);
        try
        {
            JailCommandService.BuildArguments(0, Options(null)); // bad environment names or an empty command: say so once, up front
        }
        catch (JailOperationException ex)
        {
            ThrowTerminatingError(ErrorRecordFor(ex, null));
        }
    }

    private JailCommandOptions Options(string? stdin) => new()
    {
        Arguments = ScriptBlock != null ? new[] { "pwsh" } : Command,
        ShellCommand = MyInvocation.BoundParameters.ContainsKey(nameof(ShellCommand)) ? ShellCommand : null,
        User = User,
        UserFromHost = UserFromHost,
        Login = Login,
        WorkingDirectory = WorkingDirectory,
        Environment = ToEnvironment(Environment),
        StandardInput = stdin,
        Timeout = Timeout is int t ? TimeSpan.FromSeconds(t) : null,
    };

    protected override void ProcessJailRecord()
    {
        if (StandardInput != null)
        {
            _haveStdin = true;
            foreach (object? item in StandardInput)
                _stdin.Append(item is PSObject p ? p.BaseObject?.ToString() : item?.ToString()).Append('\n');
        }
        if (ParameterSetName.StartsWith("Object", StringComparison.Ordinal))
        {
            foreach (var j in InputObject) Add(j.Name);
            return;
        }
        foreach (string name in Name)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                ForItem(name, () =>
                {
                    foreach (var j in JailsMatching(name))
                        if (j.Status == JailState.Running) Add(j.Name);
                });
            }
            else
                Add(name);
        }
    }

    private void Add(string name)
    {
        if (_seen.Add(name)) _targets.Add(name);
    }

    protected override void EndProcessing()
    {
        var options = Options(_haveStdin ? _stdin.ToString() : null);
        string what = ScriptBlock != null ? "pwsh -Command { " + ScriptBlock.ToString().Trim() + " }"
            : options.ShellCommand != null ? "/bin/sh -c " + options.ShellCommand
            : Core.Processes.CommandLine.Render(Command);
        var approved = new List<string>();
        foreach (string jail in _targets)
            if (ShouldProcess($"jail \"{jail}\" on {JailHost.ComputerName}", "Run " + what))
                approved.Add(jail);
        RunAll(approved, options);
        base.EndProcessing();
    }

    private static Dictionary<string, string>? ToEnvironment(IDictionary? table)
    {
        if (table is null) return null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in table)
        {
            object? k = e.Key is PSObject pk ? pk.BaseObject : e.Key;
            object? v = e.Value is PSObject pv ? pv.BaseObject : e.Value;
            result[Convert.ToString(k, System.Globalization.CultureInfo.InvariantCulture) ?? ""] =
                Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }
        return result;
    }

    /// <summary>
    /// Runs the jails on worker tasks, ThrottleLimit at a time. Workers never touch the pipeline:
    /// they queue what to write, and this (pipeline) thread writes it.
    /// </summary>
    private void RunAll(IReadOnlyList<string> jails, JailCommandOptions options)
    {
        if (jails.Count == 0) return;
        var writes = new BlockingCollection<Action>();
        var runner = new JailCommandService(JailHost, Service);
        // Our own token, so that when the pipeline stops (Ctrl+C, or -ErrorAction Stop on one jail's
        // failure) the commands still running in the other jails are killed too, not left behind.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        // ThrottleLimit dedicated workers pull jails from a queue: pool threads would ramp up too
        // slowly for commands that block, so the limit would not really be the limit.
        var queue = new ConcurrentQueue<string>(jails);
        int workers = Math.Min(ThrottleLimit, jails.Count);
        var tasks = new List<Task>(workers);
        // A fan-out shows how many jails have finished; one jail's command needs no bar.
        var progress = jails.Count > 1
            ? new JailProgress(JailProgress.InvokeActivity, $"Running {CommandText()} in {jails.Count} jails", $"0 of {jails.Count} finished") { PercentComplete = 0 }
            : null;
        int finished = 0;
        for (int i = 0; i < workers; i++)
        {
            tasks.Add(Task.Factory.StartNew(() =>
            {
                while (!stop.IsCancellationRequested && queue.TryDequeue(out string? name))
                {
                    RunOne(runner, name, options, writes, stop.Token);
                    if (progress is null) continue;
                    // Counted where it is written (the pipeline thread, one write at a time), so the
                    // bar never goes back when two workers finish at once and queue out of order.
                    string last = name;
                    writes.Add(() =>
                    {
                        int n = ++finished;
                        WriteProgress(ToProgressRecord(progress with { Status = $"{n} of {jails.Count} finished (last: {last})", PercentComplete = 100 * n / jails.Count }));
                    });
                }
            }, stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        }
        var done = Task.WhenAll(tasks).ContinueWith(_ => writes.CompleteAdding(), TaskScheduler.Default);
        try
        {
            if (progress != null)
                WriteProgress(ToProgressRecord(progress));
            foreach (var write in writes.GetConsumingEnumerable())
                write();
            if (progress != null)
                WriteProgress(ToProgressRecord(progress.Complete()));
        }
        finally
        {
            if (!done.IsCompleted)
                stop.Cancel();
            try { Task.WhenAll(tasks).GetAwaiter().GetResult(); }
            catch (OperationCanceledException) { /* the runner killed the jailed processes */ }
            done.GetAwaiter().GetResult();
        }
    }

    /// <summary>The command as the progress bar names it: the argv as a shell would show it, or "a script block".</summary>
    private string CommandText()
    {
        string text = ScriptBlock != null ? "a script block" : ShellCommand.Length > 0 ? ShellCommand : Core.Processes.CommandLine.Render(Command);
        return text.Length > 40 ? text.Substring(0, 39) + "…" : text;
    }

    private void RunOne(JailCommandService runner, string jail, JailCommandOptions options, BlockingCollection<Action> writes, CancellationToken token)
    {
        try
        {
            JailCommandResult result;
            if (ScriptBlock != null)
            {
                result = runner.RunPowerShell(jail, ScriptBlock.ToString(), options, token);
                writes.Add(() => WriteScriptOutput(result));
            }
            else if (Stream)
            {
                result = runner.Run(jail, options, token,
                    line => writes.Add(() => WriteObject(Tag(line, jail))),
                    line => writes.Add(() => WriteInformation(new InformationRecord(Tag(line, jail), "stderr:" + jail) { Tags = { "stderr", jail } })));
            }
            else
            {
                result = runner.Run(jail, options, token);
                writes.Add(() => WriteObject(result));
            }
            if (!result.Succeeded)
                writes.Add(() => WriteError(FailureRecord(result)));
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            writes.Add(() => WriteJailError(ex, jail));
        }
    }

    private static PSObject Tag(object value, string jail)
    {
        var o = PSObject.AsPSObject(value);
        o.Properties.Add(new PSNoteProperty("JailName", jail));
        return o;
    }

    /// <summary>
    /// pwsh -OutputFormat xml writes "#&lt; CLIXML" and then &lt;Objs&gt; documents whose elements carry
    /// the stream they belong to in an S attribute (none or "Output": output; "Error", "Warning",
    /// "Verbose", "Debug", "Information", "Progress"). Each goes to the matching stream here.
    /// </summary>
    private void WriteScriptOutput(JailCommandResult result)
    {
        string text = string.Join("\n", result.Output);
        int start = text.IndexOf("<Objs", StringComparison.Ordinal);
        if (start < 0) return;
        foreach (string doc in text.Substring(start).Split(new[] { "</Objs>" }, StringSplitOptions.RemoveEmptyEntries))
        {
            string xml = doc.Trim();
            if (xml.Length == 0) continue;
            try
            {
                var objs = System.Xml.Linq.XElement.Parse(xml + "</Objs>");
                foreach (var element in objs.Elements())
                {
                    string stream = (string?)element.Attribute("S") ?? "Output";
                    var single = new System.Xml.Linq.XElement(objs.Name, objs.Attributes(), element);
                    foreach (object item in PSSerializer.DeserializeAsList(single.ToString(System.Xml.Linq.SaveOptions.DisableFormatting)))
                        WriteScriptRecord(stream, item, result);
                }
            }
            catch (Exception ex) when (ex is System.Xml.XmlException or InvalidOperationException or System.Runtime.Serialization.SerializationException)
            {
                WriteError(new ErrorRecord(ex, "JailScriptOutputInvalid", ErrorCategory.InvalidData, result)
                {
                    ErrorDetails = new ErrorDetails($"jail {result.Jail}: pwsh output could not be read as CLIXML: {ex.Message}"),
                });
            }
        }
    }

    private void WriteScriptRecord(string stream, object item, JailCommandResult result)
    {
        string text = (item is PSObject p ? p.BaseObject : item)?.ToString() ?? "";
        switch (stream.ToLowerInvariant())
        {
            case "output":
                WriteObject(Tag(item, result.Jail));
                break;
            case "error":
                WriteError(new ErrorRecord(new RuntimeException($"jail {result.Jail}: {text}"), "JailScriptError", ErrorCategory.FromStdErr, result));
                break;
            case "warning":
                WriteWarning($"jail {result.Jail}: {text}");
                break;
            case "verbose":
                WriteVerbose($"jail {result.Jail}: {text}");
                break;
            case "debug":
                WriteDebug($"jail {result.Jail}: {text}");
                break;
            case "information":
                WriteInformation(new InformationRecord(text, "jail:" + result.Jail));
                break;
            default:
                break; // progress and anything newer: not replayed
        }
    }

    /// <summary>A non-zero exit or a timeout: a non-terminating error that carries the result.</summary>
    private static ErrorRecord FailureRecord(JailCommandResult result)
    {
        string tail = result.Error.Length > 0 ? ": " + result.Error[^1] : ".";
        string command = string.Join(" ", result.Command);
        var ex = result.TimedOut
            ? new JailOperationException("JailCommandTimedOut", result.Jail,
                $"jail {result.Jail}: \"{command}\" did not finish within {result.Duration.TotalSeconds:0.#}s and was killed.", "Raise -Timeout or fix the command.")
            : new JailOperationException("JailCommandFailed", result.Jail,
                $"jail {result.Jail}: \"{command}\" exited with {result.ExitCode}{tail}", "Look at the result's Output and Error (the error's TargetObject).");
        ex.Data["ExitCode"] = result.ExitCode;
        var record = new ErrorRecord(ex, ex.ErrorId, result.TimedOut ? ErrorCategory.OperationTimeout : ErrorCategory.InvalidResult, result);
        record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = ex.RecommendedAction };
        return record;
    }
}
