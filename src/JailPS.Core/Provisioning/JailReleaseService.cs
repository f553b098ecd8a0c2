using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Provisioning;

/// <summary>What Save-JailRelease is asked for.</summary>
public sealed class SaveReleaseRequest
{
    public required string Release { get; init; }
    /// <summary>MACHINE_ARCH: amd64 (default), aarch64 (or arm64), i386.</summary>
    public string Architecture { get; init; } = "amd64";
    /// <summary>Dist files; base.txz is all a jail needs (lib32.txz for 32-bit programs).</summary>
    public IReadOnlyList<string> Distributions { get; init; } = new[] { "base.txz" };
    /// <summary>A mirror in FreeBSD's layout (…/releases/MACHINE/MACHINE_ARCH/RELEASE/), or null for the default.</summary>
    public string? Mirror { get; init; }
    /// <summary>A local directory that holds MANIFEST and the dist files (install media, an offline copy).</summary>
    public string? SourcePath { get; init; }
    /// <summary>Fetch and verify again even when the cache has the release verified.</summary>
    public bool Force { get; init; }
    /// <summary>FreeBSD 15's packaged base (pkgbase) instead of the dist files: the FreeBSD-set-minimal-jail set installed with pkg.</summary>
    public bool PkgBase { get; init; }
}

/// <summary>
/// The release cache (/var/db/jailps/releases/ARCH/RELEASE): MANIFEST and dist files downloaded
/// from a mirror (bsdinstall's URL scheme, freebsd-net-prov-facts.md §5.2) or copied from a local
/// directory, resumed from a .part file after a broken transfer, verified against MANIFEST's
/// SHA-256, and recorded as verified (release.json) only then: nothing unverified is ever used.
/// </summary>
public sealed class JailReleaseService
{
    public const string CacheRoot = "/var/db/jailps/releases";
    public const string DefaultMirror = "https://download.freebsd.org/ftp";
    public const string RecordFile = "release.json";
    public const int ProgressActivity = 0x4a50_0010;

    private static readonly Regex s_release = new(@"^[0-9]{1,2}\.[0-9]-(RELEASE|RC[0-9]|BETA[0-9]|ALPHA[0-9]|CURRENT|STABLE|PRERELEASE)$", RegexOptions.CultureInvariant);
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    private readonly JailHost _host;
    private readonly IJailOutput _output;
    private readonly IReleaseFetcher _fetcher;
    private readonly CancellationToken _cancel;

    public JailReleaseService(JailHost host, IJailOutput output, IReleaseFetcher? fetcher = null, CancellationToken cancel = default)
    {
        _host = host;
        _output = output;
        _fetcher = fetcher ?? new ReleaseFetcher();
        _cancel = cancel;
    }

    /// <summary>What release.json holds: where the files came from and what they hashed to.</summary>
    internal sealed class ReleaseRecord
    {
        /// <summary>"dist" (MANIFEST and .txz files) or "pkgbase" (a root installed with pkg, in ROOT/).</summary>
        public string Kind { get; set; } = "dist";
        public string Release { get; set; } = "";
        public string Architecture { get; set; } = "";
        public string Source { get; set; } = "";
        public DateTime SavedAt { get; set; }
        public Dictionary<string, string> Verified { get; set; } = new();
        public Dictionary<string, long> Sizes { get; set; } = new();
    }

    /// <summary>(MACHINE, MACHINE_ARCH) as the release directories name them.</summary>
    public static (string Machine, string MachineArch) ArchitectureOf(string arch) => arch.ToLowerInvariant() switch
    {
        "amd64" => ("amd64", "amd64"),
        "arm64" or "aarch64" => ("arm64", "aarch64"),
        "i386" => ("i386", "i386"),
        _ => throw new JailOperationException("JailReleaseInvalid", arch,
            $"architecture \"{arch}\" is not one JailPS knows the release directory of (amd64, aarch64, i386); nothing was downloaded.",
            "Give -Architecture amd64, aarch64 or i386.") { TargetObject = arch },
    };

