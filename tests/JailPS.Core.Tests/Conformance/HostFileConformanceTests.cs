using System.Diagnostics;
using System.IO;
using JailPS.Core.Host;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// The host file calls against the real FreeBSD libc (trait Category=FreeBSD): open(2) with
/// O_NONBLOCK and fstat(2) see a FIFO, a directory and a regular file for what they are, and the
/// owner and link count of a file are those stat(1) shows. Skipped elsewhere with the reason.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class HostFileConformanceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "jailps-conf-files-" + Guid.NewGuid().ToString("N"));

    public HostFileConformanceTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IHostFileCalls FreeBsd()
    {
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "host file conformance runs only on FreeBSD (this is " + System.Runtime.InteropServices.RuntimeInformation.OSDescription + ")");
        return HostFileCalls.ForCurrentOs();
    }

    [SkippableFact]
    public void A_FIFO_and_a_directory_are_refused_at_once_and_a_regular_file_is_read()
    {
        var calls = FreeBsd();
        string fifo = Path.Combine(_dir, "pipe");
        using (var p = Process.Start("/usr/bin/mkfifo", new[] { fifo })!) p.WaitForExit();
        Assert.Equal(HostFileKind.Fifo, Assert.Throws<HostFileNotRegularException>(() => calls.OpenRegularForRead(fifo)).Kind);
        Assert.Equal(HostFileKind.Directory, Assert.Throws<HostFileNotRegularException>(() => calls.OpenRegularForRead(_dir)).Kind);
        Assert.Null(calls.OpenRegularForRead(Path.Combine(_dir, "missing")));

        string file = Path.Combine(_dir, "jail.conf");
        File.WriteAllText(file, "web { persist; }\n");
        using var handle = calls.OpenRegularForRead(file)!;
        using var stream = new FileStream(handle, FileAccess.Read);
        Assert.Equal("web { persist; }\n", new StreamReader(stream).ReadToEnd());
        var owner = calls.Read(handle);
        var stat = new ProcessStartInfo("/usr/bin/stat", new[] { "-f", "%u %g %l", file }) { RedirectStandardOutput = true };
        using var p2 = Process.Start(stat)!;
        string shown = p2.StandardOutput.ReadToEnd().Trim();
        p2.WaitForExit();
        Assert.Equal(shown, $"{owner.Uid} {owner.Gid} {owner.Links}");
    }
}
