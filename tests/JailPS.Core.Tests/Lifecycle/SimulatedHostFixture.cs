using System.IO;
using JailPS.Core.Config;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Tests.Lifecycle;

/// <summary>A fresh simulated host per test, and an output that keeps what the engine reported.</summary>
public sealed class SimulatedHostFixture : IDisposable, IJailOutput
{
    /// <param name="release">The FreeBSD release the simulated kernel imitates ("14.3" when null).</param>
    public SimulatedHostFixture(string? release = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "jailps-core-" + Guid.NewGuid().ToString("N"));
        if (release is not null)
        {
            Directory.CreateDirectory(Path.Combine(Root, SimulatedHost.StateFolderName));
            File.WriteAllText(Path.Combine(Root, SimulatedHost.StateFolderName, SimulatedHost.ReleaseFileName), release);
        }
        Host = JailHost.Simulated(Root);
        Service = new JailService(Host, this);
    }

    public string Root { get; }
    public JailHost Host { get; }
    public JailService Service { get; }
    public SimulatedHost Sim => Host.Simulation!;
    public List<string> Warnings { get; } = new();
    public List<string> VerboseLines { get; } = new();

    /// <summary>The lines hooks wrote, as the engine handed them over, with the thread each came on.</summary>
    public List<(JailHookOutput Line, int Thread)> HookLines { get; } = new();

    /// <summary>Called for each hook line before it is kept (a test may throw from it, as a stopping pipeline does).</summary>
    public Action<JailHookOutput>? OnHookOutput { get; set; }

    public void Verbose(string message) => VerboseLines.Add(message);
    public void Warning(string message) => Warnings.Add(message);

    /// <summary>Progress reports the engine made (Write-Progress in a cmdlet).</summary>
    public List<JailProgress> Progress { get; } = new();

    void IJailOutput.Progress(JailProgress progress) => Progress.Add(progress);
    public void Debug(string message) { }

    public void HookOutput(JailHookOutput line)
    {
        OnHookOutput?.Invoke(line);
        lock (HookLines) HookLines.Add((line, Environment.CurrentManagedThreadId));
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    /// <summary>Writes a host file (under the simulated root) and returns its host path.</summary>
    public string WriteFile(string hostPath, string text)
    {
        Host.Files.WriteAllTextAtomic(hostPath, text);
        Service.Invalidate();
        return hostPath;
    }

    public JailDefinition Define(string name, string body)
    {
        Host.Files.CreateDirectory("/usr/jails/" + name);
        WriteFile($"/etc/jail.conf.d/{name}.conf", $"{name} {{\n\tpath = \"/usr/jails/{name}\";\n{body}\n}}\n");
        return Service.FindDefinition(name) ?? throw new InvalidOperationException("definition not found");
    }

    public JailSpec Spec(JailDefinition def) => JailSpec.Resolve(def, Host.Kernel.Catalog);

    /// <summary>The jail as the service sees it now (definitions read again).</summary>
    public Jail Current(string name)
    {
        Service.Invalidate();
        return Service.Get(name) ?? throw new InvalidOperationException(name + " not found");
    }

    public JailLifecycle Lifecycle() => new(Host, this);

    public int RunningCount() => Host.Kernel.List().Count();

    public string[] CommandPurposes() => Sim.Processes.Log.Select(c => c.Purpose).ToArray();
}
