using System;
using System.IO;
using System.Management.Automation;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Get-JailSimulatedCommand: the commands the simulated host was asked to run (its commands.log), as
/// objects a test can assert on, oldest first.
/// </summary>
[Cmdlet(VerbsCommon.Get, "JailSimulatedCommand")]
[OutputType(typeof(SimulatedCommand))]
public sealed class GetJailSimulatedCommandCommand : PSCmdlet
{
    /// <summary>Only commands of jails whose name matches (wildcards).</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string[]? Jail { get; set; }

    /// <summary>Only these steps: exec.start, exec.*, invoke, pkill, ... (wildcards).</summary>
    [Parameter]
    [SupportsWildcards]
    public string[]? Purpose { get; set; }

    /// <summary>The host's directory; default: the selected host.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    protected override void EndProcessing()
    {
        try
        {
            var host = SimulatedHostLab.OpenOrSelected(Path is null ? null : JailCmdletBase.LocalPath(this, Path));
            var jails = Patterns(Jail);
            var purposes = Patterns(Purpose);
            foreach (var command in SimulatedHostLab.ReadCommands(host))
            {
                if (jails != null && !Array.Exists(jails, p => p.IsMatch(command.Jail ?? "")))
                    continue;
                if (purposes != null && !Array.Exists(purposes, p => p.IsMatch(command.Purpose)))
                    continue;
                var item = new PSObject(command);
                item.TypeNames.Insert(0, "JailPS.SimulatedCommand");
                WriteObject(item);
            }
        }
        catch (Exception ex) when (ex is JailOperationException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(JailCmdletBase.ToErrorRecord(ex, Path));
        }
    }

    private static WildcardPattern[]? Patterns(string[]? values) =>
        values is null ? null : Array.ConvertAll(values, JailCmdletBase.NamePattern);
}
