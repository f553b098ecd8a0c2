using System;
using System.IO;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Provisioning;

namespace JailPS.Benchmarks;

/// <summary>
/// Create-to-running on the simulated host (iocage users report 4–7 s per create, iocage_legacy
/// #247): New-Jail -Release (thick: tar of base.txz into the root) or -Thin (a copy of the template,
/// the basejail made once in the setup) or on ZFS (a clone of the release dataset's snapshot, the
/// release dataset made once in the setup) and then Start-Jail, from a release already in the cache.
/// The release is the tests' small fixture, so this measures JailPS's own work, not tar's.
/// </summary>
[MemoryDiagnoser]
public class ProvisioningBenchmarks
{
    private string _root = "";
    private string _media = "";
    private JailHost _host = null!;
    private JailService _service = null!;
    private int _n;

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), "jailps-pbench-" + Guid.NewGuid().ToString("N"));
        _media = Path.Combine(Path.GetTempPath(), "jailps-pbench-media-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_media);
        byte[] txz = File.ReadAllBytes(Fixture());
        File.WriteAllBytes(Path.Combine(_media, "base.txz"), txz);
        File.WriteAllText(Path.Combine(_media, "MANIFEST"), $"base.txz\t{Convert.ToHexString(SHA256.HashData(txz)).ToLowerInvariant()}\t19\tbase\t\"Base system (MANDATORY)\"\ton\n");
        _host = JailHost.Simulated(_root);
        _service = new JailService(_host, NullJailOutput.Instance);
        PlanRunner.Execute(new JailReleaseService(_host, NullJailOutput.Instance).PlanSave(new SaveReleaseRequest { Release = "14.3-RELEASE", SourcePath = _media }), NullJailOutput.Instance);
        Create(thin: true); // the basejail and template, made once
        var zfs = _host.Processes.Run(new JailPS.Core.Processes.ProcessRequest { Arguments = new[] { "/sbin/zfs", "create", "-o", "mountpoint=/usr/zjails", "zroot/zjails" } });
        if (zfs.ExitCode != 0) throw new InvalidOperationException(zfs.StandardError);
        Create(thin: false, parent: "/usr/zjails"); // the release dataset, made once
    }

    private static string Fixture()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string f = Path.Combine(dir.FullName, "tests", "fixtures", "base.txz");
            if (File.Exists(f)) return f;
        }
        throw new FileNotFoundException("tests/fixtures/base.txz not found above " + AppContext.BaseDirectory);
    }

    private void Create(bool thin, string parent = "/usr/jails")
    {
        string name = (thin ? "thin" : "thick") + (++_n);
        PlanRunner.Execute(_service.PlanCreate(new NewJailRequest { Name = name, Path = parent + "/" + name, Release = "14.3-RELEASE", Thin = thin, Persist = true }), NullJailOutput.Instance);
        _service.Invalidate();
        PlanRunner.Execute(new JailLifecycle(_host, NullJailOutput.Instance).PlanStart(JailSpec.Resolve(_service.FindDefinition(name)!, _host.Kernel.Catalog)), NullJailOutput.Instance);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_media, recursive: true);
    }

    [Benchmark(Description = "New-Jail -Release (thick) + Start-Jail")]
    public void Thick() => Create(thin: false);

    [Benchmark(Description = "New-Jail -Release -Thin + Start-Jail")]
    public void Thin() => Create(thin: true);

    [Benchmark(Description = "New-Jail -Release on ZFS (clone) + Start-Jail")]
    public void ZfsClone() => Create(thin: false, parent: "/usr/zjails");
}
