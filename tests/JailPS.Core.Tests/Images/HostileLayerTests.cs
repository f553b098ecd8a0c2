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
        _ => throw new ArgumentException(name),
    };

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
