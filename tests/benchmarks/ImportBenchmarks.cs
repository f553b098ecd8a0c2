using System;
using System.Collections.Generic;
using System.IO;
using BenchmarkDotNet.Attributes;
using JailPS.Core.Config;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Benchmarks;

/// <summary>
/// Import-JailConfig's merge of 1,000 definitions with the kernel (all 1,000 jails running) on the
/// simulated host: a lookup by name per definition (what the cmdlet does today) against
/// <see cref="JailService.WithKernelState"/>'s one listing. Figures are per definition.
/// </summary>
[MemoryDiagnoser]
public class ImportBenchmarks
{
    private const int JailCount = 1_000;
    private string _root = "";
    private JailHost _host = null!;
    private JailService _service = null!;
    private IReadOnlyList<JailDefinition> _definitions = null!;
    private JailHost _replayHost = null!;
    private JailService _replayService = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), "jailps-ibench-" + Guid.NewGuid().ToString("N"));
        _host = JailHost.Simulated(_root);
        var model = new JailKernel(_host.Simulation!.Kernel); // no state save per jail_set (see ListingBenchmarks)
        var catalog = model.Catalog;
        for (int i = 1; i <= JailCount; i++)
        {
            _host.Files.CreateDirectory("/usr/jails/j" + i);
            model.Set(new List<JailParameterSetting>
            {
                new(catalog.Find("name")!, "j" + i),
                new(catalog.Find("path")!, "/usr/jails/j" + i),
                new(catalog.Find("persist")!, true),
            }, JailFlags.Create);
        }
        _host.Commit();
        _host.Files.WriteAllTextAtomic("/tmp/import.conf", InventoryBenchmarks.MakeJailConf(JailCount));
        _definitions = JailConfLoader.Load(_host.Files, new[] { "/tmp/import.conf" });
        _service = new JailService(_host, NullJailOutput.Instance);
        // The same two paths over recorded answers (ListingBenchmarks' ReplayLibc): JailPS's own share.
        var replay = new ReplayLibc(_host.Libc);
        _replayHost = _host.WithLibc(replay);
        _replayService = new JailService(_replayHost, NullJailOutput.Instance);
        Lookups(_replayService, _replayHost);
        _replayService.WithKernelState(_definitions);
        replay.Recording = false;
    }

    private int Lookups(JailService service, JailHost host)
    {
        int n = 0;
        foreach (var d in _definitions)
            if (service.ToJail(d.Name, d, host.Kernel.GetByName(d.Name)).Jid != null) n++;
        return n;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        JailHost.ForgetSimulated(_root);
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = JailCount, Description = "per definition: a lookup by name each (1,000 jail_get)")]
    public int LookupPerDefinition() => Lookups(_service, _host);

    [Benchmark(OperationsPerInvoke = JailCount, Description = "per definition: JailService.WithKernelState, one listing (1,001 jail_get)")]
    public int OneListing() => _service.WithKernelState(_definitions).Count;

    // Replayed lookups by name key their answers by a string made per call (~60 B of the figure).
    [Benchmark(OperationsPerInvoke = JailCount, Description = "per definition: a lookup by name each, replayed jail_get")]
    public int LookupPerDefinitionReplayed() => Lookups(_replayService, _replayHost);

    [Benchmark(OperationsPerInvoke = JailCount, Description = "per definition: WithKernelState, replayed jail_get")]
    public int OneListingReplayed() => _replayService.WithKernelState(_definitions).Count;
}
