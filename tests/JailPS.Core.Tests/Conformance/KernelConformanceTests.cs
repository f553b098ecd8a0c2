using System.IO;
using System.Net;
using JailPS.Core.Kernel;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// The same kernel scenarios against the simulated kernel (everywhere) and against FreeBSD's real
/// kernel (trait Category=FreeBSD: only on FreeBSD as root; skipped elsewhere with the reason).
/// Real-kernel runs create persistent jails named jailps-conf-* rooted in a temporary directory
/// and remove them afterwards.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class KernelConformanceTests : IDisposable
{
    private readonly List<(JailKernel Kernel, int Jid)> _created = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "jailps-conf-" + Guid.NewGuid().ToString("N").Substring(0, 8));

    public KernelConformanceTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        foreach (var (k, jid) in _created)
            try { k.Remove(jid); } catch (JailKernelException) { }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    public static IEnumerable<object[]> Kernels() => new[] { new object[] { "simulated" }, new object[] { "freebsd" } };

    private JailKernel Open(string which)
    {
        if (which == "simulated")
            return new JailKernel(new SimulatedKernel(new SimulatedKernelOptions()));
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "conformance against the real kernel runs only on FreeBSD (this is " + System.Runtime.InteropServices.RuntimeInformation.OSDescription + ")");
        var libc = new FreeBsdLibc();
        Skip.If(libc.GetEuid() != 0, "conformance against the real kernel needs root");
        return new JailKernel(libc);
    }

    private string Dir(string name)
    {
        string d = Path.Combine(_root, name);
        Directory.CreateDirectory(d);
        return d;
    }

    private int Create(JailKernel k, string name, params (string Name, object Value)[] extra)
    {
        var c = k.Catalog;
        var list = new List<JailParameterSetting> { new(c.Find("name")!, name), new(c.Find("path")!, Dir(name)), new(c.Find("persist")!, true) };
        foreach (var (n, v) in extra) list.Add(new(c.Find(n)!, v));
        int jid = k.Set(list, JailFlags.Create, name);
        _created.Add((k, jid));
        return jid;
    }

    private static string Unique(string stem) => "jailps-conf-" + stem + "-" + Guid.NewGuid().ToString("N").Substring(0, 6);

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Catalog_has_the_core_parameters_with_their_types(string which)
    {
        var c = Open(which).Catalog;
        Assert.Equal(JailParameterType.Int, c.Find("jid")!.Type);
        Assert.Equal(JailParameterAccess.CreateOnly, c.Find("path")!.Access);
        Assert.Equal(JailParameterType.String, c.Find("host.hostname")!.Type);
        Assert.Equal(256, c.Find("host.hostname")!.MaxLength);
        Assert.Equal(JailParameterType.Bool, c.Find("persist")!.Type);
        Assert.Equal(JailParameterAccess.ReadOnly, c.Find("dying")!.Access);
        Assert.Equal(JailParameterType.JailSys, c.Find("vnet")!.Type);
        Assert.Equal(JailParameterType.IPv4Array, c.Find("ip4.addr")!.Type);
        Assert.Equal(JailParameterType.IPv6Array, c.Find("ip6.addr")!.Type);
        Assert.Equal(JailParameterType.ULong, c.Find("host.hostid")!.Type);
        Assert.Equal(JailParameterType.Bool, c.Find("allow.mount")!.Type);
        Assert.True(c.Resolve("allow.noraw_sockets", out bool negated) != null && negated);
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Every_parameter_type_round_trips(string which)
    {
        var k = Open(which);
        string name = Unique("rt");
        int jid = Create(k, name,
            ("host.hostname", "rt.example.org"), ("securelevel", 2), ("host.hostid", 0x1234_5678_9aUL),
            ("allow.raw_sockets", true), ("ip4.addr", new[] { IPAddress.Parse("192.0.2.77") }),
            ("ip6.addr", new[] { IPAddress.Parse("2001:db8::77") }), ("enforce_statfs", 1), ("children.max", 3));
        var r = k.GetByJid(jid)!;
        Assert.Equal(name, r.Name);
        Assert.Equal("rt.example.org", r["host.hostname"]);
        Assert.Equal(2, r["securelevel"]);
        Assert.Equal(0x1234_5678_9aUL, r["host.hostid"]);
        Assert.Equal(true, r["allow.raw_sockets"]);
        Assert.Equal("192.0.2.77", ((IPAddress[])r["ip4.addr"]!).Single().ToString());
        Assert.Equal("2001:db8::77", ((IPAddress[])r["ip6.addr"]!).Single().ToString());
        Assert.Equal(1, r["enforce_statfs"]);
        Assert.Equal(3, r["children.max"]);
        Assert.True(r.Persist);
        Assert.False(r.Dying);
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Create_update_and_their_errors(string which)
    {
        var k = Open(which);
        var c = k.Catalog;
        string name = Unique("cu");
        int jid = Create(k, name);
        var dup = Assert.Throws<JailKernelException>(() => Create(k, name));
        Assert.Equal(Errno.EEXIST, dup.Errno);
        var missing = Assert.Throws<JailKernelException>(() =>
            k.Set(new[] { new JailParameterSetting(c.Find("name")!, Unique("none")), new JailParameterSetting(c.Find("securelevel")!, 1) }, JailFlags.Update));
        Assert.Equal(Errno.ENOENT, missing.Errno);
        var noOp = Assert.Throws<JailKernelException>(() => k.Set(new[] { new JailParameterSetting(c.Find("name")!, name) }, 0));
        Assert.Equal(Errno.EINVAL, noOp.Errno);
        var createOnly = Assert.Throws<JailKernelException>(() =>
            k.Set(new[] { new JailParameterSetting(c.Find("jid")!, jid), new JailParameterSetting(c.Find("path")!, "/") }, JailFlags.Update));
        Assert.Equal(Errno.EINVAL, createOnly.Errno);
        Assert.Contains("path", createOnly.KernelMessage);
        k.Set(new[] { new JailParameterSetting(c.Find("jid")!, jid), new JailParameterSetting(c.Find("host.hostname")!, "updated") }, JailFlags.Update);
        Assert.Equal("updated", k.GetByJid(jid)!["host.hostname"]);
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Without_persist_or_attach_a_new_jail_is_refused(string which)
    {
        var k = Open(which);
        var c = k.Catalog;
        string name = Unique("np");
        var ex = Assert.Throws<JailKernelException>(() =>
            k.Set(new[] { new JailParameterSetting(c.Find("name")!, name), new JailParameterSetting(c.Find("path")!, Dir(name)) }, JailFlags.Create));
        Assert.Equal(Errno.EINVAL, ex.Errno);
        Assert.Null(k.GetByName(name));
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Clearing_persist_on_an_empty_jail_removes_it(string which)
    {
        var k = Open(which);
        var c = k.Catalog;
        int jid = Create(k, Unique("cp"));
        k.Set(new[] { new JailParameterSetting(c.Find("jid")!, jid), new JailParameterSetting(c.Find("persist")!, false) }, JailFlags.Update);
        Assert.Null(k.GetByJid(jid));
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Listing_is_in_jid_order_and_remove_ends_a_jail(string which)
    {
        var k = Open(which);
        int a = Create(k, Unique("la"));
        int b = Create(k, Unique("lb"));
        var jids = k.List().Select(r => r.Jid).ToList();
        Assert.Equal(jids.OrderBy(j => j), jids);
        Assert.Contains(a, jids);
        Assert.Contains(b, jids);
        k.Remove(a);
        Assert.DoesNotContain(a, k.List().Select(r => r.Jid));
        var gone = Assert.Throws<JailKernelException>(() => k.Remove(a));
        Assert.Equal(Errno.EINVAL, gone.Errno);   // jail_remove of an unknown jid: EINVAL (kern_jail.c)
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Unknown_parameters_and_bad_values_are_refused_with_the_kernels_message(string which)
    {
        var k = Open(which);
        var fake = new JailParameterInfo("allow.jailps_no_such_thing", JailParameterType.Bool, JailParameterAccess.ReadWrite);
        var c = k.Catalog;
        var ex = Assert.Throws<JailKernelException>(() =>
            k.Set(new[] { new JailParameterSetting(c.Find("name")!, Unique("uk")), new JailParameterSetting(c.Find("persist")!, true), new JailParameterSetting(fake, true) }, JailFlags.Create));
        Assert.Equal(Errno.EINVAL, ex.Errno);
        Assert.Contains("unknown parameter", ex.KernelMessage);
        var range = Assert.Throws<JailKernelException>(() => Create(k, Unique("es"), ("enforce_statfs", 7)));
        Assert.Equal(Errno.EINVAL, range.Errno);
    }
}
