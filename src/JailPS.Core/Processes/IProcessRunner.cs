using System;
using System.Collections.Generic;
using System.Threading;

namespace JailPS.Core.Processes;

/// <summary>
/// What to run. Host commands are run the way jail(8) runs exec.prestart and friends
/// (usr.sbin/jail/command.c): a string with shell metacharacters goes to /bin/sh -c, anything
/// else is split on white space and executed directly. Jail commands are argv arrays run
/// inside a jail through /usr/sbin/jexec, because a .NET process cannot fork and jail_attach.
/// </summary>
public sealed class ProcessRequest
{
    /// <summary>The program and its arguments, already split (argv[0] is the program).</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    /// <summary>Jail the command runs in (by jid), or null for a host command.</summary>
    public int? Jid { get; init; }

    /// <summary>Name of the jail, for records and messages.</summary>
    public string? JailName { get; init; }

    /// <summary>Role of the command: "exec.start", "exec.prestart", "pkill", ... (records, messages).</summary>
    public string Purpose { get; init; } = "command";

    /// <summary>The command as the user wrote it (jail.conf text), for messages and -WhatIf.</summary>
    public string? DisplayText { get; init; }

    public IReadOnlyDictionary<string, string>? Environment { get; init; }
    public bool CleanEnvironment { get; init; }
    public string? WorkingDirectory { get; init; }
    public TimeSpan? Timeout { get; init; }

    /// <summary>Text written to the process's standard input, which is then closed; null leaves stdin empty (/dev/null-like).</summary>
    public string? StandardInput { get; init; }

    /// <summary>
    /// Called with each line of standard output as it arrives (without the newline), from a
    /// reader thread, in order. The whole output is still returned in the result.
    /// </summary>
    public Action<string>? OnOutputLine { get; init; }

    /// <summary>Like <see cref="OnOutputLine"/>, for standard error.</summary>
    public Action<string>? OnErrorLine { get; init; }

    /// <summary>
    /// Interactive: the process gets this process's terminal (stdin, stdout and stderr are not
    /// redirected) and the call returns when it exits. Output is not captured.
    /// </summary>
    public bool Interactive { get; init; }
}

public sealed class ProcessResult
{
    public required int ExitCode { get; init; }
    public string StandardOutput { get; init; } = "";
    public string StandardError { get; init; } = "";
    public bool TimedOut { get; init; }
    public TimeSpan Duration { get; init; }
    public DateTime StartTime { get; init; }

    /// <summary>The first non-blank line of standard error (what a tool says when it fails), or null.</summary>
    public string? FirstErrorLine
    {
        get
        {
            foreach (string line in StandardError.Split('\n'))
                if (line.Trim().Length > 0) return line.Trim();
            return null;
        }
    }
}

/// <summary>The process seam. The real runner starts processes; the simulated host answers from its responder.</summary>
public interface IProcessRunner
{
    ProcessResult Run(ProcessRequest request, CancellationToken cancellationToken = default);
}
