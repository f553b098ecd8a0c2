using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation;

/// <summary>jail_get: keys, iteration, and the vfs_setopt output rules on raw memory.</summary>
public sealed unsafe class JailGetTests
{
    [Fact]
    public void LastJid_IteratesInJidOrder_ThenNoJailAfter()
    {
        var k = K.NewKernel();
        K.Create(k, i => i.Int("jid", 30).Str("name", "c").Bool("persist"));
        K.Create(k, i => i.Int("jid", 10).Str("name", "a").Bool("persist"));
        K.Create(k, i => i.Int("jid", 20).Str("name", "b").Bool("persist"));
        var seen = new List<(int, string)>();
        int last = 0;
        while (true)
        {
            using var iov = new Iov();
            iov.Int("lastjid", last).Out("jid", 4).Out("name", 256).ErrMsg();
            int r = K.Get(k, iov);
            if (r < 0)
            {
                Assert.Equal(Errno.ENOENT, k.LastErrno);
                Assert.Equal("no jail after " + last, iov.ErrMsgText);
                break;
            }
            Assert.Equal(r, iov.ReadInt("jid"));
            seen.Add((r, iov.ReadStr("name")));
            last = r;
        }
        Assert.Equal(new[] { (10, "a"), (20, "b"), (30, "c") }, seen);
    }

    [Fact]
    public void JidKey_NotFound_IsEnoent()
    {
        var k = K.NewKernel();
        var (e, msg) = K.GetFails(k, i => i.Int("jid", 42));
        Assert.Equal(Errno.ENOENT, e);
        Assert.Equal("jail 42 not found", msg);
    }

