using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Images;

/// <summary>
/// The media types JailPS accepts (OCI image-spec v1 and their Docker v2 schema 2 twins), and no
/// others: an unknown type is refused, never guessed at.
/// </summary>
public static class OciMediaTypes
{
    public const string Index = "application/vnd.oci.image.index.v1+json";
    public const string Manifest = "application/vnd.oci.image.manifest.v1+json";
    public const string Config = "application/vnd.oci.image.config.v1+json";
    public const string Layer = "application/vnd.oci.image.layer.v1.tar";
    public const string LayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string LayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /// <summary>What a manifest request accepts, in the order JailPS prefers.</summary>
    public static readonly string[] ManifestAccept = { Index, Manifest, DockerList, DockerManifest };

    public static bool IsIndex(string? t) => t is Index or DockerList;
    public static bool IsManifest(string? t) => t is Manifest or DockerManifest;
    public static bool IsConfig(string? t) => t is Config or DockerConfig;

    /// <summary>The compression a layer's media type says, or null when JailPS does not take that layer type.</summary>
    public static LayerCompression? CompressionOf(string? t) => t switch
    {
        Layer => LayerCompression.None,
        LayerGzip or DockerLayer => LayerCompression.Gzip,
        LayerZstd => LayerCompression.Zstd,
        _ => null,
    };
}

public enum LayerCompression { None, Gzip, Zstd }

/// <summary>A content descriptor: what a blob is, how big, and its digest.</summary>
public sealed class OciDescriptor
{
    [JsonPropertyName("mediaType")] public string? MediaType { get; set; }
    [JsonPropertyName("digest")] public string? Digest { get; set; }
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("platform")] public OciPlatform? Platform { get; set; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
    [JsonPropertyName("urls")] public List<string>? Urls { get; set; }
}

public sealed class OciPlatform
{
    [JsonPropertyName("os")] public string? Os { get; set; }
    [JsonPropertyName("architecture")] public string? Architecture { get; set; }
    [JsonPropertyName("variant")] public string? Variant { get; set; }
}

/// <summary>An image index (or Docker manifest list), or an image manifest: one shape read strictly.</summary>
public sealed class OciManifestDocument
{
    [JsonPropertyName("schemaVersion")] public int SchemaVersion { get; set; }
    [JsonPropertyName("mediaType")] public string? MediaType { get; set; }
    [JsonPropertyName("manifests")] public List<OciDescriptor>? Manifests { get; set; }
    [JsonPropertyName("config")] public OciDescriptor? Config { get; set; }
    [JsonPropertyName("layers")] public List<OciDescriptor>? Layers { get; set; }
    [JsonPropertyName("annotations")] public Dictionary<string, string>? Annotations { get; set; }
}

/// <summary>The image configuration: platform, the rootfs's diff_ids, and what a container runs.</summary>
public sealed class OciImageConfig
{
    [JsonPropertyName("os")] public string? Os { get; set; }
    [JsonPropertyName("architecture")] public string? Architecture { get; set; }
    [JsonPropertyName("config")] public OciRunConfig? Config { get; set; }
    [JsonPropertyName("rootfs")] public OciRootFs? RootFs { get; set; }
}

public sealed class OciRunConfig
{
    [JsonPropertyName("User")] public string? User { get; set; }
    [JsonPropertyName("Env")] public List<string>? Env { get; set; }
    [JsonPropertyName("Entrypoint")] public List<string>? Entrypoint { get; set; }
    [JsonPropertyName("Cmd")] public List<string>? Cmd { get; set; }
    [JsonPropertyName("WorkingDir")] public string? WorkingDir { get; set; }
    [JsonPropertyName("Labels")] public Dictionary<string, string>? Labels { get; set; }
}

public sealed class OciRootFs
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("diff_ids")] public List<string>? DiffIds { get; set; }
}

/// <summary>Reading the JSON documents of an image: sizes capped, shapes and digests checked.</summary>
public static class OciDocuments
{
    /// <summary>The distribution spec's floor for what a registry takes as a manifest; JailPS reads no larger one.</summary>
    public const int MaxManifestBytes = 4 << 20;
    public const int MaxConfigBytes = 8 << 20;

    // The mirror's configurations say "cmd" where the spec says "Cmd"; Go's decoder, podman's, takes both.
    private static readonly JsonSerializerOptions s_caseInsensitive = new() { PropertyNameCaseInsensitive = true };

