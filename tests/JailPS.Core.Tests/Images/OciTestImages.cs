using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using JailPS.Core.Images;
using JailPS.Core.Tests.Provisioning;

namespace JailPS.Core.Tests.Images;

/// <summary>One tar entry of a test layer.</summary>
public sealed record LayerEntry(string Name, TarEntryType Type = TarEntryType.RegularFile, string Data = "", string Link = "", int Mode = 0b110_100_100)
{
    public static LayerEntry Dir(string name) => new(name, TarEntryType.Directory, Mode: 0b111_101_101);
    public static LayerEntry Regular(string name, string data = "") => new(name, TarEntryType.RegularFile, data);
    public static LayerEntry Symlink(string name, string target) => new(name, TarEntryType.SymbolicLink, Link: target);
    public static LayerEntry HardLink(string name, string target) => new(name, TarEntryType.HardLink, Link: target);
}

/// <summary>A built layer: the blob, its media type, and the diff_id of its tar.</summary>
public sealed record TestLayer(byte[] Blob, string MediaType, string DiffId)
{
    public string Digest => OciDocuments.Sha256(Blob);
}

/// <summary>A built image: its manifest, configuration and layers, as bytes with their digests.</summary>
public sealed record TestImage(byte[] Manifest, byte[] Config, IReadOnlyList<TestLayer> Layers)
{
    public string ManifestDigest => OciDocuments.Sha256(Manifest);
    public string ConfigDigest => OciDocuments.Sha256(Config);
}

/// <summary>OCI images built in the tests (System.Formats.Tar, gzip, zstd), as layouts on disk or served by <see cref="TestRegistry"/>.</summary>
public static class OciTestImages
{
    private static readonly DateTimeOffset s_mtime = new(2025, 12, 1, 0, 0, 0, TimeSpan.Zero);

    public static byte[] Tar(IEnumerable<LayerEntry> entries, Action<TarWriter>? extra = null)
    {
        using var ms = new MemoryStream();
        using (var w = new TarWriter(ms, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var e in entries)
            {
                var entry = new PaxTarEntry(e.Type, e.Name) { Mode = (UnixFileMode)e.Mode, ModificationTime = s_mtime, Uid = 0, Gid = 0 };
                if (e.Type is TarEntryType.SymbolicLink or TarEntryType.HardLink) entry.LinkName = e.Link;
                if (e.Type == TarEntryType.RegularFile) entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(e.Data));
                w.WriteEntry(entry);
            }
            extra?.Invoke(w);
        }
        return ms.ToArray();
    }

    public static TestLayer Layer(LayerCompression compression, IEnumerable<LayerEntry> entries, Action<TarWriter>? extra = null)
        => LayerOf(Tar(entries, extra), compression);

    public static TestLayer LayerOf(byte[] tar, LayerCompression compression)
    {
        byte[] blob;
        using (var ms = new MemoryStream())
        {
            if (compression == LayerCompression.Gzip)
                using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(tar);
            else if (compression == LayerCompression.Zstd)
                using (var z = new SharpCompress.Compressors.ZStandard.CompressionStream(ms, leaveOpen: true)) z.Write(tar);
            else ms.Write(tar);
            blob = ms.ToArray();
        }
        string type = compression switch { LayerCompression.Gzip => OciMediaTypes.LayerGzip, LayerCompression.Zstd => OciMediaTypes.LayerZstd, _ => OciMediaTypes.Layer };
        return new TestLayer(blob, type, OciDocuments.Sha256(tar));
    }

    public static TestImage Image(IReadOnlyList<TestLayer> layers, object? runConfig = null, string os = "freebsd", string arch = "amd64")
    {
        byte[] config = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object?>
        {
            ["created"] = "2025-12-01T00:00:00Z", ["architecture"] = arch, ["os"] = os,
            ["config"] = runConfig ?? new Dictionary<string, object>(),
            ["rootfs"] = new { type = "layers", diff_ids = layers.Select(l => l.DiffId).ToArray() },
        });
        byte[] manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2, mediaType = OciMediaTypes.Manifest,
            config = new { mediaType = OciMediaTypes.Config, digest = OciDocuments.Sha256(config), size = config.Length },
            layers = layers.Select(l => new { mediaType = l.MediaType, digest = l.Digest, size = l.Blob.Length }).ToArray(),
        });
        return new TestImage(manifest, config, layers);
    }

    /// <summary>An image index over platform manifests (os/arch of each).</summary>
    public static byte[] Index(params (TestImage Image, string Os, string Arch)[] entries)
        => JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2, mediaType = OciMediaTypes.Index,
            manifests = entries.Select(e => new { mediaType = OciMediaTypes.Manifest, digest = e.Image.ManifestDigest, size = e.Image.Manifest.Length, platform = new { os = e.Os, architecture = e.Arch } }).ToArray(),
        });

    /// <summary>An OCI image layout directory (oci-layout, index.json with a ref.name, blobs/sha256/).</summary>
    public static string WriteLayout(string dir, TestImage image, string refName = "test:1.0")
    {
        Directory.CreateDirectory(Path.Combine(dir, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(dir, "oci-layout"), "{\"imageLayoutVersion\": \"1.0.0\"}");
        File.WriteAllBytes(Path.Combine(dir, "index.json"), JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            manifests = new[] { new { mediaType = OciMediaTypes.Manifest, digest = image.ManifestDigest, size = image.Manifest.Length, annotations = new Dictionary<string, string> { [JailImageService.RefNameAnnotation] = refName } } },
        }));
        foreach (byte[] blob in image.Layers.Select(l => l.Blob).Append(image.Config).Append(image.Manifest))
            File.WriteAllBytes(Path.Combine(dir, "blobs", "sha256", OciDocuments.Sha256(blob)[7..]), blob);
        return dir;
    }
}