    [Fact]
    public void NameKey_FindsTheJail_OrIsEnoent()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "named");
        using (var iov = new Iov())
        {
            iov.Str("name", "named").Out("jid", 4);
            Assert.Equal(jid, K.Get(k, iov));
            Assert.Equal(jid, iov.ReadInt("jid"));
        }
        var (e, msg) = K.GetFails(k, i => i.Str("name", "other"));
        Assert.Equal(Errno.ENOENT, e);
        Assert.Equal("jail \"other\" not found", msg);
    }

    [Fact]
    public void NoKey_IsEnoentNoJailSpecified()
    {
        var k = K.NewKernel();
        K.Create(k, "x");
        var (e, msg) = K.GetFails(k, i => i.Out("path", 64));
        Assert.Equal(Errno.ENOENT, e);
        Assert.Equal("no jail specified", msg);
        // jid 0 is no key either; name is consulted next.
        Assert.Equal("no jail specified", K.GetFails(k, i => i.Int("jid", 0)).Msg);
    }

    [Fact]
    public void DyingJail_NeedsJailDying()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "dy");
        k.HoldDyingReference(jid);
        Assert.Equal(0, k.JailRemove(jid));
        Assert.Equal(("jail " + jid + " is dying"), K.GetFails(k, i => i.Int("jid", jid)).Msg);
        Assert.Equal("jail \"dy\" is dying", K.GetFails(k, i => i.Str("name", "dy")).Msg);
        Assert.Equal("no jail after 0", K.GetFails(k, i => i.Int("lastjid", 0)).Msg);
        Assert.Equal(1, K.GetInt(k, jid, "dying", JailFlags.Dying));
        Assert.Equal(0, K.GetInt(k, jid, "nodying", JailFlags.Dying));
        using var iov = new Iov();
        iov.Int("lastjid", 0).Out("jid", 4);
        Assert.Equal(jid, K.Get(k, iov, JailFlags.Dying));
    }

    [Fact]
    public void FlagsOutsideTheGetMask_AreEinval()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        Assert.Equal(Errno.EINVAL, K.GetFails(k, i => i.Int("jid", jid), JailFlags.Create).Errno);
        Assert.Equal(Errno.EINVAL, K.GetFails(k, i => i.Int("jid", jid), JailFlags.UseDesc).Errno);
    }

    [Fact]
    public void NullValue_ReportsOnlyTheLength()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "lenq").Bool("persist").Str("host.hostname", "hello").Raw("ip4.addr", K.Ip("10.0.0.1", "10.0.0.2")));
        using var iov = new Iov();
        iov.Int("jid", jid).Out("name", 0).Out("host.hostname", 0).Out("securelevel", 0).Out("host.hostid", 0).Out("ip4.addr", 0).Out("persist", 0);
        Assert.Equal(jid, K.Get(k, iov));
        Assert.Equal(5u, (uint)iov.Len("name"));
        Assert.Equal(6u, (uint)iov.Len("host.hostname"));
        Assert.Equal(4u, (uint)iov.Len("securelevel"));
        Assert.Equal(8u, (uint)iov.Len("host.hostid"));
        Assert.Equal(8u, (uint)iov.Len("ip4.addr"));
        Assert.Equal(4u, (uint)iov.Len("persist"));
    }

    [Theory]
    [InlineData("securelevel", 8)]
    [InlineData("persist", 2)]
    [InlineData("host.hostid", 4)]
    [InlineData("ip4", 1)]
    public void FixedSizeValue_WithAnotherSize_IsEinval(string param, int size)
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        using var iov = new Iov();
        iov.Int("jid", jid).Out(param, size).ErrMsg();
        Assert.Equal(-1, K.Get(k, iov));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
        Assert.Equal("", iov.ErrMsgText);
    }

    [Fact]
    public void StringBuffer_TooSmall_IsEinval_AndLeavesTheIovecsAlone()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "abcdef");
        using var iov = new Iov();
        iov.Int("jid", jid).Out("name", 6).Out("securelevel", 0);
        Assert.Equal(-1, K.Get(k, iov));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
        Assert.Equal(6u, (uint)iov.Len("name"));
        Assert.Equal(0u, (uint)iov.Len("securelevel"));
    }

    [Fact]
    public void StringBuffer_Larger_GetsStrlcpy_AndKeepsItsLength()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "abc");
        using var iov = new Iov();
        iov.Int("jid", jid).OutFilled("name", 8, (byte)'#');
        Assert.Equal(jid, K.Get(k, iov));
        Assert.Equal(8u, (uint)iov.Len("name"));
        Assert.Equal("abc\0####"u8.ToArray(), iov.Bytes("name", 8));
    }

    [Fact]
    public void ArrayBuffer_Larger_IsRewrittenToTheDataLength_SmallerIsEinval()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "arr").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.1", "10.0.0.2")));
        using (var iov = new Iov())
        {
            iov.Int("jid", jid).Out("ip4.addr", 40).Out("ip6.addr", 32);
            Assert.Equal(jid, K.Get(k, iov));
            Assert.Equal(8u, (uint)iov.Len("ip4.addr"));
            Assert.Equal(0u, (uint)iov.Len("ip6.addr"));
            Assert.Equal(K.Ip("10.0.0.1", "10.0.0.2"), iov.Value("ip4.addr"));
        }
        using (var small = new Iov())
        {
            small.Int("jid", jid).Out("ip4.addr", 4);
            Assert.Equal(-1, K.Get(k, small));
            Assert.Equal(Errno.EINVAL, k.LastErrno);
        }
    }

    [Fact]
    public void KeyAsNullValue_IsEinval()
    {
        var k = K.NewKernel();
        K.Create(k, "x");
        Assert.Equal(Errno.EINVAL, K.GetFails(k, i => i.Out("jid", 0)).Errno);
        Assert.Equal(Errno.EINVAL, K.GetFails(k, i => i.Out("name", 0)).Errno);
    }

    [Fact]
    public void ParentChildrenCurAndCpusetId_AreReported()
    {
        var k = K.NewKernel();
        int p = K.Create(k, i => i.Str("name", "p").Bool("persist").Int("children.max", 5));
        int c = K.Create(k, "p.c");
        K.Create(k, "p.c.g");
        Assert.Equal(0, K.GetInt(k, p, "parent"));
        Assert.Equal(p, K.GetInt(k, c, "parent"));
        Assert.Equal(2, K.GetInt(k, p, "children.cur"));
        Assert.Equal(1, K.GetInt(k, c, "children.cur"));
        int cs1 = K.GetInt(k, p, "cpuset.id"), cs2 = K.GetInt(k, c, "cpuset.id");
        Assert.True(cs1 > 1 && cs2 > 1 && cs1 != cs2);
    }

    [Fact]
    public void UnknownParameter_IsEinval_WithMessage_AndNothingIsWritten()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        using var iov = new Iov();
        iov.Int("jid", jid).Out("securelevel", 0).Out("bogus", 4).ErrMsg();
        Assert.Equal(-1, K.Get(k, iov));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
        Assert.Equal("unknown parameter: bogus", iov.ErrMsgText);
        Assert.Equal(0u, (uint)iov.Len("securelevel"));
    }

    [Fact]
    public void ErrmsgBuffer_IsTruncatedAndNulTerminated()
    {
        var k = K.NewKernel();
        using var iov = new Iov();
        iov.Int("jid", 123456).OutFilled("errmsg", 8, (byte)'#');
        Assert.Equal(-1, K.Get(k, iov));
        Assert.Equal("jail 12\0"u8.ToArray(), iov.Bytes("errmsg", 8));
    }

    [Fact]
    public void ErrmsgBuffer_IsUntouchedOnSuccess()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        using var iov = new Iov();
        iov.Int("jid", jid).Out("name", 16).OutFilled("errmsg", 4, (byte)'#');
        Assert.Equal(jid, K.Get(k, iov));
        Assert.Equal("####"u8.ToArray(), iov.Bytes("errmsg", 4));
        Assert.Equal(4u, (uint)iov.Len("errmsg"));
    }

    [Fact]
    public void JailSetErrmsg_IsTruncatedToTheBuffer()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "x"), K.C, errmsgSize: 9);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("new jail", msg);
    }

    [Fact]
    public void HostOnlyReadBack_JailsysQuirk()
    {
        var k = K.NewKernel();
        int r = K.Create(k, i => i.Str("name", "r").Bool("persist").Raw("ip6.addr", K.Ip("2001:db8::1")));
        int u = K.Create(k, i => i.Str("name", "u").Bool("persist").Int("ip6", JailSysValues.Inherit));
        int n = K.Create(k, i => i.Str("name", "n").Bool("persist").Int("ip6", JailSysValues.New));
        Assert.Equal(JailSysValues.Disable, K.GetInt(k, r, "ip6"));
        Assert.Equal(JailSysValues.Inherit, K.GetInt(k, u, "ip6"));
        Assert.Equal(JailSysValues.Disable, K.GetInt(k, n, "ip6"));
    }

    [Fact]
    public void EveryParameterIsReadable_InOneCall()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "all");
        var names = new[]
        {
            "jid", "parent", "name", "path", "securelevel", "osreldate", "osrelease", "enforce_statfs", "devfs_ruleset",
            "persist", "nopersist", "vnet", "dying", "nodying", "children.cur", "children.max", "host", "host.hostname",
            "host.domainname", "host.hostuuid", "host.hostid", "cpuset.id", "ip4", "ip4.addr", "ip4.saddrsel",
            "ip4.nosaddrsel", "ip6", "ip6.addr", "ip6.saddrsel", "ip6.nosaddrsel", "allow.set_hostname", "allow.nosysvipc",
            "allow.mount", "allow.mount.nodevfs", "allow.mount.zfs", "allow.nfsd", "allow.extattr", "sysvmsg", "sysvsem", "sysvshm",
        };
        using var iov = new Iov();
        iov.Int("jid", jid);
        foreach (var n in names.Skip(1)) iov.Out(n, 0);
        iov.ErrMsg();
        Assert.True(K.Get(k, iov) == jid, iov.ErrMsgText);
    }
}
