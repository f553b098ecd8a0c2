using JailPS.Core.Devfs;

namespace JailPS.Core.Tests.Devfs;

// Rule text as devfs(8) "rule add" takes it: sbin/devfs/rule.c rulespec_intok, sbin/devfs/devfs.c atonum/eatoi.
public class DevfsRuleParseTests
{
    [Fact]
    public void PathUnhide()
    {
        var r = DevfsRule.Parse("path 'pts/*' unhide");
        Assert.Equal(0, r.Number);
        Assert.Equal("pts/*", r.PathPattern);
        Assert.Null(r.DeviceTypes);
        Assert.True(r.Unhide);
        Assert.False(r.Hide);
        Assert.Equal("path 'pts/*' unhide", r.ToRuleText());
    }

    [Fact]
    public void LeadingNumberIsTheRuleNumber()
    {
        var r = DevfsRule.Parse("100 path null unhide");
        Assert.Equal(100, r.Number);
        Assert.Equal("null", r.PathPattern);
        Assert.Equal("100 path null unhide", r.ToRuleText());
    }

    [Theory]
    [InlineData("65535 hide", 65535)]
    [InlineData("+7 hide", 7)]
    [InlineData("-0 hide", 0)]
    public void RuleNumberAsAtonumReadsIt(string text, int number)
    {
        Assert.Equal(number, DevfsRule.Parse(text).Number);
    }

