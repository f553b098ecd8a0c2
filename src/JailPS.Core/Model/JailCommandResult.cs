using System;

namespace JailPS;

/// <summary>
/// What one command run inside a jail did (Invoke-JailCommand). Type name JailPS.JailCommandResult is
/// stable; the object travels through remoting with all its properties.
/// </summary>
public sealed class JailCommandResult
{
    internal JailCommandResult(string jail, int jid, string[] command, int exitCode, string[] output, string[] error,
        DateTime startTime, TimeSpan duration, bool timedOut, string? user, string computerName, bool isSimulated)
    {
        Jail = jail;
        Jid = jid;
        Command = command;
        ExitCode = exitCode;
        Output = output;
        Error = error;
        StartTime = startTime;
        Duration = duration;
        TimedOut = timedOut;
        User = user;
        ComputerName = computerName;
        IsSimulated = isSimulated;
    }

    /// <summary>Name of the jail the command ran in.</summary>
    public string Jail { get; }
    public int Jid { get; }

    /// <summary>The command as argv (for -ShellCommand: /bin/sh, -c, TEXT).</summary>
    public string[] Command { get; }

    /// <summary>Exit status; -1 when the command was killed by -Timeout.</summary>
    public int ExitCode { get; }

    /// <summary>Standard output, one string per line.</summary>
    public string[] Output { get; }

    /// <summary>Standard error, one string per line.</summary>
    public string[] Error { get; }

    public DateTime StartTime { get; }
    public TimeSpan Duration { get; }
    public bool TimedOut { get; }

    /// <summary>The user the command ran as (null: the caller, root).</summary>
    public string? User { get; }

    public bool Succeeded => ExitCode == 0 && !TimedOut;
    public string ComputerName { get; }
    public bool IsSimulated { get; }

    internal JailCommandResult WithCommand(string[] command) => new(Jail, Jid, command, ExitCode, Output, Error,
        StartTime, Duration, TimedOut, User, ComputerName, IsSimulated);

    public override string ToString() => $"{Jail}: {string.Join(" ", Command)} -> {ExitCode}";
}