    public static string Sha256(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();

    public static OciManifestDocument ParseManifest(byte[] bytes, string what, string? mediaTypeHeader)
    {
        if (bytes.Length > MaxManifestBytes)
            throw Invalid(what, $"it is {bytes.Length} bytes, more than the {MaxManifestBytes} a manifest may be");
        OciManifestDocument doc;
        try { doc = JsonSerializer.Deserialize<OciManifestDocument>(bytes) ?? throw Invalid(what, "it is JSON null"); }
        catch (JsonException ex) { throw Invalid(what, "it is not JSON: " + ex.Message); }
        if (doc.SchemaVersion != 2) throw Invalid(what, $"schemaVersion is {doc.SchemaVersion}, not 2");
        // The document's own mediaType wins; a registry's Content-Type stands in when it has none (OCI makes it optional).
        doc.MediaType ??= mediaTypeHeader?.Split(';')[0].Trim() ?? (doc.Manifests is not null ? OciMediaTypes.Index : doc.Layers is not null ? OciMediaTypes.Manifest : null);
        if (OciMediaTypes.IsIndex(doc.MediaType))
        {
            if (doc.Manifests is null) throw Invalid(what, "an index without manifests");
            foreach (var m in doc.Manifests) CheckDescriptor(m, what);
        }
        else if (OciMediaTypes.IsManifest(doc.MediaType))
        {
            if (doc.Config is null || doc.Layers is null) throw Invalid(what, "a manifest without config or layers");
            CheckDescriptor(doc.Config, what);
            if (!OciMediaTypes.IsConfig(doc.Config.MediaType))
                throw Invalid(what, $"its config is {doc.Config.MediaType}, not an image configuration (an artifact, not an image)");
            foreach (var l in doc.Layers)
            {
                CheckDescriptor(l, what);
                if (l.Size > OciLayerScanner.MaxLayerBytes)
                    throw new JailOperationException("JailImageLayerTooLarge", what,
                        $"{what}: layer {l.Digest} is {l.Size} bytes, more than the {OciLayerScanner.MaxLayerBytes >> 30} GiB JailPS fetches; nothing was saved.",
                        "Use a smaller image.") { TargetObject = l.Digest };
                if (OciMediaTypes.CompressionOf(l.MediaType) is null)
                    throw new JailOperationException("JailImageLayerTypeUnsupported", what,
                        $"{what}: layer {l.Digest} is {l.MediaType}, which JailPS does not apply (it takes tar layers, plain, gzip or zstd); nothing was saved.",
                        "Use an image whose layers are application/vnd.oci.image.layer.v1.tar[+gzip|+zstd].") { TargetObject = l.Digest };
            }
        }
        else throw Invalid(what, $"its media type {doc.MediaType ?? "(none)"} is neither an image index nor an image manifest");
        return doc;
    }

    public static OciImageConfig ParseConfig(byte[] bytes, string what)
    {
        if (bytes.Length > MaxConfigBytes)
            throw Invalid(what, $"its configuration is {bytes.Length} bytes, more than {MaxConfigBytes}");
        OciImageConfig config;
        try { config = JsonSerializer.Deserialize<OciImageConfig>(bytes, s_caseInsensitive) ?? throw Invalid(what, "its configuration is JSON null"); }
        catch (JsonException ex) { throw Invalid(what, "its configuration is not JSON: " + ex.Message); }
        if (config.RootFs?.Type != "layers" || config.RootFs.DiffIds is null)
            throw Invalid(what, "its configuration has no rootfs of type layers");
        foreach (string d in config.RootFs.DiffIds)
            if (!OciReference.IsDigest(d)) throw Invalid(what, $"its rootfs lists \"{d}\", not a sha256 digest");
        return config;
    }

    private static void CheckDescriptor(OciDescriptor d, string what)
    {
        if (d.Digest is null || !OciReference.IsDigest(d.Digest))
            throw Invalid(what, $"a descriptor's digest \"{d.Digest}\" is not sha256: and 64 hex digits (JailPS verifies only sha256)");
        if (d.Size < 0) throw Invalid(what, $"descriptor {d.Digest} has a negative size");
    }

    public static JailOperationException Invalid(string what, string why)
        => new("JailImageManifestInvalid", what, $"{what}: {why}; nothing was saved.",
            "Check the reference; the registry or layout serves something that is not an OCI image.") { TargetObject = what };
}
