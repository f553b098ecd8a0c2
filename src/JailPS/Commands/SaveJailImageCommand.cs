using System.Linq;
using System.Management.Automation;
using JailPS.Core.Images;

namespace JailPS.Commands;

/// <summary>
/// Save-JailImage: brings an OCI image into JailPS's image cache (/var/db/jailps/images): pulled
/// from a registry (the index's freebsd/ARCH manifest, its configuration and layers, each verified
/// against its sha256 digest, resumed after a broken transfer, with progress), or imported from an
/// OCI image layout or the release mirror's container-image-*.txz. Every layer is checked as it will
/// be applied before the image counts as saved. Writes the cached image (JailPS.JailImage).
/// </summary>
[Cmdlet(VerbsData.Save, "JailImage", DefaultParameterSetName = PullSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(JailImage))]
public sealed class SaveJailImageCommand : JailCmdletBase
{
    private const string PullSet = "Pull";
    private const string PathSet = "Path";

    /// <summary>The image to pull: docker.io/freebsd/freebsd-runtime:15.0, ghcr.io/freebsd/freebsd-runtime:14.3, NAME@sha256:DIGEST.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PullSet)]
    [ValidateNotNullOrEmpty]
    public string Reference { get; set; } = "";

    /// <summary>An OCI image layout directory, or the mirror's FreeBSD-RELEASE-ARCH-container-image-NAME.txz (CHECKSUM.SHA256 beside it is checked), as a local path or its http(s) URL on a mirror.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [Alias("FullName")]
    public string? Path { get; set; }

    /// <summary>With -Path: the reference to save it as (default: localhost/ and the layout's own name, as podman load names it).</summary>
    [Parameter(ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>The platform to take from an image index: amd64 (default) or aarch64 (arm64).</summary>
    [Parameter]
    [ValidateSet("amd64", "aarch64", "arm64")]
    public string Architecture { get; set; } = "amd64";

    /// <summary>A registry login (for ghcr.io, a token as the password); sent only to the registry's token service.</summary>
    [Parameter(ParameterSetName = PullSet)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Use the login podman or docker saved: this file, or without a value the first of ${XDG_RUNTIME_DIR}/containers/auth.json, ~/.config/containers/auth.json, ~/.docker/config.json.</summary>
    [Parameter(ParameterSetName = PullSet)]
    [AllowEmptyString]
    public string? AuthFile { get; set; }

    /// <summary>Fetch and check again, even when the cache has the image.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessJailRecord()
    {
        ForItem(Path ?? Reference, () =>
        {
            var service = new JailImageService(JailHost, this, cancel: Cancellation);
            RegistryCredential? credential = null;
            if (Credential is not null)
                credential = new RegistryCredential(Credential.UserName, Credential.GetNetworkCredential().Password);
            else if (AuthFile is not null)
                credential = FromAuthFile(OciReference.Parse(Reference));
            var plan = service.PlanSave(new SaveImageRequest
            {
                Reference = Path is null ? Reference : null,
                Path = Path is null ? null : JailPS.Core.Provisioning.ReleaseFetcher.IsUrl(Path) ? Path : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path),
                Name = Name, Architecture = Architecture, Credential = credential, Force = Force,
            });
            if (plan.Steps.Count == 0)
                WriteVerbose($"{plan.JailName}: in the image cache and checked; nothing to fetch (-Force fetches again)");
            else if (!RunPlan(plan, "Save"))
                return;
            var records = service.Records();
            // The record this save wrote: the newest one (an import's reference is only known once read).
            var saved = records.OrderByDescending(r => r.SavedAt).FirstOrDefault(r => Path is not null || r.Reference == OciReference.Parse(Reference).Canonical);
            if (saved is not null)
                WriteObject(service.List(Service.Definitions).FirstOrDefault(i => i.Reference == saved.Reference));
        });
    }

    private RegistryCredential? FromAuthFile(OciReference reference)
    {
        string home = System.Environment.GetEnvironmentVariable("HOME") ?? "";
        string? runtime = System.Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        var candidates = AuthFile is { Length: > 0 } given
            ? new[] { SessionState.Path.GetUnresolvedProviderPathFromPSPath(given) }
            : new[] { runtime is null ? null : runtime + "/containers/auth.json", home + "/.config/containers/auth.json", home + "/.docker/config.json" }.OfType<string>().ToArray();
        foreach (string file in candidates)
        {
            if (!System.IO.File.Exists(file)) continue;
            var c = OciRegistryClient.FromAuthFile(System.IO.File.ReadAllText(file), reference, file);
            if (c is not null)
            {
                WriteVerbose($"{reference}: using the login for {reference.Registry} from {file}");
                return c;
            }
        }
        throw new JailPS.Core.Lifecycle.JailOperationException("JailImageAuthFileInvalid", reference.Canonical,
            $"{reference.Canonical}: no login for {reference.Registry} in {string.Join(", ", candidates)}; nothing was saved.",
            $"Log in with podman login {reference.Registry} (or docker login), or give -Credential.") { TargetObject = reference.Canonical };
    }
}
