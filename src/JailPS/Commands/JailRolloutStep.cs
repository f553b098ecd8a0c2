using System;
using System.Management.Automation;

namespace JailPS;

/// <summary>
/// One host of a rollout (Invoke-JailRollout): where it ran, whether it was done, failed or not run,
/// what the script block returned and wrote as errors there, and how long it took.
/// Type name JailPS.JailRolloutStep.
/// </summary>
public sealed class JailRolloutStep
{
    public const string Done = "Done";
    public const string Failed = "Failed";
    public const string NotRun = "NotRun";
    public const string Skipped = "Skipped";

    public JailRolloutStep(string computerName, int position, string status, PSObject[] output, ErrorRecord[] errors, TimeSpan duration, string? reason)
    {
        ComputerName = computerName;
        Position = position;
        Status = status;
        Output = output;
        Errors = errors;
        Duration = duration;
        Reason = reason;
    }

    /// <summary>The host as its session names it (PSSession.ComputerName).</summary>
    public string ComputerName { get; }

    /// <summary>1 for the first host given, and so on.</summary>
    public int Position { get; }

    /// <summary>Done, Failed (it wrote an error or threw), NotRun (after a failure) or Skipped (-WhatIf, or No at -Confirm).</summary>
    public string Status { get; }

    /// <summary>What the script block returned on this host, as Invoke-Command returns it (with PSComputerName).</summary>
    public PSObject[] Output { get; }

    public ErrorRecord[] Errors { get; }

    public TimeSpan Duration { get; }

    /// <summary>Why it failed: the first error's message; null when it did not fail.</summary>
    public string? Reason { get; }

    /// <summary>A host the rollout did not run the script block on (NotRun, Skipped): no output, no errors.</summary>
    public static JailRolloutStep NotStarted(string computerName, int position, string status)
        => new(computerName, position, status, Array.Empty<PSObject>(), Array.Empty<ErrorRecord>(), TimeSpan.Zero, null);

    public override string ToString() => $"{ComputerName}: {Status}";
}
