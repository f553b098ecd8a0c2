using System.Text;
using JailPS.Core.Kernel;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation;

/// <summary>The security.jail.param.* sysctl tree and the CTL_SYSCTL interface, on raw memory.</summary>
public sealed unsafe class SysctlTests
{
    private const string P = "security.jail.param.";

    private static int[]? NameToOid(SimulatedKernel k, string name)
    {
        int* mib = stackalloc int[2] { 0, 3 };
        int* oid = stackalloc int[24];
        nuint len = 24 * sizeof(int);
        byte[] nb = Encoding.ASCII.GetBytes(name);
        fixed (byte* np = nb)
        {
            if (k.Sysctl(mib, 2, oid, &len, np, (nuint)nb.Length) != 0) return null;
        }
        var r = new int[(int)len / sizeof(int)];
        for (int i = 0; i < r.Length; i++) r[i] = oid[i];
        return r;
    }

    private static int Call(SimulatedKernel k, int[] mib, byte[]? old, ref nuint oldlen, byte[]? newv = null)
    {
        fixed (int* m = mib)
        fixed (byte* o = old)
        fixed (byte* n = newv)
        fixed (nuint* ol = &oldlen)
        {
            return k.Sysctl(m, (uint)mib.Length, old is null ? null : o, ol, newv is null ? null : n, newv is null ? 0 : (nuint)newv.Length);
        }
    }

    private static int[] Magic(int op, int[] oid) => new[] { 0, op }.Concat(oid).ToArray();

    private static string? OidName(SimulatedKernel k, int[] oid)
    {
        var buf = new byte[1024];
        nuint len = 1024;
        if (Call(k, Magic(1, oid), buf, ref len) != 0) return null;
        return Encoding.ASCII.GetString(buf, 0, (int)len - 1);
    }

    private static int[]? Next(SimulatedKernel k, int[] oid)
    {
        var buf = new byte[24 * 4];
        nuint len = (nuint)buf.Length;
        if (Call(k, Magic(2, oid), buf, ref len) != 0) return null;
        return Enumerable.Range(0, (int)len / 4).Select(i => BitConverter.ToInt32(buf, i * 4)).ToArray();
    }

    private static (uint Kind, string Fmt) Fmt(SimulatedKernel k, int[] oid)
    {
        var buf = new byte[256];
        nuint len = 256;
        Assert.Equal(0, Call(k, Magic(4, oid), buf, ref len));
        return (BitConverter.ToUInt32(buf, 0), Encoding.ASCII.GetString(buf, 4, (int)len - 5));
    }

    private static byte[] Value(SimulatedKernel k, int[] oid)
    {
        nuint len = 0;
        Assert.Equal(0, Call(k, oid, null, ref len));
        var buf = new byte[(int)len];
        Assert.Equal(0, Call(k, oid, buf, ref len));
        return buf.AsSpan(0, (int)len).ToArray();
    }

    private static List<string> Enumerate(SimulatedKernel k, string prefix)
    {
        var names = new List<string>();
        var oid = NameToOid(k, prefix.TrimEnd('.'));
        Assert.NotNull(oid);
        while ((oid = Next(k, oid!)) != null)
        {
            var name = OidName(k, oid);
            if (name is null || !name.StartsWith(prefix, StringComparison.Ordinal)) break;
            names.Add(name.Substring(prefix.Length));
        }
        return names;
    }

    private static readonly string[] s_expected14 =
    {
        "jid", "parent", "name", "path", "securelevel", "osreldate", "osrelease", "enforce_statfs", "devfs_ruleset",
        "persist", "vnet", "dying", "children.cur", "children.max", "host.", "host.hostname", "host.domainname",
        "host.hostuuid", "host.hostid", "cpuset.id", "ip4.", "ip4.addr", "ip4.saddrsel", "ip6.", "ip6.addr", "ip6.saddrsel",
        "allow.set_hostname", "allow.sysvipc", "allow.raw_sockets", "allow.chflags", "allow.quotas", "allow.socket_af",
        "allow.mlock", "allow.reserved_ports", "allow.read_msgbuf", "allow.unprivileged_proc_debug", "allow.suser",
        "allow.nfsd", "allow.extattr", "allow.mount.", "allow.mount.devfs", "allow.mount.fdescfs", "allow.mount.nullfs",
        "allow.mount.procfs", "allow.mount.tmpfs", "allow.mount.zfs", "sysvmsg.", "sysvsem.", "sysvshm.",
    };

