using JailPS.Core.Devfs;

namespace JailPS.Core.Tests.Devfs;

// Kernel semantics from sys/fs/devfs/devfs_rule.c (devfs_rule_run, devfs_rule_match, devfs_rule_matchpath,
// devfs_ruleset_applyde) and vfs.devfs.rule_depth = 1 (sys/fs/devfs/devfs_devs.c).
public class DevfsRuleEvaluatorTests
{
    private const ushort Wheel = 0, Tty = 4, Kmem = 2, Operator = 5;

    // A /dev of a FreeBSD 14 amd64 host with ZFS, one SATA disk, syscons, a serial port and two ssh sessions.
    // Modes/owners as ls -l shows them there; cdevsw flags: D_TTY for ttys, D_DISK for GEOM disks, D_MEM for mem/kmem.
    private static IReadOnlyList<DevfsNode> HostDev() => new[]
    {
        DevfsNode.Device("null", mode: 0x1B6),                        // 0666
        DevfsNode.Device("zero", mode: 0x1B6),
        DevfsNode.Device("random", mode: 0x1A4),                      // 0644
        DevfsNode.Symlink("urandom"),                                 // -> random
        DevfsNode.Device("crypto", mode: 0x1B6),
        DevfsNode.Device("ptmx", mode: 0x1B6),
        DevfsNode.Directory("pts"),
        DevfsNode.Device("pts/0", DevfsDeviceTypes.Tty, uid: 1001, gid: Tty, mode: 0x190), // 0620
        DevfsNode.Device("pts/1", DevfsDeviceTypes.Tty, uid: 1001, gid: Tty, mode: 0x190),
        DevfsNode.Directory("fd", mode: 0x16D),                       // 0555
        DevfsNode.Device("fd/0", mode: 0x1B6),
        DevfsNode.Device("fd/1", mode: 0x1B6),
        DevfsNode.Device("fd/2", mode: 0x1B6),
        DevfsNode.Symlink("stdin"),                                   // -> fd/0
        DevfsNode.Symlink("stdout"),
        DevfsNode.Symlink("stderr"),
        DevfsNode.Device("mem", DevfsDeviceTypes.Mem, gid: Kmem, mode: 0x1A0), // 0640
        DevfsNode.Device("kmem", DevfsDeviceTypes.Mem, gid: Kmem, mode: 0x1A0),
        DevfsNode.Device("io"),
        DevfsNode.Device("bpf"),
        DevfsNode.Symlink("bpf0"),                                    // -> bpf
        DevfsNode.Device("ada0", DevfsDeviceTypes.Disk, gid: Operator, mode: 0x1A0),
        DevfsNode.Device("ada0p1", DevfsDeviceTypes.Disk, gid: Operator, mode: 0x1A0),
        DevfsNode.Device("ada0p2", DevfsDeviceTypes.Disk, gid: Operator, mode: 0x1A0),
        DevfsNode.Device("ada0p3", DevfsDeviceTypes.Disk, gid: Operator, mode: 0x1A0),
        DevfsNode.Directory("gpt"),
        DevfsNode.Device("gpt/gptboot0", DevfsDeviceTypes.Disk, gid: Operator, mode: 0x1A0),
        DevfsNode.Device("console", DevfsDeviceTypes.Tty),
        DevfsNode.Device("tty", DevfsDeviceTypes.Tty, mode: 0x1B6),
        DevfsNode.Device("ttyv0", DevfsDeviceTypes.Tty),
        DevfsNode.Device("ttyv1", DevfsDeviceTypes.Tty),
        DevfsNode.Device("ttyu0", DevfsDeviceTypes.Tty, gid: 66),
        DevfsNode.Device("ttyu0.init", DevfsDeviceTypes.Tty, gid: 66),
        DevfsNode.Device("ttyu0.lock", DevfsDeviceTypes.Tty, gid: 66),
        DevfsNode.Device("cuau0", DevfsDeviceTypes.Tty, uid: 66, gid: 66, mode: 0x1B0),
        DevfsNode.Device("klog"),
        DevfsNode.Symlink("log"),                                     // -> /var/run/log
        DevfsNode.Device("devctl"),
        DevfsNode.Device("devstat", mode: 0x1A4),
        DevfsNode.Device("geom.ctl", gid: Operator, mode: 0x1A0),
        DevfsNode.Device("pci", gid: Operator, mode: 0x1A4),
        DevfsNode.Device("pf"),
        DevfsNode.Device("zfs", mode: 0x1B6),
        DevfsNode.Device("mdctl"),
        DevfsNode.Device("sndstat", mode: 0x1A4),
        DevfsNode.Device("sysmouse", mode: 0x1A4),
        DevfsNode.Device("kbdmux0"),
        DevfsNode.Directory("input"),
        DevfsNode.Device("input/event0", gid: Operator),
        DevfsNode.Directory("usb"),
        DevfsNode.Device("usb/0.1.0", gid: Operator, mode: 0x1B0),
        DevfsNode.Symlink("ugen0.1"),                                 // -> usb/0.1.0
        DevfsNode.Device("auditpipe"),
        DevfsNode.Device("netmap", mode: 0x1B6),
        DevfsNode.Directory("reroot"),
        DevfsNode.Device("reroot/reroot"),
    };

