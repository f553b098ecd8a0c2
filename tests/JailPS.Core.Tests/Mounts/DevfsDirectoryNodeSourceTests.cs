using System.IO;
using JailPS.Core.Devfs;

namespace JailPS.Core.Tests.Mounts;

/// <summary>The real host's device listing: a directory walk that never follows links or enters other mounts.</summary>
public sealed class DevfsDirectoryNodeSourceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "jailps-devls-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Lists_nodes_recursively_without_following_links_or_entering_other_mounts()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "pts"));
        Directory.CreateDirectory(Path.Combine(_dir, "fd"));
        File.WriteAllText(Path.Combine(_dir, "null"), "");
        File.WriteAllText(Path.Combine(_dir, "pts", "0"), "");
        File.WriteAllText(Path.Combine(_dir, "fd", "0"), "");     // below another mount (fdescfs): not listed
        string outside = Path.Combine(_dir + "-outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret"), "");
        File.CreateSymbolicLink(Path.Combine(_dir, "log"), outside);  // a link to a directory: listed, never entered
        try
        {
            var source = new DevfsDirectoryNodeSource(d => new HashSet<string> { Path.Combine(d, "fd") });
            Assert.Equal(new[] { "fd", "log", "null", "pts", "pts/0" }, source.VisibleNodes(_dir));
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }
}
