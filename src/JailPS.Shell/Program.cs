using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using JailPS.Hosting;

namespace JailPS.Shell;

internal static class Program
{
    public const int ExitUsage = 64;
    public const int ExitInterrupted = 130;

    public static int Main(string[] args)
    {
        CommandLine commandLine;
        try
        {
            commandLine = CommandLine.Parse(args);
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine("jailps: " + ex.Message);
            Console.Error.WriteLine(CommandLine.Usage);
            return ExitUsage;
        }

        if (commandLine.ShowHelp)
        {
            Console.Out.WriteLine(CommandLine.Usage);
            return 0;
        }

        if (commandLine.ShowVersion)
        {
            Console.Out.WriteLine($"jailps {Informational(typeof(Program).Assembly)}");
            Console.Out.WriteLine($"PowerShell engine {Informational(typeof(PSObject).Assembly)}");
            Console.Out.WriteLine($"JailPS module {ModuleLocator.Find() ?? "(not found)"}");
            return 0;
        }

        return new ShellRunner(commandLine).Run();
    }

    private static string Informational(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+', ' ')[0]
        ?? assembly.GetName().Version?.ToString()
        ?? "?";
}

/// <summary>Where jailps loads JailPS from.</summary>
internal static class ModuleLocator
{
    public const string EnvironmentVariable = "JAILPS_MODULE_PATH";

    /// <summary>The JailPS.psd1 to import: $JAILPS_MODULE_PATH (file or folder), else Modules/JailPS/ beside the executable.</summary>
    public static string? Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            var full = Path.GetFullPath(fromEnvironment);
            return Directory.Exists(full) ? Path.Combine(full, "JailPS.psd1") : full;
        }

        return Path.Combine(AppContext.BaseDirectory, "Modules", "JailPS", "JailPS.psd1");
    }
}

internal sealed class ShellRunner
{
    private readonly CommandLine _commandLine;

    public ShellRunner(CommandLine commandLine)
    {
        _commandLine = commandLine;
    }

    public int Run()
    {
        string? script = null;
        if (_commandLine.File is { } file)
        {
            script = Path.GetFullPath(file);
            if (!script.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase))
            {
                Console.Error.WriteLine($"jailps: '{file}' is not a script file; -File needs a .ps1 path.");
                return Program.ExitUsage;
            }

            if (!File.Exists(script))
            {
                Console.Error.WriteLine($"jailps: the script '{file}' does not exist.");
                return Program.ExitUsage;
            }
        }

        var commandText = _commandLine.Command;
        var stdinIsScript = commandText == "-";
        if (stdinIsScript)
        {
            commandText = Console.In.ReadToEnd();
        }

        var manifest = ModuleLocator.Find();
        if (manifest is null || !File.Exists(manifest))
        {
            Console.Error.WriteLine($"jailps: the JailPS module was not found at '{manifest}'. Build src/JailPS.Shell (it copies the module next to jailps), or set {ModuleLocator.EnvironmentVariable} to a JailPS.psd1.");
            return 1;
        }

