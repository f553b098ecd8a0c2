using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Network;

namespace JailPS.Commands;

/// <summary>
/// Get-JailPortForward: every jail's port forwards (its definition's $jailps_rdr) as
/// JailPS.JailPortForward objects, with the pf rule and whether it is active. pf is asked once per
/// command (pfctl -si, -sn, -sr), and only when a running jail has its anchor loaded.
/// </summary>
[Cmdlet(VerbsCommon.Get, "JailPortForward", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(JailPortForward))]
public sealed class GetJailPortForwardCommand : JailReportCmdletBase
{
    /// <summary>Only forwards in these states (Active, Inactive, Configured, NotLoaded).</summary>
    [Parameter]
    public JailPortForwardState[]? State { get; set; }

    private readonly List<Jail> _jails = new();

    // Collected, so pf is asked once however many jails there are.
    protected override void Report(Jail jail) => _jails.Add(jail);

    protected override void EndProcessing()
    {
        try
        {
            foreach (var f in new JailPortForwardService(Service, this).ForwardsOf(_jails, (j, ex) => WriteError(ErrorRecordFor(ex, j))))
                if (State is null || Array.IndexOf(State, f.StateKind) >= 0)
                    WriteObject(f);
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, null));
        }
        base.EndProcessing();
    }
}