    private static HashSet<string> VisibleUnder(ushort ruleset, IEnumerable<DevfsRuleset> rulesets, uint depth = DevfsRuleEvaluator.DefaultIncludeDepth) =>
        new DevfsRuleEvaluator(rulesets, depth).Evaluate(ruleset, HostDev()).Where(s => s.Visible).Select(s => s.Path).ToHashSet();

    [Fact]
    public void DefaultRuleset4GivesTheJailDeviceSet()
    {
        // Expected set derived by hand from sbin/devfs/devfs.rules, the same set the seed's shell loop
        // (devfs rule -s 4 add hide, then one "add path X unhide" per name) produces:
        //  ruleset 1 hides everything;
        //  ruleset 2 unhides null, zero, crypto, random, urandom;
        //  ruleset 3 unhides ptmx, pts, pts/*, fd, fd/*, stdin, stdout, stderr; its pty?*/tty?* patterns need
        //    one of p q r s P Q R S l m n o L M N O after "pty"/"tty", so tty, ttyv*, ttyu* stay hidden;
        //  ruleset 4 itself unhides fuse (not on this host) and zfs.
        var expected = new HashSet<string>
        {
            "null", "zero", "crypto", "random", "urandom",
            "ptmx", "pts", "pts/0", "pts/1", "fd", "fd/0", "fd/1", "fd/2", "stdin", "stdout", "stderr",
            "zfs",
        };
        Assert.Equal(expected.OrderBy(x => x, StringComparer.Ordinal), VisibleUnder(4, DevfsDefaults.Rulesets).OrderBy(x => x, StringComparer.Ordinal));
    }

    [Fact]
    public void SeedStyleRulesetBuiltFromRuleTextGivesTheSameSet()
    {
        // What New-DevfsRuleset -Number 4 -Rule 'hide', 'path null unhide', ... builds: no includes at all.
        var texts = new List<string> { "hide" };
        foreach (string d in new[] { "null", "zero", "crypto", "random", "urandom", "ptmx", "pts", "pts/*", "fd", "fd/*", "stdin", "stdout", "stderr", "fuse", "zfs" })
            texts.Add("path '" + d + "' unhide");
        foreach (string prefix in new[] { "pty", "tty" })
            foreach (char c in "pqrsPQRSlmnoLMNO")
                texts.Add("path '" + prefix + c + "*' unhide");
        var seed = DevfsRuleset.Parse(4, "devfsrules_jail", texts);
        Assert.Equal(VisibleUnder(4, DevfsDefaults.Rulesets), VisibleUnder(4, new[] { seed }));
    }

    [Fact]
    public void Ruleset5AddsPf()
    {
        var v4 = VisibleUnder(4, DevfsDefaults.Rulesets);
        var v5 = VisibleUnder(5, DevfsDefaults.Rulesets);
        Assert.Equal(v4.Append("pf").OrderBy(x => x, StringComparer.Ordinal), v5.OrderBy(x => x, StringComparer.Ordinal));
    }

