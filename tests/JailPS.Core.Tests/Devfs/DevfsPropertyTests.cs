using CsCheck;
using JailPS.Core.Devfs;
using Rule = JailPS.Core.Devfs.DevfsRule;

namespace JailPS.Core.Tests.Devfs;

public class DevfsPropertyTests
{
    private const string PatternChars = "abcXYZ019*?[]!^-/\\'\" $.{}_#";

    private static readonly Gen<Rule> AnyRule =
        Gen.Select(Gen.UShort, Gen.Int[0, (1 << 8) - 1], Gen.String[Gen.Char[PatternChars], 0, 30], Gen.Int[1, 15], Gen.UInt, Gen.UInt, Gen.UShort[0, 0xFFF], Gen.UShort)
           .Select(t =>
           {
               var (number, bits, pattern, types, uid, gid, mode, inc) = t;
               bool has(int b) => (bits & (1 << b)) != 0;
               var r = new Rule(number,
                   has(0) ? pattern : null,
                   has(1) ? (DevfsDeviceTypes)types : null,
                   has(2), has(3),
                   has(4) ? uid : null, has(5) ? gid : null,
                   has(6) ? mode : null, has(7) ? inc : null);
               return r.Number == 0 && r.PathPattern is null && r.DeviceTypes is null && r.HasNoAction ? r.WithIncludeRuleset(inc) : r;
           });

    [Fact]
    public void RuleTextRoundTrips() =>
        AnyRule.Sample(r => Assert.Equal(r, Rule.Parse(r.ToRuleText())), iter: 3000);

    [Fact]
    public void StructRoundTrips() =>
        Gen.Select(AnyRule, Gen.UShort).Sample((r, rs) =>
        {
            var back = Rule.FromNative(r.ToNative(rs), out ushort rs2);
            Assert.Equal(r, back);
            Assert.Equal(rs, rs2);
        }, iter: 3000);

    [Fact]
    public void RulesFileRoundTrips() =>
        Gen.Select(AnyRule.Where(r => r.PathPattern is null || !r.PathPattern.Contains("#*")).Array[0, 6], Gen.UShort[1, 65535]).Sample((rules, number) =>
        {
            var rs = new DevfsRuleset(number, "set_" + number, rules);
            var parsed = DevfsRulesFile.Parse(DevfsRulesFile.Write(new[] { rs }));
            Assert.Single(parsed.Rulesets);
            Assert.Equal(rs.Number, parsed.Rulesets[0].Number);
            Assert.Equal(rs.Name, parsed.Rulesets[0].Name);
            Assert.Equal(rs.Rules, parsed.Rulesets[0].Rules);
        }, iter: 1000);

    [Fact]
    public void HashInAPatternRoundTripsThroughAFile()
    {
        var rs = new DevfsRuleset(9, "x", new[] { Rule.Parse("path 'a#b' hide") });
        Assert.Equal(rs.Rules, DevfsRulesFile.Parse(DevfsRulesFile.Write(new[] { rs })).Rulesets[0].Rules);
    }
}
