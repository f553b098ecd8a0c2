using System;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using BenchmarkDotNet.Attributes;

namespace JailPS.Benchmarks;

/// <summary>Import-Module JailPS into a fresh runspace, and Get-Jail through the real engine.</summary>
[MemoryDiagnoser]
public class ModuleBenchmarks
{
    private string _manifest = "";
    private string _root = "";
    private Runspace _runspace = null!;

    [GlobalSetup]
    public void Setup()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "artifacts", "module", "JailPS", "JailPS.psd1");
            if (File.Exists(candidate)) { _manifest = candidate; break; }
        }
        if (_manifest.Length == 0) throw new InvalidOperationException("build the module first (dotnet build)");
        _root = Path.Combine(Path.GetTempPath(), "jailps-bench-mod-" + Guid.NewGuid().ToString("N"));
        Environment.SetEnvironmentVariable("JAILPS_SIMULATED_HOST", _root);
        _runspace = Open();
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript("1..1000 | ForEach-Object { New-Jail -Name \"j$_\" -Path \"/usr/jails/j$_\" -Persist | Out-Null }; Get-Jail | Start-Jail").Invoke();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _runspace.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private Runspace Open()
    {
        var rs = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        rs.Open();
        using var ps = PowerShell.Create();
        ps.Runspace = rs;
        ps.AddCommand("Import-Module").AddParameter("Name", _manifest).AddParameter("ErrorAction", "Stop").Invoke();
        return rs;
    }

    [Benchmark(Description = "new runspace + Import-Module JailPS")]
    public void ImportModule()
    {
        using var rs = Open();
    }

    [Benchmark(Description = "Get-Jail over 1,000 running, defined jails (hosted engine)")]
    public int GetJail()
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        return ps.AddCommand("Get-Jail").Invoke().Count;
    }
}
