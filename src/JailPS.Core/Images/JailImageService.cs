using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Provisioning;

namespace JailPS.Core.Images;

/// <summary>What Save-JailImage is asked for: a reference to pull, or a layout or mirror file to import.</summary>
public sealed class SaveImageRequest
{
    /// <summary>docker.io/freebsd/freebsd-runtime:15.0, ghcr.io/freebsd/freebsd-runtime:14.3, NAME@sha256:...</summary>
    public string? Reference { get; init; }
    /// <summary>An OCI image layout directory, or an archive of one (the mirror's container-image-*.txz), as a local path.</summary>
    public string? Path { get; init; }
    /// <summary>The reference an imported image is saved as (default: its org.opencontainers.image.ref.name under localhost/).</summary>
    public string? Name { get; init; }
    /// <summary>amd64 (default) or aarch64/arm64: the platform chosen from an index.</summary>
    public string Architecture { get; init; } = "amd64";
    public RegistryCredential? Credential { get; init; }
    public bool Force { get; init; }
}

/// <summary>
/// The image cache (/var/db/jailps/images): blobs by digest (blobs/sha256/HEX, each verified
/// before it gets its name, resumed from HEX.part) and one record per reference (refs/*.json),
/// written last, only once every layer passed <see cref="OciLayerScanner"/>: an image in the cache
/// is complete, verified and safe to apply. Pulled from a registry (<see cref="OciRegistryClient"/>)
/// or imported from an OCI layout or the release mirror's container-image-*.txz (CHECKSUM.SHA256 beside it checked).
/// </summary>
public sealed class JailImageService
{
    public const string CacheRoot = "/var/db/jailps/images";
    public const string BlobDir = CacheRoot + "/blobs/sha256";
    public const string RefDir = CacheRoot + "/refs";
    public const string ImageVariable = "jailps_image";
    public const int ProgressActivity = 0x4a50_0020;
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };
    private static readonly Regex s_blobName = new("(?:^|/)blobs/sha256/([a-f0-9]{64})$", RegexOptions.CultureInvariant);

    private readonly JailHost _host;
    private readonly IJailOutput _output;
    private readonly IReleaseFetcher _fetcher;
    private readonly CancellationToken _cancel;

    public JailImageService(JailHost host, IJailOutput output, IReleaseFetcher? fetcher = null, CancellationToken cancel = default)
    {
        _host = host;
        _output = output;
        _fetcher = fetcher ?? new ReleaseFetcher();
        _cancel = cancel;
    }

    /// <summary>refs/NAME.json: a reference's platform manifest, config and layers, and what applying them leaves.</summary>
    public sealed class ImageRecord
    {
        public string Reference { get; set; } = "";
        public string ManifestDigest { get; set; } = "";
        public string ConfigDigest { get; set; } = "";
        public string Os { get; set; } = "";
        public string Architecture { get; set; } = "";
        public List<LayerRecord> Layers { get; set; } = new();
        public OciRunConfig? Config { get; set; }
        public string Source { get; set; } = "";
        public DateTime SavedAt { get; set; }
        public DateTime? Created { get; set; }
        /// <summary>The root has /etc/rc: it boots like a release (exec.start "/bin/sh /etc/rc").</summary>
        public bool Boots { get; set; }
        public bool HasShell { get; set; }
        public bool HasEtc { get; set; }
        public bool HasDev { get; set; }
    }

    public sealed class LayerRecord
    {
        public string Digest { get; set; } = "";
        public string MediaType { get; set; } = "";
        public long Size { get; set; }
        public string DiffId { get; set; } = "";
    }

    public static string BlobPath(string digest) => $"{BlobDir}/{digest["sha256:".Length..]}";

    /// <summary>A reference's record file: '/' as '+' and ':' as '=', neither of which a reference holds, so no two share one.</summary>
    public static string RecordPath(string canonical) => $"{RefDir}/{canonical.Replace('/', '+').Replace(':', '=')}.json";

    public IReadOnlyList<ImageRecord> Records()
    {
        var list = new List<ImageRecord>();
        foreach (string f in _host.Files.Glob(RefDir + "/*.json").OrderBy(f => f, StringComparer.Ordinal))
        {
            string? text = _host.Files.ReadAllText(f);
            if (text is null) continue;
            try
            {
                if (JsonSerializer.Deserialize<ImageRecord>(text) is { } r) list.Add(r);
            }
            catch (JsonException) { _output.Warning($"{f} is not an image record JailPS wrote (not JSON); it is left out."); }
        }
        return list;
    }

    /// <summary>The cached images as JailPS.JailImage objects; with definitions, each with the jails made from it ($jailps_image).</summary>
    public IReadOnlyList<JailImage> List(IEnumerable<Config.JailDefinition>? definitions = null)
    {
        var users = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var d in definitions ?? Array.Empty<Config.JailDefinition>())
            if (d.Variables.TryGetValue(ImageVariable, out string? v))
            {
                if (!users.TryGetValue(v.Trim(), out var l)) users[v.Trim()] = l = new List<string>();
                l.Add(d.Name);
            }
        return Records().Select(r =>
        {
            var jails = users.TryGetValue(VariableValue(r), out var j) ? j.OrderBy(x => x, StringComparer.Ordinal).ToArray() : Array.Empty<string>();
            var command = (r.Config?.Entrypoint ?? new List<string>()).Concat(r.Config?.Cmd ?? new List<string>()).ToArray();
            return new JailImage(r.Reference, r.ManifestDigest, r.Os + "/" + r.Architecture, r.Layers.Sum(l => l.Size), r.Layers.Select(l => l.Digest).ToArray(),
                command, r.Source, r.SavedAt, r.Created, _host.ComputerName, jails, RecordPath(r.Reference), r.Boots);
        }).ToList();
    }

    /// <summary>$jailps_image's value: the reference and the manifest it was pinned to.</summary>
    public static string VariableValue(ImageRecord r) => r.Reference.Split('@')[0] + "@" + r.ManifestDigest;

    /// <summary>
    /// A cached image by what an admin types: a full or short reference (freebsd/freebsd-runtime:15.0
    /// is docker.io's; a name without a registry is also looked for under localhost/, where imports
    /// go), or its manifest digest (sha256:HEX, or 12 hex digits or more of it).
    /// </summary>
    public ImageRecord? Find(string text)
    {
        var records = Records();
        string t = text.Trim();
        string hex = t.StartsWith("sha256:", StringComparison.Ordinal) ? t[7..] : t;
        if (hex.Length >= 12 && hex.All(Uri.IsHexDigit))
        {
            var byDigest = records.Where(r => r.ManifestDigest[7..].StartsWith(hex.ToLowerInvariant(), StringComparison.Ordinal)).ToList();
            if (byDigest.Count == 1) return byDigest[0];
        }
        var candidates = new List<string>();
        try { candidates.Add(OciReference.Parse(t).Canonical); } catch (JailOperationException) { }
        try
        {
            var local = OciReference.Parse("localhost/" + t);
            if (!t.Contains('/') || !t[..t.IndexOf('/')].Contains('.')) candidates.Add(local.Canonical);
        }
        catch (JailOperationException) { }
        return candidates.Select(c => records.FirstOrDefault(r => r.Reference == c)).FirstOrDefault(r => r is not null);
    }

    public ImageRecord Require(string jail, string text)
        => Find(text) ?? throw new JailOperationException("JailImageNotCached", jail,
            $"jail \"{jail}\": the image \"{text}\" is not in the image cache ({string.Join(", ", Records().Select(r => r.Reference).DefaultIfEmpty("it is empty"))}); nothing was done.",
            $"Run Save-JailImage {text} first (or Save-JailImage -Path for a layout or the mirror's container-image-*.txz).") { TargetObject = text };

    /// <summary>The OCI platform a FreeBSD MACHINE_ARCH is published as (make-oci-image.sh: aarch64 is arm64, no variant).</summary>
    public static string PlatformArchitecture(string arch) => arch.ToLowerInvariant() switch
    {
        "amd64" => "amd64",
        "arm64" or "aarch64" => "arm64",
        _ => throw new JailOperationException("JailImageInvalid", arch, $"architecture \"{arch}\" is not one JailPS pulls images for (amd64, aarch64); nothing was saved.", "Give -Architecture amd64 or aarch64.") { TargetObject = arch },
    };

    // ------------------------------------------------------------------ saving

    /// <summary>
    /// The plan that brings an image into the cache: its manifest (from an index, the freebsd
    /// platform of the architecture), config and layers, each verified against its digest, then every
    /// layer checked as it will be applied, and only then the record. A refused image leaves no record
    /// and none of the blobs this plan added.
    /// </summary>
    public JailPlan PlanSave(SaveImageRequest req)
    {
        string arch = PlatformArchitecture(req.Architecture);
        if ((req.Reference is null) == (req.Path is null))
            throw new JailOperationException("JailImageInvalid", null, "Save-JailImage takes a reference to pull or a -Path to import, one of them.", "Give one.");
        var added = new List<string>();
        if (req.Path is not null)
        {
            var pathPlan = new JailPlan(req.Path, "save") { Subject = "image", LockName = "images" };
            ImageRecord? imported = null;
            pathPlan.Add("import", $"check {req.Path} (CHECKSUM.SHA256 beside it, where there is one), copy its blobs into {BlobDir}, each verified against its digest",
                () =>
                {
                    try { imported = Import(req, arch, added); }
                    catch (JailOperationException)
                    {
                        // A local import is cheap to repeat: a refused one leaves none of its blobs.
                        foreach (string d in added) _host.Files.DeleteFile(BlobPath(d));
                        throw;
                    }
                });
            AddCheckAndRecord(pathPlan, () => imported!, added);
            return pathPlan;
        }
        var reference = OciReference.Parse(req.Reference!);
        var plan = new JailPlan(reference.Canonical, "save") { Subject = "image", LockName = "images" };
        var existing = ReadRecord(reference.Canonical);
        if (existing is not null && !req.Force && existing.Layers.All(l => _host.Files.FileExists(BlobPath(l.Digest))))
            return plan;   // in the cache, checked: the cmdlet says so
        var client = new OciRegistryClient(_fetcher, reference, req.Credential, _cancel);
        ImageRecord? record = null;
        plan.Add("manifest", $"GET {client.BaseUrl}/manifests/{reference.ManifestKey} (an index: the freebsd/{arch} manifest from it), then its configuration",
            () => record = Resolve(reference, arch, client, added));
        plan.Add("fetch", $"fetch each layer from {client.BaseUrl}/blobs/ into {BlobDir} (resumed from its .part), verified against its sha256 digest",
            () =>
            {
                int i = 0;
                foreach (var layer in record!.Layers)
                    FetchBlob(reference.Canonical, client, layer, ++i, record.Layers.Count, added);
            });
        AddCheckAndRecord(plan, () => record!, added);
        return plan;
    }

    private ImageRecord? ReadRecord(string canonical)
    {
        string? text = _host.Files.ReadAllText(RecordPath(canonical));
        if (text is null) return null;
        try { return JsonSerializer.Deserialize<ImageRecord>(text); }
        catch (JsonException) { return null; }
    }

    private void AddCheckAndRecord(JailPlan plan, Func<ImageRecord> record, List<string> added)
    {
        plan.Add("check", $"check every layer as it will be applied (digests, names, links, whiteouts, headers), in order",
            () =>
            {
                try { Check(record()); }
                catch (JailOperationException)
                {
                    // A refused image leaves nothing of itself: the blobs this save brought go again.
                    foreach (string d in added) _host.Files.DeleteFile(BlobPath(d));
                    throw;
                }
            });
        plan.Add("record", $"write {RefDir}/REFERENCE.json (only now is the image in the cache)",
            () =>
            {
                var r = record();
                r.SavedAt = DateTime.UtcNow;
                _host.Files.CreateDirectory(RefDir);
                _host.Files.WriteAllTextAtomic(RecordPath(r.Reference), JsonSerializer.Serialize(r, s_json));
                _output.Verbose($"{r.Reference}: saved ({r.Layers.Count} layer(s), manifest {r.ManifestDigest})");
            });
    }

    /// <summary>Scans the layers in order against one tree, and notes what the root will hold.</summary>
    private void Check(ImageRecord r)
    {
        var tree = new ImageTree();
        int i = 0;
        foreach (var layer in r.Layers)
        {
            i++;
            _output.Progress(new JailProgress(ProgressActivity, $"Checking {r.Reference}", $"layer {i} of {r.Layers.Count}") { PercentComplete = 100 * (i - 1) / r.Layers.Count });
            ScanLayer(r, layer, i, tree);
        }
        _output.Progress(new JailProgress(ProgressActivity, $"Checking {r.Reference}", "done").Complete());
        r.Boots = tree.IsFile("etc/rc");
        r.HasShell = tree.KindOf("bin/sh") is ImageEntryKind.File or ImageEntryKind.Symlink;
        r.HasEtc = tree.KindOf("etc") == ImageEntryKind.Directory;
        r.HasDev = tree.KindOf("dev") == ImageEntryKind.Directory;
    }

    /// <summary>Where a layer that passed its check is written out again for tar (<see cref="OciLayerScanner"/>), for as long as one extraction takes.</summary>
    public const string RebuiltDir = CacheRoot + "/tmp";

    /// <summary>
    /// One layer of a cached image checked against the tree below it (what applying it will do);
    /// with <paramref name="rebuiltPath"/>, the checked entries are written there as the plain tar
    /// that tar extracts in the blob's stead.
    /// </summary>
    public LayerChanges ScanLayer(ImageRecord r, LayerRecord layer, int index, ImageTree tree, string? rebuiltPath = null)
    {
        string blob = BlobPath(layer.Digest);
        if (!_host.Files.FileExists(blob))
            throw new JailOperationException("JailImageNotCached", r.Reference, $"{r.Reference}: layer {layer.Digest} is not in {BlobDir}.", $"Run Save-JailImage {r.Reference} -Force.") { TargetObject = blob };
        Stream? output = null;
        if (rebuiltPath is not null)
        {
            _host.Files.CreateDirectory(RebuiltDir);
            output = _host.Files.OpenFile(rebuiltPath, FileMode.Create, FileAccess.Write);
        }
        try
        {
            return OciLayerScanner.Scan(() => _host.Files.OpenFile(blob, FileMode.Open, FileAccess.Read), OciMediaTypes.CompressionOf(layer.MediaType)!.Value,
                layer.Digest, layer.DiffId, tree, $"{r.Reference} layer {index} ({layer.Digest[..19]})", output);
        }
        finally
        {
            output?.Dispose();
        }
    }

    /// <summary>The platform manifest and configuration from an index or a manifest, as records them.</summary>
    private ImageRecord Resolve(OciReference reference, string arch, OciRegistryClient client, List<string> added)
    {
        var (body, type, digest) = client.GetManifest(reference.ManifestKey);
        var doc = OciDocuments.ParseManifest(body, reference.Canonical, type);
        if (OciMediaTypes.IsIndex(doc.MediaType))
        {
            var chosen = ChoosePlatform(doc, arch, reference.Canonical);
            (body, type, digest) = client.GetManifest(chosen.Digest!);
            doc = OciDocuments.ParseManifest(body, reference.Canonical, type ?? chosen.MediaType);
            if (!OciMediaTypes.IsManifest(doc.MediaType)) throw OciDocuments.Invalid(reference.Canonical, "its index points at another index");
        }
        byte[] config = client.GetBlob(doc.Config!.Digest!, OciDocuments.MaxConfigBytes);
        if (OciDocuments.Sha256(config) != doc.Config.Digest)
            throw new JailOperationException("JailImageDigestMismatch", reference.Canonical,
                $"{reference.Canonical}: its configuration hashes to {OciDocuments.Sha256(config)}, not {doc.Config.Digest}; nothing was saved.", "Run Save-JailImage again.") { TargetObject = doc.Config.Digest };
        StoreSmallBlob(digest, body, added);
        StoreSmallBlob(doc.Config.Digest!, config, added);
        return ToRecord(reference.Canonical, digest, doc, config, arch, client.BaseUrl);
    }

    private static OciDescriptor ChoosePlatform(OciManifestDocument index, string arch, string what)
    {
        var matches = index.Manifests!.Where(m => m.Platform?.Os == "freebsd" && m.Platform.Architecture == arch && OciMediaTypes.IsManifest(m.MediaType ?? OciMediaTypes.Manifest)).ToList();
        if (matches.Count == 0)
            throw new JailOperationException("JailImagePlatformNotFound", what,
                $"{what} has no image for freebsd/{arch} (it has {string.Join(", ", index.Manifests!.Select(m => m.Platform is null ? "(no platform)" : $"{m.Platform.Os}/{m.Platform.Architecture}").Distinct().DefaultIfEmpty("none"))}); nothing was saved.",
                "Use an image built for FreeBSD (docker.io/freebsd/freebsd-runtime, ghcr.io/freebsd/...), or give -Architecture for another one it has.") { TargetObject = what };
        return matches[0];
    }

    private ImageRecord ToRecord(string reference, string manifestDigest, OciManifestDocument doc, byte[] configBytes, string arch, string source)
    {
        var config = OciDocuments.ParseConfig(configBytes, reference);
        if (config.Os != "freebsd" || config.Architecture != arch)
            throw new JailOperationException("JailImagePlatformNotFound", reference,
                $"{reference} is an image for {config.Os}/{config.Architecture}, not freebsd/{arch}; a jail runs FreeBSD binaries of the host's architecture, so nothing was saved.",
                "Use an image built for FreeBSD (docker.io/freebsd/freebsd-runtime, ghcr.io/freebsd/...).") { TargetObject = reference };
        if (config.RootFs!.DiffIds!.Count != doc.Layers!.Count)
            throw OciDocuments.Invalid(reference, $"its manifest lists {doc.Layers.Count} layer(s) but its configuration {config.RootFs.DiffIds.Count} diff_id(s)");
        DateTime? created = null;
        try
        {
            using var json = JsonDocument.Parse(configBytes);
            if (json.RootElement.TryGetProperty("created", out var c) && c.ValueKind == JsonValueKind.String && DateTime.TryParse(c.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var when))
                created = when;
        }
        catch (JsonException) { }
        return new ImageRecord
        {
            Reference = reference, ManifestDigest = manifestDigest, ConfigDigest = doc.Config!.Digest!, Os = config.Os!, Architecture = config.Architecture!,
            Config = config.Config, Source = source, Created = created,
            Layers = doc.Layers.Select((l, i) => new LayerRecord { Digest = l.Digest!, MediaType = l.MediaType!, Size = l.Size, DiffId = config.RootFs.DiffIds[i] }).ToList(),
        };
    }

    private void StoreSmallBlob(string digest, byte[] bytes, List<string> added)
    {
        string path = BlobPath(digest);
        if (_host.Files.FileExists(path)) return;
        _host.Files.CreateDirectory(BlobDir);
        using (var s = _host.Files.OpenFile(path + ".part", FileMode.Create, FileAccess.Write)) s.Write(bytes);
        _host.Files.MoveFile(path + ".part", path);
        added.Add(digest);
    }

    /// <summary>A layer into the cache: resumed from its .part, never more than its descriptor's size, verified before it gets its name.</summary>
    private void FetchBlob(string reference, OciRegistryClient client, LayerRecord layer, int index, int count, List<string> added)
    {
        string path = BlobPath(layer.Digest), part = path + ".part";
        if (_host.Files.FileExists(path)) return;
        _host.Files.CreateDirectory(BlobDir);
        Download(reference, $"layer {layer.Digest}", $"Saving {reference}: layer {index} of {count}", part, layer.Size,
            (stream, offset, progress) => client.FetchBlob(layer.Digest, layer.Size, stream, offset, progress));
        VerifyAndName(reference, part, path, layer.Digest, layer.Size, added);
    }

    /// <summary>
    /// The one download loop of the image cache: into PART, resumed from what it holds, with
    /// Write-Progress, a broken transfer kept for the next run and a full disk told apart from it.
    /// </summary>
    private void Download(string reference, string what, string activity, string part, long? size, Action<Stream, long, Action<long, long?>> fetch)
    {
        var started = DateTime.UtcNow;
        using var stream = _host.Files.OpenFile(part, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        long offset = size is long max && stream.Length > max ? 0 : stream.Length;
        if (offset == 0) stream.SetLength(0);
        stream.Position = offset;
        if (offset > 0) _output.Verbose($"{reference}: resuming {what} from byte {offset}");
        long lastReport = -1;
        try
        {
            fetch(stream, offset, (done, total) =>
            {
                long? all = size ?? total;
                if (done - lastReport < (1 << 20) && (all is null || done < all)) return;
                lastReport = done;
                double rate = (done - offset) / Math.Max(0.001, (DateTime.UtcNow - started).TotalSeconds);
                _output.Progress(new JailProgress(ProgressActivity, activity, all is long t ? $"{Mib(done)} of {Mib(t)} MiB at {Mib((long)rate)} MiB/s" : $"{Mib(done)} MiB at {Mib((long)rate)} MiB/s")
                {
                    PercentComplete = all is long a && a > 0 ? (int)Math.Min(100, 100 * done / a) : -1,
                    SecondsRemaining = all is long b && rate > 0 ? (int)Math.Ceiling((b - done) / rate) : -1,
                });
            });
        }
        catch (ReleaseWriteException ex)
        {
            throw new JailOperationException("JailImageWriteFailed", reference, $"writing {part} failed: {ex.Message}; the bytes written so far are kept.",
                $"Free space under {CacheRoot}, then run Save-JailImage again: it resumes.") { TargetObject = part };
        }
        catch (ReleaseFetchException ex)
        {
            long kept = stream.Length;
            if (ex.NotFound)
                throw new JailOperationException("JailImageNotFound", reference, $"{reference}: {what} does not exist ({ex.Message}); nothing was saved.",
                    "Check the URL: the mirror keeps FreeBSD's images under releases/OCI-IMAGES/RELEASE/ARCH/Latest/.") { TargetObject = what };
            throw new JailOperationException("JailImageDownloadFailed", reference,
                $"{reference}: downloading {what} failed: {ex.Message}." + (kept > 0 ? $" The {kept} bytes received are kept as a .part file." : ""),
                "Run Save-JailImage again: it resumes where this one stopped.") { TargetObject = what };
        }
        finally
        {
            _output.Progress(new JailProgress(ProgressActivity, activity, "done").Complete());
        }
    }

    private void VerifyAndName(string reference, string part, string path, string digest, long size, List<string> added)
    {
        string actual;
        long length;
        using (var s = _host.Files.OpenFile(part, FileMode.Open, FileAccess.Read))
        {
            length = s.Length;
            actual = "sha256:" + Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();
        }
        if (actual != digest || length != size)
        {
            _host.Files.DeleteFile(part);
            throw new JailOperationException("JailImageDigestMismatch", reference,
                $"{reference}: blob {digest} arrived as {length} bytes hashing to {actual} (its descriptor says {size} bytes); it was deleted and nothing was saved.",
                "Run Save-JailImage again; if it fails the same way, the registry or something between is serving other content.") { TargetObject = digest };
        }
        _host.Files.MoveFile(part, path);
        added.Add(digest);
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------ importing

    /// <summary>An OCI layout directory, or an archive of one (the mirror's .txz): its blobs into the cache, its manifest resolved.</summary>
    private ImageRecord Import(SaveImageRequest req, string arch, List<string> added)
    {
        string path = req.Path!, source = req.Path!;
        string? downloaded = null;
        if (ReleaseFetcher.IsUrl(path))
        {
            downloaded = DownloadMirrorFile(path);
            path = _host.Files.ToLocalPath(downloaded);
        }
        byte[]? index = null, layout = null;
        var blobs = new Dictionary<string, string>(StringComparer.Ordinal);   // digest -> cache path
        _host.Files.CreateDirectory(BlobDir);
        if (Directory.Exists(path))
        {
            layout = ReadLocal(Path.Combine(path, "oci-layout"), 1 << 16);
            index = ReadLocal(Path.Combine(path, "index.json"), OciDocuments.MaxManifestBytes);
            string dir = Path.Combine(path, "blobs", "sha256");
            if (Directory.Exists(dir))
                foreach (string f in Directory.EnumerateFiles(dir))
                {
                    string hex = Path.GetFileName(f);
                    if (hex.Length != 64 || !hex.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f')) continue;
                    using var input = File.OpenRead(f);
                    ImportBlob(path, "sha256:" + hex, input, added);
                    blobs["sha256:" + hex] = BlobPath("sha256:" + hex);
                }
        }
        else if (File.Exists(path))
        {
            if (downloaded is null) CheckMirrorChecksum(path);
            try
            {
                using var file = File.OpenRead(path);
                using var tar = ArchiveStreams.OpenTar(file);
                using var reader = new TarReader(tar);
                while (reader.GetNextEntry() is { } e)
                {
                    if (e.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                    string member = OciLayerScanner.Relative(e.Name, path);
                    if (member is "oci-layout") layout = ReadEntry(e, 1 << 16, path);
                    else if (member is "index.json") index = ReadEntry(e, OciDocuments.MaxManifestBytes, path);
                    else if (s_blobName.Match(member) is { Success: true } blob && e.DataStream is { } data)
                    {
                        ImportBlob(path, "sha256:" + blob.Groups[1].Value, data, added);
                        blobs["sha256:" + blob.Groups[1].Value] = BlobPath("sha256:" + blob.Groups[1].Value);
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or FormatException or InvalidOperationException or IOException)
            {
                throw new JailOperationException("JailImageLayoutInvalid", path, $"{path} is not a readable (compressed) tar of an OCI image layout: {ex.Message}; nothing was saved.",
                    "Give the mirror's container-image-*.txz as it was downloaded, or an OCI layout directory.") { TargetObject = path };
            }
        }
        else
            throw new JailOperationException("JailImageNotFound", path, $"{path} does not exist; nothing was saved.", "Give an OCI layout directory or the mirror's container-image-*.txz.") { TargetObject = path };
        if (layout is null || index is null)
            throw new JailOperationException("JailImageLayoutInvalid", path, $"{path} holds no {(layout is null ? "oci-layout" : "index.json")}, so it is not an OCI image layout; nothing was saved.",
                "Give an OCI layout directory (oci-layout, index.json, blobs/sha256/) or the mirror's container-image-*.txz.") { TargetObject = path };
        try
        {
            using var l = JsonDocument.Parse(layout);
            if (!l.RootElement.TryGetProperty("imageLayoutVersion", out var v) || v.GetString() != "1.0.0")
                throw new JailOperationException("JailImageLayoutInvalid", path, $"{path}: oci-layout does not say imageLayoutVersion 1.0.0; nothing was saved.", "Give an OCI image layout.") { TargetObject = path };
        }
        catch (JsonException) { throw new JailOperationException("JailImageLayoutInvalid", path, $"{path}: oci-layout is not JSON; nothing was saved.", "Give an OCI image layout.") { TargetObject = path }; }
        byte[] Blob(string digest)
        {
            if (!blobs.ContainsKey(digest)) throw new JailOperationException("JailImageLayoutInvalid", path, $"{path} lacks the blob {digest} its index points at; nothing was saved.", "Give the complete layout.") { TargetObject = digest };
            using var s = _host.Files.OpenFile(BlobPath(digest), FileMode.Open, FileAccess.Read);
            if (s.Length > OciDocuments.MaxConfigBytes) throw OciDocuments.Invalid(path, $"{digest} is {s.Length} bytes, too large for a manifest or configuration");
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            return ms.ToArray();
        }
        var doc = OciDocuments.ParseManifest(index, path, OciMediaTypes.Index);
        var entries = doc.Manifests!.Where(m => m.Platform is null || (m.Platform.Os == "freebsd" && m.Platform.Architecture == arch)).ToList();
        if (req.Name is null && entries.Select(m => m.Annotations?.GetValueOrDefault(RefNameAnnotation)).Distinct().Count() > 1)
            entries = entries.Take(1).ToList();
        if (entries.Count == 0) ChoosePlatform(doc, arch, path);
        var chosen = entries[0];
        byte[] manifest = Blob(chosen.Digest!);
        var m = OciDocuments.ParseManifest(manifest, path, chosen.MediaType);
        if (!OciMediaTypes.IsManifest(m.MediaType)) throw OciDocuments.Invalid(path, "its index points at another index");
        byte[] config = Blob(m.Config!.Digest!);
        foreach (var layer in m.Layers!)
            if (!blobs.ContainsKey(layer.Digest!)) Blob(layer.Digest!);
        string name = req.Name is not null ? OciReference.Parse(req.Name).Canonical : DefaultName(path, chosen);
        var record = ToRecord(name, chosen.Digest!, m, config, arch, downloaded is null ? Path.GetFullPath(path) : source);
        if (downloaded is not null) _host.Files.DeleteFile(downloaded);   // its blobs are in the cache now
        return record;
    }

    /// <summary>podman's name for a loaded image: localhost/ and the layout's ref.name (the mirror's say freebsd-runtime:15.0-RELEASE-amd64).</summary>
    private static string DefaultName(string path, OciDescriptor chosen)
    {
        string stem = Regex.Replace(Path.GetFileName(Path.GetFullPath(path).TrimEnd('/')).ToLowerInvariant(), @"\.(txz|tar|tgz|tar\.gz|tar\.xz|tar\.zst)$", "");
        stem = Regex.Replace(stem, "[^a-z0-9._-]+", "-").Trim('-', '.', '_');
        string? refName = chosen.Annotations?.GetValueOrDefault(RefNameAnnotation);
        try
        {
            if (refName is { Length: > 0 } && refName.Contains(':')) return OciReference.Parse(refName.Contains('/') && refName[..refName.IndexOf('/')].Contains('.') ? refName : "localhost/" + refName).Canonical;
            if (refName is { Length: > 0 }) return OciReference.Parse($"localhost/{stem}:{refName}").Canonical;
            return OciReference.Parse($"localhost/{(stem.Length == 0 ? "image" : stem)}:latest").Canonical;
        }
        catch (JailOperationException ex)
        {
            throw new JailOperationException("JailImageReferenceInvalid", path, $"{path}: no reference can be made of its name ({ex.Message}); nothing was saved.", "Give -Name REPOSITORY:TAG.") { TargetObject = path };
        }
    }

    private void ImportBlob(string source, string digest, Stream input, List<string> added)
    {
        string path = BlobPath(digest), part = path + ".part";
        if (_host.Files.FileExists(path)) return;
        using (var output = _host.Files.OpenFile(part, FileMode.Create, FileAccess.Write))
            input.CopyTo(output);
        long size;
        using (var s = _host.Files.OpenFile(part, FileMode.Open, FileAccess.Read)) size = s.Length;
        VerifyAndName(source, part, path, digest, size, added);
    }

    private static byte[] ReadLocal(string file, int max)
    {
        if (!File.Exists(file)) return null!;
        var info = new FileInfo(file);
        if (info.Length > max) throw OciDocuments.Invalid(file, $"it is {info.Length} bytes, more than {max}");
        return File.ReadAllBytes(file);
    }

    private static byte[] ReadEntry(TarEntry e, int max, string what)
    {
        if (e.Length > max) throw OciDocuments.Invalid(what, $"{e.Name} is {e.Length} bytes, more than {max}");
        using var ms = new MemoryStream();
        e.DataStream?.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>
    /// The mirror's CHECKSUM.SHA256 (release/Makefile.mirrors: `sha256 FILES > CHECKSUM.SHA256`, lines
    /// "SHA256 (NAME) = HEX"; also sha256sum's "HEX  NAME") beside the file: when it lists the file,
    /// the file must match; a file it does not list, or one with no checksum file beside it, is
    /// imported on its blobs' own digests alone, with a warning.
    /// </summary>
    private void CheckMirrorChecksum(string file)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(file));
        var sums = (dir is null ? Array.Empty<string>() : Directory.GetFiles(dir, "CHECKSUM.SHA256*")).Select(f => (f, File.ReadAllText(f)));
        CheckMirrorChecksum(file, file, Path.GetFileName(file), sums);
    }

    /// <summary>The file (a local path <paramref name="local"/>, shown as <paramref name="shown"/>) against the checksum files' lines for <paramref name="name"/>.</summary>
    private void CheckMirrorChecksum(string shown, string local, string name, IEnumerable<(string From, string Text)> sums)
    {
        string? expected = null, from = null;
        foreach (var (sum, text) in sums)
            foreach (string line in text.Split('\n'))
            {
                var bsd = Regex.Match(line, @"^SHA256 \((.+)\) = ([0-9a-fA-F]{64})\s*$");
                var gnu = Regex.Match(line, @"^([0-9a-fA-F]{64}) [ *](.+?)\s*$");
                if (bsd.Success && bsd.Groups[1].Value == name) { expected = bsd.Groups[2].Value.ToLowerInvariant(); from = sum; }
                else if (gnu.Success && gnu.Groups[2].Value == name) { expected = gnu.Groups[1].Value.ToLowerInvariant(); from = sum; }
            }
        if (expected is null)
        {
            _output.Warning($"{shown}: no CHECKSUM.SHA256 beside it lists {name}, so the file as a whole is not checked; each blob in it is still verified against its digest. Download CHECKSUM.SHA256 from the same mirror directory to check it.");
            return;
        }
        string actual;
        using (var s = File.OpenRead(local)) actual = Convert.ToHexString(SHA256.HashData(s)).ToLowerInvariant();
        if (actual != expected)
            throw new JailOperationException("JailImageChecksumMismatch", shown,
                $"{shown} has SHA-256 {actual}, but {from} says {expected}; nothing was saved.",
                "Download the file again from the mirror (releases/OCI-IMAGES/RELEASE/ARCH/Latest/).") { TargetObject = shown };
        _output.Verbose($"{shown}: SHA-256 matches {from}");
    }

    /// <summary>
    /// -Path as an http(s) URL of the mirror's file: CHECKSUM.SHA256 from the same directory, then
    /// the file into downloads/ (resumed from its .part), checked against it. The local copy is
    /// returned, and deleted once the import has its blobs.
    /// </summary>
    private string DownloadMirrorFile(string url)
    {
        string name = url[(url.LastIndexOf('/') + 1)..].Split('?')[0];
        if (!Regex.IsMatch(name, "^[A-Za-z0-9][A-Za-z0-9._-]*$"))
            throw new JailOperationException("JailImageInvalid", url, $"{url} does not end in a file name JailPS downloads (letters, digits, . _ -); nothing was saved.",
                "Give the URL of the mirror's FreeBSD-RELEASE-ARCH-container-image-NAME.txz.") { TargetObject = url };
        string dirUrl = url[..(url.LastIndexOf('/') + 1)];
        string? sums = null;
        try { sums = _fetcher.FetchText(dirUrl + "CHECKSUM.SHA256", _cancel); }
        catch (ReleaseFetchException ex) when (ex.NotFound) { }
        catch (ReleaseFetchException ex)
        {
            throw new JailOperationException("JailImageDownloadFailed", url, $"{dirUrl}CHECKSUM.SHA256: {ex.Message}; nothing was saved.", "Check the network and the mirror, then try again.") { TargetObject = dirUrl + "CHECKSUM.SHA256" };
        }
        string dir = CacheRoot + "/downloads", local = $"{dir}/{name}";
        _host.Files.CreateDirectory(dir);
        if (!_host.Files.FileExists(local))
        {
            Download(url, name, $"Saving {name}", local + ".part", null,
                (stream, offset, progress) => _fetcher.Fetch(url, stream, offset, progress, _cancel, null, OciLayerScanner.MaxLayerBytes));
            _host.Files.MoveFile(local + ".part", local);
        }
        try { CheckMirrorChecksum(url, _host.Files.ToLocalPath(local), name, sums is null ? Array.Empty<(string, string)>() : new[] { (dirUrl + "CHECKSUM.SHA256", sums) }); }
        catch (JailOperationException)
        {
            _host.Files.DeleteFile(local);   // a damaged download is not kept for the next run
            throw;
        }
        return local;
    }

    // ------------------------------------------------------------------ removing

    /// <summary>The plan that takes an image out of the cache: its record, and the blobs no other cached image uses. Refused while a jail's definition names it, unless forced.</summary>
    public JailPlan PlanRemove(ImageRecord r, IEnumerable<Config.JailDefinition> definitions, bool force)
    {
        var users = definitions.Where(d => d.Variables.TryGetValue(ImageVariable, out string? v) && v.Trim() == VariableValue(r)).Select(d => d.Name).ToList();
        if (users.Count > 0 && !force)
            throw new JailOperationException("JailImageInUse", r.Reference,
                $"{r.Reference} is the image of jail(s) {string.Join(", ", users)}; it is kept.",
                "Their roots are copies and do not need it; give -Force to remove it anyway.") { TargetObject = r.Reference };
        var plan = new JailPlan(r.Reference, "remove") { Subject = "image", LockName = "images" };
        var keep = Records().Where(o => o.Reference != r.Reference)
            .SelectMany(o => o.Layers.Select(l => l.Digest).Append(o.ManifestDigest).Append(o.ConfigDigest)).ToHashSet(StringComparer.Ordinal);
        var blobs = r.Layers.Select(l => l.Digest).Append(r.ManifestDigest).Append(r.ConfigDigest).Distinct().Where(d => !keep.Contains(d)).ToList();
        plan.Add("record", $"delete {RecordPath(r.Reference)}", () => _host.Files.DeleteFile(RecordPath(r.Reference)));
        plan.Add("blobs", $"delete {blobs.Count} blob(s) no other cached image uses from {BlobDir}",
            () => { foreach (string d in blobs) _host.Files.DeleteFile(BlobPath(d)); });
        return plan;
    }
}
