using System;
using System.Collections.Generic;
using System.IO;
using BenchmarkDotNet.Attributes;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;

namespace JailPS.Benchmarks;

/// <summary>
/// The mount paths a busy host runs often: reading a 1,000-entry mount table (getfsstat), and
/// Get-JailMount's comparison for one jail among 200 jails with 5 mounts each.
/// </summary>
[MemoryDiagnoser]
public class MountBenchmarks
{
    private const int Jails = 200;
    private string _root = "";
    private JailHost _host = null!;
    private JailMountService _mounts = null!;
    private List<MountRequest> _definition = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), "jailps-mbench-" + Guid.NewGuid().ToString("N"));
        _host = JailHost.Simulated(_root);
        _mounts = new JailMountService(_host);
        for (int i = 1; i <= Jails; i++)
        {
            string jail = "/usr/jails/j" + i;
            foreach (string d in new[] { "dev", "dev/fd", "proc", "tmp", "basejail" })
                _host.Files.CreateDirectory(jail + "/" + d);
            foreach (var r in Requests(jail))
                _mounts.Mounter.Mount("j" + i, jail, r);
        }
        _definition = Requests("/usr/jails/j100");
    }

    private static List<MountRequest> Requests(string jail) => new()
    {
        new("nullfs", "/usr/jails/j1/basejail", jail + "/basejail", new[] { new MountOption("ro", null) }, "mount"),
        new("tmpfs", "tmpfs", jail + "/tmp", new[] { new MountOption("size", "64m") }, "mount"),
        new("devfs", "devfs", jail + "/dev", new[] { new MountOption("ruleset", "4") }, "mount.devfs"),
        new("fdescfs", "fdescfs", jail + "/dev/fd", Array.Empty<MountOption>(), "mount.fdescfs"),
        new("procfs", "procfs", jail + "/proc", Array.Empty<MountOption>(), "mount.procfs"),
    };

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark(Description = "MountTable.Read with 1,002 mounts")]
    public int ReadTable() => MountTable.Read(_host.MountLibc).Count;

    [Benchmark(Description = "JailMountService.Inspect: one jail of 200 (5 mounts each)")]
    public int Inspect() => _mounts.Inspect("j100", "/usr/jails/j100", _definition, running: true).Count;
}
