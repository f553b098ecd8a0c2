using System.Formats.Tar;
using System.IO;
using JailPS.Core.Images;
using JailPS.Core.Lifecycle;
using JailPS.Core.Tests.Lifecycle;
using static JailPS.Core.Tests.Images.LayerEntry;

namespace JailPS.Core.Tests.Images;

/// <summary>
/// Layers built to write outside the jail's root, each refused with its own error id before a byte
/// of the image is written: no record, none of its blobs, nothing new anywhere on the host.
/// </summary>
public sealed class HostileLayerTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly string _media = Path.Combine(Path.GetTempPath(), "jailps-hostile-" + Guid.NewGuid().ToString("N")[..8]);

    public HostileLayerTests() => Directory.CreateDirectory(_media);

    public void Dispose()
    {
        _f.Dispose();
        Directory.Delete(_media, recursive: true);
    }

    private static TestLayer Gz(params LayerEntry[] entries) => OciTestImages.Layer(LayerCompression.Gzip, entries);

    public static TheoryData<string, string> Cases() => new()
    {
        { "dotdot", "JailImageLayerPathOutside" },
        { "whiteout-dotdot", "JailImageLayerPathOutside" },
        { "hardlink-absolute", "JailImageLayerLinkOutside" },
        { "hardlink-dotdot", "JailImageLayerLinkOutside" },
        { "hardlink-to-directory", "JailImageLayerLinkInvalid" },
        { "link-then-file-same-layer", "JailImageLayerThroughLink" },
        { "link-then-file-next-layer", "JailImageLayerThroughLink" },
        { "link-then-whiteout-next-layer", "JailImageLayerThroughLink" },
        { "huge-pax-header", "JailImageLayerHeaderTooLarge" },
        { "device-node", "JailImageLayerDeviceNode" },
        { "beneath-a-whiteout", "JailImageLayerWhiteoutInvalid" },
        { "name-longer-than-path-max", "JailImageLayerHeaderTooLarge" },
        { "sparse-name-keyword", "JailImageLayerEntryUnsupported" },
        { "gzip-inside-a-plain-layer", "JailImageLayerCorrupt" },
    };

    private static TestLayer[] Layers(string name) => name switch
    {
        "dotdot" => new[] { Gz(Dir("etc"), Regular("../escaped-dotdot.txt", "out\n")) },
        "whiteout-dotdot" => new[] { Gz(Dir("etc")), Gz(Regular("etc/.wh..."))},
        "hardlink-absolute" => new[] { Gz(Dir("etc"), HardLink("etc/copy", "/etc/master.passwd")) },
        "hardlink-dotdot" => new[] { Gz(Dir("etc"), Regular("etc/a"), HardLink("etc/copy", "etc/../../../etc/master.passwd")) },
        "hardlink-to-directory" => new[] { Gz(Dir("etc"), HardLink("etc/copy", "etc")) },
        "link-then-file-same-layer" => new[] { Gz(Symlink("etc", "/etc"), Regular("etc/escaped-through-link.txt", "out\n")) },
        "link-then-file-next-layer" => new[] { Gz(Symlink("usr", "/usr")), Gz(Regular("usr/escaped-through-link.txt", "out\n")) },
        "link-then-whiteout-next-layer" => new[] { Gz(Symlink("var", "/var")), Gz(Regular("var/.wh.log")) },
        "huge-pax-header" => new[] { OciTestImages.Layer(LayerCompression.Gzip, new[] { Dir("etc") }, w =>
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/big", new Dictionary<string, string> { ["comment"] = new string('x', 200_000) }) { DataStream = new MemoryStream(new byte[1]) })) },
        "device-node" => new[] { OciTestImages.Layer(LayerCompression.Gzip, new[] { Dir("dev") }, w =>
            w.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "dev/mem") { DeviceMajor = 0, DeviceMinor = 9 })) },
        "beneath-a-whiteout" => new[] { Gz(Dir("etc")), Gz(Regular("etc/.wh.x/passwd", "x\n")) },
        "name-longer-than-path-max" => new[] { Gz(Dir("etc"), Regular("etc/" + string.Join("/", Enumerable.Repeat(new string('d', 100), 11)), "x\n")) },
        "sparse-name-keyword" => new[] { OciTestImages.Layer(LayerCompression.Gzip, new[] { Dir("etc") }, w =>
            w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/motd", new Dictionary<string, string> { ["GNU.sparse.name"] = "a/b/evil" }) { DataStream = new MemoryStream(new byte[1]) })) },
        "gzip-inside-a-plain-layer" => new[] { PlainButGzip() },
        _ => throw new ArgumentException(name),
    };

    /// <summary>A layer its media type calls a plain tar whose bytes are a gzip stream (bsdtar would guess and decompress it).</summary>
    private static TestLayer PlainButGzip()
    {
        var gz = Gz(Symlink("etc", "/"), Regular("ok", "y\n"));
        return new TestLayer(gz.Blob, OciMediaTypes.Layer, OciDocuments.Sha256(gz.Blob));
    }

    /// <summary>
    /// A raw 512-byte ustar header, written by hand: .NET reads magic "ustar " with version "00" as
    /// GNU and takes no prefix; libarchive reads it as ustar and puts the prefix in front.
    /// </summary>
    private static byte[] RawHeader(string name, string prefix, char type, string link)
    {
        byte[] h = new byte[512];
        void Put(int at, string text) => System.Text.Encoding.ASCII.GetBytes(text).CopyTo(h, at);
        Put(0, name); Put(100, "0000755\0"); Put(108, "0000000\0"); Put(116, "0000000\0"); Put(124, "00000000000\0"); Put(136, "00000000000\0");
        h[156] = (byte)type; Put(157, link); Put(257, "ustar "); Put(263, "00"); Put(345, prefix);
        for (int i = 148; i < 156; i++) h[i] = (byte)' ';
        int sum = h.Sum(b => b);
        Put(148, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
        return h;
    }

    [Fact]
    public void A_header_tar_and_dotnet_read_differently_is_applied_as_it_was_checked()
    {
        // A symbolic link the check sees as "b" (what bsdtar would write as "0/b": .NET reads the
        // prefix field of this GNU-magic header as a time, "0"), then a layer whose opaque marker is beneath "0/b": tar is given the rebuilt tar of the checked entries,
        // so the link lands at ROOT/b, and nothing is deleted through it.
        byte[] tar = RawHeader("b", "0", '2', "/").Concat(new byte[1024]).ToArray();
        var image = OciTestImages.Image(new[] { OciTestImages.LayerOf(tar, LayerCompression.Gzip), Gz(Dir("0"), Dir("0/b"), Regular("0/b/.wh..wh..opq")) });
        _f.Host.Files.CreateDirectory("/etc");
        _f.WriteFile("/etc/passwd", "the host's\n");
        string layout = OciTestImages.WriteLayout(Path.Combine(_media, "prefix"), image, "prefix:1");
        PlanRunner.Execute(new JailImageService(_f.Host, _f).PlanSave(new SaveImageRequest { Path = layout }), _f);
        PlanRunner.Execute(_f.Service.PlanCreate(new NewJailRequest { Name = "p", Path = "/usr/jails/p", Image = "prefix:1" }), _f);
        string root = _f.Host.Files.ToLocalPath("/usr/jails/p");
        Assert.Equal("/", new FileInfo(Path.Combine(root, "b")).LinkTarget);
        Assert.True(Directory.Exists(Path.Combine(root, "0/b")) && new DirectoryInfo(Path.Combine(root, "0/b")).LinkTarget is null);
        Assert.Equal("the host's\n", File.ReadAllText(_f.Host.Files.ToLocalPath("/etc/passwd")));
    }

    [Fact]
    public void Whiteout_deletions_refuse_a_link_on_the_disk_even_where_the_check_saw_a_directory()
    {
        _f.Host.Files.CreateDirectory("/usr/jails/r");
        _f.Host.Files.CreateDirectory("/etc");
        _f.WriteFile("/etc/passwd", "the host's\n");
        File.CreateSymbolicLink(_f.Host.Files.ToLocalPath("/usr/jails/r/etc"), _f.Host.Files.ToLocalPath("/etc"));
        var ex = Assert.Throws<JailOperationException>(() => new JailPS.Core.Provisioning.JailRootRemover(_f.Host, _f).RemovePaths("r", "/usr/jails/r", new[] { "etc/passwd" }));
        Assert.Equal("JailRootRefused", ex.ErrorId);
        Assert.Equal("the host's\n", File.ReadAllText(_f.Host.Files.ToLocalPath("/etc/passwd")));
        Assert.DoesNotContain(_f.Sim.Processes.Log, c => c.Arguments[0] == "/bin/rm");
    }

    private List<string> HostFiles()
        => Directory.EnumerateFileSystemEntries(_f.Root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(_f.Root, p))
            .Where(p => !p.StartsWith(".jailps", StringComparison.Ordinal)).OrderBy(p => p, StringComparer.Ordinal).ToList();

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_hostile_image_is_refused_with_its_own_error_and_leaves_nothing(string name, string errorId)
    {
        _f.Host.Files.CreateDirectory("/var/log");
        _f.WriteFile("/var/log/messages", "the host's log\n");
        string layout = OciTestImages.WriteLayout(Path.Combine(_media, name), OciTestImages.Image(Layers(name)), "hostile:1");
        var before = HostFiles();
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(new JailImageService(_f.Host, _f).PlanSave(new SaveImageRequest { Path = layout }), _f));
        var cause = Assert.IsType<JailOperationException>(ex.InnerException);
        Assert.Equal(errorId, cause.ErrorId);
        Assert.NotNull(cause.TargetObject);
        Assert.Empty(new JailImageService(_f.Host, _f).Records());
        Assert.Empty(_f.Host.Files.Glob(JailImageService.BlobDir + "/*"));
        var after = HostFiles().Where(p => !p.StartsWith("var/db/jailps", StringComparison.Ordinal) && p != "var/db").ToList();
        Assert.Equal(before, after);
        Assert.Equal("the host's log\n", File.ReadAllText(_f.Host.Files.ToLocalPath("/var/log/messages")));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_f.Root)!, "escaped-dotdot.txt")));
    }

    [Fact]
    public void An_absolute_symbolic_link_is_kept_as_it_is_and_a_later_layer_may_replace_it_with_a_directory()
    {
        var image = OciTestImages.Image(new[]
        {
            Gz(Dir("etc"), Regular("etc/motd", "hi\n"), Symlink("etc/termcap", "/usr/share/misc/termcap"), Symlink("data", "/var/db/data")),
            Gz(Dir("data"), Regular("data/file", "inside\n")),
        });
        string layout = OciTestImages.WriteLayout(Path.Combine(_media, "ok"), image, "ok:1");
        PlanRunner.Execute(new JailImageService(_f.Host, _f).PlanSave(new SaveImageRequest { Path = layout }), _f);
        PlanRunner.Execute(_f.Service.PlanCreate(new NewJailRequest { Name = "ok", Path = "/usr/jails/ok", Image = "ok:1" }), _f);
        string root = _f.Host.Files.ToLocalPath("/usr/jails/ok");
        Assert.Equal("/usr/share/misc/termcap", new FileInfo(Path.Combine(root, "etc/termcap")).LinkTarget);
        Assert.True(Directory.Exists(Path.Combine(root, "data")) && new DirectoryInfo(Path.Combine(root, "data")).LinkTarget is null);
        Assert.Equal("inside\n", File.ReadAllText(Path.Combine(root, "data/file")));
        Assert.False(Directory.Exists(_f.Host.Files.ToLocalPath("/var/db/data")));
    }
}
