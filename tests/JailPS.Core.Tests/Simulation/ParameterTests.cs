using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation;

/// <summary>Every parameter type through jail_set and back through jail_get, and their validation.</summary>
public sealed unsafe class ParameterTests
{
    [Fact]
    public void IntParameters_RoundTrip()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "ints").Bool("persist")
            .Int("securelevel", 2).Int("enforce_statfs", 1).Int("devfs_ruleset", 4)
            .Int("children.max", 7).Int("osreldate", 1402000));
        Assert.Equal(2, K.GetInt(k, jid, "securelevel"));
        Assert.Equal(1, K.GetInt(k, jid, "enforce_statfs"));
        Assert.Equal(4, K.GetInt(k, jid, "devfs_ruleset"));
        Assert.Equal(7, K.GetInt(k, jid, "children.max"));
        Assert.Equal(1402000, K.GetInt(k, jid, "osreldate"));
        using var iov = new Iov();
        iov.Str("name", "ints").Out("jid", 4);
        Assert.Equal(jid, K.Get(k, iov));
        Assert.Equal(jid, iov.ReadInt("jid"));
    }

    [Fact]
    public void IntParameter_WithWrongSize_IsEinvalWithoutMessage()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "x").Bool("persist").Raw("securelevel", new byte[8]), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("", msg);
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Raw("jid", new byte[2]).Bool("persist"), K.C).Errno);
    }

    [Fact]
    public void StringParameters_RoundTrip()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "strs").Bool("persist")
            .Str("host.hostname", "strs.example.org").Str("host.domainname", "nis.example")
            .Str("host.hostuuid", "12345678-1234-1234-1234-123456789abc").Str("osrelease", "13.2-RELEASE")
            .Str("path", "/"));
        Assert.Equal("strs", K.GetStr(k, jid, "name"));
        Assert.Equal("strs.example.org", K.GetStr(k, jid, "host.hostname"));
        Assert.Equal("nis.example", K.GetStr(k, jid, "host.domainname"));
        Assert.Equal("12345678-1234-1234-1234-123456789abc", K.GetStr(k, jid, "host.hostuuid"));
        Assert.Equal("13.2-RELEASE", K.GetStr(k, jid, "osrelease"));
        Assert.Equal("/", K.GetStr(k, jid, "path"));
    }

    [Fact]
    public void StringParameter_WithoutTerminatingNul_IsEinval()
    {
        var k = K.NewKernel();
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Raw("name", "abc"u8.ToArray()).Bool("persist"), K.C).Errno);
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Raw("host.hostname", null).Bool("persist"), K.C).Errno);
    }

    [Fact]
    public void StringLengthLimits_FollowTheKernelsComparisons()
    {
        var k = K.NewKernel();
        // host.hostname / host.domainname: iov_len (with NUL) up to MAXHOSTNAMELEN.
        Assert.True(K.Create(k, i => i.Str("name", "h").Bool("persist").Str("host.hostname", new string('h', 255))) > 0);
        Assert.Equal(Errno.ENAMETOOLONG, K.SetFails(k, i => i.Str("name", "h2").Bool("persist").Str("host.domainname", new string('d', 256)), K.C).Errno);
        // host.hostuuid: up to HOSTUUIDLEN with the NUL.
        Assert.True(K.Create(k, i => i.Str("name", "u").Bool("persist").Str("host.hostuuid", new string('u', 63))) > 0);
        Assert.Equal(Errno.ENAMETOOLONG, K.SetFails(k, i => i.Str("name", "u2").Bool("persist").Str("host.hostuuid", new string('u', 64)), K.C).Errno);
    }

    [Fact]
    public void OsRelease_MustBeShorterThanOsReleaseLenIncludingTheNul()
    {
        // kern_jail_set rejects len >= OSRELEASELEN where len counts the NUL: 30 characters at most.
        var k = K.NewKernel();
        Assert.True(K.Create(k, i => i.Str("name", "r").Bool("persist").Str("osrelease", new string('r', 30))) > 0);
        var (e, msg) = K.SetFails(k, i => i.Str("name", "r2").Bool("persist").Str("osrelease", new string('r', 31)), K.C);
        Assert.Equal(Errno.ENAMETOOLONG, e);
        Assert.Equal("osrelease string must be 1-31 bytes long", msg);
    }

    [Fact]
    public void OsRelDate_Zero_IsEinval()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "d").Bool("persist").Int("osreldate", 0), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("osreldate cannot be 0", msg);
    }

    [Fact]
    public void HostId_IsAnUnsignedLongOf8Bytes()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "hid").Bool("persist").ULong("host.hostid", 0xfedcba9876543210UL));
        using var iov = new Iov();
        iov.Int("jid", jid).Out("host.hostid", 8);
        Assert.Equal(jid, K.Get(k, iov));
        Assert.Equal(0xfedcba9876543210UL, iov.ReadULong("host.hostid"));
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "hid2").Bool("persist").Int("host.hostid", 5), K.C).Errno);
    }

    [Fact]
    public void Booleans_ArePresenceOnly_TheValueIsIgnored()
    {
        var k = K.NewKernel();
        // A "persist" with a zero int value still sets persist; "allow.noset_hostname" with 1 clears.
        int jid = K.Create(k, i => i.Str("name", "b").Int("persist", 0).Int("allow.noset_hostname", 1).Raw("allow.raw_sockets", new byte[] { 0, 0, 0 }));
        Assert.Equal(1, K.GetInt(k, jid, "persist"));
        Assert.Equal(0, K.GetInt(k, jid, "allow.set_hostname"));
        Assert.Equal(1, K.GetInt(k, jid, "allow.raw_sockets"));
    }

    [Fact]
    public void Booleans_ReadBackUnderBothNames()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "b").Bool("persist").Bool("ip4.nosaddrsel").Bool("allow.mount.tmpfs"));
        Assert.Equal(1, K.GetInt(k, jid, "persist"));
        Assert.Equal(0, K.GetInt(k, jid, "nopersist"));
        Assert.Equal(0, K.GetInt(k, jid, "ip4.saddrsel"));
        Assert.Equal(1, K.GetInt(k, jid, "ip4.nosaddrsel"));
        Assert.Equal(1, K.GetInt(k, jid, "ip6.saddrsel"));
        Assert.Equal(1, K.GetInt(k, jid, "allow.mount.tmpfs"));
        Assert.Equal(0, K.GetInt(k, jid, "allow.mount.notmpfs"));
        Assert.Equal(0, K.GetInt(k, jid, "dying"));
        Assert.Equal(1, K.GetInt(k, jid, "nodying"));
    }

    [Fact]
    public void AllowFlags_CanBeClearedByUpdate()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "a").Bool("persist").Bool("allow.mount").Bool("allow.chflags"));
        K.Create(k, i => i.Int("jid", jid).Bool("allow.nomount"), K.U);
        Assert.Equal(0, K.GetInt(k, jid, "allow.mount"));
        Assert.Equal(1, K.GetInt(k, jid, "allow.chflags"));
    }

    [Fact]
    public void Jailsys_Host_NewAndInherit()
    {
        var k = K.NewKernel();
        int n = K.Create(k, i => i.Str("name", "hn").Bool("persist").Int("host", JailSysValues.New));
        int h = K.Create(k, i => i.Str("name", "hi").Bool("persist").Int("host", JailSysValues.Inherit));
        Assert.Equal(JailSysValues.New, K.GetInt(k, n, "host"));
        Assert.Equal(JailSysValues.Inherit, K.GetInt(k, h, "host"));
        // Inheriting copies the parent's (the host's) hostname.
        Assert.Equal(k.Options.Hostname, K.GetStr(k, h, "host.hostname"));
        Assert.Equal("", K.GetStr(k, n, "host.hostname"));
    }

    [Fact]
    public void Jailsys_SettingHostHostname_ImpliesHostNew()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "x").Bool("persist").Int("host", JailSysValues.Inherit).Str("host.hostname", "own"));
        Assert.Equal(JailSysValues.New, K.GetInt(k, jid, "host"));
        Assert.Equal("own", K.GetStr(k, jid, "host.hostname"));
    }

    [Theory]
    [InlineData("host")]
    [InlineData("vnet")]
    public void Jailsys_DisableForHostOrVnet_IsEinval(string param)
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "x").Bool("persist").Int(param, JailSysValues.Disable), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("", msg);
    }

    [Fact]
    public void Jailsys_ValueOutsideZeroToTwo_IsEinval()
    {
        var k = K.NewKernel();
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Int("ip4", 3), K.C).Errno);
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Int("sysvshm", -1), K.C).Errno);
    }

    [Fact]
    public void Jailsys_VnetNew_ReadsBackNew_AndLeavesIpUnrestricted()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "v").Bool("persist").Int("vnet", JailSysValues.New));
        Assert.Equal(JailSysValues.New, K.GetInt(k, jid, "vnet"));
        Assert.Equal(JailSysValues.Inherit, K.GetInt(k, jid, "ip4"));
        Assert.Equal(JailSysValues.Inherit, K.GetInt(k, jid, "ip6"));
    }

    [Fact]
    public void Jailsys_SysvModules_NewInheritDisable()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "s").Bool("persist")
            .Int("sysvmsg", JailSysValues.New).Int("sysvsem", JailSysValues.Inherit).Int("sysvshm", JailSysValues.Disable));
        Assert.Equal(JailSysValues.New, K.GetInt(k, jid, "sysvmsg"));
        Assert.Equal(JailSysValues.Inherit, K.GetInt(k, jid, "sysvsem"));
        Assert.Equal(JailSysValues.Disable, K.GetInt(k, jid, "sysvshm"));
        // allow.sysvipc alone means inherit for every SysV module (msg_prison_set).
        int legacy = K.Create(k, i => i.Str("name", "l").Bool("persist").Bool("allow.sysvipc"));
        Assert.Equal(JailSysValues.Inherit, K.GetInt(k, legacy, "sysvshm"));
        int none = K.Create(k, i => i.Str("name", "n").Bool("persist"));
        Assert.Equal(JailSysValues.Disable, K.GetInt(k, none, "sysvmsg"));
    }

    [Fact]
    public void Jailsys_SysvNewUnderADisabledParent_IsEperm()
    {
        var k = K.NewKernel();
        K.Create(k, i => i.Str("name", "p").Bool("persist").Int("children.max", 2));
        Assert.Equal(Errno.EPERM, K.SetFails(k, i => i.Str("name", "p.c").Bool("persist").Int("sysvmsg", JailSysValues.New), K.C).Errno);
    }

    [Fact]
    public void IpAddresses_RoundTrip_PrimaryFirstRestSorted()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "ip").Bool("persist")
            .Raw("ip4.addr", K.Ip("10.0.0.3", "10.0.0.20", "10.0.0.1"))
            .Raw("ip6.addr", K.Ip("2001:db8::9", "2001:db8::1")));
        Assert.Equal(K.Ip("10.0.0.3", "10.0.0.1", "10.0.0.20"), K.GetBytes(k, jid, "ip4.addr", 64));
        Assert.Equal(K.Ip("2001:db8::9", "2001:db8::1"), K.GetBytes(k, jid, "ip6.addr", 64));
    }

    [Fact]
    public void Ip4Addr_ImpliesIp4New_WhichReadsBackAsDisable()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "ip").Bool("persist").Raw("ip4.addr", K.Ip("192.0.2.1")));
        Assert.Equal(JailSysValues.Disable, K.GetInt(k, jid, "ip4"));
        int inh = K.Create(k, i => i.Str("name", "inh").Bool("persist").Int("ip4", JailSysValues.Inherit));
        Assert.Equal(JailSysValues.Inherit, K.GetInt(k, inh, "ip4"));
    }

    [Fact]
    public void IpAddresses_CanBeChangedByUpdate_ButOnlyOnARestrictedJail()
    {
        var k = K.NewKernel();
        int r = K.Create(k, i => i.Str("name", "r").Bool("persist").Raw("ip4.addr", K.Ip("192.0.2.1")));
        K.Create(k, i => i.Int("jid", r).Raw("ip4.addr", K.Ip("192.0.2.2", "192.0.2.3")), K.U);
        Assert.Equal(K.Ip("192.0.2.2", "192.0.2.3"), K.GetBytes(k, r, "ip4.addr", 16));
        int u = K.Create(k, i => i.Str("name", "u").Bool("persist").Int("ip4", JailSysValues.Inherit));
        var (e, msg) = K.SetFails(k, i => i.Int("jid", u).Raw("ip4.addr", K.Ip("192.0.2.9")), K.U);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("ip4 cannot be changed after creation", msg);
    }

    [Fact]
    public void IpArray_LengthNotAMultipleOfTheElementSize_IsEinval()
    {
        var k = K.NewKernel();
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Raw("ip4.addr", new byte[6]), K.C).Errno);
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Raw("ip6.addr", new byte[20]), K.C).Errno);
    }

    [Fact]
    public void IpArray_MoreThanJailMaxAfIps_IsEinvalWithMessage()
    {
        var k = K.NewKernel(maxAf: 2);
        var (e, msg) = K.SetFails(k, i => i.Str("name", "x").Bool("persist").Raw("ip4.addr", K.Ip("10.1.0.1", "10.1.0.2", "10.1.0.3")), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("too many IPv4 addresses", msg);
        (e, msg) = K.SetFails(k, i => i.Str("name", "x").Bool("persist").Raw("ip6.addr", K.Ip("::1", "::2", "::3")), K.C);
        Assert.Equal("too many IPv6 addresses", msg);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    public void Ip4_AnyOrBroadcast_IsEinval(string addr)
    {
        var k = K.NewKernel();
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.1", addr)), K.C).Errno);
    }

    [Fact]
    public void Ip_DuplicatesAndUnspecifiedV6_AreEinval()
    {
        var k = K.NewKernel();
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.2", "10.0.0.1", "10.0.0.2")), K.C).Errno);
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.1", "10.0.0.5", "10.0.0.5")), K.C).Errno);
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Raw("ip6.addr", K.Ip("::")), K.C).Errno);
    }

    [Fact]
    public void IpClash_BetweenJailsAtTheSameLevel_IsEaddrinuse()
    {
        var k = K.NewKernel();
        K.Create(k, i => i.Str("name", "a").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.1", "10.0.0.2")));
        var (e, msg) = K.SetFails(k, i => i.Str("name", "b").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.2")), K.C);
        Assert.Equal(Errno.EADDRINUSE, e);
        Assert.Equal("IPv4 addresses clash", msg);
        K.Create(k, i => i.Str("name", "c").Bool("persist").Raw("ip6.addr", K.Ip("2001:db8::1", "2001:db8::2")));
        (e, msg) = K.SetFails(k, i => i.Str("name", "d").Bool("persist").Raw("ip6.addr", K.Ip("2001:db8::2")), K.C);
        Assert.Equal(Errno.EADDRINUSE, e);
        Assert.Equal("IPv6 addresses clash", msg);
    }

    [Fact]
    public void IpClash_IsPermittedWhenBothJailsHaveExactlyOneAddress()
    {
        var k = K.NewKernel();
        K.Create(k, i => i.Str("name", "a").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.1")));
        Assert.True(K.Create(k, i => i.Str("name", "b").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.1"))) > 0);
    }

    [Fact]
    public void IpClash_IgnoresDyingJails()
    {
        var k = K.NewKernel();
        int a = K.Create(k, i => i.Str("name", "a").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.1", "10.0.0.2")));
        k.HoldDyingReference(a);
        Assert.Equal(0, k.JailRemove(a));
        Assert.True(K.Create(k, i => i.Str("name", "b").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.2", "10.0.0.3"))) > 0);
    }

    [Fact]
    public void ChildJailAddresses_MustBeASubsetOfTheParents()
    {
        var k = K.NewKernel();
        K.Create(k, i => i.Str("name", "p").Bool("persist").Int("children.max", 3).Raw("ip4.addr", K.Ip("10.0.0.1")));
        Assert.True(K.Create(k, i => i.Str("name", "p.ok").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.1"))) > 0);
        Assert.Equal(Errno.EPERM, K.SetFails(k, i => i.Str("name", "p.bad").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.9")), K.C).Errno);
    }

    [Fact]
    public void ChildJailAddresses_ClashWithAParentHoldingSeveral()
    {
        // prison_ip_conflict_check walks every live jail below the vnet boundary, the parent
        // included: sharing one of its addresses is a clash unless both sides have only one.
        var k = K.NewKernel();
        K.Create(k, i => i.Str("name", "p").Bool("persist").Int("children.max", 3).Raw("ip4.addr", K.Ip("10.0.0.1", "10.0.0.2")));
        var (e, msg) = K.SetFails(k, i => i.Str("name", "p.c").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.2")), K.C);
        Assert.Equal(Errno.EADDRINUSE, e);
        Assert.Equal("IPv4 addresses clash", msg);
    }

    [Fact]
    public void ChildInheritingIp4_GetsTheParentsAddresses_AndFollowsItsUpdates()
    {
        var k = K.NewKernel();
        int p = K.Create(k, i => i.Str("name", "p").Bool("persist").Int("children.max", 3).Raw("ip4.addr", K.Ip("10.0.0.1", "10.0.0.2")));
        int c = K.Create(k, i => i.Str("name", "p.c").Bool("persist").Int("ip4", JailSysValues.Inherit));
        Assert.Equal(K.Ip("10.0.0.1", "10.0.0.2"), K.GetBytes(k, c, "ip4.addr", 32));
        K.Create(k, i => i.Int("jid", p).Raw("ip4.addr", K.Ip("10.0.0.7")), K.U);
        Assert.Equal(K.Ip("10.0.0.7"), K.GetBytes(k, c, "ip4.addr", 32));
    }

    [Fact]
    public void VnetWithIpRestrictions_IsEinval()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "v").Bool("persist").Int("vnet", JailSysValues.New).Raw("ip4.addr", K.Ip("10.0.0.1")), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("vnet jails cannot have IP address restrictions", msg);
    }

    [Fact]
    public void EnforceStatfs_OutsideZeroToTwo_IsEinval()
    {
        var k = K.NewKernel();
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Int("enforce_statfs", 3), K.C).Errno);
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Int("enforce_statfs", -1), K.C).Errno);
    }

    [Fact]
    public void DevfsRuleset_OutsideUint16_IsEinval()
    {
        var k = K.NewKernel();
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Int("devfs_ruleset", 65536), K.C).Errno);
        Assert.Equal(Errno.EINVAL, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Int("devfs_ruleset", -1), K.C).Errno);
        Assert.True(K.Create(k, i => i.Str("name", "x").Bool("persist").Int("devfs_ruleset", 65535)) > 0);
    }

    [Fact]
    public void Securelevel_BelowTheParents_IsEperm()
    {
        var k = K.NewKernel();
        Assert.Equal(Errno.EPERM, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Int("securelevel", -2), K.C).Errno);
        K.Create(k, i => i.Str("name", "p").Bool("persist").Int("securelevel", 1).Int("children.max", 2));
        Assert.Equal(Errno.EPERM, K.SetFails(k, i => i.Str("name", "p.c").Bool("persist").Int("securelevel", 0), K.C).Errno);
        int c = K.Create(k, "p.c");
        Assert.Equal(1, K.GetInt(k, c, "securelevel"));
    }

    [Fact]
    public void Securelevel_RaisedOnAParent_IsPushedToChildren()
    {
        var k = K.NewKernel();
        int p = K.Create(k, i => i.Str("name", "p").Bool("persist").Int("children.max", 2));
        int c = K.Create(k, "p.c");
        K.Create(k, i => i.Int("jid", p).Int("securelevel", 3), K.U);
        Assert.Equal(3, K.GetInt(k, c, "securelevel"));
    }

    [Fact]
    public void ChildrenMax_NotBelowTheParentsAllowance_IsEperm()
    {
        var k = K.NewKernel();
        Assert.Equal(Errno.EPERM, K.SetFails(k, i => i.Str("name", "x").Bool("persist").Int("children.max", JailLimits.JailMax), K.C).Errno);
        Assert.True(K.Create(k, i => i.Str("name", "x").Bool("persist").Int("children.max", JailLimits.JailMax - 1)) > 0);
    }

    [Fact]
    public void EnforceStatfs_BelowTheParents_IsEperm()
    {
        var k = K.NewKernel();
        K.Create(k, i => i.Str("name", "p").Bool("persist").Int("children.max", 2));
        Assert.Equal(Errno.EPERM, K.SetFails(k, i => i.Str("name", "p.c").Bool("persist").Int("enforce_statfs", 1), K.C).Errno);
    }

    [Fact]
    public void ChildAllowBits_NotHeldByTheParent_AreEperm_ExceptUnprivilegedProcDebug()
    {
        var k = K.NewKernel();
        K.Create(k, i => i.Str("name", "p").Bool("persist").Int("children.max", 2).Bool("allow.nounprivileged_proc_debug"));
        Assert.Equal(Errno.EPERM, K.SetFails(k, i => i.Str("name", "p.c").Bool("persist").Bool("allow.mount"), K.C).Errno);
        int c = K.Create(k, i => i.Str("name", "p.c").Bool("persist").Bool("allow.unprivileged_proc_debug"));
        Assert.Equal(1, K.GetInt(k, c, "allow.unprivileged_proc_debug"));
    }

    [Theory]
    [InlineData("path", "path cannot be changed after creation")]
    [InlineData("osrelease", "osrelease cannot be changed after creation")]
    public void CreateOnlyStrings_OnUpdate_AreEinvalWithTheKernelsMessage(string param, string message)
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        var (e, msg) = K.SetFails(k, i => i.Int("jid", jid).Str(param, param == "path" ? "/" : "14.0-RELEASE"), K.U);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal(message, msg);
    }

    [Theory]
    [InlineData("osreldate", 1400000, "osreldate cannot be changed after creation")]
    [InlineData("vnet", JailSysValues.New, "vnet cannot be changed after creation")]
    [InlineData("ip4", JailSysValues.Inherit, "ip4 cannot be changed after creation")]
    [InlineData("ip6", JailSysValues.New, "ip6 cannot be changed after creation")]
    public void CreateOnlyInts_OnUpdate_AreEinvalWithTheKernelsMessage(string param, int value, string message)
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        var (e, msg) = K.SetFails(k, i => i.Int("jid", jid).Int(param, value), K.U);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal(message, msg);
    }

    [Theory]
    [InlineData("dying")]
    [InlineData("nodying")]
    [InlineData("parent")]
    [InlineData("children.cur")]
    [InlineData("cpuset.id")]
    [InlineData("lastjid")]
    public void ReadOnlyParameters_AreUnknownToJailSet(string param)
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "x").Bool("persist").Int(param, 0), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("unknown parameter: " + param, msg);
    }

    [Fact]
    public void UnknownParameter_IsEinval_AfterTheJailLookup()
    {
        // kern_jail_set reports unknown parameters last: a missing jail wins.
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Int("jid", 4).Bool("frobnicate"), K.U);
        Assert.Equal(Errno.ENOENT, e);
        Assert.Equal("jail 4 not found", msg);
        int jid = K.Create(k, "x");
        (e, msg) = K.SetFails(k, i => i.Int("jid", jid).Bool("frobnicate").Bool("other"), K.U);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("unknown parameter: frobnicate", msg);
    }

    [Fact]
    public void ParametersOfUnloadedModules_AreUnknown()
    {
        var k = K.NewKernel(modules: new[] { "devfs" });
        Assert.Equal("unknown parameter: allow.mount.linprocfs",
            K.SetFails(k, i => i.Str("name", "x").Bool("persist").Bool("allow.mount.linprocfs"), K.C).Msg);
        Assert.Equal("unknown parameter: sysvmsg",
            K.SetFails(k, i => i.Str("name", "x").Bool("persist").Int("sysvmsg", JailSysValues.New), K.C).Msg);
        Assert.Equal("unknown parameter: allow.mount.tmpfs",
            K.SetFails(k, i => i.Str("name", "x").Bool("persist").Bool("allow.mount.tmpfs"), K.C).Msg);
        Assert.True(K.Create(k, i => i.Str("name", "x").Bool("persist").Bool("allow.mount.devfs")) > 0);
    }

    [Fact]
    public void NewJail_GetsTheDocumentedDefaults()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "d").Bool("persist"));
        Assert.Equal(1, K.GetInt(k, jid, "allow.set_hostname"));
        Assert.Equal(1, K.GetInt(k, jid, "allow.reserved_ports"));
        Assert.Equal(1, K.GetInt(k, jid, "allow.unprivileged_proc_debug"));
        Assert.Equal(1, K.GetInt(k, jid, "allow.suser"));
        foreach (var off in new[] { "allow.sysvipc", "allow.raw_sockets", "allow.chflags", "allow.mount", "allow.quotas",
                     "allow.socket_af", "allow.mlock", "allow.read_msgbuf", "allow.nfsd", "allow.extattr", "allow.mount.devfs" })
            Assert.Equal(0, K.GetInt(k, jid, off));
        Assert.Equal(2, K.GetInt(k, jid, "enforce_statfs"));
        Assert.Equal(0, K.GetInt(k, jid, "devfs_ruleset"));
        Assert.Equal(-1, K.GetInt(k, jid, "securelevel"));
        Assert.Equal(0, K.GetInt(k, jid, "children.max"));
        Assert.Equal(0, K.GetInt(k, jid, "children.cur"));
        Assert.Equal(0, K.GetInt(k, jid, "parent"));
        Assert.Equal(JailSysValues.Disable, K.GetInt(k, jid, "ip4"));
        Assert.Empty(K.GetBytes(k, jid, "ip4.addr", 16));
        Assert.Empty(K.GetBytes(k, jid, "ip6.addr", 16));
        Assert.Equal(1, K.GetInt(k, jid, "ip4.saddrsel"));
        Assert.Equal(JailSysValues.New, K.GetInt(k, jid, "host"));
        Assert.Equal(JailSysValues.Inherit, K.GetInt(k, jid, "vnet"));
        Assert.Equal("00000000-0000-0000-0000-000000000000", K.GetStr(k, jid, "host.hostuuid"));
        Assert.Equal("", K.GetStr(k, jid, "host.hostname"));
        Assert.Equal(k.Options.OsRelease, K.GetStr(k, jid, "osrelease"));
        Assert.Equal(k.Options.OsRelDate, K.GetInt(k, jid, "osreldate"));
        Assert.Equal("/", K.GetStr(k, jid, "path"));
        Assert.Equal(JailSysValues.Disable, K.GetInt(k, jid, "sysvmsg"));
    }
}
