using System.IO;
using System.Reflection;
using System.Text.RegularExpressions;
using JailPS.Native;

namespace JailPS.Core.Tests.Native;

/// <summary>Every number in JailPS.Native is checked against the team's FreeBSD facts table.</summary>
public class AbiFactsTests
{
    private static readonly Lazy<Dictionary<string, long>> s_facts = new(() => LoadFacts(FactsFile()));

    /// <summary>"| NAME | value |" rows of the facts sheet: FreeBSD column (the second) as a number.</summary>
    private static Dictionary<string, long> LoadFacts(string file)
    {
        var facts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in File.ReadAllLines(file))
        {
            var m = Regex.Match(line, @"^\|\s*([A-Z][A-Z0-9_]+)(?:\s*\([^)]*\))?(?:\s*\(=\s*[A-Z]+\))?\s*\|\s*(0x[0-9a-fA-F]+|\d+)\b");
            if (!m.Success) continue;
            string v = m.Groups[2].Value;
            facts[m.Groups[1].Value] = v.StartsWith("0x") ? Convert.ToInt64(v.Substring(2), 16) : long.Parse(v);
        }
        return facts;
    }

    internal static string FactsFile()
    {
        // Prefer the shared sheet beside the repository; fall back to the copy shipped with the tests.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            string shared = Path.Combine(dir.FullName, "shared", "reference", "freebsd-abi.md");
            if (File.Exists(shared)) return shared;
        }
        return Path.Combine(AppContext.BaseDirectory, "Facts", "abi-facts.md");
    }

    public static IEnumerable<object[]> ErrnoConstants() =>
        typeof(Errno).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => new object[] { f.Name, (int)f.GetRawConstantValue()! });

    [Theory]
    [MemberData(nameof(ErrnoConstants))]
    public void Errno_matches_facts(string name, int value)
    {
        Assert.True(s_facts.Value.TryGetValue(name, out long expected), $"{name} is not in the facts table {FactsFile()}");
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("JAIL_CREATE", JailFlags.Create)]
    [InlineData("JAIL_UPDATE", JailFlags.Update)]
    [InlineData("JAIL_ATTACH", JailFlags.Attach)]
    [InlineData("JAIL_DYING", JailFlags.Dying)]
    [InlineData("JAIL_USE_DESC", JailFlags.UseDesc)]
    [InlineData("JAIL_AT_DESC", JailFlags.AtDesc)]
    [InlineData("JAIL_GET_DESC", JailFlags.GetDesc)]
    [InlineData("JAIL_OWN_DESC", JailFlags.OwnDesc)]
    [InlineData("JAIL_SET_MASK", JailFlags.SetMask14)]
    [InlineData("JAIL_GET_MASK", JailFlags.GetMask14)]
    [InlineData("JAIL_SYS_DISABLE", JailSysValues.Disable)]
    [InlineData("JAIL_SYS_NEW", JailSysValues.New)]
    [InlineData("JAIL_SYS_INHERIT", JailSysValues.Inherit)]
    [InlineData("JAIL_MAX", JailLimits.JailMax)]
    [InlineData("HOSTUUIDLEN", JailLimits.HostUuidLen)]
    [InlineData("OSRELEASELEN", JailLimits.OsReleaseLen)]
    [InlineData("MAXHOSTNAMELEN", JailLimits.MaxHostNameLen)]
    [InlineData("MAXPATHLEN", JailLimits.MaxPathLen)]
    public void Jail_h_constants_match_facts(string name, int value)
    {
        Assert.True(s_facts.Value.TryGetValue(name, out long expected), $"{name} is not in the facts table");
        Assert.Equal(expected, value);
    }

    // Values the facts sheet gives in prose rather than tables (freebsd-abi.md §1.4, §2.1, §3.2, §11).
    [Fact]
    public void Prose_facts()
    {
        Assert.Equal(1024, JailLimits.ErrMsgLen);          // §3.2 JAIL_ERRMSGLEN
        Assert.Equal(1024, JailLimits.UioMaxIov);          // §1.4 UIO_MAXIOV
        Assert.Equal(1024 * 64, JailLimits.MountArgSizeMax); // §1.4 VFS_MOUNTARG_SIZE_MAX
        Assert.Equal(255, JailLimits.DefaultMaxAfIps);     // §1.4 jail_max_af_ips default
        Assert.Equal(2u, SysctlConstants.CtlTypeInt);      // §2.1 CTLTYPE_INT (2)
        Assert.Equal(3u, SysctlConstants.CtlTypeString);   // §2.1 CTLTYPE_STRING (3)
        Assert.Equal(5u, SysctlConstants.CtlTypeOpaque);   // §2.1 CTLTYPE_STRUCT/OPAQUE (5)
        Assert.Equal(6u, SysctlConstants.CtlTypeUInt);     // §2.1 CTLTYPE_UINT (6)
        Assert.Equal(7u, SysctlConstants.CtlTypeLong);     // §2.1
        Assert.Equal(8u, SysctlConstants.CtlTypeULong);    // §2.1
        Assert.Equal(1u, SysctlConstants.CtlTypeNode);     // §2.1
        Assert.Equal(4u, SysctlConstants.CtlTypeS64);      // §2.1
        Assert.Equal(9u, SysctlConstants.CtlTypeU64);      // §2.1
        Assert.Equal(0xfu, SysctlConstants.CtlTypeMask);   // §2.1
        Assert.Equal(0x80000000u, SysctlConstants.CtlFlagRd);
        Assert.Equal(0x40000000u, SysctlConstants.CtlFlagWr);
        Assert.Equal(0x00080000u, SysctlConstants.CtlFlagTun);
        Assert.Equal(24, SysctlConstants.CtlMaxName);      // §2.1 CTL_MAXNAME
        // §2.1 "name -> OID: sysctl MIB {0, 3}", "OID -> kind/format: {0, 4}", "next {0, 2}", "name {0, 1}"
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, new[] { SysctlConstants.CtlSysctl, SysctlConstants.CtlSysctlName, SysctlConstants.CtlSysctlNext, SysctlConstants.CtlSysctlName2Oid, SysctlConstants.CtlSysctlOidFmt });
        Assert.Equal(4, JailLimits.InAddrSize);             // §2.1 element size 4
        Assert.Equal(16, JailLimits.In6AddrSize);           // §2.1 element size 16
    }

    [Fact]
    public unsafe void IoVec_is_16_bytes_base_then_length()
    {
        // §1.4: void *iov_base @0 (8), size_t iov_len @8 (8); size 16 (LP64).
        Assert.Equal(16, sizeof(IoVec));
        var v = new IoVec(0x1122, 0x33);
        byte* p = (byte*)&v;
        Assert.Equal(0x1122, *(long*)p);
        Assert.Equal(0x33, *(long*)(p + 8));
    }

    [Fact]
    public void Libc_soname_is_FreeBSDs()
    {
        // §11.1: libc.so.7; /usr/lib/libc.so is a linker script.
        var field = typeof(FreeBsdLibc).Assembly.GetType("JailPS.Native.Interop")!.GetField("FreeBsdLibcSoname", BindingFlags.NonPublic | BindingFlags.Static)!;
        Assert.Equal("libc.so.7", field.GetRawConstantValue());
    }

    [SkippableFact]
    public void Real_libc_is_refused_off_FreeBSD()
    {
        Skip.If(OperatingSystem.IsFreeBSD(), "on FreeBSD the real libc is the point");
        Assert.Throws<PlatformNotSupportedException>(() => new FreeBsdLibc());
    }

    [Fact]
    public void Facts_copy_matches_shared_sheet_when_present()
    {
        string copy = Path.Combine(AppContext.BaseDirectory, "Facts", "abi-facts.md");
        string used = FactsFile();
        if (used == copy) return; // no shared/ beside this clone: the copy is the facts
        var fromCopy = LoadFacts(copy);
        Assert.NotEmpty(fromCopy);
        foreach (var kv in fromCopy)
            Assert.True(s_facts.Value.TryGetValue(kv.Key, out long v) && v == kv.Value, $"{kv.Key}: copy says {kv.Value}, shared sheet differs");
    }
}
