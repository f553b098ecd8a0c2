using System.IO;
using JailPS.Core.Images;
using JailPS.Core.Lifecycle;
using JailPS.Core.Processes;
using JailPS.Core.Provisioning;
using JailPS.Core.Tests.Lifecycle;
using static JailPS.Core.Tests.Images.LayerEntry;

namespace JailPS.Core.Tests.Images;

/// <summary>
/// Image roots where the jails' directory is a ZFS dataset, as podman's ZFS storage driver keeps
/// layers: a dataset per layer (PARENT/images/CHAINID), each a clone of the one below with its
/// layer applied, and the jail a clone of the top one; shared lower layers are not made twice.
/// </summary>
public sealed class ImageZfsTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly string _media = Path.Combine(Path.GetTempPath(), "jailps-ocizfs-" + Guid.NewGuid().ToString("N")[..8]);

    public ImageZfsTests()
    {
        Directory.CreateDirectory(_media);
        Assert.Equal(0, _f.Sim.Processes.Run(new ProcessRequest { Arguments = new[] { "/sbin/zfs", "create", "-o", "mountpoint=/usr/jails", "zroot/jails" }, Purpose = "test" }).ExitCode);
    }

    public void Dispose()
    {
        _f.Dispose();
        Directory.Delete(_media, recursive: true);
    }

    private static readonly TestLayer s_base = OciTestImages.Layer(LayerCompression.Gzip, new[] { Dir("etc"), Regular("etc/motd", "base\n"), Regular("etc/old", "old\n"), Dir("dev") });

    private void SaveImage(string name, params TestLayer[] upper)
    {
        string dir = OciTestImages.WriteLayout(Path.Combine(_media, name.Replace(':', '_').Replace('/', '_')), OciTestImages.Image(new[] { s_base }.Concat(upper).ToList()), "x:1");
        PlanRunner.Execute(new JailImageService(_f.Host, _f).PlanSave(new SaveImageRequest { Path = dir, Name = name }), _f);
    }

    private string[] Datasets() => _f.Sim.Kernel.ZfsDatasets.Select(d => d.Name).ToArray();

    [Fact]
    public void Each_layer_is_a_dataset_cloned_from_the_one_below_and_the_jail_a_clone_of_the_top()
    {
        SaveImage("example.org/app:1", OciTestImages.Layer(LayerCompression.Zstd, new[] { Dir("etc"), Regular("etc/.wh.old"), Regular("etc/motd", "app\n") }));
        var record = new JailImageService(_f.Host, _f).Find("example.org/app:1")!;
        var chain = JailRootBuilder.ChainIds(record);
        Assert.Equal(record.Layers[0].DiffId, chain[0]);
        string l0 = "zroot/jails/images/" + chain[0][7..], l1 = "zroot/jails/images/" + chain[1][7..];
        var plan = _f.Service.PlanCreate(new NewJailRequest { Name = "web", Path = "/usr/jails/web", Image = "example.org/app:1" });
        PlanRunner.Execute(plan, _f);
        var datasets = _f.Sim.Kernel.ZfsDatasets.ToDictionary(d => d.Name);
        Assert.Contains(l0, datasets.Keys);
        Assert.Equal($"{l0}@jailps-{chain[1][7..19]}", datasets[l1].Origin);
        Assert.Equal($"{l1}@jailps-web", datasets["zroot/jails/web"].Origin);
        Assert.Equal("base\n", File.ReadAllText(_f.Host.Files.ToLocalPath($"/usr/jails/images/{chain[0][7..]}/etc/motd")));
        Assert.Equal("app\n", File.ReadAllText(_f.Host.Files.ToLocalPath("/usr/jails/web/etc/motd")));
        Assert.False(File.Exists(_f.Host.Files.ToLocalPath("/usr/jails/web/etc/old")));
        Assert.False(File.Exists(_f.Host.Files.ToLocalPath("/usr/jails/web/etc/.wh.old")));

        // A second image on the same base: the base layer's dataset is used as it is.
        SaveImage("example.org/other:1", OciTestImages.Layer(LayerCompression.Gzip, new[] { Dir("srv"), Regular("srv/x", "x\n") }));
        int before = Datasets().Count(d => d.StartsWith(l0, StringComparison.Ordinal));
        var second = _f.Service.PlanCreate(new NewJailRequest { Name = "db", Path = "/usr/jails/db", Image = "example.org/other:1" });
        Assert.Contains(second.Steps, s => s.Description.Contains("in " + l0 + " already"));
        PlanRunner.Execute(second, _f);
        Assert.Equal("base\n", File.ReadAllText(_f.Host.Files.ToLocalPath("/usr/jails/db/etc/motd")));
        Assert.Equal("old\n", File.ReadAllText(_f.Host.Files.ToLocalPath("/usr/jails/db/etc/old")));

        // -DeleteRoot takes the jail's clone and its snapshot; the layers stay for other jails.
        _f.Service.Invalidate();
        PlanRunner.Execute(_f.Service.PlanRemoveDefinition(_f.Service.FindDefinition("web")!, deleteRoot: true), _f);
        Assert.DoesNotContain("zroot/jails/web", Datasets());
        Assert.Contains(l1, Datasets());
    }

    [Fact]
    public void A_failed_layer_takes_back_every_dataset_this_plan_made()
    {
        SaveImage("example.org/app:1", OciTestImages.Layer(LayerCompression.Gzip, new[] { Dir("srv"), Regular("srv/x", "x\n") }));
        var before = Datasets();
        _f.Sim.Processes.AddResponse(new JailPS.Core.Host.SimulatedResponse { Command = "/usr/bin/tar -xpf * -C /usr/jails/images/*", ExitCode = 1, StandardError = "tar: Error exit delayed from previous errors.\n" });
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Service.PlanCreate(new NewJailRequest { Name = "web", Path = "/usr/jails/web", Image = "example.org/app:1" }), _f));
        Assert.Equal("JailRootExtractFailed", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Equal(before, Datasets());
        Assert.False(File.Exists(_f.Host.Files.ToLocalPath("/etc/jail.conf.d/web.conf")));
    }
}
