using System;
using System.Collections.Generic;

namespace JailPS.Core.Exec;

/// <summary>How to run a command in a jail (the jexec(8) options and what JailPS adds around them).</summary>
public sealed class JailCommandOptions
{
    /// <summary>The program and its arguments, passed as argv: never joined into a shell string.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = Array.Empty<string>();

    /// <summary>A command line for /bin/sh -c, for those who want a shell; used instead of <see cref="Arguments"/>.</summary>
    public string? ShellCommand { get; init; }

    /// <summary>Run as this user (jexec -U: looked up in the jail's passwd, or -u with <see cref="UserFromHost"/>).</summary>
    public string? User { get; init; }
    public bool UserFromHost { get; init; }

    /// <summary>jexec -l: a clean login environment (and the user's home directory).</summary>
    public bool Login { get; init; }

    /// <summary>Directory inside the jail to run in.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Environment variables set for the command (after -l's clean environment).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    public string? StandardInput { get; init; }
    public TimeSpan? Timeout { get; init; }
}
