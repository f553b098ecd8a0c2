using System;
using System.IO;
using System.Management.Automation;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Set-JailSimulatedResponse: replaces (or with -Append extends) the rules in the simulated host's
/// responses.json that answer the commands it records. The first matching rule wins; the file is
/// read for every command, so the change applies to the next one.
/// </summary>
[Cmdlet(VerbsCommon.Set, "JailSimulatedResponse", SupportsShouldProcess = true)]
public sealed class SetJailSimulatedResponseCommand : PSCmdlet
{
    /// <summary>The rules, as hashtables with Command, Jail, Purpose, ExitCode, StandardOutput, ...; an empty array clears them.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [AllowEmptyCollection]
    public SimulatedResponse[] Response { get; set; } = Array.Empty<SimulatedResponse>();

    /// <summary>Add the rules after the existing ones instead of replacing them.</summary>
    [Parameter]
    public SwitchParameter Append { get; set; }

    /// <summary>The host's directory; default: the selected host.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    protected override void EndProcessing()
    {
        try
        {
            var host = SimulatedHostLab.OpenOrSelected(Path is null ? null : JailCmdletBase.LocalPath(this, Path));
            string action = Append ? $"Add {Response.Length} rule(s) to" : $"Replace the rules with {Response.Length} rule(s) in";
            if (ShouldProcess(host.ResponsesFile, action))
                SimulatedHostLab.WriteResponses(host, Response, Append);
        }
        catch (Exception ex) when (ex is JailOperationException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(JailCmdletBase.ToErrorRecord(ex, Path));
        }
    }
}