    public static string CheckRelease(string release)
    {
        string r = release.ToUpperInvariant();
        if (!s_release.IsMatch(r))
            throw new JailOperationException("JailReleaseInvalid", release,
                $"\"{release}\" is not a FreeBSD release name such as 14.3-RELEASE or 15.0-BETA2; nothing was downloaded.",
                "Give the name as uname -r prints it, without a patch level (-p1): freebsd-update brings patches.") { TargetObject = release };
        return r;
    }

    /// <summary>A release's name in a layout of directories beside the jails (basejail/, templates/, freebsd-update/): RELEASE for amd64, RELEASE-ARCH otherwise.</summary>
    public static string LayoutName(string release, string arch)
    {
        string name = CheckRelease(release), machineArch = ArchitectureOf(arch).MachineArch;
        return machineArch == "amd64" ? name : name + "-" + machineArch;
    }

    /// <summary>The lock every change to a release's cache or its basejail and template takes: release-RELEASE-ARCH.</summary>
    public static string LockName(string release, string arch) => $"release-{CheckRelease(release)}-{ArchitectureOf(arch).MachineArch}";

    public static string CachePath(string release, string arch) => $"{CacheRoot}/{ArchitectureOf(arch).MachineArch}/{CheckRelease(release)}";

    /// <summary>The directory URL of a release on a mirror: releases/ for -RELEASE, snapshots/ for the rest (bsdinstall's mirrorselect).</summary>
    public static string SourceOf(string release, string arch, string? mirror)
    {
        var (machine, machineArch) = ArchitectureOf(arch);
        string r = CheckRelease(release);
        // mirrorselect: RELEASE, RC and BETA builds are under releases/, ALPHA, CURRENT, STABLE and PRERELEASE under snapshots/.
        string branch = r.EndsWith("-RELEASE", StringComparison.Ordinal) || r.Contains("-RC", StringComparison.Ordinal) || r.Contains("-BETA", StringComparison.Ordinal) ? "releases" : "snapshots";
        return $"{(mirror ?? DefaultMirror).TrimEnd('/')}/{branch}/{machine}/{machineArch}/{r}/";
    }

    /// <summary>The jail.conf variable New-Jail -Release writes: "RELEASE MACHINE_ARCH" ("14.3-RELEASE amd64").</summary>
    public const string ReleaseVariable = "jailps_release";

    /// <summary>Every release in the cache; with <paramref name="definitions"/>, each with the jails built from it.</summary>
    public IReadOnlyList<JailRelease> List(IEnumerable<Config.JailDefinition>? definitions = null)
    {
        var users = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var d in definitions ?? Array.Empty<Config.JailDefinition>())
            if (d.Variables.TryGetValue(ReleaseVariable, out string? v))
            {
                string key = string.Join(" ", v.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                if (!users.TryGetValue(key, out var list)) users[key] = list = new List<string>();
                list.Add(d.Name);
            }
        var result = new List<JailRelease>();
        foreach (string dir in _host.Files.Glob(CacheRoot + "/*/*").OrderBy(d => d, StringComparer.Ordinal))
        {
            if (!_host.Files.DirectoryExists(dir)) continue;
            var record = ReadRecord(dir);
            string arch = HostPath.GetFileName(HostPath.GetDirectoryName(dir));
            string name = HostPath.GetFileName(dir);
            var verified = record?.Verified.Keys.Where(f => record.Kind == PkgBaseRelease.Kind ? _host.Files.DirectoryExists(dir + "/" + PkgBaseRelease.RootDirectory) : _host.Files.FileExists(dir + "/" + f)).OrderBy(f => f, StringComparer.Ordinal).ToArray() ?? Array.Empty<string>();
            bool partial = _host.Files.Glob(dir + "/*.part").Count > 0;
            result.Add(new JailRelease(name, arch, verified, verified.Sum(f => record!.Sizes.GetValueOrDefault(f)),
                record is not null && verified.Length > 0 && !partial, dir, record?.Source ?? "", record?.SavedAt, _host.ComputerName,
                users.TryGetValue(name + " " + arch, out var jails) ? jails.OrderBy(j => j, StringComparer.Ordinal).ToArray() : null,
                record?.Kind ?? "dist"));
        }
        return result;
    }