    [Theory]
    [InlineData("65536 hide", "65536")]   // over UINT16_MAX: not a number, so an unknown argument
    [InlineData("-1 hide", "-1")]
    [InlineData("12x hide", "12x")]
    public void NotANumberIsAnUnknownArgument(string text, string token)
    {
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRule.Parse(text));
        Assert.Equal(DevfsErrorIds.UnknownArgument, e.ErrorId);
        Assert.Equal(token, e.Token);
    }

    [Fact]
    public void OnlyANumberIsARuleWithoutActions()
    {
        var r = DevfsRule.Parse("300");
        Assert.Equal(300, r.Number);
        Assert.True(r.HasNoAction);
    }

    [Fact]
    public void TypesAccumulateAndFormatInTableOrder()
    {
        var r = DevfsRule.Parse("type tty type disk mode 660");
        Assert.Equal(DevfsDeviceTypes.Tty | DevfsDeviceTypes.Disk, r.DeviceTypes);
        Assert.Equal((ushort)0x1B0, r.Mode); // 0660
        Assert.Equal("type disk type tty mode 660", r.ToRuleText());
    }

    [Fact]
    public void ConditionsInAnyOrderBeforeActions_LastPathWins()
    {
        var r = DevfsRule.Parse("path a type mem path b hide");
        Assert.Equal("b", r.PathPattern);
        Assert.Equal(DevfsDeviceTypes.Mem, r.DeviceTypes);
    }

    [Fact]
    public void ConditionAfterAnActionIsUnknown()
    {
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRule.Parse("hide path null"));
        Assert.Equal(DevfsErrorIds.UnknownArgument, e.ErrorId);
        Assert.Equal("path", e.Token);
    }

    [Fact]
    public void AllActions()
    {
        var r = DevfsRule.Parse("200 path 'da*' hide unhide user 0 group 5 mode 0640 include 3");
        Assert.True(r.Hide);
        Assert.True(r.Unhide);
        Assert.Equal(0u, r.Uid);
        Assert.Equal(5u, r.Gid);
        Assert.Equal((ushort)0x1A0, r.Mode);
        Assert.Equal((ushort)3, r.IncludeRuleset);
        Assert.Equal("200 path 'da*' hide unhide user 0 group 5 mode 640 include 3", r.ToRuleText());
        Assert.Equal("200 path da* hide unhide user 0 group 5 mode 640 include 3", r.ToShowText());
    }

    [Fact]
    public void NamesGoThroughTheResolverThenFallBackToNumbers()
    {
        var resolver = new DevfsNameResolver(
            userId: n => n == "operator" ? 2u : null,
            groupId: n => n == "wheel" ? 0u : n == "42" ? 7u : null,
            userName: u => u == 2 ? "operator" : null,
            groupName: g => g == 0 ? "wheel" : null);
        var r = DevfsRule.Parse("path ugen0.1 user operator group wheel", resolver);
        Assert.Equal(2u, r.Uid);
        Assert.Equal(0u, r.Gid);
        Assert.Equal("path ugen0.1 user operator group wheel", r.ToRuleText(resolver));
        Assert.Equal("path ugen0.1 user 2 group 0", r.ToRuleText());
        // like getgrnam first, number second: a group named "42" wins over the number 42
        Assert.Equal(7u, DevfsRule.Parse("group 42", resolver).Gid);
        Assert.Equal(1001u, DevfsRule.Parse("user 1001", resolver).Uid);
    }

    [Fact]
    public void UnknownUserName()
    {
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRule.Parse("path x user nobodyhere"));
        Assert.Equal(DevfsErrorIds.UnknownUser, e.ErrorId);
        Assert.Equal("nobodyhere", e.Token);
        var g = Assert.Throws<DevfsRuleException>(() => DevfsRule.Parse("path x group 12a"));
        Assert.Equal(DevfsErrorIds.UnknownGroup, g.ErrorId);
    }

    [Fact]
    public void NegativeIdWrapsLikeTheCCode()
    {
        Assert.Equal(uint.MaxValue, DevfsRule.Parse("user -1").Uid);
        Assert.Equal("user -1", DevfsRule.Parse("user -1").ToRuleText());
    }

    [Theory]
    [InlineData("mode 8", "8")]
    [InlineData("mode 0789", "0789")]
    [InlineData("mode 17777", "17777")]
    [InlineData("mode u+rw", "u+rw")]
    public void InvalidModes(string text, string token)
    {
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRule.Parse(text));
        Assert.Equal(DevfsErrorIds.InvalidMode, e.ErrorId);
        Assert.Equal(token, e.Token);
    }

    [Fact]
    public void ModeKeepsSetuidStickyBits()
    {
        Assert.Equal((ushort)0xFFF, DevfsRule.Parse("mode 7777").Mode);
    }

    [Theory]
    [InlineData("type", DevfsErrorIds.MissingArgument, "type")]
    [InlineData("path", DevfsErrorIds.MissingArgument, "path")]
    [InlineData("hide user", DevfsErrorIds.MissingArgument, "user")]
    [InlineData("include", DevfsErrorIds.MissingArgument, "include")]
    [InlineData("type block hide", DevfsErrorIds.UnknownType, "block")]
    [InlineData("include devfsrules_jail", DevfsErrorIds.InvalidNumber, "devfsrules_jail")]
    [InlineData("include 70000", DevfsErrorIds.InvalidNumber, "70000")]
    [InlineData("path x unhid", DevfsErrorIds.UnknownArgument, "unhid")]
    [InlineData("path 'x", DevfsErrorIds.UnterminatedQuote, "'x")]
    public void TypedErrors(string text, string id, string token)
    {
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRule.Parse(text));
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(token, e.Token);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void EmptyRule(string text)
    {
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRule.Parse(text));
        Assert.Equal(DevfsErrorIds.EmptyRule, e.ErrorId);
        Assert.False(DevfsRule.TryParse(text, out var rule, out var error));
        Assert.Null(rule);
        Assert.Equal(DevfsErrorIds.EmptyRule, error!.ErrorId);
    }

    [Fact]
    public void KeywordsAreCaseSensitive()
    {
        Assert.Equal(DevfsErrorIds.UnknownArgument, Assert.Throws<DevfsRuleException>(() => DevfsRule.Parse("path x Unhide")).ErrorId);
    }

    [Fact]
    public void PatternTooLongIsAnError()
    {
        string ok = new string('a', 199);
        Assert.Equal(ok, DevfsRule.Parse("path " + ok + " hide").PathPattern);
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRule.Parse("path " + new string('a', 200) + " hide"));
        Assert.Equal(DevfsErrorIds.PatternTooLong, e.ErrorId);
    }

    [Fact]
    public void ArgvFormTakesWordsVerbatim()
    {
        var r = DevfsRule.Parse(new[] { "path", "it's *", "unhide" });
        Assert.Equal("it's *", r.PathPattern);
        Assert.Equal(r, DevfsRule.Parse(r.ToRuleText()));
    }

    [Theory]
    [InlineData("hide")]
    [InlineData("path 'pts/*' unhide")]
    [InlineData("100 type disk type mem type tape type tty path 'ada[0-9]*' hide unhide user 5 group 6 mode 600 include 2")]
    [InlineData("path \"a b\" mode 0")]
    [InlineData("include 1")]
    public void CanonicalTextRoundTrips(string text)
    {
        var r = DevfsRule.Parse(text);
        var again = DevfsRule.Parse(r.ToRuleText());
        Assert.Equal(r, again);
        Assert.Equal(r.ToRuleText(), again.ToRuleText());
    }
}
