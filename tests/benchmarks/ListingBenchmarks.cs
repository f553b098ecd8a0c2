using System;
using System.Collections.Generic;
using System.IO;
using BenchmarkDotNet.Attributes;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Benchmarks;

/// <summary>
/// JailPS's own cost of listing jails, without the simulated kernel's: jail_get answers are
/// recorded once from the simulated kernel over 10,000 running jails and then replayed
/// (<see cref="ReplayLibc"/>). Figures are per jail (OperationsPerInvoke = jails).
/// <c>ReplayOnly</c> is the seam's own share, to subtract from the others.
/// </summary>
[MemoryDiagnoser]
public class ListingBenchmarks
{
    private const int JailCount = 10_000;
    /// <summary>For `--measure list N`: another number of jails.</summary>
    internal int JailCountOverride { get; init; } = JailCount;
    private string _root = "";
    private ReplayLibc _replay = null!;
    private JailService _service = null!;
    private JailKernel _kernel = null!;

    [GlobalSetup]
    public void Setup() => Setup(Path.Combine(Path.GetTempPath(), "jailps-lbench-" + Guid.NewGuid().ToString("N")));

    internal void Setup(string root)
    {
        _root = root;
        int count = JailCountOverride;
        var sim = JailHost.Simulated(_root);
        // Jails are made on the kernel model itself, not through the simulated host, which saves
        // its state file after every jail_set (10,000 saves of a growing file); one save at the end.
        var model = new JailKernel(sim.Simulation!.Kernel);
        var catalog = model.Catalog;
        for (int i = 1; i <= count; i++)
        {
            sim.Files.CreateDirectory("/usr/jails/j" + i);
            model.Set(new List<JailParameterSetting>
            {
                new(catalog.Find("name")!, "j" + i),
                new(catalog.Find("path")!, "/usr/jails/j" + i),
                new(catalog.Find("host.hostname")!, "j" + i + ".example.org"),
                new(catalog.Find("ip4.addr")!, new[] { System.Net.IPAddress.Parse("10.0." + (i / 256) + "." + (i % 256)) }),
                new(catalog.Find("persist")!, true),
            }, JailFlags.Create);
        }
        sim.Commit();
        _replay = new ReplayLibc(sim.Libc);
        var host = sim.WithLibc(_replay);
        _service = new JailService(host, NullJailOutput.Instance);
        _kernel = host.Kernel;
        int recorded = _service.GetAll().Count;
        _replay.Recording = false;
        long before = _replay.JailGetCalls;
        int replayed = _service.GetAll().Count;
        // The design's rule holds through the replay too: N jails, N+1 jail_get.
        if (recorded != count || replayed != count || _replay.JailGetCalls - before != count + 1)
            throw new InvalidOperationException($"recorded {recorded}, replayed {replayed} jails with {_replay.JailGetCalls - before} jail_get");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        JailHost.ForgetSimulated(_root);
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = JailCount, Description = "per jail: JailService.GetAll over 10,000 jails, replayed jail_get")]
    public int GetAllReplayed()
    {
        _service.Invalidate();
        return _service.GetAll().Count;
    }

    [Benchmark(OperationsPerInvoke = JailCount, Description = "per jail: JailKernel.List (decoding only), replayed jail_get")]
    public int KernelListReplayed()
    {
        int n = 0;
        foreach (var _ in _kernel.List()) n++;
        return n;
    }

    [Benchmark(OperationsPerInvoke = JailCount, Description = "per jail: the replay seam alone (10,001 jail_get)")]
    public int ReplayOnly() => _replay.ReplayOnly();
}