/// <summary>
/// A registry for tests on 127.0.0.1 (a <see cref="ReleaseServer"/> with routes): /v2/ answers 401
/// with a Bearer challenge until the token from /token is sent; manifests by tag and digest with
/// their media type and Docker-Content-Digest; blobs served, or redirected (307) to /store/, a blob
/// store that must never see the registry's Authorization header.
/// </summary>
public sealed class TestRegistry : IDisposable
{
    public const string Token = "test-token-7f3a";
    private readonly ReleaseServer _server = new();

    public TestRegistry()
    {
        _server.Route = Answer;
        Host = new Uri(_server.Url).Authority;
    }

    /// <summary>127.0.0.1:PORT, the registry part of a reference.</summary>
    public string Host { get; }
    public ReleaseServer Server => _server;
    public bool RedirectBlobs { get; set; } = true;
    /// <summary>When set, the token service asks for this Basic login (user:password).</summary>
    public string? RequiredLogin { get; set; }
    public List<string> TokenRequests { get; } = new();
    /// <summary>The Authorization header each /store/ request arrived with (null: none, as it must be).</summary>
    public List<string?> StoreAuthorizations { get; } = new();

    public void Push(string repository, string tag, TestImage image, byte[]? index = null)
    {
        foreach (var layer in image.Layers) PutBlob(repository, layer.Blob);
        PutBlob(repository, image.Config);
        PutManifest(repository, image.ManifestDigest, image.Manifest, OciMediaTypes.Manifest);
        if (index is not null)
        {
            PutManifest(repository, OciDocuments.Sha256(index), index, OciMediaTypes.Index);
            PutManifest(repository, tag, index, OciMediaTypes.Index);
        }
        else PutManifest(repository, tag, image.Manifest, OciMediaTypes.Manifest);
    }

    public void PutBlob(string repository, byte[] blob)
    {
        string digest = OciDocuments.Sha256(blob);
        _server.Put($"/v2/{repository}/blobs/{digest}", blob);
        _server.Put($"/store/{digest}", blob);
    }

    public void PutManifest(string repository, string key, byte[] body, string type)
    {
        string path = $"/v2/{repository}/manifests/{key}";
        _server.Put(path, body);
        _server.Headers[path] = new Dictionary<string, string> { ["Content-Type"] = type, ["Docker-Content-Digest"] = OciDocuments.Sha256(body) };
    }

    private bool Answer(HttpListenerContext ctx)
    {
        string path = ctx.Request.Url!.AbsolutePath;
        string? auth = ctx.Request.Headers["Authorization"];
        if (path == "/token")
        {
            lock (TokenRequests) TokenRequests.Add(ctx.Request.Url.Query + (auth is null ? "" : " " + auth));
            if (RequiredLogin is not null && auth != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(RequiredLogin)))
            {
                ctx.Response.StatusCode = 401;
                ctx.Response.Close();
                return true;
            }
            Send(ctx, 200, Encoding.UTF8.GetBytes($"{{\"token\":\"{Token}\",\"expires_in\":300}}"), "application/json");
            return true;
        }
        if (path.StartsWith("/store/", StringComparison.Ordinal))
        {
            lock (StoreAuthorizations) StoreAuthorizations.Add(auth);
            return false;   // served as a file, Range and cuts included
        }
        if (!path.StartsWith("/v2/", StringComparison.Ordinal)) return false;
        if (auth != "Bearer " + Token)
        {
            string repo = path.Length > 4 && path.Contains("/manifests/") ? path[4..path.IndexOf("/manifests/", StringComparison.Ordinal)]
                : path.Contains("/blobs/") ? path[4..path.IndexOf("/blobs/", StringComparison.Ordinal)] : "";
            ctx.Response.AddHeader("WWW-Authenticate", $"Bearer realm=\"{_server.Url}token\",service=\"test-registry\"" + (repo.Length > 0 ? $",scope=\"repository:{repo}:pull\"" : ""));
            ctx.Response.StatusCode = 401;
            ctx.Response.Close();
            return true;
        }
        if (path == "/v2/")
        {
            Send(ctx, 200, Encoding.UTF8.GetBytes("{}"), "application/json");
            return true;
        }
        if (RedirectBlobs && path.Contains("/blobs/", StringComparison.Ordinal))
        {
            ctx.Response.StatusCode = 307;
            ctx.Response.RedirectLocation = $"{_server.Url}store/{path[(path.LastIndexOf('/') + 1)..]}";
            ctx.Response.Close();
            return true;
        }
        return false;
    }

    private static void Send(HttpListenerContext ctx, int status, byte[] body, string type)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = type;
        ctx.Response.ContentLength64 = body.Length;
        ctx.Response.OutputStream.Write(body);
        ctx.Response.Close();
    }

    public void Dispose() => _server.Dispose();
}
