using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Provisioning;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// An offline host's copy of a release's dist directory (MANIFEST and the tests' base.txz) in a
/// temporary directory, and saving releases from it into a simulated host's cache.
/// </summary>
internal sealed class ReleaseMedia : IDisposable
{
    public ReleaseMedia()
    {
        Directory.CreateDirectory(Path);
        byte[] txz = File.ReadAllBytes(System.IO.Path.Combine(AppContext.BaseDirectory, "fixtures", "base.txz"));
        File.WriteAllBytes(System.IO.Path.Combine(Path, "base.txz"), txz);
        File.WriteAllText(System.IO.Path.Combine(Path, "MANIFEST"), $"base.txz\t{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(txz)).ToLowerInvariant()}\t19\tbase\t\"Base system (MANDATORY)\"\ton\n");
    }

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "jailps-media-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Save-JailRelease RELEASE -Path MEDIA on the host, for each release (the same files stand for each).</summary>
    public void SaveInto(JailHost host, IJailOutput output, params string[] releases)
    {
        foreach (string release in releases)
            PlanRunner.Execute(new JailReleaseService(host, output).PlanSave(new SaveReleaseRequest { Release = release, SourcePath = Path }), output);
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
