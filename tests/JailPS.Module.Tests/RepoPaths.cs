using System;
using System.IO;
using System.Linq;
using System.Reflection;

namespace JailPS.Module.Tests;

/// <summary>Where things are in the repository, found from the test assembly's folder.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The folder holding JailPS.sln.</summary>
    public static string Root => RootPath.Value;

    /// <summary>The cmdlet pages: docs/, or $JAILPS_DOCS_PATH (to check another module layout's pages).</summary>
    public static string Docs =>
        Environment.GetEnvironmentVariable("JAILPS_DOCS_PATH") is { Length: > 0 } docs ? Path.GetFullPath(docs) : Path.Combine(Root, "docs");

    public static string HelpGenSamples => Path.Combine(Root, "tools", "HelpGen", "samples");

    /// <summary>The module manifest the tests import: $JAILPS_MODULE_PATH when set, else the build's layout.</summary>
    public static string ModuleManifest
    {
        get
        {
            var overridden = Environment.GetEnvironmentVariable("JAILPS_MODULE_PATH");
            if (!string.IsNullOrWhiteSpace(overridden))
            {
                var full = Path.GetFullPath(overridden);
                return Directory.Exists(full) ? Path.Combine(full, "JailPS.psd1") : full;
            }

            return Path.Combine(Root, "artifacts", "module", "JailPS", "JailPS.psd1");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "JailPS.sln")))
            {
                return dir.FullName;
            }
        }

        // Built with an artifacts path outside the repository: fall back to the source location.
        var source = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "JailPSRepoRoot")?.Value;
        if (source is not null && File.Exists(Path.Combine(source, "JailPS.sln")))
        {
            return Path.GetFullPath(source);
        }

        throw new InvalidOperationException($"Cannot find the repository root (JailPS.sln) above {AppContext.BaseDirectory}.");
    }
}
