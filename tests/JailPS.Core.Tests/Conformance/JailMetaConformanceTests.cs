using System.IO;
using JailPS.Core.Kernel;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// FreeBSD 15's jail metadata (meta and env, sys/kern/kern_jailmeta.c) against the simulated
/// kernel imitating 15.0 and against a real FreeBSD 15 kernel (trait Category=FreeBSD: FreeBSD 15
/// or later as root; skipped elsewhere with the reason), and its absence in the 14.3 model.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class JailMetaConformanceTests : IDisposable
{
    private readonly List<(JailKernel Kernel, int Jid)> _created = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "jailps-conf-meta-" + Guid.NewGuid().ToString("N")[..8]);

    public JailMetaConformanceTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        foreach (var (k, jid) in _created)
            try { k.Remove(jid); } catch (JailKernelException) { }
        Directory.Delete(_root, recursive: true);
    }

    public static IEnumerable<object[]> Kernels() => new[] { new object[] { "simulated-15.0" }, new object[] { "freebsd" } };

    private static JailKernel Open(string which)
    {
        if (which == "simulated-15.0")
            return new JailKernel(new SimulatedKernel(SimulatedKernelOptions.ForRelease("15.0")));
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "meta conformance runs only on FreeBSD (this is " + System.Runtime.InteropServices.RuntimeInformation.OSDescription + ")");
        var libc = new FreeBsdLibc();
        Skip.If(libc.GetEuid() != 0, "meta conformance against the real kernel needs root");
        var k = new JailKernel(libc);
        Skip.If(k.Catalog.Find("meta") is null, "this kernel has no jail metadata (FreeBSD 15.0 added it)");
        return k;
    }

    private int Create(JailKernel k, params (string Name, object Value)[] extra)
    {
        var c = k.Catalog;
        string name = "jailps-conf-meta-" + Guid.NewGuid().ToString("N")[..6];
        var list = new List<JailParameterSetting> { new(c.Find("name")!, name), new(c.Find("path")!, _root), new(c.Find("persist")!, true) };
        foreach (var (n, v) in extra) list.Add(new(c.Resolve(n, out _)!, v));
        int jid = k.Set(list, JailFlags.Create, name);
        _created.Add((k, jid));
        return jid;
    }

    private static void Update(JailKernel k, int jid, string name, object value)
        => k.Set(new List<JailParameterSetting> { new(k.Catalog.Find("jid")!, jid), new(k.Catalog.Resolve(name, out _)!, value) }, JailFlags.Update);

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Meta_and_env_are_key_value_strings_set_whole_or_by_key(string which)
    {
        var k = Open(which);
        var meta = k.Catalog.Find("meta")!;
        Assert.True(meta.IsKeyValue);
        Assert.Equal(JailParameterType.String, meta.Type);
        Assert.Equal(JailParameterAccess.ReadWrite, meta.Access);
        Assert.True(k.Catalog.Find("env")!.IsKeyValue);

        int jid = Create(k, ("meta", "k1=v1\nk2=v2"), ("env.x", "one"));
        Assert.Equal("k1=v1\nk2=v2", k.GetByJid(jid)!["meta"]);
        Assert.Equal("x=one", k.GetByJid(jid)!["env"]);

        Update(k, jid, "meta.k2", "two");           // replaced, and put first
        Assert.Equal("k2=two\nk1=v1", k.GetByJid(jid)!["meta"]);
        Update(k, jid, "meta.k1", "");              // meta.k1= : an empty value
        Assert.Equal("k1=\nk2=two", k.GetByJid(jid)!["meta"]);
        Update(k, jid, "meta", "");                 // the whole buffer
        Assert.Equal("", k.GetByJid(jid)!["meta"]);

        var big = Assert.Throws<JailKernelException>(() => Update(k, jid, "env", new string('x', 5000)));
        Assert.Equal(Errno.EFBIG, big.Errno);
        Assert.Equal("x=one", k.GetByJid(jid)!["env"]);
    }

    [Fact]
    public void The_14_3_model_has_no_metadata()
    {
        var k = new JailKernel(new SimulatedKernel(SimulatedKernelOptions.ForRelease("14.3")));
        Assert.Null(k.Catalog.Find("meta"));
        Assert.Null(k.Catalog.Resolve("meta.k1", out _));
        Assert.Throws<ArgumentException>(() => SimulatedKernelOptions.ForRelease("13.5"));
    }
}
