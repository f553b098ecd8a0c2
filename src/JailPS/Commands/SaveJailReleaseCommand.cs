using System.Linq;
using System.Management.Automation;
using JailPS.Core.Provisioning;

namespace JailPS.Commands;

/// <summary>
/// Save-JailRelease: brings a FreeBSD release into JailPS's cache (/var/db/jailps/releases): its
/// MANIFEST and dist files from a mirror in FreeBSD's layout or a local directory, with progress,
/// resumed after a broken transfer, each file verified against MANIFEST's SHA-256 before it counts.
/// Writes the cached release (JailPS.JailRelease).
/// </summary>
[Cmdlet(VerbsData.Save, "JailRelease", DefaultParameterSetName = MirrorSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(JailRelease))]
public sealed class SaveJailReleaseCommand : JailCmdletBase
{
    private const string MirrorSet = "Mirror";
    private const string PathSet = "Path";

    /// <summary>The release, as uname -r names it: 14.3-RELEASE, 15.0-BETA2.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [Alias("Name")]
    public string Release { get; set; } = "";

    /// <summary>MACHINE_ARCH of the release: amd64 (the default), aarch64 (arm64), i386.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("amd64", "aarch64", "arm64", "i386")]
    public string Architecture { get; set; } = "amd64";

    /// <summary>The dist files: base (all a jail needs), lib32 for 32-bit programs.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Distribution { get; set; } = { "base" };

    /// <summary>A mirror URL above releases/ (default https://download.freebsd.org/ftp).</summary>
    [Parameter(ParameterSetName = MirrorSet)]
    [ValidateNotNullOrEmpty]
    public string? Mirror { get; set; }

    /// <summary>A local directory holding MANIFEST and the dist files (install media, an offline copy), or the URL of one.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Where the release comes from: Dist (MANIFEST and .txz files, the default) or PkgBase (FreeBSD 15's packaged base: the FreeBSD-set-minimal-jail set installed with pkg, verified by its signatures).</summary>
    [Parameter(ParameterSetName = MirrorSet)]
    [ValidateSet("Dist", "PkgBase")]
    public string Source { get; set; } = "Dist";

    /// <summary>Fetch and verify again, even when the cache has the release verified.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessJailRecord()
    {
        ForItem(Release, () =>
        {
            var service = new JailReleaseService(JailHost, this, cancel: Cancellation);
            string? source = Path is null || ReleaseSourceIsUrl(Path) ? Path : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            var plan = service.PlanSave(new SaveReleaseRequest
            {
                Release = Release, Architecture = Architecture, Distributions = Distribution, Mirror = Mirror, SourcePath = source, Force = Force,
                PkgBase = string.Equals(Source, "PkgBase", System.StringComparison.OrdinalIgnoreCase),
            });
            string name = JailReleaseService.CheckRelease(Release);
            if (plan.Steps.Count == 0)
                WriteVerbose($"{name}: in the cache and verified; nothing to fetch (-Force fetches again)");
            else if (!RunPlan(plan, "Save"))
                return;
            string dir = JailReleaseService.CachePath(name, Architecture);
            WriteObject(service.List(Service.Definitions).FirstOrDefault(r => r.Path == dir));
        });
    }

    private static bool ReleaseSourceIsUrl(string path) => ReleaseFetcher.IsUrl(path);
}
