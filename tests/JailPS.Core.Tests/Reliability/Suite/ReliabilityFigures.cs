using System.IO;

namespace JailPS.Core.Tests.Reliability.Suite;

/// <summary>
/// The figures the reliability suite keeps: each sweep records how many cases it tried and how many
/// went wrong (residue, crash, escape, lost edit). They go to the directory named by
/// JAILPS_RELIABILITY_FIGURES (tools/Measure-Reliability.ps1 sets it and prints the table), else
/// beside the test assembly, one line per figure: name, tried, bad, what was counted.
/// </summary>
internal static class ReliabilityFigures
{
    public static string Directory => Environment.GetEnvironmentVariable("JAILPS_RELIABILITY_FIGURES") is { Length: > 0 } d
        ? d : Path.Combine(AppContext.BaseDirectory, "reliability-figures");

    public static void Record(string figure, long tried, long bad, string what)
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(Path.Combine(Directory, figure + ".tsv"), $"{figure}\t{tried}\t{bad}\t{what}\n");
    }
}

/// <summary>What a host holds that a failed operation could leave behind: files, kernel jails and mounts.</summary>
internal sealed record HostSnapshot(IReadOnlyDictionary<string, string> Files, IReadOnlyList<string> Jails, IReadOnlyList<string> Mounts)
{
    /// <summary>
    /// Every file, directory and link under the simulated root (content hashed), except the
    /// simulated kernel's own state, the lock files (a lock file is kept by design: it is how a
    /// flock is shared, and holds nothing) and JailPS's state directories under /var/run/jailps.
    /// </summary>
    public static HostSnapshot Take(Lifecycle.SimulatedHostFixture f, params string[] ignore)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string local in System.IO.Directory.EnumerateFileSystemEntries(f.Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            string host = local.Substring(f.Root.Length);
            if (host.StartsWith("/.simulation", StringComparison.Ordinal) || host.EndsWith(".lock", StringComparison.Ordinal)
                || ignore.Any(i => host == i || host.StartsWith(i + "/", StringComparison.Ordinal)))
                continue;
            var info = new FileInfo(local);
            // JailPS's own state directories are made once and kept (as /var/run/jail is); what is in them counts.
            if (info.Attributes.HasFlag(FileAttributes.Directory) && info.LinkTarget is null
                && (host == "/var" || host == "/var/run" || host.StartsWith("/var/run/jailps", StringComparison.Ordinal)))
                continue;
            files[host] = info.LinkTarget is { } t ? "link:" + t
                : info.Attributes.HasFlag(FileAttributes.Directory) ? "dir"
                : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(local)));
        }
        var jails = f.Host.Kernel.List(includeDying: true).Select(j => j.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
        var mounts = f.Sim.Kernel.Mounts.Select(m => m.FsType + " " + m.MountedOn).ToList();
        return new HostSnapshot(files, jails, mounts);
    }

    /// <summary>What differs from <paramref name="before"/>, one line a difference.</summary>
    public IReadOnlyList<string> Residue(HostSnapshot before)
    {
        var d = new List<string>();
        foreach (var kv in Files)
            if (!before.Files.TryGetValue(kv.Key, out var was)) d.Add("new " + kv.Key);
            else if (was != kv.Value) d.Add("changed " + kv.Key);
        foreach (var k in before.Files.Keys)
            if (!Files.ContainsKey(k)) d.Add("gone " + k);
        d.AddRange(Jails.Except(before.Jails).Select(j => "jail " + j));
        d.AddRange(Mounts.Except(before.Mounts).Select(m => "mount " + m));
        d.AddRange(before.Mounts.Except(Mounts).Select(m => "unmounted " + m));
        return d;
    }
}
