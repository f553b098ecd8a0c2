using System.IO;
using JailPS.Core.Lifecycle;
using JailPS.Core.Provisioning;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// Save-JailRelease's cache against a mirror on 127.0.0.1: MANIFEST checked field by field, every
/// dist verified against it, a dropped transfer resumed, a 404, a corrupted byte and a bad MANIFEST
/// each with its own error id, and nothing unverified ever recorded as saved.
/// </summary>
public sealed class ReleaseTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly ReleaseServer _mirror = new();
    private readonly byte[] _base = Enumerable.Range(0, 3 << 20).Select(i => (byte)(i * 7 % 251)).ToArray();

    public void Dispose()
    {
        _mirror.Dispose();
        _f.Dispose();
    }

    private JailReleaseService Service() => new(_f.Host, _f);

    private JailPlan Plan(string? mirror = null, bool force = false)
        => Service().PlanSave(new SaveReleaseRequest { Release = "14.3-RELEASE", Mirror = mirror ?? _mirror.Url.TrimEnd('/'), Force = force });

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    private const string Dir = "/var/db/jailps/releases/amd64/14.3-RELEASE";

    [Fact]
    public void A_release_is_fetched_verified_and_listed_and_a_second_save_fetches_nothing()
    {
        _mirror.PutRelease("14.3-RELEASE", new Dictionary<string, byte[]> { ["base.txz"] = _base, ["kernel.txz"] = new byte[] { 1, 2, 3 } });
        var plan = Plan();
        Assert.StartsWith($"fetch {_mirror.Url}releases/amd64/amd64/14.3-RELEASE/MANIFEST", plan.Steps[0].Description);
        PlanRunner.Execute(plan, _f);
        Assert.Equal(_base, File.ReadAllBytes(Local(Dir + "/base.txz")));
        Assert.False(File.Exists(Local(Dir + "/kernel.txz")));    // a jail needs base only
        var r = Assert.Single(Service().List());
        Assert.Equal(("14.3-RELEASE", "amd64", true, (long)_base.Length), (r.Name, r.Architecture, r.Verified, r.Size));
        Assert.Equal(new[] { "base.txz" }, r.Distributions);
        Assert.Empty(Plan().Steps);
        Assert.NotEmpty(Plan(force: true).Steps);
        Assert.Contains(_f.Progress, p => p.Activity.Contains("base.txz", StringComparison.Ordinal) && p.PercentComplete is > 0 and <= 100);
    }

    [Fact]
    public void A_transfer_that_drops_mid_file_keeps_its_part_and_the_next_save_resumes_with_a_range()
    {
        _mirror.PutRelease("14.3-RELEASE", new Dictionary<string, byte[]> { ["base.txz"] = _base });
        _mirror.CutOnce["/releases/amd64/amd64/14.3-RELEASE/base.txz"] = 1 << 20;
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Plan(), _f));
        var cause = (JailOperationException)ex.InnerException!;
        Assert.Equal("JailReleaseDownloadFailed", cause.ErrorId);
        Assert.Contains("resumes", cause.RecommendedAction);
        long kept = new FileInfo(Local(Dir + "/base.txz.part")).Length;
        Assert.True(kept > 0 && kept < _base.Length, $"kept {kept}");
        Assert.False(Assert.Single(Service().List()).Verified);

        PlanRunner.Execute(Plan(), _f);
        Assert.Contains(_mirror.Requests, q => q == $"GET /releases/amd64/amd64/14.3-RELEASE/base.txz bytes={kept}-");
        Assert.Equal(_base, File.ReadAllBytes(Local(Dir + "/base.txz")));
        Assert.True(Assert.Single(Service().List()).Verified);
    }

    [Fact]
    public void A_corrupted_byte_is_a_checksum_error_and_the_download_is_not_kept()
    {
        _mirror.PutRelease("14.3-RELEASE", new Dictionary<string, byte[]> { ["base.txz"] = _base });
        var bad = _base.ToArray();
        bad[12345] ^= 0x40;
        _mirror.Put("/releases/amd64/amd64/14.3-RELEASE/base.txz", bad);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Plan(), _f));
        Assert.Equal("JailReleaseChecksumMismatch", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.False(File.Exists(Local(Dir + "/base.txz")));
        Assert.False(File.Exists(Local(Dir + "/base.txz.part")));
        Assert.DoesNotContain(Service().List(), r => r.Verified);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("base.txz\tabc\t3\tbase\t\"Base\"\ton\n", "64 hex digits")]
    [InlineData("base.txz\t0000000000000000000000000000000000000000000000000000000000000000\t3\tbase\n", "not 6")]
    [InlineData("base.txz\t0000000000000000000000000000000000000000000000000000000000000000\t3\tbase\t\"Base\"\ton", "cut short")]
    public void A_bad_or_truncated_manifest_says_what_is_wrong_iocage_381_472_715(string manifest, string says)
    {
        _mirror.Put("/releases/amd64/amd64/14.3-RELEASE/MANIFEST", manifest);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Plan(), _f));
        var cause = (JailOperationException)ex.InnerException!;
        Assert.Equal("JailReleaseManifestInvalid", cause.ErrorId);
        Assert.Contains(says, cause.Message);
        Assert.DoesNotContain(_mirror.Requests, q => q.Contains("base.txz", StringComparison.Ordinal));
    }

    [Fact]
    public void A_mirror_without_the_release_is_not_found_and_a_missing_dist_is_named()
    {
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Plan(), _f));
        Assert.Equal("JailReleaseNotFound", ((JailOperationException)ex.InnerException!).ErrorId);
        _mirror.PutRelease("14.3-RELEASE", new Dictionary<string, byte[]> { ["base.txz"] = _base });
        var lib32 = Service().PlanSave(new SaveReleaseRequest { Release = "14.3-RELEASE", Mirror = _mirror.Url, Distributions = new[] { "lib32" } });
        var ex2 = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(lib32, _f));
        Assert.Equal("JailReleaseDistributionNotFound", ((JailOperationException)ex2.InnerException!).ErrorId);
    }

    [Fact]
    public void A_local_directory_serves_an_offline_host()
    {
        string media = Path.Combine(Path.GetTempPath(), "jailps-media-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(media);
        try
        {
            File.WriteAllBytes(Path.Combine(media, "base.txz"), _base);
            File.WriteAllText(Path.Combine(media, "MANIFEST"), $"base.txz\t{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(_base)).ToLowerInvariant()}\t3\tbase\t\"Base system (MANDATORY)\"\ton\n");
            PlanRunner.Execute(Service().PlanSave(new SaveReleaseRequest { Release = "14.3-RELEASE", SourcePath = media }), _f);
            Assert.True(Assert.Single(Service().List()).Verified);
        }
        finally { Directory.Delete(media, recursive: true); }
    }

    [Theory]
    [InlineData("14.3")]
    [InlineData("14.3-RELEASE-p2")]
    [InlineData("../../etc")]
    public void A_name_that_is_not_a_release_never_becomes_a_path(string name)
    {
        var ex = Assert.Throws<JailOperationException>(() => Service().PlanSave(new SaveReleaseRequest { Release = name, Mirror = _mirror.Url }));
        Assert.Equal("JailReleaseInvalid", ex.ErrorId);
    }

    [Fact]
    public void Snapshots_and_other_architectures_follow_bsdinstalls_layout()
    {
        Assert.Equal("https://download.freebsd.org/ftp/releases/arm64/aarch64/14.3-RELEASE/", JailReleaseService.SourceOf("14.3-RELEASE", "arm64", null));
        Assert.Equal("https://m.example/snapshots/amd64/amd64/15.0-CURRENT/", JailReleaseService.SourceOf("15.0-current", "amd64", "https://m.example/"));
    }
}
