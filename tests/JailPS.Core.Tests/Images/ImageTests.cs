using System.Formats.Tar;
using System.IO;
using JailPS.Core.Images;
using JailPS.Core.Lifecycle;
using JailPS.Core.Tests.Lifecycle;
using static JailPS.Core.Tests.Images.LayerEntry;

namespace JailPS.Core.Tests.Images;

/// <summary>
/// OCI images as jail roots on the simulated host: the mirror's container-image .txz imported with
/// its CHECKSUM.SHA256, images pulled from a registry on 127.0.0.1 (token flow, index, redirects to
/// a blob store, resumes, wrong digests), layers applied with whiteouts, and plain jail.conf jails
/// that start and stop.
/// </summary>
public sealed class ImageTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly TestRegistry _registry = new();
    private readonly string _media = Path.Combine(Path.GetTempPath(), "jailps-oci-" + Guid.NewGuid().ToString("N")[..8]);

    public ImageTests() => Directory.CreateDirectory(_media);

    public void Dispose()
    {
        _registry.Dispose();
        _f.Dispose();
        Directory.Delete(_media, recursive: true);
    }

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);
    private JailImageService Images() => new(_f.Host, _f);
    private void Save(SaveImageRequest req) => PlanRunner.Execute(Images().PlanSave(req), _f);
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", name);

    private JailPlan Create(string image, string name = "web")
    {
        _f.Service.Invalidate();
        return _f.Service.PlanCreate(new NewJailRequest { Name = name, Path = "/usr/jails/" + name, Image = image });
    }

    private void StartAndStop(string name)
    {
        _f.Service.Invalidate();
        var spec = _f.Spec(_f.Service.FindDefinition(name)!);
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        Assert.NotNull(_f.Host.Kernel.GetByName(name));
        PlanRunner.Execute(_f.Lifecycle().PlanStop(name, _f.Host.Kernel.GetByName(name)!.Jid, spec, 0, force: false), _f);
        Assert.Null(_f.Host.Kernel.GetByName(name));
    }

    private string MirrorCopy()
    {
        foreach (string f in new[] { "FreeBSD-15.0-RELEASE-amd64-container-image-runtime.txz", "CHECKSUM.SHA256" })
            File.Copy(Fixture(f), Path.Combine(_media, f));
        return Path.Combine(_media, "FreeBSD-15.0-RELEASE-amd64-container-image-runtime.txz");
    }

    [Fact]
    public void The_mirrors_container_image_txz_is_imported_with_its_checksum_and_becomes_a_jail_that_boots_with_rc()
    {
        Save(new SaveImageRequest { Path = MirrorCopy() });
        var image = Images().List().Single();
        Assert.Equal("localhost/freebsd-runtime:15.0-RELEASE-amd64", image.Reference);   // podman load's name for it
        Assert.Equal("freebsd/amd64", image.Platform);
        Assert.True(image.Boots);
        Assert.Equal(new[] { "/bin/sh" }, image.Command);   // the mirror's config says "cmd", lower-case
        Assert.Contains(_f.VerboseLines, l => l.Contains("SHA-256 matches"));

        var plan = Create("freebsd-runtime:15.0-RELEASE-amd64");
        Assert.Contains(plan.Steps, s => s.Description.StartsWith("layer 1/1 sha256:", StringComparison.Ordinal) && s.Description.Contains("tar -xpf /var/db/jailps/images/tmp/"));
        PlanRunner.Execute(plan, _f);
        // tar got the rebuilt tar of the checked entries, never the blob, and it is gone again.
        var tar = _f.Sim.Processes.Log.Single(c => c.Arguments[0] == "/usr/bin/tar");
        Assert.StartsWith(JailImageService.RebuiltDir + "/", tar.Arguments[2]);
        Assert.Empty(_f.Host.Files.Glob(JailImageService.RebuiltDir + "/*"));
        string root = Local("/usr/jails/web");
        Assert.Equal("FreeBSD 15.0-RELEASE OCI runtime image (JailPS test fixture)\n", File.ReadAllText(Path.Combine(root, "etc/motd")));
        Assert.Equal("/usr/share/misc/termcap", new FileInfo(Path.Combine(root, "etc/termcap")).LinkTarget);   // resolved by the jail, never by the host
        File.AppendAllText(Path.Combine(root, "bin/["), "same inode\n");
        Assert.EndsWith("same inode\n", File.ReadAllText(Path.Combine(root, "bin/test")));
        string conf = _f.Host.Files.ReadAllText("/etc/jail.conf.d/web.conf")!;
        Assert.Contains("exec.start = \"/bin/sh /etc/rc\";", conf);
        Assert.Contains("persist;", conf);
        Assert.Contains("mount.devfs;", conf);
        Assert.Contains($"$jailps_image = \"localhost/freebsd-runtime:15.0-RELEASE-amd64@{image.Digest}\";", conf);
        Assert.Equal(new[] { "web" }, Images().List(_f.Service.Definitions).Single().Jails);
        StartAndStop("web");
    }

    [Fact]
    public void A_mirror_file_that_does_not_match_its_checksum_is_refused_and_nothing_is_cached()
    {
        string file = MirrorCopy();
        File.WriteAllText(Path.Combine(_media, "CHECKSUM.SHA256"), $"SHA256 ({Path.GetFileName(file)}) = {new string('0', 64)}\n");
        var ex = Assert.Throws<JailPlanException>(() => Save(new SaveImageRequest { Path = file }));
        Assert.Equal("JailImageChecksumMismatch", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Empty(Images().Records());
        Assert.Empty(_f.Host.Files.Glob(JailImageService.BlobDir + "/*"));
    }

    [Fact]
    public void The_mirrors_file_is_downloaded_with_its_checksum_resumed_after_a_cut_and_refused_when_it_does_not_match()
    {
        const string dir = "/releases/OCI-IMAGES/15.0-RELEASE/amd64/Latest/";
        const string name = "FreeBSD-15.0-RELEASE-amd64-container-image-runtime.txz";
        byte[] txz = File.ReadAllBytes(Fixture(name));
        _registry.Server.Put(dir + name, txz);
        _registry.Server.Put(dir + "CHECKSUM.SHA256", File.ReadAllBytes(Fixture("CHECKSUM.SHA256")));
        _registry.Server.CutOnce[dir + name] = 500;
        string url = _registry.Server.Url.TrimEnd('/') + dir + name;
        var ex = Assert.Throws<JailPlanException>(() => Save(new SaveImageRequest { Path = url }));
        Assert.Equal("JailImageDownloadFailed", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Equal(500, new FileInfo(Local(JailImageService.CacheRoot + "/downloads/" + name + ".part")).Length);

        Save(new SaveImageRequest { Path = url });
        Assert.Contains(_registry.Server.Requests, r => r == $"GET {dir}{name} bytes=500-");
        var image = Images().List().Single();
        Assert.Equal("localhost/freebsd-runtime:15.0-RELEASE-amd64", image.Reference);
        Assert.Equal(url, image.Source);
        Assert.Contains(_f.VerboseLines, l => l.Contains("SHA-256 matches " + _registry.Server.Url.TrimEnd('/') + dir + "CHECKSUM.SHA256"));
        Assert.Empty(_f.Host.Files.Glob(JailImageService.CacheRoot + "/downloads/*"));   // its blobs are in the cache now

        _registry.Server.Put(dir + "CHECKSUM.SHA256", $"SHA256 ({name}) = {new string('1', 64)}\n");
        ex = Assert.Throws<JailPlanException>(() => Save(new SaveImageRequest { Path = url, Name = "example.org/again:1" }));
        Assert.Equal("JailImageChecksumMismatch", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Empty(_f.Host.Files.Glob(JailImageService.CacheRoot + "/downloads/*"));
        Assert.Single(Images().Records());
    }

    private static TestImage TwoLayerImage(object? runConfig = null) => OciTestImages.Image(new[]
    {
        OciTestImages.Layer(LayerCompression.Gzip, new[]
        {
            Dir("bin"), Regular("bin/sh", "#!/rescue/sh\n"), Dir("etc"), Regular("etc/motd", "lower\n"), Regular("etc/old.conf", "whited out\n"),
            Dir("usr"), Dir("usr/share"), Dir("usr/share/doc"), Regular("usr/share/doc/a.txt", "a\n"), Regular("usr/share/doc/b.txt", "b\n"), Dir("dev"),
        }),
        OciTestImages.Layer(LayerCompression.Zstd, new[]
        {
            Dir("etc"), Regular("etc/.wh.old.conf"), Regular("etc/motd", "upper\n"),
            Dir("usr/share/doc"), Regular("usr/share/doc/.wh..wh..opq"), Regular("usr/share/doc/c.txt", "c\n"),
            Dir("srv"), Regular("srv/app", "#!/bin/sh\n"), HardLink("srv/app-link", "srv/app"),
        }),
    }, runConfig);

    [Fact]
    public void A_pull_takes_the_token_the_freebsd_manifest_of_the_index_and_blobs_from_a_redirected_store()
    {
        var image = TwoLayerImage(new Dictionary<string, object>
        {
            ["Entrypoint"] = new[] { "/srv/app" }, ["Cmd"] = new[] { "--port", "8080" }, ["Env"] = new[] { "PATH=/bin:/usr/bin", "GREETING=hello world" },
            ["WorkingDir"] = "/srv", ["User"] = "www",
        });
        var linux = OciTestImages.Image(new[] { OciTestImages.Layer(LayerCompression.Gzip, new[] { Regular("linux-only") }) }, os: "linux");
        _registry.Push("freebsd/app", "1.0", linux);
        _registry.Push("freebsd/app", "1.0", image, OciTestImages.Index((linux, "linux", "amd64"), (image, "freebsd", "amd64")));
        Save(new SaveImageRequest { Reference = $"{_registry.Host}/freebsd/app:1.0" });

        Assert.Contains(_registry.TokenRequests, t => t.Contains("scope=repository%3Afreebsd%2Fapp%3Apull") && t.Contains("service=test-registry"));
        Assert.NotEmpty(_registry.StoreAuthorizations);
        Assert.All(_registry.StoreAuthorizations, Assert.Null);   // the token never goes to the blob store
        Assert.DoesNotContain(_registry.Server.Requests, r => r.Contains(linux.Layers[0].Digest));
        var saved = Images().List().Single();
        Assert.Equal($"{_registry.Host}/freebsd/app:1.0", saved.Reference);
        Assert.Equal(image.ManifestDigest, saved.Digest);
        Assert.Equal(2, saved.Layers.Length);
        Assert.Contains(_f.Progress, p => p.ActivityId == JailImageService.ProgressActivity);

        var plan = Create($"{_registry.Host}/freebsd/app:1.0");
        string block = plan.Steps.Single(s => s.Name == "write").Description;   // what -WhatIf shows
        Assert.Contains("cd /srv && exec /usr/bin/env PATH=/bin:/usr/bin 'GREETING=hello world' /srv/app --port 8080 </dev/null &", block);
        Assert.Contains("exec.jail_user = www;", block);
        Assert.True(block.Contains("exec.consolelog = \"/var/log/jail_console_web.log\";"), block);
        PlanRunner.Execute(plan, _f);
        string root = Local("/usr/jails/web");
        Assert.Equal("upper\n", File.ReadAllText(Path.Combine(root, "etc/motd")));
        Assert.False(File.Exists(Path.Combine(root, "etc/old.conf")));           // a whiteout
        Assert.False(File.Exists(Path.Combine(root, "etc/.wh.old.conf")));       // and its marker
        Assert.Equal(new[] { "c.txt" }, Directory.GetFileSystemEntries(Path.Combine(root, "usr/share/doc")).Select(Path.GetFileName));   // opaque
        File.AppendAllText(Path.Combine(root, "srv/app"), "# same inode\n");
        Assert.EndsWith("# same inode\n", File.ReadAllText(Path.Combine(root, "srv/app-link")));
    }

    [Fact]
    public void A_credential_is_sent_to_the_token_service_and_a_refused_login_is_its_own_error()
    {
        _registry.RequiredLogin = "admin:s3cret";
        _registry.Push("private/app", "2", TwoLayerImage());
        var ex = Assert.Throws<JailPlanException>(() => Save(new SaveImageRequest { Reference = $"{_registry.Host}/private/app:2" }));
        Assert.Equal("JailImageUnauthorized", ((JailOperationException)ex.InnerException!).ErrorId);
        Save(new SaveImageRequest { Reference = $"{_registry.Host}/private/app:2", Credential = new RegistryCredential("admin", "s3cret") });
        Assert.Single(Images().Records());
    }

    [Fact]
    public void A_missing_tag_a_wrong_digest_and_a_non_freebsd_image_are_refused_with_nothing_cached()
    {
        var ex = Assert.Throws<JailPlanException>(() => Save(new SaveImageRequest { Reference = $"{_registry.Host}/freebsd/none:1" }));
        Assert.Equal("JailImageNotFound", ((JailOperationException)ex.InnerException!).ErrorId);

        var image = TwoLayerImage();
        _registry.Push("freebsd/bad", "1", image);
        // The store serves other bytes for the second layer (same size): the digest catches it.
        byte[] tampered = (byte[])image.Layers[1].Blob.Clone();
        tampered[^1] ^= 0xff;
        _registry.Server.Put($"/store/{image.Layers[1].Digest}", tampered);
        ex = Assert.Throws<JailPlanException>(() => Save(new SaveImageRequest { Reference = $"{_registry.Host}/freebsd/bad:1" }));
        Assert.Equal("JailImageDigestMismatch", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Empty(Images().Records());
        Assert.False(_f.Host.Files.FileExists(JailImageService.BlobPath(image.Layers[1].Digest) + ".part"));

        var linux = OciTestImages.Image(new[] { OciTestImages.Layer(LayerCompression.Gzip, new[] { Regular("x") }) }, os: "linux");
        _registry.Push("library/debian", "12", linux, OciTestImages.Index((linux, "linux", "amd64")));
        ex = Assert.Throws<JailPlanException>(() => Save(new SaveImageRequest { Reference = $"{_registry.Host}/library/debian:12" }));
        Assert.Equal("JailImagePlatformNotFound", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Contains("linux/amd64", ex.InnerException!.Message);
        Assert.Empty(Images().Records());
    }

    [Fact]
    public void A_transfer_cut_off_is_kept_as_a_part_file_and_the_next_save_resumes_it()
    {
        var image = TwoLayerImage();
        _registry.Push("freebsd/big", "1", image);
        _registry.Server.CutOnce[$"/store/{image.Layers[0].Digest}"] = 40;
        var ex = Assert.Throws<JailPlanException>(() => Save(new SaveImageRequest { Reference = $"{_registry.Host}/freebsd/big:1" }));
        Assert.Equal("JailImageDownloadFailed", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Equal(40, new FileInfo(Local(JailImageService.BlobPath(image.Layers[0].Digest) + ".part")).Length);
        Assert.Empty(Images().Records());

        Save(new SaveImageRequest { Reference = $"{_registry.Host}/freebsd/big:1" });
        Assert.Contains(_registry.Server.Requests, r => r == $"GET /store/{image.Layers[0].Digest} bytes=40-");
        Assert.Single(Images().Records());
        Assert.False(_f.Host.Files.FileExists(JailImageService.BlobPath(image.Layers[0].Digest) + ".part"));
    }

    [Fact]
    public void A_cached_layer_changed_after_the_save_is_caught_when_applied_and_the_jail_is_not_made()
    {
        string dir = OciTestImages.WriteLayout(Path.Combine(_media, "layout"), TwoLayerImage(), "app:1");
        Save(new SaveImageRequest { Path = dir, Name = "example.org/app:1" });
        var record = Images().Records().Single();
        Assert.Equal("example.org/app:1", record.Reference);
        string blob = Local(JailImageService.BlobPath(record.Layers[1].Digest));
        byte[] bytes = File.ReadAllBytes(blob);
        bytes[^1] ^= 0xff;
        File.WriteAllBytes(blob, bytes);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Create("example.org/app:1"), _f));
        Assert.Equal("JailImageDigestMismatch", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.False(Directory.Exists(Local("/usr/jails/web")));
        Assert.False(File.Exists(Local("/etc/jail.conf.d/web.conf")));
    }

    [Fact]
    public void An_image_that_is_not_cached_or_used_with_release_is_refused_before_anything_is_done()
    {
        Assert.Equal("JailImageNotCached", Assert.Throws<JailOperationException>(() => Create("freebsd/freebsd-runtime:15.0")).ErrorId);
        Save(new SaveImageRequest { Path = MirrorCopy() });
        Assert.Equal("JailPathRequired", Assert.Throws<JailOperationException>(() => _f.Service.PlanCreate(new NewJailRequest { Name = "x", Image = "freebsd-runtime:15.0-RELEASE-amd64" })).ErrorId);
        Assert.False(Directory.Exists(Local("/usr/jails")));
    }

    [Fact]
    public void Remove_keeps_an_image_a_jail_names_and_takes_only_blobs_no_other_image_uses()
    {
        string dir = OciTestImages.WriteLayout(Path.Combine(_media, "layout"), TwoLayerImage(), "app:1");
        Save(new SaveImageRequest { Path = dir, Name = "example.org/app:1" });
        Save(new SaveImageRequest { Path = dir, Name = "example.org/app:copy" });
        PlanRunner.Execute(Create("example.org/app:1"), _f);
        _f.Service.Invalidate();
        var first = Images().Find("example.org/app:1")!;
        Assert.Equal("JailImageInUse", Assert.Throws<JailOperationException>(() => Images().PlanRemove(first, _f.Service.Definitions, force: false)).ErrorId);
        PlanRunner.Execute(Images().PlanRemove(first, _f.Service.Definitions, force: true), _f);
        Assert.True(_f.Host.Files.FileExists(JailImageService.BlobPath(first.Layers[0].Digest)));   // the copy still uses it
        var copy = Images().Find("example.org/app:copy")!;
        PlanRunner.Execute(Images().PlanRemove(copy, _f.Service.Definitions, force: true), _f);
        Assert.Empty(_f.Host.Files.Glob(JailImageService.BlobDir + "/*"));
        Assert.True(File.Exists(Local("/usr/jails/web/etc/motd")));   // the jail's root is its own copy
    }

    [Fact]
    public void References_are_read_as_podman_reads_them()
    {
        Assert.Equal("docker.io/freebsd/freebsd-runtime:15.0", OciReference.Parse("freebsd/freebsd-runtime:15.0").Canonical);
        Assert.Equal("registry-1.docker.io", OciReference.Parse("freebsd/freebsd-runtime:15.0").ApiHost);
        Assert.Equal("docker.io/library/alpine:latest", OciReference.Parse("alpine").Canonical);
        Assert.Equal("ghcr.io/freebsd/freebsd-runtime:14.3", OciReference.Parse("ghcr.io/freebsd/freebsd-runtime:14.3").Canonical);
        Assert.Equal("localhost:5000/a/b:latest", OciReference.Parse("localhost:5000/a/b").Canonical);
        var pinned = OciReference.Parse("ghcr.io/x/y@sha256:" + new string('a', 64));
        Assert.Null(pinned.Tag);
        Assert.Equal("sha256:" + new string('a', 64), pinned.ManifestKey);
        foreach (string bad in new[] { "Upper/Case", "a//b", "x:", "y@sha256:12", "../etc" })
            Assert.Equal("JailImageReferenceInvalid", Assert.Throws<JailOperationException>(() => OciReference.Parse(bad)).ErrorId);
    }

    [Fact]
    public void A_podman_auth_file_gives_the_most_specific_login()
    {
        string b64(string s) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(s));
        string text = $"{{\"auths\":{{\"ghcr.io\":{{\"auth\":\"{b64("u1:p1")}\"}},\"ghcr.io/acme\":{{\"auth\":\"{b64("u2:p:2")}\"}}}}}}";
        Assert.Equal(new RegistryCredential("u2", "p:2"), OciRegistryClient.FromAuthFile(text, OciReference.Parse("ghcr.io/acme/app:1"), "auth.json"));
        Assert.Equal(new RegistryCredential("u1", "p1"), OciRegistryClient.FromAuthFile(text, OciReference.Parse("ghcr.io/other/app:1"), "auth.json"));
        Assert.Null(OciRegistryClient.FromAuthFile(text, OciReference.Parse("quay.io/x/y:1"), "auth.json"));
        Assert.Equal("JailImageAuthFileInvalid", Assert.Throws<JailOperationException>(() => OciRegistryClient.FromAuthFile("{", OciReference.Parse("x"), "auth.json")).ErrorId);
    }
}
