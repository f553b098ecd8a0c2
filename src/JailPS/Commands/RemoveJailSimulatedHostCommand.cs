using System;
using System.IO;
using System.Management.Automation;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Remove-JailSimulatedHost: deletes a simulated host's directory and, when it was the selected
/// one, restores JAILPS_SIMULATED_HOST to what it held before New-JailSimulatedHost. Only a
/// directory with a simulation state folder is ever deleted.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "JailSimulatedHost", SupportsShouldProcess = true, DefaultParameterSetName = ByPathSet)]
public sealed class RemoveJailSimulatedHostCommand : PSCmdlet
{
    private const string ByPathSet = "ByPath";
    private const string ByObjectSet = "ByObject";

    /// <summary>The host's directory; default: the selected host (JAILPS_SIMULATED_HOST).</summary>
    [Parameter(Position = 0, ParameterSetName = ByPathSet)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByObjectSet)]
    public SimulatedHostInfo? InputObject { get; set; }

    protected override void ProcessRecord()
    {
        string? target = InputObject?.Path ?? Path;
        try
        {
            if (InputObject is null && Path != null)
                target = JailCmdletBase.LocalPath(this, Path);
            var host = InputObject != null || target != null ? SimulatedHostLab.Open(target!) : SimulatedHostLab.Current();
            if (host is null)
            {
                WriteError(JailCmdletBase.ToErrorRecord(new JailOperationException("JailSimulatedHostNotSelected", null,
                    $"No simulated host is selected ({JailHost.SimulationVariable} is not set) and no -Path was given.",
                    "Name the host's directory, or pipe the object New-JailSimulatedHost returned."), null));
                return;
            }
            if (ShouldProcess(host.Path, "Delete the simulated host and everything in its directory"))
                SimulatedHostLab.Remove(host);
        }
        catch (Exception ex) when (ex is JailOperationException or IOException or UnauthorizedAccessException)
        {
            WriteError(JailCmdletBase.ToErrorRecord(ex, target));
        }
    }
}