    internal void WriteRecord(string dir, ReleaseRecord record) => _host.Files.WriteAllTextAtomic(dir + "/" + RecordFile, JsonSerializer.Serialize(record, s_json));

    internal ReleaseRecord? ReadRecord(string dir)
    {
        string? text = _host.Files.ReadAllText(dir + "/" + RecordFile);
        if (text is null) return null;
        try { return JsonSerializer.Deserialize<ReleaseRecord>(text); }
        catch (JsonException) { return null; }
    }

    /// <summary>
    /// The plan that brings a release into the cache: fetch MANIFEST, then each dist file (resumed
    /// from its .part), verify it against MANIFEST's SHA-256, and record it as verified. Nothing is
    /// fetched when the cache has it verified (unless -Force).
    /// </summary>
    public JailPlan PlanSave(SaveReleaseRequest req)
    {
        string release = CheckRelease(req.Release);
        if (req.PkgBase)
            return new PkgBaseRelease(_host, _output, this, _cancel).PlanSave(req);
        if (req.Mirror is not null && !ReleaseFetcher.IsUrl(req.Mirror))
            throw new JailOperationException("JailReleaseInvalid", release,
                $"-Mirror \"{req.Mirror}\" is not an http:// or https:// URL; nothing was downloaded.",
                "Give the mirror's URL above releases/ (https://download.freebsd.org/ftp), or a local directory with -Path.") { TargetObject = req.Mirror };
        string dir = CachePath(release, req.Architecture);
        string arch = ArchitectureOf(req.Architecture).MachineArch;
        string source = req.SourcePath is { } local ? local.TrimEnd('/') + "/" : SourceOf(release, req.Architecture, req.Mirror);
        if (req.SourcePath is not null && ReleaseFetcher.IsUrl(req.SourcePath))
            source = req.SourcePath.TrimEnd('/') + "/";
        var dists = req.Distributions.Select(d => d.EndsWith(".txz", StringComparison.Ordinal) ? d : d + ".txz").Distinct().ToList();
        var plan = new JailPlan(release, "save") { Subject = "release", LockName = LockName(release, arch) };
        var existing = ReadRecord(dir);
        var missing = dists.Where(d => req.Force || existing is null || !existing.Verified.ContainsKey(d) || !_host.Files.FileExists(dir + "/" + d)).ToList();
        if (missing.Count == 0)
            return plan; // in the cache, verified: the cmdlet says so and writes the release
        ReleaseManifest? manifest = null;
        plan.Add("fetch", $"fetch {source}MANIFEST -> {dir}/MANIFEST",
            () =>
            {
                string text;
                try { text = _fetcher.FetchText(source + "MANIFEST", _cancel); }
                catch (ReleaseFetchException ex) { throw FetchFailed(release, source + "MANIFEST", ex, 0); }
                manifest = ReleaseManifest.Parse(text, source + "MANIFEST", release);
                foreach (string d in dists)
                    if (manifest.Find(d) is null)
                        throw new JailOperationException("JailReleaseDistributionNotFound", release,
                            $"the MANIFEST of {release} lists no {d} (it has {string.Join(", ", manifest.Entries.Select(e => e.File))}); nothing was downloaded.",
                            "Choose distributions from that list with -Distribution.") { TargetObject = d };
                _host.Files.CreateDirectory(dir);
                _host.Files.WriteAllTextAtomic(dir + "/MANIFEST", text);
            });
        foreach (string dist in missing)
        {
            string part = $"{dir}/{dist}.part";
            plan.Add("fetch", $"fetch {source}{dist} -> {dir}/{dist} (resumed from {dist}.part when one is there), then sha256 {dist} against MANIFEST",
                () => FetchAndVerify(release, arch, source, dir, dist, manifest!));
        }
        return plan;
    }