    [Fact]
    public void ForbiddenDevicesAreHiddenAndOwnersUntouched()
    {
        var states = new DevfsRuleEvaluator(DevfsDefaults.Rulesets).Evaluate(4, HostDev()).ToDictionary(s => s.Path);
        foreach (string forbidden in new[] { "mem", "kmem", "io", "bpf", "bpf0", "ada0", "console", "tty", "ttyv0", "klog", "log", "pf", "devctl", "gpt/gptboot0" })
        {
            Assert.True(states[forbidden].Hidden, forbidden);
            Assert.False(states[forbidden].Visible, forbidden);
        }
        Assert.Equal(1001u, states["pts/0"].Uid);
        Assert.Equal((uint)Tty, states["pts/0"].Gid);
        Assert.Equal((ushort)0x190, states["pts/0"].Mode);
    }

    [Fact]
    public void Ruleset0ChangesNothing()
    {
        var all = HostDev().Select(n => n.Path).ToHashSet();
        Assert.Equal(all, VisibleUnder(0, DevfsDefaults.Rulesets));
        Assert.Equal(all, VisibleUnder(999, DevfsDefaults.Rulesets)); // a ruleset without rules
    }

    [Fact]
    public void IncludeDepthOneStopsNestedIncludes()
    {
        // 10 includes 4; at depth 1, 4 runs at depth 0, so 4's own includes (1, 2, 3) are skipped.
        var sets = DevfsDefaults.Rulesets.Append(DevfsRuleset.Parse(10, "outer", new[] { "include 4" })).ToArray();
        Assert.Equal(HostDev().Select(n => n.Path).ToHashSet(), VisibleUnder(10, sets));
        // With vfs.devfs.rule_depth=2 the nested includes run.
        Assert.Equal(VisibleUnder(4, DevfsDefaults.Rulesets), VisibleUnder(10, sets, depth: 2));
        // With depth 0 even ruleset 4's includes are skipped.
        Assert.Equal(HostDev().Select(n => n.Path).ToHashSet(), VisibleUnder(4, DevfsDefaults.Rulesets, depth: 0));
    }

    [Fact]
    public void IncludeCyclesEndAtTheDepthLimit()
    {
        var sets = new[]
        {
            DevfsRuleset.Parse(20, null, new[] { "include 21", "path null hide" }),
            DevfsRuleset.Parse(21, null, new[] { "include 20", "path zero hide" }),
            DevfsRuleset.Parse(22, null, new[] { "include 22", "path random hide" }),
        };
        foreach (uint depth in new uint[] { 0, 1, 5, 50 })
        {
            var v20 = VisibleUnder(20, sets, depth);
            Assert.DoesNotContain("null", v20);
            Assert.Equal(depth > 0, !v20.Contains("zero"));
            Assert.DoesNotContain("random", VisibleUnder(22, sets, depth));
        }
    }

    [Fact]
    public void IncludeOfAMissingRulesetIsRefused()
    {
        var e = Assert.Throws<DevfsRuleException>(() => new DevfsRuleEvaluator(new[] { DevfsRuleset.Parse(9, null, new[] { "include 8" }) }));
        Assert.Equal(DevfsErrorIds.IncludeNotFound, e.ErrorId);
        Assert.Equal("8", e.Token);
    }

    [Fact]
    public void RulesRunInNumberOrderAndLaterOnesWin()
    {
        var rs = new DevfsRuleset(30, null, new[]
        {
            DevfsRule.Parse("300 path 'ada*' hide"),
            DevfsRule.Parse("100 path 'ada*' mode 660 group 0 user 7"),
            DevfsRule.Parse("200 path ada0 mode 600"),
            DevfsRule.Parse("path ada0p1 hide unhide"),   // auto-number 400; both bits: ends unhidden
        });
        Assert.Equal(new ushort[] { 100, 200, 300, 400 }, rs.Numbered().Select(r => r.Number).ToArray());
        var s = new DevfsRuleEvaluator(new[] { rs }).Evaluate(30, HostDev()).ToDictionary(x => x.Path);
        Assert.True(s["ada0"].Hidden);
        Assert.Equal((ushort)0x180, s["ada0"].Mode);
        Assert.Equal(7u, s["ada0"].Uid);
        Assert.Equal(0u, s["ada0"].Gid);
        Assert.False(s["ada0p1"].Hidden);
        Assert.Equal((ushort)0x1B0, s["ada0p1"].Mode);
        Assert.True(s["ada0p2"].Hidden);
    }

