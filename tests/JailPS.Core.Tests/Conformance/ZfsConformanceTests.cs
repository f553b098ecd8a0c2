using System.IO;
using System.Runtime.InteropServices;
using JailPS.Core.Host;
using JailPS.Core.Processes;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// The zfs(8) forms JailPS uses (create -p, snapshot, clone, list -H -p, get -H -p -o value,
/// destroy -r) and the messages and exit statuses it reads, against the simulated host's zfs and
/// the real /sbin/zfs (trait Category=FreeBSD: as root, with JAILPS_CONFORMANCE_ZFS_PARENT naming
/// a mounted dataset the test may make children in; skipped elsewhere with the reason). The real
/// run makes PARENT/jailps-conf-* and destroys it afterwards.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class ZfsConformanceTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "jailps-zfsconf-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _leaf = "jailps-conf-" + Guid.NewGuid().ToString("N")[..6];
    private IProcessRunner? _runner;
    private string _parent = "";

    public void Dispose()
    {
        try { if (_parent.Length > 0) _runner?.Run(Request("destroy", "-r", $"{_parent}/{_leaf}")); } catch (IOException) { }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    public static IEnumerable<object[]> Kinds() => new[] { new object[] { "simulated" }, new object[] { "freebsd" } };

    private IProcessRunner Open(string which)
    {
        if (which == "simulated")
        {
            var sim = new SimulatedHost(_root);
            _parent = "zroot/conformance";
            Assert.Equal(0, sim.Processes.Run(Request("create", "-o", "mountpoint=/conformance", _parent)).ExitCode);
            return _runner = sim.Processes;
        }
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "zfs conformance runs only on FreeBSD (this is " + RuntimeInformation.OSDescription + ")");
        Skip.If(new JailPS.Native.FreeBsdLibc().GetEuid() != 0, "zfs conformance needs root");
        string? parent = Environment.GetEnvironmentVariable("JAILPS_CONFORMANCE_ZFS_PARENT");
        Skip.If(string.IsNullOrEmpty(parent), "set JAILPS_CONFORMANCE_ZFS_PARENT to a mounted dataset the test may make children in (zroot/tmp)");
        _parent = parent!;
        return _runner = new SystemProcessRunner();
    }

    private static ProcessRequest Request(params string[] args)
        => new() { Arguments = new[] { "/sbin/zfs" }.Concat(args).ToArray(), Purpose = "zfs", Timeout = TimeSpan.FromSeconds(60) };

    private static string Value(IProcessRunner zfs, string prop, string name) => zfs.Run(Request("get", "-H", "-p", "-o", "value", prop, name)).StandardOutput.TrimEnd('\n');

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void Create_snapshot_clone_list_and_destroy_read_as_JailPS_reads_them(string which)
    {
        var zfs = Open(which);
        string ds = $"{_parent}/{_leaf}/a";
        Assert.Equal(0, zfs.Run(Request("create", "-p", ds)).ExitCode);
        string mp = Value(zfs, "mountpoint", _parent);
        Assert.Equal($"{mp}/{_leaf}/a", Value(zfs, "mountpoint", ds));                    // inherited from the parent
        Assert.Equal("-", Value(zfs, "origin", ds));
        Assert.Equal(0, zfs.Run(Request("snapshot", ds + "@s")).ExitCode);
        Assert.Equal(0, zfs.Run(Request("clone", ds + "@s", $"{_parent}/{_leaf}/b")).ExitCode);
        Assert.Equal(ds + "@s", Value(zfs, "origin", $"{_parent}/{_leaf}/b"));

        var list = zfs.Run(Request("list", "-H", "-p", "-t", "filesystem", "-o", "name,type,used,avail,refer,mountpoint,origin,creation", "-r", $"{_parent}/{_leaf}"));
        Assert.Equal(0, list.ExitCode);
        var lines = list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Equal(8, l.Split('\t').Length));                       // one TAB between fields, exact numbers
        Assert.All(lines, l => Assert.True(long.TryParse(l.Split('\t')[2], out _), l));

        var exists = zfs.Run(Request("create", ds));
        Assert.Equal(1, exists.ExitCode);
        Assert.Contains($"cannot create '{ds}': dataset already exists", exists.StandardError);
        var children = zfs.Run(Request("destroy", $"{_parent}/{_leaf}"));
        Assert.Equal(1, children.ExitCode);
        Assert.Contains("filesystem has children", children.StandardError);
        var clones = zfs.Run(Request("destroy", ds + "@s"));
        Assert.Equal(1, clones.ExitCode);
        Assert.Contains("snapshot has dependent clones", clones.StandardError);
        var missing = zfs.Run(Request("list", $"{_parent}/{_leaf}/nope"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("dataset does not exist", missing.StandardError);

        Assert.Equal(0, zfs.Run(Request("destroy", "-r", $"{_parent}/{_leaf}/b")).ExitCode);
        Assert.Equal(0, zfs.Run(Request("destroy", "-r", $"{_parent}/{_leaf}")).ExitCode);
        Assert.NotEqual(0, zfs.Run(Request("list", $"{_parent}/{_leaf}")).ExitCode);
    }
}
