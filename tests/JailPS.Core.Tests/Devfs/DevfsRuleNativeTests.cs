using System.Runtime.InteropServices;
using JailPS.Core.Devfs;
using JailPS.Native;
using NativeRule = JailPS.Native.DevfsRule;
using Rule = JailPS.Core.Devfs.DevfsRule;

namespace JailPS.Core.Tests.Devfs;

// struct devfs_rule layout: freebsd-abi.md §7.3 (sys/fs/devfs/devfs.h).
public class DevfsRuleNativeTests
{
    private static byte[] Bytes(NativeRule n)
    {
        var b = new byte[Marshal.SizeOf<NativeRule>()];
        MemoryMarshal.Write(b, in n);
        return b;
    }

    [Fact]
    public void PtsUnhideInRuleset4Rule100IsByteExact()
    {
        NativeRule n = Rule.Parse("100 path 'pts/*' unhide").ToNative(4);

        // Built by hand from the §7.3 table, little-endian.
        var expected = new byte[236];
        void Put32(int off, uint v) { expected[off] = (byte)v; expected[off + 1] = (byte)(v >> 8); expected[off + 2] = (byte)(v >> 16); expected[off + 3] = (byte)(v >> 24); }
        Put32(0, 0xdb0a087a);          // dr_magic
        Put32(4, (4u << 16) | 100u);   // dr_id = 0x00040064
        Put32(8, 0x002);               // dr_icond = DRC_PATHPTRN
        Put32(12, 0);                  // dr_dswflags
        expected[16] = (byte)'p'; expected[17] = (byte)'t'; expected[18] = (byte)'s'; expected[19] = (byte)'/'; expected[20] = (byte)'*'; // dr_pathptrn, NUL-padded to 200
        Put32(216, 0x001);             // dr_iacts = DRA_BACTS
        Put32(220, 0x002);             // dr_bacts = DRB_UNHIDE
        // dr_uid @224, dr_gid @228, dr_mode @232 (u16), dr_incset @234 (u16): all zero

        Assert.Equal(236, Marshal.SizeOf<NativeRule>());
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(Bytes(n)));
        Assert.Equal("7A080ADB64000400020000000000000070", Convert.ToHexString(Bytes(n), 0, 17));
    }

    [Fact]
    public void AllFieldsLandInTheirOffsets()
    {
        NativeRule n = Rule.Parse("7 type disk type tty path x hide user 1000 group 2000 mode 0644 include 9").ToNative(0x1234);
        byte[] b = Bytes(n);
        Assert.Equal(0x12340007u, BitConverter.ToUInt32(b, 4));
        Assert.Equal(DevfsConditions.DswFlags | DevfsConditions.PathPattern, BitConverter.ToInt32(b, 8));
        Assert.Equal(DeviceTypes.Disk | DeviceTypes.Tty, BitConverter.ToInt32(b, 12));
        Assert.Equal((byte)'x', b[16]);
        Assert.Equal(0, b[17]);
        Assert.Equal(DevfsActions.BooleanActions | DevfsActions.Uid | DevfsActions.Gid | DevfsActions.Mode | DevfsActions.IncludeSet, BitConverter.ToInt32(b, 216));
        Assert.Equal(DevfsBooleanActions.Hide, BitConverter.ToInt32(b, 220));
        Assert.Equal(1000u, BitConverter.ToUInt32(b, 224));
        Assert.Equal(2000u, BitConverter.ToUInt32(b, 228));
        Assert.Equal((ushort)0x1A4, BitConverter.ToUInt16(b, 232));
        Assert.Equal((ushort)9, BitConverter.ToUInt16(b, 234));
    }

    [Theory]
    [InlineData("hide", 1)]
    [InlineData("include 1", 4)]
    [InlineData("path 'pts/*' unhide", 3)]
    [InlineData("100 type disk type mem type tape type tty path 'ada[0-9]*' hide unhide user 5 group 6 mode 7777 include 2", 65535)]
    [InlineData("65535 user -1 group -2", 1)]
    [InlineData("300", 2)]
    public void RoundTripsThroughTheStruct(string text, int ruleset)
    {
        Rule r = Rule.Parse(text);
        NativeRule n = r.ToNative((ushort)ruleset);
        Rule back = Rule.FromNative(n, out ushort rs);
        Assert.Equal(ruleset, rs);
        Assert.Equal(r, back);
        Assert.Equal(Convert.ToHexString(Bytes(n)), Convert.ToHexString(Bytes(back.ToNative((ushort)ruleset))));
    }

    [Fact]
    public void HideAllMatchesTheReferenceEncoding()
    {
        NativeRule n = Rule.Parse("hide").ToNative(1);
        Assert.Equal(0, n.ICond);
        Assert.Equal(DevfsActions.BooleanActions, n.IActs);
        Assert.Equal(DevfsBooleanActions.Hide, n.BActs);
        Assert.Equal(1u << 16, n.Id); // auto-number: rule 0
        NativeRule inc = Rule.Parse("include 1").ToNative(4);
        Assert.Equal(DevfsActions.IncludeSet, inc.IActs);
        Assert.Equal((ushort)1, inc.IncSet);
    }

    [Fact]
    public void BadMagicIsRefused()
    {
        NativeRule n = Rule.Parse("hide").ToNative(1);
        n.Magic = 0xdeadbeef;
        var e = Assert.Throws<DevfsRuleException>(() => Rule.FromNative(n));
        Assert.Equal(DevfsErrorIds.BadMagic, e.ErrorId);
    }

    [Fact]
    public void UnknownBitsAreRefused()
    {
        NativeRule n = Rule.Parse("hide").ToNative(1);
        n.IActs |= 0x100;
        Assert.Equal(DevfsErrorIds.UnknownBits, Assert.Throws<DevfsRuleException>(() => Rule.FromNative(n)).ErrorId);
    }

    [Fact]
    public unsafe void UnterminatedPatternIsRefused()
    {
        NativeRule n = Rule.Parse("path x hide").ToNative(1);
        for (int i = 0; i < DevfsConstants.MaxPatternLength; i++) n.PathPattern[i] = (byte)'a';
        NativeRule copy = n;
        Assert.Equal(DevfsErrorIds.PatternTooLong, Assert.Throws<DevfsRuleException>(() => Rule.FromNative(copy)).ErrorId);
    }

    [Fact]
    public void PatternTooLongForTheBufferIsAnError()
    {
        // 199 bytes + NUL fit; multi-byte UTF-8 counts in bytes.
        Rule ok = new(pathPattern: new string('b', 199), hide: true);
        Assert.Equal(ok, Rule.FromNative(ok.ToNative(1)));
        var e = Assert.Throws<DevfsRuleException>(() => new Rule(pathPattern: new string('é', 100), hide: true));
        Assert.Equal(DevfsErrorIds.PatternTooLong, e.ErrorId);
    }

    [Fact]
    public void IdHelpers()
    {
        Assert.Equal(0x00040064u, Rule.MakeId(4, 100));
        Assert.Equal((ushort)4, Rule.RulesetOf(0x00040064));
        Assert.Equal((ushort)100, Rule.RuleOf(0x00040064));
    }
}
