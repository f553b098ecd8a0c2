using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using JailPS.Core.Config;
using JailPS;
using JailPS.Core.Devfs;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Host.SafePath;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// What every JailPS cmdlet shares: the host (real or the opted-in simulated one), the engine,
/// Ctrl+C, and one mapping from engine exceptions to ErrorRecords with stable ids.
/// </summary>
public abstract class JailCmdletBase : PSCmdlet, IJailCommandSink, IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private JailHost? _host;
    private JailService? _service;
    private JailOrchestrator? _orchestrator;

    protected internal JailHost JailHost => _host ?? throw new InvalidOperationException("BeginProcessing has not run.");
    protected internal JailService Service => _service ?? throw new InvalidOperationException("BeginProcessing has not run.");
    protected internal CancellationToken Cancellation => _cancel.Token;

    protected override void BeginProcessing()
    {
        try
        {
            _host = JailHost.FromEnvironment();
        }
        catch (JailHostException ex)
        {
            var record = new ErrorRecord(ex, ex.ErrorId, ErrorCategory.ResourceUnavailable, null);
            if (ex.RecommendedAction != null)
                record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = ex.RecommendedAction };
            ThrowTerminatingError(record);
        }
        // A JailPS object from another host typed on the command line (Stop-Jail -InputObject $jail).
        if (PipelineOrigin.CommandLineRefusal(this, _host!, ContentParameters) is { } typed)
            ThrowTerminatingError(ErrorRecordFor(typed, typed.TargetObject));
        _commandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
        _service = new JailService(_host!, this);
        if (_host!.IsSimulated)
            WriteDebug($"JailPS: acting on the simulated host {_host.ComputerName}");
    }

    protected override void EndProcessing() => _host?.Commit();

    private HashSet<string> _commandLine = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether a parameter was given on the command line (not bound from the pipeline).</summary>
    protected bool OnCommandLine(string parameter) => _commandLine.Contains(parameter);

    /// <summary>
    /// Sealed so that every pipeline item passes one check before a command sees it: an object from
    /// another host (see <see cref="JailObjectOrigin"/> and <see cref="PipelineOrigin"/>) is refused as
    /// JailObjectFromOtherHost; to act on this host's jail of that name, the user names it (-Name)
    /// instead of piping the other host's object. The command's own work is <see cref="ProcessJailRecord"/>.
    /// </summary>
    protected sealed override void ProcessRecord()
    {
        if (PipelineInputNamesThings && PipelineOrigin.PipelineRefusal(this, _host!) is { } refusal)
        {
            WriteJailError(refusal, refusal.TargetObject);
            PipelineItemRefused();
            return;
        }
        ProcessJailRecord();
    }

    /// <summary>Called for a pipeline item refused as another host's, for a command that reports on all its items (Test-Jail).</summary>
    protected virtual void PipelineItemRefused()
    {
    }

    /// <summary>
    /// Whether this command's pipeline input names things on the host (jails, mounts, files), so
    /// that input from another host must be refused. False only where the input is content, such as
    /// jail.conf text copied from another host into Import-JailConfig.
    /// </summary>
    protected virtual bool PipelineInputNamesThings => true;

    /// <summary>Parameters whose values are content, not names (standard input, jail.conf text): never refused for their origin.</summary>
    protected virtual IReadOnlyCollection<string> ContentParameters => Array.Empty<string>();

    /// <summary>What a command does with one pipeline item (or, without pipeline input, once).</summary>
    protected virtual void ProcessJailRecord()
    {
    }

    protected override void StopProcessing() => _cancel.Cancel();

    public void Dispose()
    {
        _host?.Commit();
        _cancel.Dispose();
        GC.SuppressFinalize(this);
    }

    void IJailOutput.Verbose(string message)
    {
        // One record per line: a host that prefixes only a record's first line ("VERBOSE: ")
        // would otherwise print a step's continuation lines bare.
        foreach (string line in HostText(message).Split('\n'))
            WriteVerbose(line.TrimEnd('\r'));
    }
    void IJailOutput.Warning(string message) => WriteWarning(HostText(message));
    void IJailOutput.Debug(string message) => WriteDebug(HostText(message));

    /// <summary>Local paths of the simulated host written as host paths (see <see cref="JailHost.HostText"/>).</summary>
    private string HostText(string message) => _host?.HostText(message) ?? message;

    void IJailOutput.Progress(JailProgress progress) => WriteProgress(ToProgressRecord(progress));

    void IJailOutput.HookOutput(JailHookOutput line) => WriteInformation(ToInformationRecord(line));

    /// <summary>
    /// A hook's line as an Information record: never the output stream, which stays the jails
    /// -PassThru writes (and the mounts left behind). Information records are kept whatever
    /// $InformationPreference says, so -InformationVariable and 6>&amp;1 capture them; they are shown
    /// with -InformationAction Continue. Standard error is Information too, tagged "stderr", not a
    /// warning: programs write progress and traces there (sh -x, fetch, pkg), its order among the
    /// stdout lines is kept in one stream, and a failing hook's stderr is already in its error.
    /// Tags: the jail, the hook and the stream, so the lines of several jails stay apart; the
    /// MessageData (JailPS.JailHookOutput) carries the same as properties, and its text is the line.
    /// </summary>
    internal static InformationRecord ToInformationRecord(JailHookOutput line)
    {
        var record = new InformationRecord(line, line.Hook + ":" + line.JailName);
        record.Tags.Add(line.JailName);
        record.Tags.Add(line.Hook);
        record.Tags.Add(line.Stream);
        return record;
    }

    /// <summary>A Write-Progress record for an engine wait; a completed one closes its bar.</summary>
    protected static ProgressRecord ToProgressRecord(JailProgress progress) => new(progress.ActivityId, progress.Activity, progress.Status)
    {
        PercentComplete = progress.PercentComplete,
        SecondsRemaining = progress.SecondsRemaining,
        RecordType = progress.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
    };

    /// <summary>The engine's side of this command: plans approved through ShouldProcess, dependency order over several jails.</summary>
    protected internal JailOrchestrator Orchestrator => _orchestrator ??= new JailOrchestrator(Service, this, Cancellation);

    /// <summary>
    /// Asks ShouldProcess with the whole plan as its description and its question (so -WhatIf prints
    /// every step and the exact jail_set parameter list, and -Confirm shows them before it asks),
    /// then runs it with its undo journal.
    /// </summary>
    protected internal bool RunPlan(JailPlan plan, string action) => Orchestrator.RunPlan(plan, action);

    /// <summary>
    /// True under -WhatIf: plans are only shown, so a caller that runs several plans (dependencies,
    /// restart) goes on showing the next one instead of treating "not run" as "declined".
    /// </summary>
    protected internal bool WhatIfMode => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var bound)
        ? IsTrue(bound)
        : IsTrue(GetVariableValue("WhatIfPreference"));

    private static bool IsTrue(object? value) => value switch
    {
        SwitchParameter sp => sp.IsPresent,
        bool b => b,
        PSObject p => IsTrue(p.BaseObject),
        _ => false,
    };

    bool IJailCommandSink.WhatIf => WhatIfMode;
    // -WhatIf prints the description as "What if: ..."; -Verbose prints it as the operation being
    // performed, and there the plan's steps follow one by one as they run, so only the summary.
    bool IJailCommandSink.ShouldProcess(string description, string summary, string question) =>
        ShouldProcess(WhatIfMode ? description : summary, question, "Confirm");
    void IJailCommandSink.WriteError(Exception error, object? target) => WriteJailError(error, target);
    void IJailCommandSink.WriteObject(object item) => WriteObject(item);

    /// <summary>The jail's definition split and type-checked as jail(8) would (null for a jail with no definition).</summary>
    protected internal JailSpec? SpecOf(Jail jail) => Service.SpecOf(jail);

    /// <summary>Runs a stop (or unmount cleanup) plan and writes the mounts it found left behind.</summary>
    protected internal bool RunStopPlan(JailPlan plan) => Orchestrator.RunStopPlan(plan);

    /// <summary>-UserFromHost only says where to look -User up (jexec -u vs -U); alone it means nothing.</summary>
    protected void ThrowIfUserFromHostWithoutUser(bool userFromHost, string? user)
    {
        if (userFromHost && user is null)
            ThrowTerminatingError(new ErrorRecord(new ArgumentException("-UserFromHost says where to look up -User, but no -User was given."),
                "JailCommandUserMissing", ErrorCategory.InvalidArgument, null));
    }

    private IReadOnlyList<Jail>? _inventory;

    /// <summary>
    /// The jails (defined and running) whose names match a wildcard, from one inventory read per
    /// command. An invalid wildcard is written as that name's JailNameWildcardInvalid error and matches nothing.
    /// </summary>
    protected internal IEnumerable<Jail> JailsMatching(string wildcard)
    {
        if (!TryNamePattern(wildcard, out var pattern))
            return Array.Empty<Jail>();
        _inventory ??= Service.GetAll();
        var matches = new List<Jail>();
        foreach (var j in _inventory)
            if (pattern.IsMatch(j.Name))
                matches.Add(j);
        return matches;
    }

    /// <summary>
    /// A -Name wildcard as a pattern. An invalid one (a "[" that opens no closed range) is
    /// JailNameWildcardInvalid (InvalidArgument), never PowerShell's raw WildcardPatternException.
    /// </summary>
    internal static WildcardPattern NamePattern(string wildcard)
    {
        var pattern = WildcardPattern.Get(wildcard, WildcardOptions.IgnoreCase);
        try
        {
            pattern.IsMatch(""); // the pattern is parsed on first use
        }
        catch (WildcardPatternException)
        {
            throw new JailOperationException("JailNameWildcardInvalid", null,
                $"\"{wildcard}\" is not a valid wildcard pattern: every \"[\" must open a range that \"]\" closes, as in web[0-9].",
                "Close the range, or escape a literal bracket with a backtick: 'web`['.")
            { TargetObject = wildcard };
        }
        return pattern;
    }

    /// <summary><see cref="NamePattern"/>, writing the error for an invalid wildcard and returning false.</summary>
    protected bool TryNamePattern(string wildcard, out WildcardPattern pattern)
    {
        try
        {
            pattern = NamePattern(wildcard);
            return true;
        }
        catch (JailOperationException ex)
        {
            WriteJailError(ex, wildcard);
            pattern = null!;
            return false;
        }
    }

    /// <summary>
    /// The jails some names (or wildcards) name. A name without wildcards that matches nothing is
    /// an error (JailNotFound), written for that name; a wildcard that matches nothing is not, as
    /// with Get-Process.
    /// </summary>
    protected internal IEnumerable<Jail> JailsNamed(IEnumerable<string> names)
    {
        foreach (string name in names)
        {
            if (WildcardPattern.ContainsWildcardCharacters(name))
            {
                foreach (var j in JailsMatching(name))
                    yield return j;
                continue;
            }
            Jail? found = null;
            try
            {
                found = Service.Get(name);
            }
            catch (Exception ex) when (IsEngineError(ex))
            {
                WriteJailError(ex, name);
                continue;
            }
            if (found is null)
                WriteJailError(JailService.NotFound(name), name);
            else
                yield return found;
        }
    }

    /// <summary>A -Path of a testing cmdlet as a local path (relative to the current location); a NUL is refused (JailPathInvalid).</summary>
    internal static string LocalPath(PSCmdlet cmdlet, string path)
    {
        HostPath.CheckText(path, "-Path");
        return cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
    }

    /// <summary>Writes a non-terminating error for one item.</summary>
    protected void WriteJailError(Exception ex, object? target) => WriteError(ErrorRecordFor(ex, target));

    /// <summary>
    /// <see cref="ToErrorRecord(Exception, object?)"/> for this command's host: the advice for a
    /// permission error depends on whether the caller is root, and on the simulated host the message
    /// names host paths, not the local paths under its directory.
    /// </summary>
    protected internal ErrorRecord ErrorRecordFor(Exception ex, object? target) => ToErrorRecord(ex, target, _host);

    /// <summary>Runs work for one pipeline item; any engine failure becomes that item's error.</summary>
    protected void ForItem(object? target, Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            WriteJailError(ex, target);
        }
    }

    protected static bool IsEngineError(Exception ex) => EngineErrors.IsEngineError(ex);

    public static ErrorRecord ToErrorRecord(Exception ex, object? target) => ToErrorRecord(ex, target, null);

    /// <param name="host">The host the command acts on, when known: it decides root-specific advice and rewrites simulated local paths.</param>
    internal static ErrorRecord ToErrorRecord(Exception ex, object? target, JailHost? host)
    {
        var c = JailErrorClassifier.Classify(ex, target, host?.CallerIsRoot);
        var record = new ErrorRecord(ex, c.ErrorId, ToCategory(c.Category), c.Target);
        if (c.RecommendedAction != null)
            record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = c.RecommendedAction };
        return InHostTerms(record, host);
    }

    /// <summary>The PowerShell category of the same name (a test checks every JailErrorCategory has one).</summary>
    public static ErrorCategory ToCategory(JailErrorCategory category)
        => Enum.TryParse<ErrorCategory>(category.ToString(), out var c) ? c : ErrorCategory.NotSpecified;

    /// <summary>The record's message and advice with the simulated host's local paths written as host paths.</summary>
    private static ErrorRecord InHostTerms(ErrorRecord record, JailHost? host)
    {
        if (host is null) return record;
        string shown = record.ErrorDetails?.Message ?? record.Exception.Message;
        string message = host.HostText(shown);
        string? action = record.ErrorDetails?.RecommendedAction is { } a ? host.HostText(a) : null;
        if (message != shown || action != record.ErrorDetails?.RecommendedAction)
            record.ErrorDetails = new ErrorDetails(message) { RecommendedAction = action };
        return record;
    }
}
