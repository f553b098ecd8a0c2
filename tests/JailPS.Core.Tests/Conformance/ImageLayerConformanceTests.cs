using System.Diagnostics;
using System.IO;
using JailPS.Core.Images;
using JailPS.Core.Tests.Images;
using static JailPS.Core.Tests.Images.LayerEntry;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// What New-Jail -Image relies on in FreeBSD's own tar (trait Category=FreeBSD), the behaviour
/// the simulated host's tar models: bsdtar tells gzip and zstd layers from their first bytes,
/// restores hard links, and refuses an entry beneath a symbolic link (ARCHIVE_EXTRACT_SECURE_SYMLINKS,
/// its default without -P) while extracting the rest. Skipped elsewhere with the reason.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class ImageLayerConformanceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "jailps-conf-oci-" + Guid.NewGuid().ToString("N"));

    public ImageLayerConformanceTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void OnFreeBsd() => Skip.IfNot(OperatingSystem.IsFreeBSD(), "image layer conformance runs only on FreeBSD, with its bsdtar (this is " + System.Runtime.InteropServices.RuntimeInformation.OSDescription + ")");

    private (int Exit, string Err) Tar(string archive, string root)
    {
        var psi = new ProcessStartInfo("/usr/bin/tar", new[] { "-xpf", archive, "-C", root }) { RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err);
    }

    [SkippableTheory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    [InlineData(LayerCompression.None)]
    public void Bsdtar_extracts_a_layer_by_its_magic_with_hard_links(LayerCompression compression)
    {
        OnFreeBsd();
        var layer = OciTestImages.Layer(compression, new[] { Dir("etc"), Regular("etc/motd", "hi\n"), HardLink("etc/motd.link", "etc/motd") });
        string blob = Path.Combine(_dir, "layer"), root = Path.Combine(_dir, "root");
        File.WriteAllBytes(blob, layer.Blob);
        Directory.CreateDirectory(root);
        var (exit, err) = Tar(blob, root);
        Assert.True(exit == 0, err);
        File.AppendAllText(Path.Combine(root, "etc/motd"), "same inode\n");
        Assert.Equal("hi\nsame inode\n", File.ReadAllText(Path.Combine(root, "etc/motd.link")));
    }

    [SkippableFact]
    public void Bsdtar_refuses_an_entry_beneath_a_symbolic_link_a_lower_layer_made()
    {
        OnFreeBsd();
        string root = Path.Combine(_dir, "root"), outside = Path.Combine(_dir, "outside");
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(outside);
        File.CreateSymbolicLink(Path.Combine(root, "etc"), outside);
        string blob = Path.Combine(_dir, "upper");
        File.WriteAllBytes(blob, OciTestImages.Layer(LayerCompression.Gzip, new[] { Regular("etc/passwd", "x\n"), Regular("ok", "y\n") }).Blob);
        var (exit, _) = Tar(blob, root);
        Assert.NotEqual(0, exit);
        Assert.False(File.Exists(Path.Combine(outside, "passwd")));
        Assert.True(File.Exists(Path.Combine(root, "ok")));
    }
}