    private void FetchAndVerify(string release, string arch, string source, string dir, string dist, ReleaseManifest manifest)
    {
        string part = $"{dir}/{dist}.part";
        var entry = manifest.Find(dist)!;
        string activity = $"Saving {release} ({arch}): {dist}";
        var started = DateTime.UtcNow;
        long offset = 0;
        using (var stream = _host.Files.OpenFile(part, FileMode.OpenOrCreate, FileAccess.ReadWrite))
        {
            offset = stream.Length;
            stream.Position = offset;
            if (offset > 0) _output.Verbose($"{release}: resuming {dist} from byte {offset}");
            long first = offset;
            long lastReport = -1;
            try
            {
                _fetcher.Fetch(source + dist, stream, offset, (done, total) =>
                {
                    if (done - lastReport < (1 << 20) && (total is null || done < total)) return;
                    lastReport = done;
                    double seconds = Math.Max(0.001, (DateTime.UtcNow - started).TotalSeconds);
                    double rate = (done - first) / seconds;
                    string status = total is long t
                        ? $"{Mib(done)} of {Mib(t)} MiB at {Mib((long)rate)} MiB/s"
                        : $"{Mib(done)} MiB at {Mib((long)rate)} MiB/s";
                    _output.Progress(new JailProgress(ProgressActivity, activity, status)
                    {
                        PercentComplete = total is long tt && tt > 0 ? (int)Math.Min(100, 100 * done / tt) : -1,
                        SecondsRemaining = total is long t2 && rate > 0 ? (int)Math.Ceiling((t2 - done) / rate) : -1,
                    });
                }, _cancel);
            }
            catch (ReleaseWriteException ex)
            {
                throw new JailOperationException("JailReleaseWriteFailed", release,
                    $"writing {part} failed: {ex.Message}; the bytes written so far are kept.",
                    $"Free space under {CacheRoot} (df -h {CacheRoot}), then run Save-JailRelease again: it resumes.") { TargetObject = part };
            }
            catch (ReleaseFetchException ex)
            {
                long kept = stream.Length;
                stream.Dispose();
                if (ex.NotFound) _host.Files.DeleteFile(part);
                throw FetchFailed(release, source + dist, ex, ex.NotFound ? 0 : kept);
            }
            finally
            {
                _output.Progress(new JailProgress(ProgressActivity, activity, "done").Complete());
            }
        }
        string actual;
        long size;
        using (var stream = _host.Files.OpenFile(part, FileMode.Open, FileAccess.Read))
        {
            size = stream.Length;
            actual = Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
        }
        if (actual != entry.Sha256)
        {
            _host.Files.DeleteFile(part);
            throw new JailOperationException("JailReleaseChecksumMismatch", release,
                $"{dist} of {release} from {source} has SHA-256 {actual}, but its MANIFEST says {entry.Sha256}; the download ({size} bytes) was deleted and nothing was extracted.",
                "Run Save-JailRelease again; if it fails the same way, the mirror's copy is damaged: use another with -Mirror.") { TargetObject = source + dist };
        }
        // Verified: only now does it get its name and its line in release.json.
        string final = $"{dir}/{dist}";
        _host.Files.MoveFile(part, final);
        var record = ReadRecord(dir) ?? new ReleaseRecord { Release = release, Architecture = arch };
        record.Source = source;
        record.SavedAt = DateTime.UtcNow;
        record.Verified[dist] = actual;
        record.Sizes[dist] = size;
        _host.Files.WriteAllTextAtomic(dir + "/" + RecordFile, JsonSerializer.Serialize(record, s_json));
        _output.Verbose($"{release}: {final} verified ({size} bytes, sha256 {actual})");
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);

    private static JailOperationException FetchFailed(string release, string url, ReleaseFetchException ex, long kept)
        => ex.NotFound
            ? new JailOperationException("JailReleaseNotFound", release,
                $"{url} does not exist ({ex.Message}); nothing was downloaded.",
                "Check the release name and -Architecture, or use another -Mirror; a release past its end of life is only in the archive: -Path https://ftp-archive.freebsd.org/pub/FreeBSD-Archive/old-releases/MACHINE/MACHINE_ARCH/RELEASE/.") { TargetObject = url }
            : new JailOperationException("JailReleaseDownloadFailed", release,
                $"downloading {url} failed: {ex.Message}." + (kept > 0 ? $" The {kept} bytes received are kept in the cache as a .part file." : ""),
                kept > 0 ? "Run Save-JailRelease again: it resumes where this one stopped." : "Check the network and the mirror, then run Save-JailRelease again.") { TargetObject = url };
}
