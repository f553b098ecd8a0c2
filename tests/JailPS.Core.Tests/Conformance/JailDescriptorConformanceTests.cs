using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using JailPS.Core.Kernel;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// FreeBSD 15 jail descriptors (freebsd-abi.md §1.8; sys/kern/kern_jaildesc.c, kern_jail.c,
/// tests/sys/kern/jaildesc.c) against the simulated kernel imitating 15.0 and against a real
/// FreeBSD 15 kernel (trait Category=FreeBSD: as root; skipped elsewhere with the reason), and
/// their absence in the 14.3 model.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed unsafe class JailDescriptorConformanceTests : IDisposable
{
    private readonly List<(JailKernel Kernel, int Jid)> _created = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "jailps-conf-jd-" + Guid.NewGuid().ToString("N")[..8]);

    public JailDescriptorConformanceTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        foreach (var (k, jid) in _created)
            try { if (k.GetByJid(jid) is not null) k.Remove(jid); } catch (JailKernelException) { }
        Directory.Delete(_root, recursive: true);
    }

    public static IEnumerable<object[]> Kernels() => new[] { new object[] { "simulated-15.0" }, new object[] { "freebsd" } };

    private static JailKernel Open(string which)
    {
        if (which == "simulated-15.0")
            return new JailKernel(new SimulatedKernel(SimulatedKernelOptions.ForRelease("15.0")));
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "jail descriptor conformance runs only on FreeBSD (this is " + RuntimeInformation.OSDescription + ")");
        var libc = new FreeBsdLibc();
        Skip.If(libc.GetEuid() != 0, "jail descriptor conformance against the real kernel needs root");
        var k = new JailKernel(libc);
        Skip.IfNot(k.SupportsDescriptors, "this kernel has no jail descriptors (FreeBSD 15.0 added them)");
        return k;
    }

    private int Create(JailKernel k, string name, int jid = 0)
    {
        var c = k.Catalog;
        var list = new List<JailParameterSetting> { new(c.Find("name")!, name), new(c.Find("path")!, _root), new(c.Find("persist")!, true) };
        if (jid != 0) list.Add(new(c.Find("jid")!, jid));
        int made = k.Set(list, JailFlags.Create, name);
        _created.Add((k, made));
        return made;
    }

    private static string NewName() => "jailps-conf-jd-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>A raw jail_get/jail_set with the given (name, value) pairs and an errmsg buffer: the result, errno and errmsg.</summary>
    private static (int Rc, int Errno, string Msg) Raw(JailKernel k, bool set, int flags, params (string Name, byte[]? Value)[] pairs)
    {
        var names = pairs.Select(p => Encoding.UTF8.GetBytes(p.Name + "\0")).ToList();
        var values = pairs.Select(p => p.Value).ToList();
        int rc = OptionIovec.Invoke(names, values, (iov, n) => set ? k.Libc.JailSet(iov, n, flags) : k.Libc.JailGet(iov, n, flags), out string? msg);
        return (rc, rc < 0 ? k.Libc.LastErrno : 0, msg ?? "");
    }

    private static byte[] Int(int v) => BitConverter.GetBytes(v);

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void A_descriptor_selects_its_jail_for_jail_get_and_jail_set(string which)
    {
        var k = Open(which);
        string name = NewName();
        int jid = Create(k, name);
        using var d = k.OpenDescriptor(jid)!;
        Assert.Equal(jid, d.Jid);
        Assert.Equal(name, d.Name);
        Assert.True(d.Fd >= 0);

        // jail_get(JAIL_USE_DESC): jid and name are outputs, not keys.
        byte[] jidOut = Int(0);
        var got = Raw(k, set: false, JailFlags.UseDesc, ("desc", Int(d.Fd)), ("jid", jidOut));
        Assert.Equal(jid, got.Rc);
        Assert.Equal(jid, BitConverter.ToInt32(jidOut));

        k.Update(d, new[] { new JailParameterSetting(k.Catalog.Find("host.hostname")!, "through-desc") }, name);
        Assert.Equal("through-desc", k.GetByJid(jid)!["host.hostname"]);

        // Another jid with the descriptor: "cannot change jid".
        var clash = Raw(k, set: true, JailFlags.Update | JailFlags.UseDesc, ("desc", Int(d.Fd)), ("jid", Int(jid + 1000)));
        Assert.Equal((-1, Errno.EINVAL, "cannot change jid"), clash);
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void A_descriptor_never_reaches_the_jail_that_replaced_its_own(string which)
    {
        var k = Open(which);
        string name = NewName();
        int jid = Create(k, name);
        using var d = k.OpenDescriptor(jid)!;
        k.Remove(jid, name);
        // A new jail with the same name and the same jid.
        Assert.Equal(jid, Create(k, name, jid));

        Assert.False(k.Remove(d, name)); // ENOENT: the jail it held is gone
        Assert.NotNull(k.GetByJid(jid));
        var ex = Assert.Throws<JailKernelException>(() => k.Update(d, new[] { new JailParameterSetting(k.Catalog.Find("host.hostname")!, "x") }, name));
        Assert.Equal(Errno.ENOENT, ex.Errno);
        Assert.Equal("descriptor to dead jail", ex.KernelMessage);
        Assert.NotEqual("x", k.GetByJid(jid)!["host.hostname"]);
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Jail_remove_jd_removes_the_jail_it_holds(string which)
    {
        var k = Open(which);
        string name = NewName();
        int jid = Create(k, name);
        using var d = k.OpenDescriptor(jid)!;
        Assert.True(k.Remove(d, name));
        Assert.Null(k.GetByJid(jid));
        Assert.False(k.Remove(d, name));
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void The_desc_parameter_is_checked_as_kern_jail_c_checks_it(string which)
    {
        var k = Open(which);
        int jid = Create(k, NewName());
        Assert.Equal((-1, Errno.ENOENT, "missing desc"), Raw(k, set: false, JailFlags.GetDesc, ("jid", Int(jid))));
        Assert.Equal((-1, Errno.ENOENT, "missing desc"), Raw(k, set: true, JailFlags.Update | JailFlags.GetDesc, ("jid", Int(jid))));
        Assert.Equal((-1, Errno.EINVAL, "unexpected desc"), Raw(k, set: false, 0, ("jid", Int(jid)), ("desc", Int(-1))));
        // JAIL_USE_DESC and JAIL_AT_DESC together: EINVAL before the options are read.
        Assert.Equal(Errno.EINVAL, Raw(k, set: false, JailFlags.UseDesc | JailFlags.AtDesc, ("desc", Int(0))).Errno);
        // jail_get with JAIL_USE_DESC and no desc looks the jail up by its keys.
        Assert.Equal(jid, Raw(k, set: false, JailFlags.UseDesc, ("jid", Int(jid))).Rc);
        // An open file that is not a jail descriptor: EINVAL "not a jail descriptor".
        int fd = OtherFile(k);
        try
        {
            Assert.Equal((-1, Errno.EINVAL, "not a jail descriptor"), Raw(k, set: false, JailFlags.UseDesc, ("desc", Int(fd))));
        }
        finally
        {
            k.Libc.Close(fd);
        }
    }

    [SkippableFact]
    public void Closing_an_owning_descriptor_removes_its_jail()
    {
        var k = Open("simulated-15.0");
        string name = NewName();
        int jid = Create(k, name);
        byte[] desc = Int(-1);
        Assert.Equal(jid, Raw(k, set: false, JailFlags.OwnDesc, ("jid", Int(jid)), ("desc", desc)).Rc);
        Assert.NotNull(k.GetByJid(jid));
        Assert.Equal(0, k.Libc.Close(BitConverter.ToInt32(desc)));
        Assert.Null(k.GetByJid(jid));
    }

    [Fact]
    public void The_14_3_model_has_no_descriptors()
    {
        var sim = new SimulatedKernel(SimulatedKernelOptions.ForRelease("14.3"));
        var k = new JailKernel(sim);
        Assert.False(k.SupportsDescriptors);
        int jid = Create(k, NewName());
        Assert.Null(k.OpenDescriptor(jid));
        Assert.Equal(Errno.EINVAL, Raw(k, set: false, JailFlags.GetDesc, ("jid", Int(jid)), ("desc", Int(-1))).Errno);
        Assert.Equal(-1, sim.JailRemoveJd(3));
        Assert.Equal(Errno.ENOSYS, sim.LastErrno);
    }

    /// <summary>An open descriptor of another kind: a socket (the simulated kernel and FreeBSD both make one).</summary>
    private static int OtherFile(JailKernel k)
    {
        INetLibc net = k.Libc as INetLibc ?? throw new InvalidOperationException("no socket seam");
        int fd = net.Socket(SocketConstants.AfInet, SocketConstants.SockDgram, 0);
        Assert.True(fd >= 0);
        return fd;
    }
}
