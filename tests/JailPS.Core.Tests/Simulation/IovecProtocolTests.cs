using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation;

/// <summary>vfs_buildopts / copyinuio rules, seen through jail_set and jail_get on raw memory.</summary>
public sealed unsafe class IovecProtocolTests
{
    [Fact]
    public void OddNiov_IsEinval_ForSetAndGet()
    {
        var k = K.NewKernel();
        using var iov = new Iov();
        iov.Str("name", "a").Bool("persist").Name("errmsg");
        Assert.Equal(-1, k.JailSet(iov.Ptr, 5, K.C));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
        Assert.Equal(-1, k.JailGet(iov.Ptr, 3, 0));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
    }

    [Fact]
    public void OddNiov_IsEinval_EvenForNonRoot_BecauseSysJailSetChecksItFirst()
    {
        var k = K.NewKernel(uid: 1001);
        using var iov = new Iov();
        iov.Bool("persist").Name("x");
        Assert.Equal(-1, k.JailSet(iov.Ptr, iov.Count, K.C));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
    }

    [Fact]
    public void NiovAboveUioMaxiov_IsEinval()
    {
        var k = K.NewKernel();
        using var iov = new Iov();
        for (int i = 0; i < 513; i++) iov.Bool("persist");
        Assert.Equal(1026u, iov.Count);
        Assert.Equal(-1, k.JailSet(iov.Ptr, iov.Count, K.C));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
    }

    [Fact]
    public void NullIovArray_WithEntries_IsEfault()
    {
        var k = K.NewKernel();
        Assert.Equal(-1, k.JailSet(null, 2, K.C));
        Assert.Equal(Errno.EFAULT, k.LastErrno);
    }

    [Fact]
    public void NameWithoutTerminatingNul_IsEinval()
    {
        var k = K.NewKernel();
        using var iov = new Iov();
        iov.Bytes("persist"u8.ToArray()).Bytes(null).ErrMsg();
        Assert.Equal(-1, K.Set(k, iov, K.C));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
        Assert.Equal("", iov.ErrMsgText);
    }

    [Fact]
    public void ZeroLengthName_IsEinval()
    {
        var k = K.NewKernel();
        using var iov = new Iov();
        iov.Bytes(Array.Empty<byte>()).Bytes(null);
        Assert.Equal(-1, K.Set(k, iov, K.C));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
    }

    [Fact]
    public void NullValuePointer_WithNonZeroLength_IsEfault()
    {
        var k = K.NewKernel();
        using var iov = new Iov();
        iov.Name("name").Entry(0, 4);
        Assert.Equal(-1, K.Set(k, iov, K.C));
        Assert.Equal(Errno.EFAULT, k.LastErrno);
    }

    [Fact]
    public void SingleValueAboveMountArgSizeMax_IsEinval()
    {
        var k = K.NewKernel();
        using var iov = new Iov();
        iov.Bool("persist").Raw("host.hostname", new byte[JailLimits.MountArgSizeMax + 1]);
        Assert.Equal(-1, K.Set(k, iov, K.C));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
    }

    [Fact]
    public void TotalOptionMemoryAbove64K_IsEinval_ButJustBelowIsAccepted()
    {
        // memused = sum of (sizeof(struct vfsopt) = 48 + name length + value length).
        var k = K.NewKernel();
        int fixedPart = 48 + "persist\0".Length + 48 + "host.hostname\0".Length;
        using (var ok = new Iov())
        {
            var host = new byte[JailLimits.MountArgSizeMax - fixedPart];
            Array.Fill(host, (byte)'h');
            host[^1] = 0;
            ok.Bool("persist").Raw("host.hostname", host);
            // Within the memory limit: fails later, on the string length check (ENAMETOOLONG).
            Assert.Equal(-1, K.Set(k, ok, K.C));
            Assert.Equal(Errno.ENAMETOOLONG, k.LastErrno);
        }
        using (var bad = new Iov())
        {
            var host = new byte[JailLimits.MountArgSizeMax - fixedPart + 1];
            host[^1] = 0;
            bad.Bool("persist").Raw("host.hostname", host);
            Assert.Equal(-1, K.Set(k, bad, K.C));
            Assert.Equal(Errno.EINVAL, k.LastErrno);
        }
    }

    [Fact]
    public void DuplicateParameters_LastOccurrenceWins()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "a").Bool("persist").Bool("nopersist"), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("new jail must persist or attach", msg);

        int jid = K.Create(k, i => i.Str("name", "a").Bool("nopersist").Bool("persist")
            .Str("host.hostname", "first").Str("host.hostname", "second"));
        Assert.Equal("second", K.GetStr(k, jid, "host.hostname"));
        Assert.Equal(1, K.GetInt(k, jid, "persist"));
    }

    [Fact]
    public void DuplicateParameters_NoPrefixAfterAnyDot_CountsAsTheSameOption()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "a").Bool("persist").Bool("allow.mount").Bool("allow.nomount")
            .Bool("allow.mount.nodevfs").Bool("allow.mount.devfs"));
        Assert.Equal(0, K.GetInt(k, jid, "allow.mount"));
        Assert.Equal(1, K.GetInt(k, jid, "allow.mount.devfs"));
    }

    [Fact]
    public void EmbeddedNulInName_IsComparedAsACString()
    {
        var k = K.NewKernel();
        using var iov = new Iov();
        iov.Bytes("persist\0junk\0"u8.ToArray()).Bytes(null).Str("name", "cs").ErrMsg();
        int jid = K.Set(k, iov, K.C);
        Assert.True(jid > 0, iov.ErrMsgText);
        Assert.Equal(1, K.GetInt(k, jid, "persist"));
    }

    [Fact]
    public void VfsEqualOpts_MatchesTheKernelRules()
    {
        Assert.True(VfsOptList.EqualOpts("persist", "nopersist"));
        Assert.True(VfsOptList.EqualOpts("nopersist", "persist"));
        Assert.True(VfsOptList.EqualOpts("allow.mount", "allow.nomount"));
        Assert.True(VfsOptList.EqualOpts("allow.mount.nodevfs", "allow.mount.devfs"));
        Assert.True(VfsOptList.EqualOpts("ip4.saddrsel", "ip4.nosaddrsel"));
        Assert.False(VfsOptList.EqualOpts("allow.mount", "allow.mount.devfs"));
        Assert.False(VfsOptList.EqualOpts("ip4", "ip4.addr"));
        Assert.False(VfsOptList.EqualOpts("host.hostname", "host.domainname"));
    }
}
