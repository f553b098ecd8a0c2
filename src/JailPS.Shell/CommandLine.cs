using System;
using System.Collections.Generic;
using System.Linq;

namespace JailPS.Shell;

/// <summary>
/// <c>jailps [options] (-File script.ps1 [script args...] | -Command text... | -Command -)</c>.
/// Options come before -File/-Command; everything after the script path belongs to the script,
/// everything after -Command is the command text (joined with spaces, as pwsh does).
/// </summary>
internal sealed class CommandLine
{
    public const string Usage = """
        usage: jailps [-Import <module.psd1>]... [-NonInteractive] [-ErrorsAreFatal]
                      (-File <script.ps1> [<script arguments>...] | -Command <text>... | -Command -)
               jailps -Help | -Version

        Runs a PowerShell script with the JailPS module imported, in the real PowerShell engine
        (core cmdlets only: no Format-Table, Select-Object, Write-Host and the like).

          -File, -f        run a script file; later arguments are its parameters
                           (-Name value, -Name:value, -Switch, or positional values)
          -Command, -c     run the rest of the command line as PowerShell; '-' reads it from stdin
          -Import, -i      also import this module (repeatable)
          -NonInteractive  fail on prompts instead of asking (or taking the default)
          -ErrorsAreFatal  with -File, exit 1 when the script wrote any error
          -Help, -h, -?    show this text
          -Version         show versions

        The module is loaded from $JAILPS_MODULE_PATH (a .psd1 or its folder) when set, else from
        Modules/JailPS/ next to jailps. Output is plain text when redirected or when NO_COLOR is set.
        Exit codes: the script's 'exit N'; 1 on a terminating error (with -Command: on any error);
        64 on a bad command line; 130 when interrupted.
        """;

    public string? File { get; private set; }

    public string? Command { get; private set; }

    public List<string> ScriptArguments { get; } = new();

    public List<string> Imports { get; } = new();

    public bool NonInteractive { get; private set; }

    public bool ErrorsAreFatal { get; private set; }

    public bool ShowHelp { get; private set; }

    public bool ShowVersion { get; private set; }

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var result = new CommandLine();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var name = OptionName(arg);
            switch (name)
            {
                case "file" or "f":
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException("-File needs a script path.");
                    }

                    result.File = args[i + 1];
                    result.ScriptArguments.AddRange(args.Skip(i + 2));
                    return result;

                case "command" or "c":
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException("-Command needs the command text (or '-' to read it from stdin).");
                    }

                    result.Command = string.Join(' ', args.Skip(i + 1));
                    return result;

                case "import" or "i":
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException("-Import needs a module path.");
                    }

                    result.Imports.Add(args[++i]);
                    break;

                case "noninteractive":
                    result.NonInteractive = true;
                    break;

                case "errorsarefatal":
                    result.ErrorsAreFatal = true;
                    break;

                case "help" or "h" or "?":
                    result.ShowHelp = true;
                    return result;

                case "version" or "v":
                    result.ShowVersion = true;
                    return result;

                default:
                    throw new UsageException(name is null
                        ? $"unexpected argument '{arg}'; use -File <script.ps1> or -Command <text>."
                        : $"unknown option '{arg}'.");
            }
        }

        throw new UsageException("nothing to run; use -File <script.ps1> or -Command <text>.");
    }

    /// <summary>"-File" or "--file" → "file"; null when the argument is not an option.</summary>
    private static string? OptionName(string arg)
    {
        if (arg.Length < 2 || arg[0] != '-')
        {
            return null;
        }

        return arg.TrimStart('-').ToLowerInvariant();
    }
}

internal sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }
}
