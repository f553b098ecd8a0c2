using System.Management.Automation;
using JailPS.Core.Provisioning;

namespace JailPS.Commands;

/// <summary>
/// Update-Jail: freebsd-update fetch and install on a thick jail's own root (-b ROOT), with
/// --currently-running set to the release the root's userland says it is, never the host's;
/// then seed 003's database rebuilds inside it when it runs. Thin jails are refused: their base
/// is the release's basejail, which Update-JailRelease updates.
/// </summary>
[Cmdlet(VerbsData.Update, "Jail", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class UpdateJailCommand : JailTargetCmdletBase
{
    /// <summary>A major upgrade of a thin jail (seed 003): the basejail of this release (made from the cache when missing) mounted in place of the old one; the jail is stopped and started again when it runs.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Release { get; set; }

    /// <summary>The new release's MACHINE_ARCH, with -Release: by default the jail's own (its $jailps_release), else amd64.</summary>
    [Parameter]
    [ValidateSet("amd64", "aarch64", "arm64", "i386")]
    public string? Architecture { get; set; }

    protected override void ProcessJailRecord()
    {
        var updater = new JailReleaseUpdater(Service, this);
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () => RunPlan(Release is null
                ? updater.PlanUpdateJail(Current(target))
                : updater.PlanUpgradeThin(Current(target), Release, Architecture), Release is null ? "Update" : "Upgrade"));
    }
}