    [Fact]
    public void Enumeration_ListsEveryParameter_IncludingEmptyNamedChildren()
    {
        var k = K.NewKernel();
        var names = Enumerate(k, P);
        Assert.Equal(s_expected14.OrderBy(s => s, StringComparer.Ordinal), names.OrderBy(s => s, StringComparer.Ordinal));
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void Enumeration_FollowsTheLoadedModules()
    {
        var k = K.NewKernel(modules: new[] { "tmpfs" });
        var names = Enumerate(k, P);
        Assert.Contains("allow.mount.tmpfs", names);
        Assert.DoesNotContain("allow.mount.devfs", names);
        Assert.DoesNotContain("sysvmsg.", names);
        Assert.Contains("allow.mount.", names);
    }

    [Fact]
    public void Name2Oid_ResolvesParameters_AndUnknownNamesAreEnoent()
    {
        var k = K.NewKernel();
        var oid = NameToOid(k, P + "host.hostname");
        Assert.NotNull(oid);
        Assert.Equal(P + "host.hostname", OidName(k, oid!));
        Assert.Null(NameToOid(k, P + "no.such"));
        Assert.Equal(Errno.ENOENT, k.LastErrno);
        Assert.Null(NameToOid(k, ""));
    }

    [Fact]
    public void Name2Oid_WithATrailingDot_NamesTheNodeItself()
    {
        var k = K.NewKernel();
        Assert.Equal(NameToOid(k, P + "allow.mount"), NameToOid(k, P + "allow.mount."));
        Assert.Equal(P + "allow.mount", OidName(k, NameToOid(k, P + "allow.mount.")!));
    }

    [Fact]
    public void EmptyNamedChild_IsAdjacentToItsNode_AsLibjailExpects()
    {
        // libjail's jailparam_type asks {0,1,<node>,<node>+-1} for the node's empty-named child.
        var k = K.NewKernel();
        foreach (var node in new[] { "allow.mount", "host", "ip4", "ip6", "sysvmsg" })
        {
            var oid = NameToOid(k, P + node)!;
            Assert.Equal(SysctlConstants.CtlTypeNode, Fmt(k, oid).Kind & SysctlConstants.CtlTypeMask);
            bool found = false;
            foreach (int d in new[] { -1, 1 })
            {
                var child = oid.Append(oid[^1] + d).ToArray();
                if (OidName(k, child) == P + node + ".")
                    found = true;
            }
            Assert.True(found, node);
        }
    }

    [Fact]
    public void OidName_OfUnknownComponents_PrintsNumbers()
    {
        var k = K.NewKernel();
        var oid = NameToOid(k, P + "host")!;
        Assert.Equal(P + "host.12345", OidName(k, oid.Append(12345).ToArray()));
    }

    [Theory]
    [InlineData("name", SysctlConstants.CtlTypeString, "A", true, false)]
    [InlineData("path", SysctlConstants.CtlTypeString, "A", false, true)]
    [InlineData("jid", SysctlConstants.CtlTypeInt, "I", false, true)]
    [InlineData("parent", SysctlConstants.CtlTypeInt, "I", false, false)]
    [InlineData("persist", SysctlConstants.CtlTypeInt, "B", true, false)]
    [InlineData("dying", SysctlConstants.CtlTypeInt, "B", false, false)]
    [InlineData("vnet", SysctlConstants.CtlTypeInt, "E,jailsys", false, true)]
    [InlineData("host.", SysctlConstants.CtlTypeInt, "E,jailsys", true, false)]
    [InlineData("ip4.", SysctlConstants.CtlTypeInt, "E,jailsys", false, true)]
    [InlineData("host.hostid", SysctlConstants.CtlTypeULong, "LU", true, false)]
    [InlineData("ip4.addr", SysctlConstants.CtlTypeOpaque, "S,in_addr,a", true, false)]
    [InlineData("ip6.addr", SysctlConstants.CtlTypeOpaque, "S,in6_addr,a", true, false)]
    [InlineData("allow.mount.", SysctlConstants.CtlTypeInt, "B", true, false)]
    [InlineData("allow.mount.nullfs", SysctlConstants.CtlTypeInt, "B", true, false)]
    [InlineData("sysvshm.", SysctlConstants.CtlTypeInt, "E,jailsys", true, false)]
    public void OidFmt_DescribesTypeAndAccess(string param, uint type, string fmt, bool writable, bool tunable)
    {
        var k = K.NewKernel();
        var oid = Enumerate(k, P).Contains(param) ? FindEnumerated(k, param) : null;
        Assert.NotNull(oid);
        var (kind, f) = Fmt(k, oid!);
        Assert.Equal(type, kind & SysctlConstants.CtlTypeMask);
        Assert.Equal(fmt, f);
        Assert.True((kind & SysctlConstants.CtlFlagRd) != 0);
        Assert.Equal(writable, (kind & SysctlConstants.CtlFlagWr) != 0);
        Assert.Equal(tunable, (kind & SysctlConstants.CtlFlagTun) != 0);
    }

    private static int[]? FindEnumerated(SimulatedKernel k, string param)
    {
        var oid = NameToOid(k, "security.jail.param");
        while ((oid = Next(k, oid!)) != null)
            if (OidName(k, oid) == P + param)
                return oid;
        return null;
    }

    [Fact]
    public void OidFmt_OfANode_IsN()
    {
        var k = K.NewKernel();
        var (kind, fmt) = Fmt(k, NameToOid(k, P + "children")!);
        Assert.Equal(SysctlConstants.CtlTypeNode, kind & SysctlConstants.CtlTypeMask);
        Assert.Equal("N", fmt);
    }

    [Fact]
    public void ParameterValues_DescribeSizes()
    {
        var k = K.NewKernel();
        Assert.Equal("256\0"u8.ToArray(), Value(k, NameToOid(k, P + "name")!));
        Assert.Equal("1024\0"u8.ToArray(), Value(k, NameToOid(k, P + "path")!));
        Assert.Equal("32\0"u8.ToArray(), Value(k, NameToOid(k, P + "osrelease")!));
        Assert.Equal("64\0"u8.ToArray(), Value(k, NameToOid(k, P + "host.hostuuid")!));
        Assert.Equal(new byte[4], Value(k, NameToOid(k, P + "securelevel")!));
        Assert.Equal(new byte[8], Value(k, NameToOid(k, P + "host.hostid")!));
        Assert.Equal(BitConverter.GetBytes(4UL), Value(k, NameToOid(k, P + "ip4.addr")!));
        Assert.Equal(BitConverter.GetBytes(16UL), Value(k, NameToOid(k, P + "ip6.addr")!));
        Assert.Equal(new byte[4], Value(k, FindEnumerated(k, "allow.mount.")!));
    }

    [Fact]
    public void ReadingANode_IsEisdir()
    {
        var k = K.NewKernel();
        nuint len = 0;
        Assert.Equal(-1, Call(k, NameToOid(k, P + "allow")!, null, ref len));
        Assert.Equal(Errno.EISDIR, k.LastErrno);
    }

    [Fact]
    public void MibLength_OutsideTwoToCtlMaxname_IsEinval()
    {
        var k = K.NewKernel();
        nuint len = 0;
        Assert.Equal(-1, Call(k, new[] { 1 }, null, ref len));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
        Assert.Equal(-1, Call(k, new int[25], null, ref len));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
    }

    [Fact]
    public void TooSmallBuffer_Sysctl_IsEnomem_WithPartialDataAndTheCopiedLength()
    {
        var k = K.NewKernel();
        var oid = NameToOid(k, P + "path")!;
        var buf = new byte[2];
        nuint len = 2;
        Assert.Equal(-1, Call(k, oid, buf, ref len));
        Assert.Equal(Errno.ENOMEM, k.LastErrno);
        Assert.Equal((nuint)2, len);
        Assert.Equal("10"u8.ToArray(), buf);
    }

    [Fact]
    public void TooSmallBuffer_SysctlByName_IsEnomem_AndLeavesOldlenUntouched()
    {
        var k = K.NewKernel();
        byte[] name = Encoding.ASCII.GetBytes("kern.osrelease\0");
        var buf = new byte[3];
        nuint len = 3;
        fixed (byte* n = name)
        fixed (byte* b = buf)
        {
            Assert.Equal(-1, k.SysctlByName(n, b, &len, null, 0));
        }
        Assert.Equal(Errno.ENOMEM, k.LastErrno);
        Assert.Equal((nuint)3, len);
        Assert.Equal("14."u8.ToArray(), buf);
    }

    [Fact]
    public void SizeQuery_WithoutABuffer_ReturnsTheNeededLength()
    {
        var k = K.NewKernel();
        nuint len = 0;
        Assert.Equal(0, Call(k, NameToOid(k, "kern.osrelease")!, null, ref len));
        Assert.Equal((nuint)"14.3-RELEASE\0".Length, len);
    }

    private static (int Rc, byte[] Data) ByName(SimulatedKernel k, string name, int size = 64, byte[]? newv = null)
    {
        byte[] nb = Encoding.ASCII.GetBytes(name + "\0");
        var buf = new byte[size];
        nuint len = (nuint)size;
        int rc;
        fixed (byte* n = nb)
        fixed (byte* b = buf)
        fixed (byte* nv = newv)
        {
            rc = k.SysctlByName(n, size == 0 ? null : b, &len, newv is null ? null : nv, newv is null ? 0 : (nuint)newv.Length);
        }
        return (rc, buf.AsSpan(0, rc == 0 ? (int)len : 0).ToArray());
    }

    [Fact]
    public void SysctlByName_ServesTheHostValues()
    {
        var k = new SimulatedKernel(new SimulatedKernelOptions { OsRelease = "14.2-RELEASE-p1", OsRelDate = 1402000, MaxAfIps = 17, Hostname = "h.example" });
        Assert.Equal("14.2-RELEASE-p1\0"u8.ToArray(), ByName(k, "kern.osrelease").Data);
        Assert.Equal(BitConverter.GetBytes(1402000), ByName(k, "kern.osreldate").Data);
        Assert.Equal("h.example\0"u8.ToArray(), ByName(k, "kern.hostname").Data);
        Assert.Equal("FreeBSD\0"u8.ToArray(), ByName(k, "kern.ostype").Data);
        Assert.Equal(BitConverter.GetBytes(17), ByName(k, "security.jail.jail_max_af_ips").Data);
        Assert.Equal(BitConverter.GetBytes(0), ByName(k, "security.jail.jailed").Data);
        Assert.Equal(BitConverter.GetBytes(0), ByName(k, "security.jail.vnet").Data);
    }

    [Fact]
    public void SysctlByName_UnknownName_IsEnoent_EmptyIsEinval()
    {
        var k = K.NewKernel();
        Assert.Equal(-1, ByName(k, "security.jail.param.nope").Rc);
        Assert.Equal(Errno.ENOENT, k.LastErrno);
        Assert.Equal(-1, ByName(k, "").Rc);
        Assert.Equal(Errno.EINVAL, k.LastErrno);
    }

    [Fact]
    public void Writes_ReadOnlyIsEperm_NonRootIsEperm_ParamWritesAreIgnored()
    {
        var k = K.NewKernel();
        Assert.Equal(-1, ByName(k, "kern.osrelease", 64, "x\0"u8.ToArray()).Rc);
        Assert.Equal(Errno.EPERM, k.LastErrno);
        Assert.Equal(-1, ByName(k, P + "path", 64, "x\0"u8.ToArray()).Rc);
        Assert.Equal(Errno.EPERM, k.LastErrno);
        Assert.Equal(0, ByName(k, P + "securelevel", 64, BitConverter.GetBytes(5)).Rc);
        Assert.Equal(BitConverter.GetBytes(0), ByName(k, P + "securelevel").Data);
        k.CallerUid = 1001;
        Assert.Equal(-1, ByName(k, "security.jail.jail_max_af_ips", 64, BitConverter.GetBytes(3)).Rc);
        Assert.Equal(Errno.EPERM, k.LastErrno);
    }

    [Fact]
    public void JailMaxAfIps_IsWritable_AndLimitsJailSet()
    {
        var k = K.NewKernel();
        Assert.Equal(0, ByName(k, "security.jail.jail_max_af_ips", 64, BitConverter.GetBytes(1)).Rc);
        Assert.Equal(BitConverter.GetBytes(1), ByName(k, "security.jail.jail_max_af_ips").Data);
        Assert.Equal("too many IPv4 addresses",
            K.SetFails(k, i => i.Str("name", "x").Bool("persist").Raw("ip4.addr", K.Ip("10.0.0.1", "10.0.0.2")), K.C).Msg);
    }

    [Fact]
    public void KernHostname_Write_ChangesTheHostAndInheritingJails()
    {
        var k = K.NewKernel();
        int inh = K.Create(k, i => i.Str("name", "inh").Bool("persist").Int("host", JailSysValues.Inherit));
        int own = K.Create(k, i => i.Str("name", "own").Bool("persist").Str("host.hostname", "mine"));
        Assert.Equal(0, ByName(k, "kern.hostname", 64, "newhost"u8.ToArray()).Rc);
        Assert.Equal("newhost\0"u8.ToArray(), ByName(k, "kern.hostname").Data);
        Assert.Equal("newhost", K.GetStr(k, inh, "host.hostname"));
        Assert.Equal("mine", K.GetStr(k, own, "host.hostname"));
    }

    [Fact]
    public void ParameterCatalog_DiscoversTheSimulatedTree()
    {
        var k = K.NewKernel();
        var catalog = JailParameterCatalog.Discover(k);
        Assert.Equal(JailParameterType.String, catalog.Find("host.hostname")!.Type);
        Assert.Equal(256, catalog.Find("host.hostname")!.MaxLength);
        Assert.Equal(JailParameterAccess.CreateOnly, catalog.Find("path")!.Access);
        Assert.Equal(JailParameterAccess.ReadOnly, catalog.Find("dying")!.Access);
        Assert.Equal(JailParameterType.Bool, catalog.Find("allow.mount")!.Type);
        Assert.Equal(JailParameterType.JailSys, catalog.Find("host")!.Type);
        Assert.Equal(JailParameterType.IPv6Array, catalog.Find("ip6.addr")!.Type);
        Assert.Equal(16, catalog.Find("ip6.addr")!.ElementSize);
        Assert.Equal(JailParameterType.ULong, catalog.Find("host.hostid")!.Type);
        Assert.Equal(255, catalog.MaxAddressesPerFamily);
    }
}
