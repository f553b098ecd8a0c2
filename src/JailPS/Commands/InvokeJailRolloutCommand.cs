using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace JailPS.Commands;

/// <summary>
/// Invoke-JailRollout: a script block on several hosts, one host at a time, in the order given,
/// stopping at the first host where it fails. Invoke-Command -ThrottleLimit 1 also goes one host at a
/// time, but it goes on after a failure, so a rolling restart that breaks the first host breaks them
/// all. This is thin over Invoke-Command: each host's run is Invoke-Command -Session with the same
/// script block, and its output, errors, warnings and information come back as Invoke-Command
/// returns them. It does not act on this host and needs no JailPS on it beyond this command.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "JailRollout", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(JailRolloutStep))]
public sealed class InvokeJailRolloutCommand : PSCmdlet
{
    /// <summary>The hosts, in the order to go through them (New-PSSession -HostName ...).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public PSSession[] Session { get; set; } = Array.Empty<PSSession>();

    /// <summary>What to run on each host, as with Invoke-Command; $using: works.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNull]
    public ScriptBlock ScriptBlock { get; set; } = null!;

    /// <summary>Arguments for the script block's param() block, the same on every host.</summary>
    [Parameter]
    [Alias("Args")]
    public object[]? ArgumentList { get; set; }

    protected override void EndProcessing()
    {
        var sessions = Session;
        int done = 0;
        string activity = $"Rolling out to {sessions.Length} host{(sessions.Length == 1 ? "" : "s")}";
        for (int i = 0; i < sessions.Length; i++)
        {
            if (Stopping)
                return;
            var session = sessions[i];
            string host = HostOf(session);
            WriteProgress(new ProgressRecord(1, activity, $"{host} ({i + 1} of {sessions.Length})")
            {
                PercentComplete = 100 * i / sessions.Length,
            });
            if (!ShouldProcess(host, "Run the script block"))
            {
                WriteObject(JailRolloutStep.NotStarted(host, i + 1, JailRolloutStep.Skipped));
                continue;
            }
            var (step, streams) = RunOn(session, host, i + 1);
            WriteObject(step);
            if (step.Status == JailRolloutStep.Done)
            {
                ForwardStreams(streams);
                done++;
                continue;
            }
            // Every step first, then the host's errors and the stop: under -ErrorAction Stop the
            // first error ends this command, and the steps must already say what was done.
            for (int j = i + 1; j < sessions.Length; j++)
                WriteObject(JailRolloutStep.NotStarted(HostOf(sessions[j]), j + 1, JailRolloutStep.NotRun));
            WriteProgress(new ProgressRecord(1, activity, $"stopped at {host}") { RecordType = ProgressRecordType.Completed });
            ForwardStreams(streams);
            WriteError(Stopped(sessions, i, step));
            return;
        }
        WriteProgress(new ProgressRecord(1, activity, $"{done} of {sessions.Length} done") { RecordType = ProgressRecordType.Completed });
    }

    /// <summary>
    /// One host's run. The streams of the nested Invoke-Command are merged into its output, so the
    /// host's errors, verbose and information records are kept in order and written on by
    /// <see cref="ForwardStreams"/>. Warnings and Write-Host text are shown by the remote host as it
    /// writes them (a host call), as with Invoke-Command, and do not come through here.
    /// </summary>
    private (JailRolloutStep Step, List<object> Streams) RunOn(PSSession session, string host, int position)
    {
        var clock = Stopwatch.StartNew();
        using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
        _running = ps;
        // Ctrl+C between the last check and here found nothing running to stop: start no host.
        if (Stopping)
            throw new PipelineStoppedException();
        ps.AddCommand("Microsoft.PowerShell.Core\\Invoke-Command")
            .AddParameter("Session", session)
            .AddParameter("ScriptBlock", ScriptBlock)
            // Every error the host writes is collected, whatever the caller's $ErrorActionPreference:
            // with Stop, the nested Invoke-Command would otherwise throw at the host's first error.
            .AddParameter("ErrorAction", ActionPreference.Continue)
            .AddParameter("WarningAction", ActionPreference.Continue)
            .AddParameter("InformationAction", ActionPreference.Continue);
        if (ArgumentList is { Length: > 0 })
            ps.AddParameter("ArgumentList", ArgumentList);
        ps.Commands.Commands[0].MergeMyResults(PipelineResultTypes.All, PipelineResultTypes.Output);
        var output = new List<PSObject>();
        var streams = new List<object>();
        var errors = new List<ErrorRecord>();
        try
        {
            foreach (var item in ps.Invoke())
            {
                switch (item?.BaseObject)
                {
                    case ErrorRecord e: errors.Add(e); streams.Add(e); break;
                    case WarningRecord or VerboseRecord or DebugRecord or InformationRecord: streams.Add(item.BaseObject); break;
                    case null: break;
                    default: output.Add(item); break;
                }
            }
        }
        catch (PipelineStoppedException)
        {
            throw;   // Ctrl+C: no step for this host, and no later host
        }
        catch (RuntimeException ex)
        {
            // A terminating error on the host (throw, -ErrorAction Stop there) or a broken session.
            errors.Add(ex.ErrorRecord);
            streams.Add(ex.ErrorRecord);
        }
        foreach (var e in ps.Streams.Error.Where(e => !errors.Contains(e)))
        {
            errors.Add(e);
            streams.Add(e);
        }
        clock.Stop();
        var step = new JailRolloutStep(host, position, errors.Count > 0 ? JailRolloutStep.Failed : JailRolloutStep.Done, output.ToArray(), errors.ToArray(),
            clock.Elapsed, errors.FirstOrDefault()?.ToString());
        return (step, streams);
    }

    /// <summary>The host's warnings, verbose, debug, information and errors, in the order it wrote them.</summary>
    private void ForwardStreams(List<object> streams)
    {
        foreach (object record in streams)
        {
            switch (record)
            {
                case ErrorRecord e: WriteError(e); break;
                case WarningRecord w: WriteWarning(w.Message); break;
                case VerboseRecord v: WriteVerbose(v.Message); break;
                case DebugRecord d: WriteDebug(d.Message); break;
                case InformationRecord info: WriteInformation(info); break;
            }
        }
    }

    private volatile PowerShell? _running;

    /// <summary>Ctrl+C stops the host being run (its Invoke-Command); no later host is started.</summary>
    protected override void StopProcessing() => _running?.Stop();

    private static string HostOf(PSSession session) => session.ComputerName;

    private static ErrorRecord Stopped(PSSession[] sessions, int failedAt, JailRolloutStep step)
    {
        string doneHosts = failedAt == 0 ? "none" : string.Join(", ", sessions.Take(failedAt).Select(HostOf));
        string left = failedAt == sessions.Length - 1 ? "none" : string.Join(", ", sessions.Skip(failedAt + 1).Select(HostOf));
        string next = failedAt == sessions.Length - 1 ? $"$sessions[{failedAt}]" : $"$sessions[{failedAt}..{sessions.Length - 1}]";
        var ex = new InvalidOperationException(
            $"The rollout stopped at {step.ComputerName} (host {failedAt + 1} of {sessions.Length}): {step.Reason} " +
            $"Done: {doneHosts}. Not run: {left}.");
        return new ErrorRecord(ex, "JailRolloutStopped", ErrorCategory.OperationStopped, step)
        {
            ErrorDetails = new ErrorDetails(ex.Message)
            {
                RecommendedAction = $"Fix {step.ComputerName} (its errors are above and in the step's Errors), then go on from it: " +
                    $"Invoke-JailRollout -Session {next} -ScriptBlock {{ ... }}.",
            },
        };
    }
}