        var plain = Console.IsOutputRedirected ||
                    !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")) ||
                    string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);
        var terminalInput = !Console.IsInputRedirected && !stdinIsScript;
        var host = new TextHost(Console.Out, Console.Error, new TextHostOptions
        {
            StripAnsi = plain,
            Width = ConsoleWidth(),
            PromptMode = _commandLine.NonInteractive ? PromptMode.Fail : terminalInput ? PromptMode.Console : PromptMode.Default,
            Input = terminalInput ? Console.In : null,
        });

        using var runspace = RunspaceFactory.CreateRunspace(host, InitialSessionState.CreateDefault2());
        runspace.Open();

        // Only the module folder is searched, so nothing else installed on this machine is autoloaded.
        var moduleRoot = Path.GetDirectoryName(Path.GetDirectoryName(manifest)) ?? AppContext.BaseDirectory;
        Environment.SetEnvironmentVariable("PSModulePath", moduleRoot);
        if (plain)
        {
            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            ps.AddScript("if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }").Invoke();
        }

        foreach (var module in new[] { manifest }.Concat(_commandLine.Imports.Select(Path.GetFullPath)))
        {
            if (!Import(runspace, module))
            {
                return 1;
            }
        }

        runspace.SessionStateProxy.SetVariable("LASTEXITCODE", 0);
        return Execute(runspace, host, script, commandText ?? string.Empty);
    }

    private static bool Import(Runspace runspace, string module)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        ps.AddCommand("Import-Module").AddParameter("Name", module).AddParameter("ErrorAction", ActionPreference.Stop);
        try
        {
            ps.Invoke();
        }
        catch (RuntimeException ex)
        {
            Console.Error.WriteLine($"jailps: cannot import '{module}':");
            Console.Error.Write(ErrorText.Format(ex.ErrorRecord));
            return false;
        }

        return true;
    }

    private int Execute(Runspace runspace, TextHost host, string? script, string commandText)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        if (script is not null)
        {
            // Like pwsh -File: the script runs at global scope with its arguments bound as parameters.
            var command = new Command(script, isScript: false, useLocalScope: false);
            foreach (var parameter in ScriptParameters(_commandLine.ScriptArguments))
            {
                command.Parameters.Add(parameter);
            }

            ps.Commands.AddCommand(command);
        }
        else
        {
            ps.AddScript(commandText, useLocalScope: false);
        }

        ps.AddCommand("Out-Default");

        var errors = 0;
        ps.Streams.Error.DataAdded += (_, e) =>
        {
            errors++;
            Console.Error.Write(ErrorText.Format(ps.Streams.Error[e.Index]));
        };

        var interrupted = false;
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            interrupted = true;
            ps.BeginStop(null, null);
        };
        Console.CancelKeyPress += onCancel;
        var terminated = false;
        try
        {
            ps.Invoke();
        }
        catch (PipelineStoppedException) when (interrupted)
        {
            return Program.ExitInterrupted;
        }
        catch (RuntimeException ex)
        {
            terminated = true;
            Console.Error.Write(ErrorText.Format(ex.ErrorRecord));
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        if (interrupted)
        {
            return Program.ExitInterrupted;
        }

        if (host.ShouldExit)
        {
            return host.ExitCode;
        }

        if (terminated)
        {
            return 1;
        }

        var lastExitCode = runspace.SessionStateProxy.GetVariable("LASTEXITCODE") is int code ? code : 0;
        if (script is not null)
        {
            // 'exit N' inside a -File script ends the script and leaves N in $LASTEXITCODE.
            if (lastExitCode != 0)
            {
                return lastExitCode;
            }

            return _commandLine.ErrorsAreFatal && errors > 0 ? 1 : 0;
        }

        // -Command is stricter than pwsh: any error record fails the run.
        return errors > 0 || lastExitCode != 0 ? 1 : 0;
    }

    /// <summary>
    /// Script arguments as pwsh passes them to a -File script: "-Name" (bound to the next value
    /// unless the parameter is a switch), "-Name:value", and positional values.
    /// </summary>
    internal static IEnumerable<CommandParameter> ScriptParameters(IEnumerable<string> args)
    {
        foreach (var arg in args)
        {
            if (arg.Length > 1 && arg[0] == '-' && (char.IsLetter(arg[1]) || arg[1] == '_'))
            {
                var body = arg[1..];
                var colon = body.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    var value = body[(colon + 1)..];
                    object converted = value.ToLowerInvariant() switch
                    {
                        "$true" => true,
                        "$false" => false,
                        _ => value,
                    };
                    yield return new CommandParameter(body[..colon], converted);
                }
                else
                {
                    // With the dash kept, the engine treats the name as a bare "-Name" token: a switch,
                    // or a parameter that takes the next value (a plain name would mean "-Name:$null").
                    yield return new CommandParameter(arg);
                }
            }
            else
            {
                yield return new CommandParameter(null, arg);
            }
        }
    }

    private static int ConsoleWidth()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns >= 40)
        {
            return columns;
        }

        try
        {
            if (!Console.IsOutputRedirected && Console.WindowWidth >= 40)
            {
                return Console.WindowWidth;
            }
        }
        catch (IOException)
        {
        }

        return 120;
    }
}
