using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Test-Jail: drift, every running jail (or those named) against what its definition says it should
/// be: kernel parameters, mounts, addresses, the limits /etc/rctl.conf keeps for it and its CPU set.
/// One $true when none differs, else $false; with -Detailed, one JailPS.JailDrift per difference.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "Jail", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(bool), typeof(JailDrift))]
public sealed class TestJailCommand : JailReportCmdletBase
{
    /// <summary>Write each difference as a JailPS.JailDrift object instead of one $true or $false.</summary>
    [Parameter]
    public SwitchParameter Detailed { get; set; }

    private JailDriftService? _drift;
    private bool _inSync = true;

    protected override void ReadHostTables() => _drift = new JailDriftService(Service, this);

    protected override void Report(Jail jail)
    {
        System.Collections.Generic.IReadOnlyList<JailDrift> differences;
        try { differences = _drift!.Differences(jail); }
        catch (System.Exception ex) when (IsEngineError(ex))
        {
            _inSync = false;   // a jail that cannot be compared is not known to be in sync
            throw;
        }
        foreach (var d in differences)
        {
            _inSync = false;
            if (Detailed) WriteObject(d);
            else WriteVerbose(d.ToString());
        }
    }

    /// <summary>A jail piped from another host was not compared, so it is not known to be in sync.</summary>
    protected override void PipelineItemRefused() => _inSync = false;

    protected override void EndProcessing()
    {
        if (!Detailed) WriteObject(_inSync);
    }
}
