using JailPS.Core.Config;

namespace JailPS.Core.Tests.Config;

/// <summary>.include through the host file system seam.</summary>
public sealed class JailConfIncludeTests
{
    private static InMemoryHostFileSystem Sample() => new InMemoryHostFileSystem()
        .Add("/etc/jail.conf",
            "path = \"/j/$name\";\n"
            + ".include \"jail.conf.d/*.conf\";\n"          // relative glob
            + ".include \"/etc/jail.local.conf\";\n"         // absolute literal
            + ".include \"/usr/local/etc/jail[.]conf\";\n"   // glob that matches nothing: optional file
            + "last { persist; }\n")
        .Add("/etc/jail.conf.d/b.conf", "b {\n\t.include \"../common.inc\";\n\thost.hostname = b;\n}\n")
        .Add("/etc/jail.conf.d/a.conf", "a { host.hostname = a; }\n")
        .Add("/etc/jail.conf.d/notes.txt", "this is not jail.conf syntax {")
        .Add("/etc/common.inc", "persist;\nexec.clean;\n")
        .Add("/etc/jail.local.conf", "* { securelevel = 3; }\n");

    private static string Show(IReadOnlyList<JailDefinition> jails) => JailEFormatter.Format(jails, " ");

    [Fact]
    public void IncludesAreSplicedInPlaceInGlobOrder()
    {
        var fs = Sample();
        var jails = JailConfLoader.Load(fs, new[] { "/etc/jail.conf" });
        Assert.Equal(
            "name=a path=/j/a host.hostname=a securelevel=3\n"
            + "name=b path=/j/b persist exec.clean host.hostname=b securelevel=3\n"
            + "name=last path=/j/last securelevel=3 persist\n",
            Show(jails));
        Assert.Equal(new[] { "/etc/jail.conf.d/a.conf", "/etc/jail.conf.d/b.conf", "/etc/jail.conf" },
            jails.Select(j => j.SourceFile));
        Assert.Equal(new[] { 1, 1, 5 }, jails.Select(j => j.Line));
        Assert.Equal(new[]
        {
            "/etc/jail.conf", "/etc/jail.conf.d/a.conf", "/etc/jail.conf.d/b.conf", "/etc/common.inc", "/etc/jail.local.conf",
        }, fs.Reads);
    }

    [Fact]
    public void EvaluateDoesNotFollowIncludes()
    {
        var doc = JailConfDocument.Parse(Sample().ReadAllText("/etc/jail.conf")!, "/etc/jail.conf");
        Assert.Equal("name=last path=/j/last persist\n", Show(JailConfLoader.Evaluate(new[] { doc })));
    }

    [Fact]
    public void MissingRootFilesContributeNothing()
    {
        var fs = Sample();
        Assert.Empty(JailConfLoader.Load(fs, new[] { "/etc/none.conf" }));
        Assert.Equal(3, JailConfLoader.Load(fs, new[] { "/etc/none.conf", "/etc/jail.conf", "/etc/other.conf" }).Count);
    }

    [Fact]
    public void SeveralRootFilesShareOneGlobalJail()
    {
        var fs = new InMemoryHostFileSystem()
            .Add("/etc/jail.conf", "path = \"/j/$name\";\n")
            .Add("/etc/jail.conf.d/x.conf", "x { persist; }\n");
        var x = Assert.Single(JailConfLoader.Load(fs, new[] { "/etc/jail.conf", "/etc/jail.conf.d/x.conf" }));
        Assert.Equal("/j/x", x.Get("path")!.Values[0]);
    }

    [Fact]
    public void MissingLiteralIncludeIsAnError()
    {
        var fs = new InMemoryHostFileSystem().Add("/etc/jail.conf", "a { }\n  .include \"missing.conf\";\n");
        var e = Assert.Throws<JailConfException>(() => JailConfLoader.Load(fs, new[] { "/etc/jail.conf" }));
        Assert.Equal("JailConfIncludeNotFound", e.ErrorId);
        Assert.Equal(("/etc/jail.conf", 2, 3), (e.File, e.Line, e.Column));
        Assert.Contains("/etc/missing.conf", e.Message);
    }

