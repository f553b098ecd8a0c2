using JailPS.Core.Devfs;

namespace JailPS.Core.Tests.Devfs;

// sbin/devfs/devfs.rules (freebsd-src @1b1334b1 and @aaae6f92), installed as /etc/defaults/devfs.rules; freebsd-abi.md §7.6.
public class DevfsDefaultsTests
{
    [Fact]
    public void FiveRulesetsWithTheirNames()
    {
        var names = DevfsDefaults.Rulesets.Select(r => (r.Number, r.Name)).ToArray();
        Assert.Equal(new (ushort, string?)[]
        {
            (1, "devfsrules_hide_all"), (2, "devfsrules_unhide_basic"), (3, "devfsrules_unhide_login"),
            (4, "devfsrules_jail"), (5, "devfsrules_jail_vnet"),
        }, names);
    }

    [Fact]
    public void Ruleset1HidesAll()
    {
        Assert.Equal(new[] { "hide" }, DevfsDefaults.Get(1)!.Rules.Select(r => r.ToRuleText()));
    }

    [Fact]
    public void Ruleset2UnhidesBasicDevices()
    {
        Assert.Equal(new[] { "path null unhide", "path zero unhide", "path crypto unhide", "path random unhide", "path urandom unhide" },
            DevfsDefaults.Get(2)!.Rules.Select(r => r.ToRuleText()));
    }

    [Fact]
    public void Ruleset3UnhidesLoginDevices()
    {
        var expected = new List<string>();
        foreach (string prefix in new[] { "pty", "tty" })
            foreach (char c in "pqrsPQRSlmnoLMNO")
                expected.Add("path '" + prefix + c + "*' unhide");
        expected.AddRange(new[] { "path ptmx unhide", "path pts unhide", "path 'pts/*' unhide", "path fd unhide", "path 'fd/*' unhide",
            "path stdin unhide", "path stdout unhide", "path stderr unhide" });
        Assert.Equal(40, expected.Count);
        Assert.Equal(expected, DevfsDefaults.Get(3)!.Rules.Select(r => r.ToRuleText()));
    }

    [Fact]
    public void Rulesets4And5()
    {
        Assert.Equal(new[] { "include 1", "include 2", "include 3", "path fuse unhide", "path zfs unhide" },
            DevfsDefaults.Get(4)!.Rules.Select(r => r.ToRuleText()));
        Assert.Equal(new[] { "include 1", "include 2", "include 3", "include 4", "path pf unhide" },
            DevfsDefaults.Get(5)!.Rules.Select(r => r.ToRuleText()));
        Assert.Null(DevfsDefaults.Get(6));
    }

    [Fact]
    public void AutoNumbersAreHundreds()
    {
        var numbered = DevfsDefaults.Get(4)!.Numbered();
        Assert.Equal(new ushort[] { 100, 200, 300, 400, 500 }, numbered.Select(r => r.Number).ToArray());
    }

    [Fact]
    public void WrittenBackAsTheFileHasThem()
    {
        string text = DevfsRulesFile.Write(DevfsDefaults.Rulesets, Array.Empty<DevfsRuleset>());
        Assert.Equal(DevfsDefaults.Text, text);
    }
}
