using System;
using System.Text.RegularExpressions;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Images;

/// <summary>
/// An image reference as podman and docker read one: [REGISTRY/]REPOSITORY[:TAG][@sha256:HEX].
/// A first component without a dot, a colon or "localhost" is not a registry, so
/// freebsd/freebsd-runtime:15.0 is docker.io's, and a one-component name there gets library/.
/// A reference without a tag or digest means :latest. Canonical: registry/repository:tag[@digest].
/// </summary>
public sealed record OciReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";
    /// <summary>Docker Hub's API host: docker.io names it, registry-1.docker.io serves it.</summary>
    public const string DockerHubApi = "registry-1.docker.io";

    // The distribution spec's grammar for a repository's path components, a tag and a digest.
    private static readonly Regex s_component = new("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$", RegexOptions.CultureInvariant);
    private static readonly Regex s_tag = new("^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant);
    private static readonly Regex s_digest = new("^sha256:[a-f0-9]{64}$", RegexOptions.CultureInvariant);
    private static readonly Regex s_registry = new(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]{1,5})?$", RegexOptions.CultureInvariant);

    public static bool IsDigest(string text) => s_digest.IsMatch(text);

    public static OciReference Parse(string text)
    {
        string s = text.Trim();
        string? digest = null, tag = null;
        int at = s.IndexOf('@');
        if (at >= 0)
        {
            digest = s[(at + 1)..];
            s = s[..at];
            if (!IsDigest(digest)) throw Invalid(text, $"\"{digest}\" is not a sha256 digest (sha256: and 64 lower-case hex digits)");
        }
        string registry = DockerHub;
        int slash = s.IndexOf('/');
        if (slash > 0)
        {
            string first = s[..slash];
            if (first.Contains('.') || first.Contains(':') || first == "localhost")
            {
                registry = first;
                s = s[(slash + 1)..];
            }
        }
        if (!s_registry.IsMatch(registry)) throw Invalid(text, $"\"{registry}\" is not a registry host name");
        int colon = s.LastIndexOf(':');
        if (colon >= 0)
        {
            tag = s[(colon + 1)..];
            s = s[..colon];
            if (!s_tag.IsMatch(tag)) throw Invalid(text, $"\"{tag}\" is not a tag (letters, digits, _ . -, at most 128)");
        }
        if (s.Length == 0) throw Invalid(text, "it names no repository");
        foreach (string c in s.Split('/'))
            if (!s_component.IsMatch(c)) throw Invalid(text, $"\"{c}\" is not a repository name component (lower-case letters and digits, joined by . _ or -)");
        if (registry == DockerHub && !s.Contains('/')) s = "library/" + s;
        if (tag is null && digest is null) tag = "latest";
        return new OciReference(registry, s, tag, digest);
    }

    /// <summary>The host the API is asked: docker.io's is registry-1.docker.io.</summary>
    public string ApiHost => Registry == DockerHub ? DockerHubApi : Registry;

    /// <summary>registry/repository:tag, and @digest when pinned.</summary>
    public string Canonical => $"{Registry}/{Repository}" + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>What the manifest is asked by: the digest when pinned, else the tag.</summary>
    public string ManifestKey => Digest ?? Tag!;

    public override string ToString() => Canonical;

    private static JailOperationException Invalid(string text, string why)
        => new("JailImageReferenceInvalid", text, $"\"{text}\" is not an image reference: {why}; nothing was done.",
            "Give a reference such as docker.io/freebsd/freebsd-runtime:15.0, ghcr.io/OWNER/NAME:TAG or NAME@sha256:DIGEST.") { TargetObject = text };
}
