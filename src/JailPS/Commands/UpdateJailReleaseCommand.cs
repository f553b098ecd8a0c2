using System.Management.Automation;
using JailPS.Core.Provisioning;

namespace JailPS.Commands;

/// <summary>
/// Update-JailRelease: freebsd-update on the basejail of a release, which every thin jail of it
/// mounts (seed 003), with --currently-running so the host's release is never taken for it; then
/// the database rebuilds in each running thin jail.
/// </summary>
[Cmdlet(VerbsData.Update, "JailRelease", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class UpdateJailReleaseCommand : JailCmdletBase
{
    /// <summary>The release whose basejail is updated: 14.3-RELEASE.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [Alias("Name")]
    public string Release { get; set; } = "";

    /// <summary>The release's MACHINE_ARCH: amd64 (the default), aarch64 (arm64), i386.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("amd64", "aarch64", "arm64", "i386")]
    public string Architecture { get; set; } = "amd64";

    protected override void ProcessJailRecord()
        => ForItem(Release, () => RunPlan(new JailReleaseUpdater(Service, this).PlanUpdate(Release, Architecture), "Update"));
}
