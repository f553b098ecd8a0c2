using System;
using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Processes;

namespace JailPS.Core.Exec;

/// <summary>
/// Runs commands inside running jails through /usr/sbin/jexec (a .NET process cannot fork and
/// jail_attach safely) over the process seam: real processes on FreeBSD, the responder on the
/// simulated host. Arguments always travel as argv.
/// </summary>
public sealed class JailCommandService
{
    /// <summary>/bin/sh program that changes directory and then execs its remaining arguments unchanged.</summary>
    internal const string ChdirScript = "cd -- \"$1\" || exit 1; shift; exec \"$@\"";

    /// <summary>/bin/sh program that runs pwsh if the jail has it, else exits 127 without output.</summary>
    internal const string PwshScript = "command -v pwsh >/dev/null 2>&1 || exit 127; exec pwsh \"$@\"";

    private const string EnvPath = "/usr/bin/env";   // env(1)
    private const string ShellPath = "/bin/sh";      // _PATH_BSHELL, include/paths.h
    private static readonly Regex s_envName = new("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant);

    private readonly JailHost _host;
    private readonly JailService? _jails;

    /// <param name="jails">When given, a jail that is not running is told apart from one that does not exist.</param>
    public JailCommandService(JailHost host, JailService? jails = null)
    {
        _host = host;
        _jails = jails;
    }

    /// <summary>The argv that runs <paramref name="options"/> in jail <paramref name="jid"/>.</summary>
    public static IReadOnlyList<string> BuildArguments(int jid, JailCommandOptions options)
    {
        var inner = new List<string>();
        if (options.ShellCommand != null)
            inner.AddRange(new[] { ShellPath, "-c", options.ShellCommand });
        else
            inner.AddRange(options.Arguments);
        if (inner.Count == 0 || string.IsNullOrEmpty(inner[0]))
            throw new JailOperationException("JailCommandEmpty", null, "no command was given.", "Give -Command (argv) or -ShellCommand (a sh -c line).");
        if (options.Environment is { Count: > 0 } env)
        {
            var prefix = new List<string> { EnvPath };
            foreach (var kv in env)
            {
                if (!s_envName.IsMatch(kv.Key))
                    throw new JailOperationException("JailCommandInvalidEnvironment", null,
                        $"\"{kv.Key}\" is not a valid environment variable name.", "Use letters, digits and '_', not starting with a digit.");
                prefix.Add(kv.Key + "=" + kv.Value);
            }
            // env(1) would take a program name containing '=' for one more assignment.
            if (inner[0].Contains('='))
                prefix.Add("--");
            inner.InsertRange(0, prefix);
        }
        if (options.WorkingDirectory != null)
            inner.InsertRange(0, new[] { ShellPath, "-c", ChdirScript, "jailps-cd", options.WorkingDirectory });
        return CommandLine.Jexec(jid, inner, options.Login, options.User, options.UserFromHost);
    }

    /// <summary>
    /// The running jail a name means: its name, or (like jexec(8)'s jail_getid) an all-digit jid.
    /// Throws JailNotFound for a name no jail has, JailNotRunning for a defined jail not running.
    /// </summary>
    public Kernel.JailRecord ResolveRunning(string jailName)
    {
        var record = _host.Kernel.GetByName(jailName);
        if (record is null && JailSpec.IsAllDigits(jailName))
            record = _host.Kernel.GetByJid(int.Parse(jailName, System.Globalization.CultureInfo.InvariantCulture));
        if (record is null || record.Dying)
        {
            if (_jails != null && _jails.FindDefinition(jailName) is null)
                throw JailService.NotFound(jailName);
            throw new JailOperationException("JailNotRunning", jailName, $"jail \"{jailName}\" is not running.", "Start it with Start-Jail.");
        }
        return record;
    }

    /// <summary>Runs a command in a running jail (see <see cref="ResolveRunning"/> for the errors).</summary>
    public JailCommandResult Run(string jailName, JailCommandOptions options, CancellationToken cancellationToken,
        Action<string>? onOutputLine = null, Action<string>? onErrorLine = null, string purpose = "invoke")
    {
        var record = ResolveRunning(jailName);
        jailName = record.Name;
        var argv = BuildArguments(record.Jid, options);
        string[] shown = options.ShellCommand != null ? new[] { ShellPath, "-c", options.ShellCommand } : ToArray(options.Arguments);
        var request = new ProcessRequest
        {
            Arguments = argv,
            Jid = record.Jid,
            JailName = jailName,
            Purpose = purpose,
            DisplayText = options.ShellCommand ?? CommandLine.Render(options.Arguments),
            StandardInput = options.StandardInput,
            Timeout = options.Timeout,
            OnOutputLine = onOutputLine,
            OnErrorLine = onErrorLine,
        };
        var result = _host.Processes.Run(request, cancellationToken);
        return new JailCommandResult(jailName, record.Jid, shown, result.TimedOut ? -1 : result.ExitCode,
            Lines(result.StandardOutput), Lines(result.StandardError), result.StartTime == default ? DateTime.UtcNow - result.Duration : result.StartTime,
            result.Duration, result.TimedOut, options.User, _host.ComputerName, _host.IsSimulated);
    }

    /// <summary>
    /// Runs a PowerShell script in the jail's pwsh (-OutputFormat xml, so objects come back as CLIXML in
    /// the result's output). Throws JailPwshNotFound when the jail has no pwsh.
    /// </summary>
    public JailCommandResult RunPowerShell(string jailName, string script, JailCommandOptions options, CancellationToken cancellationToken)
    {
        string encoded = Convert.ToBase64String(Encoding.Unicode.GetBytes(script));
        var pwsh = new JailCommandOptions
        {
            Arguments = new[] { ShellPath, "-c", PwshScript, "jailps-pwsh", "-NoProfile", "-NonInteractive", "-OutputFormat", "xml", "-EncodedCommand", encoded },
            User = options.User,
            UserFromHost = options.UserFromHost,
            Login = options.Login,
            WorkingDirectory = options.WorkingDirectory,
            Environment = options.Environment,
            StandardInput = options.StandardInput,
            Timeout = options.Timeout,
        };
        var result = Run(jailName, pwsh, cancellationToken, purpose: "invoke.pwsh");
        if (result.ExitCode == 127 && result.Output.Length == 0)
            throw new JailOperationException("JailPwshNotFound", jailName,
                $"PowerShell (pwsh) is not installed in jail \"{jailName}\", so -ScriptBlock cannot run there.",
                $"Install it (pkg -j {jailName} install powershell) or use -Command.");
        // Report the script, not the sh wrapper and its base64 payload.
        return result.WithCommand(new[] { "pwsh", "-Command", script });
    }

    private static string[] ToArray(IReadOnlyList<string> list)
    {
        var a = new string[list.Count];
        for (int i = 0; i < a.Length; i++) a[i] = list[i];
        return a;
    }

    /// <summary>Text split into lines as a terminal shows them: \n or \r\n ends a line; no empty last line.</summary>
    public static string[] Lines(string text)
    {
        if (text.Length == 0) return Array.Empty<string>();
        var lines = text.Split('\n');
        int n = lines.Length;
        if (lines[n - 1].Length == 0) n--;
        var result = new string[n];
        for (int i = 0; i < n; i++)
            result[i] = lines[i].EndsWith('\r') ? lines[i].Substring(0, lines[i].Length - 1) : lines[i];
        return result;
    }
}
