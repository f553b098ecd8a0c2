using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using JailPS.Core.Host;

namespace JailPS.Commands;

/// <summary>
/// New-JailSimulatedHost: a fresh simulated host for a Pester test or a rehearsal, selected at once
/// (JAILPS_SIMULATED_HOST). Without -Path it lives under TestDrive: when Pester provides one, so
/// Pester deletes it with the test drive; elsewhere in a new temporary directory.
/// </summary>
[Cmdlet(VerbsCommon.New, "JailSimulatedHost", SupportsShouldProcess = true)]
[OutputType(typeof(SimulatedHostInfo))]
public sealed class NewJailSimulatedHostCommand : PSCmdlet
{
    /// <summary>An absolute directory that does not exist yet or is empty.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Rules for responses.json, as hashtables with Command, Jail, Purpose, ExitCode, StandardOutput, ...</summary>
    [Parameter]
    public SimulatedResponse[]? Response { get; set; }

    /// <summary>The FreeBSD release the simulated kernel imitates: 14.3 (default) or 15.0 (adds the meta and env jail parameters).</summary>
    [Parameter]
    [ValidateSet("14.3", "15.0")]
    public string? Release { get; set; }

    /// <summary>Datasets the simulated pool starts with, as DATASET=MOUNTPOINT (zroot/jails=/usr/jails): jails made below such a directory get a dataset each.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? ZfsDataset { get; set; }

    /// <summary>Create the host without making it the one JailPS commands act on.</summary>
    [Parameter]
    public SwitchParameter NoSelect { get; set; }

    protected override void EndProcessing()
    {
        string directory;
        try
        {
            directory = Path != null ? JailCmdletBase.LocalPath(this, Path) : DefaultDirectory();
        }
        catch (Core.Lifecycle.JailOperationException ex)
        {
            ThrowTerminatingError(JailCmdletBase.ToErrorRecord(ex, Path));
            return;
        }
        if (!ShouldProcess(directory, "Create a simulated host" + (NoSelect ? "" : " and select it (JAILPS_SIMULATED_HOST)")))
            return;
        try
        {
            WriteObject(SimulatedHostLab.Create(directory, Response, select: !NoSelect, Release, ZfsDataset));
        }
        catch (Exception ex) when (ex is Core.Lifecycle.JailOperationException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(JailCmdletBase.ToErrorRecord(ex, directory));
        }
    }

    private string DefaultDirectory()
    {
        string name = "jailps-host-" + Guid.NewGuid().ToString("N").Substring(0, 8);
        // Pester's TestDrive: is deleted with its block, so a host made there cannot outlive the test.
        var testDrive = SessionState.Drive.GetAtScope("TestDrive", "global");
        return System.IO.Path.Combine(testDrive?.Root ?? System.IO.Path.GetTempPath(), name);
    }
}
