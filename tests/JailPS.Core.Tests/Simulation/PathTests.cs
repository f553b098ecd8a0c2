using System.IO;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation;

/// <summary>The "path" parameter: namei under the sandbox root with chroot semantics.</summary>
public sealed class PathTests : IDisposable
{
    private readonly string _root;

    public PathTests()
    {
        _root = Path.Combine(Path.GetTempPath(), "jailps-simpath-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_root, "jails", "www"));
        Directory.CreateDirectory(Path.Combine(_root, "usr", "jails"));
        File.WriteAllText(Path.Combine(_root, "jails", "file"), "x");
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private (int Errno, string Msg) Fails(SimulatedKernel k, string path)
        => K.SetFails(k, i => i.Str("name", "p").Bool("persist").Str("path", path), K.C);

    [Fact]
    public void ExistingDirectory_IsStoredAsAnAbsoluteHostPath()
    {
        var k = K.NewKernel(_root);
        int jid = K.Create(k, i => i.Str("name", "w").Bool("persist").Str("path", "/jails/./www/"));
        Assert.Equal("/jails/www", K.GetStr(k, jid, "path"));
        Assert.Equal("/jails/www", k.Jails.Single().Path);
    }

    [Fact]
    public void MissingPath_IsEnoent()
    {
        var k = K.NewKernel(_root);
        Assert.Equal((Errno.ENOENT, ""), Fails(k, "/jails/nope"));
        Assert.Equal(Errno.ENOENT, Fails(k, "/nope/deeper").Errno);
    }

    [Fact]
    public void EmptyPath_IsEnoent()
    {
        var k = K.NewKernel(_root);
        Assert.Equal(Errno.ENOENT, Fails(k, "").Errno);
    }

    [Fact]
    public void RegularFile_IsEnotdir()
    {
        var k = K.NewKernel(_root);
        Assert.Equal(Errno.ENOTDIR, Fails(k, "/jails/file").Errno);
        Assert.Equal(Errno.ENOTDIR, Fails(k, "/jails/file/sub").Errno);
        Assert.Equal(Errno.ENOTDIR, Fails(k, "/jails/file/").Errno);
    }

    [Fact]
    public void DotDot_CannotEscapeTheSandboxRoot()
    {
        var k = K.NewKernel(_root);
        int jid = K.Create(k, i => i.Str("name", "r").Bool("persist").Str("path", "/../../../jails/www"));
        Assert.Equal("/jails/www", K.GetStr(k, jid, "path"));
    }

    [Fact]
    public void AbsoluteSymlink_IsResolvedInsideTheRoot()
    {
        var k = K.NewKernel(_root);
        File.CreateSymbolicLink(Path.Combine(_root, "usr", "jails", "www"), "/jails/www");
        int jid = K.Create(k, i => i.Str("name", "l").Bool("persist").Str("path", "/usr/jails/www"));
        Assert.Equal("/jails/www", K.GetStr(k, jid, "path"));
    }

    [Fact]
    public void RelativeSymlink_IsResolvedFromItsDirectory()
    {
        var k = K.NewKernel(_root);
        File.CreateSymbolicLink(Path.Combine(_root, "usr", "jails", "rel"), "../../jails/www");
        int jid = K.Create(k, i => i.Str("name", "l").Bool("persist").Str("path", "/usr/jails/rel"));
        Assert.Equal("/jails/www", K.GetStr(k, jid, "path"));
    }

    [Fact]
    public void SymlinkPointingOutOfTheSandbox_StaysInside()
    {
        // "/etc" inside the link means <root>/etc, which does not exist here.
        var k = K.NewKernel(_root);
        File.CreateSymbolicLink(Path.Combine(_root, "jails", "escape"), "/etc");
        Assert.Equal(Errno.ENOENT, Fails(k, "/jails/escape").Errno);
    }

    [Fact]
    public void SymlinkLoop_IsEloop()
    {
        var k = K.NewKernel(_root);
        File.CreateSymbolicLink(Path.Combine(_root, "jails", "a"), "b");
        File.CreateSymbolicLink(Path.Combine(_root, "jails", "b"), "a");
        Assert.Equal(Errno.ELOOP, Fails(k, "/jails/a").Errno);
    }

    [Fact]
    public void PathComponentLongerThanNameMax_IsEnametoolong()
    {
        var k = K.NewKernel(_root);
        Assert.Equal(Errno.ENAMETOOLONG, Fails(k, "/" + new string('c', 256)).Errno);
        Assert.Equal(Errno.ENAMETOOLONG, Fails(k, "/" + string.Join('/', Enumerable.Repeat("abcdefgh", 130))).Errno);
    }

    [Fact]
    public void NullRootDirectory_SkipsTheCheck_AndOnlyNormalises()
    {
        var k = K.NewKernel(root: null);
        int jid = K.Create(k, i => i.Str("name", "n").Bool("persist").Str("path", "/does/not//exist/./x/.."));
        Assert.Equal("/does/not/exist", K.GetStr(k, jid, "path"));
    }
}
