using System;
using System.Collections.Generic;
using System.IO;
using BenchmarkDotNet.Attributes;
using JailPS.Core.Config;
using JailPS.Core.Host;

namespace JailPS.Benchmarks;

/// <summary>
/// The jail.conf loader over files of 1,000, 10,000 and 100,000 jails (InventoryBenchmarks.MakeJailConf:
/// two global statements, one with $name, and three statements per jail): reading the file from the
/// simulated host, lexing, parsing and evaluating (JailConfLoader.Load, as Import-JailConfig and
/// Get-Jail do), and the parse alone. Divide by Jails for per-jail figures.
/// </summary>
[MemoryDiagnoser]
public class ConfigBenchmarks
{
    [Params(1_000, 10_000, 100_000)]
    public int Jails { get; set; }

    private string _root = "";
    private JailHost _host = null!;
    private string _text = "";

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), "jailps-cbench-" + Guid.NewGuid().ToString("N"));
        _host = JailHost.Simulated(_root);
        _text = InventoryBenchmarks.MakeJailConf(Jails);
        _host.Files.WriteAllTextAtomic("/etc/jail.conf", _text);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        JailHost.ForgetSimulated(_root);
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark(Description = "JailConfLoader.Load (read, parse, evaluate)")]
    public int Load() => JailConfLoader.Load(_host.Files, new[] { "/etc/jail.conf" }).Count;

    [Benchmark(Description = "JailConfDocument.Parse (lex + parse)")]
    public int Parse() => JailConfDocument.Parse(_text, "/etc/jail.conf").BlockNames.Count;
}

/// <summary>
/// `--measure conf N [runs]`, `--measure list|kernel|replay N [runs]` (ListingBenchmarks' three operations): wall time, process CPU time, GC pause
/// time (GC.GetTotalPauseDuration) and bytes allocated for one operation, as medians over runs,
/// and for conf the memory the loaded definitions keep. BenchmarkDotNet reports neither GC pause
/// share nor CPU time; on a shared machine CPU time is the steadier figure.
/// </summary>
public static class Measure
{
    public static void Run(string[] args)
    {
        string what = args[1];
        int n = int.Parse(args[2]);
        int runs = args.Length > 3 ? int.Parse(args[3]) : 11;
        Func<int> op;
        Action cleanup;
        string root = Path.Combine(Path.GetTempPath(), "jailps-measure-" + Guid.NewGuid().ToString("N"));
        if (what == "conf")
        {
            var host = JailHost.Simulated(root);
            host.Files.WriteAllTextAtomic("/etc/jail.conf", InventoryBenchmarks.MakeJailConf(n));
            op = () => JailConfLoader.Load(host.Files, new[] { "/etc/jail.conf" }).Count;
            long before = GC.GetTotalMemory(true);
            var kept = JailConfLoader.Load(host.Files, new[] { "/etc/jail.conf" });
            long after = GC.GetTotalMemory(true);
            Console.WriteLine($"conf {n}: loaded definitions keep {(after - before) / 1024.0 / 1024.0:0.0} MB ({(after - before) / (double)n:0} B per jail)");
            GC.KeepAlive(kept);
        }
        else if (what is "list" or "kernel" or "replay")
        {
            var b = new ListingBenchmarks { JailCountOverride = n };
            b.Setup(root);
            op = what == "list" ? b.GetAllReplayed : what == "kernel" ? b.KernelListReplayed : b.ReplayOnly;
        }
        else throw new ArgumentException("--measure conf|list|kernel|replay N [runs]");
        cleanup = () => { JailHost.ForgetSimulated(root); Directory.Delete(root, recursive: true); };

        op(); op(); // warm up
        var wall = new List<double>();
        var cpu = new List<double>();
        var pause = new List<double>();
        var bytes = new List<double>();
        var proc = System.Diagnostics.Process.GetCurrentProcess();
        for (int r = 0; r < runs; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            proc.Refresh();
            var cpu0 = proc.TotalProcessorTime;
            var pause0 = GC.GetTotalPauseDuration();
            long alloc0 = GC.GetTotalAllocatedBytes(true);
            var sw = System.Diagnostics.Stopwatch.StartNew();
            op();
            sw.Stop();
            long alloc1 = GC.GetTotalAllocatedBytes(true);
            var pause1 = GC.GetTotalPauseDuration();
            proc.Refresh();
            wall.Add(sw.Elapsed.TotalMilliseconds);
            cpu.Add((proc.TotalProcessorTime - cpu0).TotalMilliseconds);
            pause.Add((pause1 - pause0).TotalMilliseconds);
            bytes.Add(alloc1 - alloc0);
        }
        double Med(List<double> l) { l.Sort(); return l[l.Count / 2]; }
        double w = Med(wall), c = Med(cpu), p = Med(pause), a = Med(bytes);
        Console.WriteLine($"{what} {n}: median of {runs}: wall {w:0.0} ms ({w * 1000 / n:0.00} µs per jail), CPU {c:0.0} ms ({c * 1000 / n:0.00} µs per jail), " +
            $"GC pauses {p:0.0} ms ({100 * p / w:0}% of wall), allocated {a / 1024 / 1024:0.0} MB ({a / n:0} B per jail)");
        cleanup();
    }
}
