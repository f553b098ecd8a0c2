using JailPS.Core.Devfs;

namespace JailPS.Core.Tests.Devfs;

// devfs.rules(5) (share/man/man5/devfs.rules.5) and the header comment of sbin/devfs/devfs.rules.
public class DevfsRulesFileTests
{
    private const string Local =
        "# local rules\n" +
        "\n" +
        "[localrules=10]\n" +
        "add path 'da*s*' mode 0660 group 5   # partitions\n" +
        "add path 'ulpt*' mode 0660 group 5\n" +
        "\n" +
        "[jail_bpf=100]\n" +
        "add include $devfsrules_jail\n" +
        "add include ${localrules}\n" +
        "  add path 'bpf*' unhide\n";

    [Fact]
    public void ParsesSectionsRulesCommentsAndNames()
    {
        var f = DevfsRulesFile.Parse(Local, "/etc/devfs.rules");
        Assert.Equal(2, f.Rulesets.Count);
        var local = f.Rulesets[0];
        Assert.Equal(10, local.Number);
        Assert.Equal("localrules", local.Name);
        Assert.Equal(2, local.Rules.Count);
        Assert.Equal("path 'da*s*' group 5 mode 660", local.Rules[0].ToRuleText());
        var jail = f.Rulesets[1];
        Assert.Equal((ushort)4, jail.Rules[0].IncludeRuleset);   // $devfsrules_jail from the defaults
        Assert.Equal((ushort)10, jail.Rules[1].IncludeRuleset);  // ${localrules} from this file
        Assert.Equal("bpf*", jail.Rules[2].PathPattern);
    }

    [Fact]
    public void WriterWritesNamesBackAndRoundTrips()
    {
        var f = DevfsRulesFile.Parse(Local);
        string text = f.ToText();
        Assert.Equal(
            "[localrules=10]\n" +
            "add path 'da*s*' group 5 mode 660\n" +
            "add path 'ulpt*' group 5 mode 660\n" +
            "\n" +
            "[jail_bpf=100]\n" +
            "add include $devfsrules_jail\n" +
            "add include $localrules\n" +
            "add path 'bpf*' unhide\n",
            text);
        var again = DevfsRulesFile.Parse(text);
        Assert.Equal(f.Rulesets.Count, again.Rulesets.Count);
        for (int i = 0; i < f.Rulesets.Count; i++)
        {
            Assert.Equal(f.Rulesets[i].Number, again.Rulesets[i].Number);
            Assert.Equal(f.Rulesets[i].Name, again.Rulesets[i].Name);
            Assert.Equal(f.Rulesets[i].Rules, again.Rulesets[i].Rules);
        }
    }

    [Fact]
    public void WriterUsesNumbersForUnknownRulesetsAndNamesUnnamedOnes()
    {
        var rs = new DevfsRuleset(7, null, new[] { DevfsRule.Parse("include 42"), DevfsRule.Parse("100 path 'x y' hide") });
        Assert.Equal("[ruleset_7=7]\nadd include 42\nadd 100 path 'x y' hide\n", DevfsRulesFile.Write(new[] { rs }));
    }