    [Fact]
    public void TypeConditionsMatchDevicesOnly()
    {
        var rs = DevfsRuleset.Parse(31, null, new[] { "type disk type mem hide", "type tty mode 600" });
        var s = new DevfsRuleEvaluator(new[] { rs }).Evaluate(31, HostDev()).ToDictionary(x => x.Path);
        Assert.True(s["ada0"].Hidden);
        Assert.True(s["mem"].Hidden);
        Assert.True(s["gpt/gptboot0"].Hidden);
        Assert.False(s["gpt"].Hidden);          // a directory has no cdev
        Assert.False(s["null"].Hidden);
        Assert.Equal((ushort)0x180, s["pts/0"].Mode);
        Assert.Equal((ushort)0x1ED, s["pts"].Mode);
    }

    [Fact]
    public void PathConditionsMatchDirectoriesAndSymlinksByPath()
    {
        Assert.True(DevfsRuleEvaluator.Matches(DevfsRule.Parse("path pts hide"), DevfsNode.Directory("pts")));
        Assert.True(DevfsRuleEvaluator.Matches(DevfsRule.Parse("path 'std*' hide"), DevfsNode.Symlink("stdout")));
        Assert.False(DevfsRuleEvaluator.Matches(DevfsRule.Parse("type tty path 'std*' hide"), DevfsNode.Symlink("stdout")));
        Assert.True(DevfsRuleEvaluator.Matches(DevfsRule.Parse("hide"), DevfsNode.Directory("usb")));
    }

    [Fact]
    public void ChildrenOfAHiddenDirectoryAreNotVisible()
    {
        var rs = DevfsRuleset.Parse(32, null, new[] { "path usb hide" });
        var s = new DevfsRuleEvaluator(new[] { rs }).Evaluate(32, HostDev()).ToDictionary(x => x.Path);
        Assert.False(s["usb/0.1.0"].Hidden);
        Assert.False(s["usb/0.1.0"].Visible);
        Assert.True(s["ugen0.1"].Visible);
    }

    [Fact]
    public void ApplyOneRuleLikeRapply()
    {
        var ev = new DevfsRuleEvaluator(DevfsDefaults.Rulesets);
        var after4 = ev.Evaluate(4, HostDev());
        var after = ev.Apply(DevfsRule.Parse("path 'bpf*' unhide"), after4).Where(x => x.Visible).Select(x => x.Path).ToHashSet();
        Assert.Contains("bpf", after);
        Assert.Contains("bpf0", after);
        Assert.Contains("zfs", after);
        Assert.DoesNotContain("mem", after);
    }

    [Fact]
    public void DuplicateAndOverflowingRuleNumbers()
    {
        var dup = new DevfsRuleset(40, null, new[] { DevfsRule.Parse("100 hide"), DevfsRule.Parse("100 unhide") });
        Assert.Equal(DevfsErrorIds.DuplicateRule, Assert.Throws<DevfsRuleException>(() => dup.Numbered()).ErrorId);
        var auto = new DevfsRuleset(40, null, new[] { DevfsRule.Parse("100 hide"), DevfsRule.Parse("50 hide"), DevfsRule.Parse("hide") });
        Assert.Equal(new ushort[] { 50, 100, 200 }, auto.Numbered().Select(r => r.Number).ToArray()); // highest so far + 100
        var over = new DevfsRuleset(40, null, new[] { DevfsRule.Parse("65500 hide"), DevfsRule.Parse("hide") });
        Assert.Equal(DevfsErrorIds.RuleNumberOverflow, Assert.Throws<DevfsRuleException>(() => over.Numbered()).ErrorId);
        Assert.Equal(DevfsErrorIds.InvalidRuleset, Assert.Throws<DevfsRuleException>(() => new DevfsRuleset(0, null, new[] { DevfsRule.Parse("hide") })).ErrorId);
    }
}