    [Fact]
    public void SyntaxErrorsInIncludedFilesNameThatFile()
    {
        var fs = new InMemoryHostFileSystem()
            .Add("/etc/jail.conf", ".include \"/etc/jail.conf.d/*.conf\";\n")
            .Add("/etc/jail.conf.d/bad.conf", "bad {\n\tpersist\n}\n");
        var e = Assert.Throws<JailConfException>(() => JailConfLoader.Load(fs, new[] { "/etc/jail.conf" }));
        Assert.Equal(("JailConfMissingSemicolon", "/etc/jail.conf.d/bad.conf", 3, 1), (e.ErrorId, e.File, e.Line, e.Column));
    }

    private static InMemoryHostFileSystem Chain(int files)
    {
        var fs = new InMemoryHostFileSystem();
        for (int i = 0; i < files; i++)
            fs.Add("/etc/c" + i + ".conf", i + 1 < files ? "j" + i + " { }\n.include \"c" + (i + 1) + ".conf\";\n" : "j" + i + " { }\n");
        return fs;
    }

    [Fact]
    public void ThirtyTwoNestedIncludesAreAllowed()
    {
        // config.c: MAX_INCLUDE_DEPTH 32; the root file is not an include.
        var jails = JailConfLoader.Load(Chain(33), new[] { "/etc/c0.conf" });
        Assert.Equal(33, jails.Count);
        Assert.Equal("j32", jails[32].Name);
    }

    [Fact]
    public void ThirtyThreeNestedIncludesAreTooDeep()
    {
        var fs = Chain(34);
        var e = Assert.Throws<JailConfException>(() => JailConfLoader.Load(fs, new[] { "/etc/c0.conf" }));
        Assert.Equal(("JailConfIncludeDepth", "/etc/c32.conf", 2, 1), (e.ErrorId, e.File, e.Line, e.Column));
    }

    [Fact]
    public void IncludeLoopStopsAtTheDepthLimit()
    {
        var fs = new InMemoryHostFileSystem().Add("/etc/loop.conf", ".include \"loop.conf\";\n");
        var e = Assert.Throws<JailConfException>(() => JailConfLoader.Load(fs, new[] { "/etc/loop.conf" }));
        Assert.Equal("JailConfIncludeDepth", e.ErrorId);
        Assert.Equal(33, fs.Reads.Count);
    }

    [Fact]
    public void IncludeWithSeveralValuesAndAssignmentFormIsAParameter()
    {
        var fs = new InMemoryHostFileSystem()
            .Add("/etc/jail.conf", ".include \"a.inc\", \"b.inc\";\nx { .include = \"not-an-include\"; }\n")
            .Add("/etc/a.inc", "path = /a;\n")
            .Add("/etc/b.inc", "persist;\n");
        var x = Assert.Single(JailConfLoader.Load(fs, new[] { "/etc/jail.conf" }));
        Assert.Equal("name=x path=/a persist .include=not-an-include\n", Show(new[] { x }));
    }

    [Fact]
    public void ReadFailuresBecomeJailConfErrors()
    {
        var e = Assert.Throws<JailConfException>(() => JailConfLoader.Load(new ThrowingFileSystem(), new[] { "/etc/jail.conf" }));
        Assert.Equal("JailConfReadError", e.ErrorId);
        Assert.IsType<UnauthorizedAccessException>(e.InnerException);
    }

    private sealed class ThrowingFileSystem : JailPS.Core.Host.IHostFileSystem
    {
        public string ToLocalPath(string hostPath) => hostPath;
        public string RealPath(string hostPath) => hostPath;
        public bool FileExists(string hostPath) => true;
        public bool DirectoryExists(string hostPath) => false;
        public string? ReadAllText(string hostPath) => throw new UnauthorizedAccessException("denied");
        public IReadOnlyList<string> Glob(string hostPattern) => Array.Empty<string>();
        public void WriteAllTextAtomic(string hostPath, string text) => throw new NotSupportedException();
        public void DeleteFile(string hostPath) => throw new NotSupportedException();
        public void CreateDirectory(string hostPath) => throw new NotSupportedException();
        public void DeleteEmptyDirectory(string hostPath) => throw new NotSupportedException();
        public void AppendAllText(string hostPath, string text) => throw new NotSupportedException();
    }
}
