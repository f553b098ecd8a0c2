using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using BenchmarkDotNet.Attributes;
using JailPS.Core.Config;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Benchmarks;

/// <summary>Get-Jail's engine path over 10,000 running jails, and jail.conf over 10,000 jails.</summary>
[MemoryDiagnoser]
public class InventoryBenchmarks
{
    private const int JailCount = 10_000;
    private string _root = "";
    private JailService _service = null!;
    private string _conf = "";

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), "jailps-bench-" + Guid.NewGuid().ToString("N"));
        var host = JailHost.Simulated(_root);
        var catalog = host.Kernel.Catalog;
        for (int i = 1; i <= JailCount; i++)
        {
            host.Files.CreateDirectory("/usr/jails/j" + i);
            host.Kernel.Set(new List<JailParameterSetting>
            {
                new(catalog.Find("name")!, "j" + i),
                new(catalog.Find("path")!, "/usr/jails/j" + i),
                new(catalog.Find("host.hostname")!, "j" + i + ".example.org"),
                new(catalog.Find("persist")!, true),
            }, JailFlags.Create);
        }
        _service = new JailService(host, NullJailOutput.Instance);
        _conf = MakeJailConf(JailCount);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    internal static string MakeJailConf(int count)
    {
        var sb = new StringBuilder("# generated\nexec.start = \"/bin/sh /etc/rc\";\npath = \"/usr/jails/$name\";\n");
        for (int i = 1; i <= count; i++)
            sb.Append("j").Append(i).Append(" {\n\thost.hostname = \"j").Append(i).Append(".example.org\";\n\tip4.addr = 10.")
              .Append(i / 65536 % 256).Append('.').Append(i / 256 % 256).Append('.').Append(i % 256).Append(";\n\tpersist;\n}\n");
        return sb.ToString();
    }

    [Benchmark(Description = "JailService.GetAll over 10,000 running jails")]
    public int GetAll()
    {
        _service.Invalidate();
        return _service.GetAll().Count;
    }

    [Benchmark(Description = "parse + evaluate a 10,000-jail jail.conf")]
    public int ParseJailConf() => JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(_conf, "/etc/jail.conf") }).Count;
}