    [Fact]
    public void UndefinedNameHasLineAndToken()
    {
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRulesFile.Parse("[a=10]\nadd hide\nadd include $nosuch\n", "f.rules"));
        Assert.Equal(DevfsErrorIds.UndefinedName, e.ErrorId);
        Assert.Equal(3, e.Line);
        Assert.Equal("$nosuch", e.Token);
        Assert.StartsWith("f.rules:3: ", e.Message);
    }

    [Fact]
    public void NamesDefinedLaterAreNotYetKnown()
    {
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRulesFile.Parse("[a=10]\nadd include $b\n[b=11]\nadd hide\n"));
        Assert.Equal(DevfsErrorIds.UndefinedName, e.ErrorId);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void RuleErrorsCarryTheLine()
    {
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRulesFile.Parse("[a=10]\n\n# c\nadd path x unhidee\n"));
        Assert.Equal(DevfsErrorIds.UnknownArgument, e.ErrorId);
        Assert.Equal("unhidee", e.Token);
        Assert.Equal(4, e.Line);
    }

    [Theory]
    [InlineData("add hide\n", DevfsErrorIds.RuleOutsideSection, 1)]
    [InlineData("[a=10]\napply path x hide\n", DevfsErrorIds.UnsupportedCommand, 2)]
    [InlineData("[a=10]\nadd\n", DevfsErrorIds.EmptyRule, 2)]
    [InlineData("[a]\n", DevfsErrorIds.SectionSyntax, 1)]
    [InlineData("[a=]\n", DevfsErrorIds.SectionSyntax, 1)]
    [InlineData("[a b=3]\n", DevfsErrorIds.SectionSyntax, 1)]
    [InlineData("[a=0]\n", DevfsErrorIds.InvalidRuleset, 1)]
    [InlineData("[a=65536]\n", DevfsErrorIds.InvalidRuleset, 1)]
    public void FileErrors(string text, string id, int line)
    {
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRulesFile.Parse(text));
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(line, e.Line);
    }

    [Fact]
    public void SectionAgainReplacesItsRules()
    {
        var f = DevfsRulesFile.Parse("[a=10]\nadd hide\n[b=11]\nadd hide\n[a=10]\nadd path null unhide\n# comment\n[c=10] # again\n\nadd path zero unhide\n");
        Assert.Equal(new ushort[] { 10, 11 }, f.Rulesets.Select(r => r.Number).ToArray());
        Assert.Equal("c", f.Rulesets[0].Name);
        Assert.Single(f.Rulesets[0].Rules);
        Assert.Equal("zero", f.Rulesets[0].Rules[0].PathPattern);
    }

    [Fact]
    public void UserFileCanOverrideADefaultNumber()
    {
        var f = DevfsRulesFile.Parse("[myjail=4]\nadd include $devfsrules_hide_all\nadd path null unhide\n");
        Assert.Equal(4, f.Rulesets[0].Number);
        Assert.Equal((ushort)1, f.Rulesets[0].Rules[0].IncludeRuleset);
    }

    [Fact]
    public void KnownRulesetsCanBeReplaced()
    {
        // Without the defaults, $devfsrules_jail is unknown.
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRulesFile.Parse("[x=9]\nadd include $devfsrules_jail\n", null, Array.Empty<DevfsRuleset>()));
        Assert.Equal(DevfsErrorIds.UndefinedName, e.ErrorId);
        var f = DevfsRulesFile.Parse("[x=9]\nadd include $mine\n", null, new[] { new DevfsRuleset(77, "mine", new[] { DevfsRule.Parse("hide") }) });
        Assert.Equal((ushort)77, f.Rulesets[0].Rules[0].IncludeRuleset);
    }

    [Fact]
    public void CrLfAndTabs()
    {
        var f = DevfsRulesFile.Parse("[a=10]\r\n\tadd\tpath\tnull\tunhide\r\n");
        Assert.Equal("null", f.Rulesets[0].Rules[0].PathPattern);
    }

    [Fact]
    public void ReadAndEvalQuirks()
    {
        var f = DevfsRulesFile.Parse(
            "[a=3] text after the bracket is ignored\n" +
            "add path x#y \\\n" +          // '#' inside a word is literal; a trailing backslash joins the next line
            "  unhide # a comment starts a word\n" +
            "add path 'q#r' hide\n" +
            "add path \\*x hide\n");     // read removes the backslash: the pattern is *x
        var rules = f.Rulesets[0].Rules;
        Assert.Equal(3, f.Rulesets[0].Number);
        Assert.Equal("x#y", rules[0].PathPattern);
        Assert.True(rules[0].Unhide);
        Assert.Equal("q#r", rules[1].PathPattern);
        Assert.Equal("*x", rules[2].PathPattern);
    }

    [Fact]
    public void WriterEscapesForReadAndQuotesForEval()
    {
        var rs = new DevfsRuleset(9, "x", new[] { DevfsRule.Parse(new[] { "path", "a\\b#c", "hide" }) });
        string text = DevfsRulesFile.Write(new[] { rs });
        Assert.Equal("[x=9]\nadd path 'a\\\\b#c' hide\n", text);
        Assert.Equal(rs.Rules, DevfsRulesFile.Parse(text).Rulesets[0].Rules);
        var bad = new DevfsRuleset(9, "x", new[] { DevfsRule.Parse("path 'a#*' hide") });
        Assert.Equal(DevfsErrorIds.InvalidPattern, Assert.Throws<DevfsRuleException>(() => DevfsRulesFile.Write(new[] { bad })).ErrorId);
    }

    [Fact]
    public void WriterRefusesNamesTheScriptsCannotUse()
    {
        var rs = new DevfsRuleset(9, "my rules", new[] { DevfsRule.Parse("hide") });
        var e = Assert.Throws<DevfsRuleException>(() => DevfsRulesFile.Write(new[] { rs }));
        Assert.Equal(DevfsErrorIds.SectionSyntax, e.ErrorId);
        Assert.Equal("my rules", e.Token);
    }
}
