using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Lifecycle;
using JailPS.Core.Processes;

namespace JailPS.Commands;

/// <summary>Enter-Jail: an interactive login shell in a running jail, like `jexec -l NAME`; returns to pwsh when it exits.</summary>
[Cmdlet(VerbsCommon.Enter, "Jail", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(void))]
public sealed class EnterJailCommand : JailCmdletBase
{
    private const string ByNameSet = "ByName";
    private const string ByObjectSet = "ByObject";

    [Parameter(ParameterSetName = ByNameSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [Alias("JailName")]
    [ArgumentCompleter(typeof(JailNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(ParameterSetName = ByObjectSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Jail? InputObject { get; set; }

    /// <summary>Log in as this user of the jail (jexec -U), or of the host with -UserFromHost (jexec -u).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? User { get; set; }

    [Parameter]
    public SwitchParameter UserFromHost { get; set; }

    /// <summary>The shell to run instead of the user's login shell.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Shell { get; set; }

    protected override void ProcessJailRecord()
    {
        string name = InputObject?.Name ?? Name;
        ThrowIfUserFromHostWithoutUser(UserFromHost, User);
        if (!HasTerminal(out string why))
        {
            ThrowTerminatingError(new ErrorRecord(
                new JailOperationException("JailNoTerminal", name, $"Enter-Jail needs an interactive terminal, and {why}."),
                "JailNoTerminal", ErrorCategory.ResourceUnavailable, name)
            {
                ErrorDetails = new ErrorDetails($"Enter-Jail needs an interactive terminal, and {why}.")
                {
                    RecommendedAction = $"Use Invoke-JailCommand {name} -Command ... to run commands without a terminal.",
                },
            });
        }
        ForItem(name, () =>
        {
            var rec = new Core.Exec.JailCommandService(JailHost, Service).ResolveRunning(name);
            var inner = new List<string>();
            if (Shell != null) inner.Add(Shell);
            // jexec with no command runs the user's shell; -l gives the login environment.
            var argv = CommandLine.Jexec(rec.Jid, inner, login: true, jailUser: User, userFromHost: UserFromHost);
            WriteVerbose("running " + CommandLine.Render(argv));
            // Not cancelled on Ctrl+C: the terminal delivers SIGINT to the shell in the jail, which
            // handles it itself; the session ends when that shell exits, as with any native program.
            var result = JailHost.Processes.Run(new ProcessRequest
            {
                Arguments = argv,
                Jid = rec.Jid,
                JailName = name,
                Purpose = "enter",
                DisplayText = Shell ?? "(login shell)",
                Interactive = true,
            }, System.Threading.CancellationToken.None);
            SessionState.PSVariable.Set("global:LASTEXITCODE", result.ExitCode);
        });
    }

    private bool HasTerminal(out string why)
    {
        why = "";
        if (string.Equals(Host.Name, "ServerRemoteHost", StringComparison.Ordinal))
        {
            why = "this is a remote session";
            return false;
        }
        if (Console.IsInputRedirected || Console.IsOutputRedirected)
        {
            why = "standard input or output is redirected (no terminal)";
            return false;
        }
        return true;
    }
}
