using System.IO;
using JailPS.Core.Devfs;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Simulation;
using JailPS.Core.Tests.Simulation;
using JailPS.Core.Tests.Lifecycle;
using JailPS.Core.Tests.Simulation.Mounts;
using JailPS.Native;
using DevfsRule = JailPS.Core.Devfs.DevfsRule;

namespace JailPS.Core.Tests.Devfs;

/// <summary>DevfsRulesetService against the simulated kernel: reads, plans, rollback, errors, and the booted simulated host.</summary>
public sealed class DevfsRulesetServiceTests
{
    private static readonly string[] Ruleset4Visible =
    {
        "crypto", "fd", "fd/0", "fd/1", "fd/2", "fuse", "null", "ptmx", "pts", "pts/0", "pts/1",
        "random", "stderr", "stdin", "stdout", "urandom", "zero", "zfs",
    };

    private static DevfsRulesetService Service(Sandbox s) => new(s.K);

    private static DevfsRuleset Default(ushort n) => DevfsDefaults.Get(n)!;

    private static void Load(DevfsRulesetService svc, params ushort[] numbers)
    {
        foreach (ushort n in numbers) svc.Execute(svc.PlanCreate(n, Default(n).Rules, force: false), NullJailOutput.Instance);
    }

    private static IReadOnlyList<DevfsNode> DeviceNodes() => SimulatedKernel.DevfsDeviceTable.Select(d => d.Kind switch
    {
        'd' => DevfsNode.Directory(d.Path),
        'l' => DevfsNode.Symlink(d.Path),
        _ => DevfsNode.Device(d.Path, (DevfsDeviceTypes)d.DswFlags),
    }).ToList();

    [Fact]
    public void Ruleset_4_built_with_the_service_and_applied_shows_what_the_evaluator_computes()
    {
        using var s = new Sandbox();
        var svc = Service(s);
        Load(svc, 1, 2, 3);
        s.MustMount("devfs", "/jails/a/dev");

        s.K.ResetCounts();
        var plan = svc.PlanCreate(4, Default(4).Rules, force: false);
        var c = s.K.CallCounts;
        // Planning: RGETNEXT of set 4 (ENOENT), then SGETNEXT over 1, 2, 3 and ENOENT to check the includes.
        Assert.Equal((2L, 2L, 5L), (c["open"], c["close"], c["ioctl"]));
        Assert.Equal(5, plan.Steps.Count);
        Assert.Equal("ioctl(/dev, DEVFSIO_RADD, {id=4:100 include 1})  # devfs rule -s 4 add 100 include 1", plan.Steps[0].Description);
        Assert.Equal("ioctl(/dev, DEVFSIO_RADD, {id=4:500 path 'zfs' unhide})  # devfs rule -s 4 add 500 path zfs unhide", plan.Steps[4].Description);

        s.K.ResetCounts();
        svc.Execute(plan, NullJailOutput.Instance);
        c = s.K.CallCounts;
        Assert.Equal((1L, 1L, 5L), (c["open"], c["close"], c["ioctl"])); // one descriptor, one RADD per rule

        s.K.ResetCounts();
        svc.ApplySet(4, "/jails/a/dev");
        c = s.K.CallCounts;
        // getfsstat twice (the devfs must be mounted there), SGETNEXT 1..4 + ENOENT, then SAPPLY on the jail's devfs.
        Assert.Equal((2L, 2L, 2L, 6L), (c["getfsstat"], c["open"], c["close"], c["ioctl"]));
        Assert.Equal(0L, c["nmount"] + c["unmount"]);

        var expected = new DevfsRuleEvaluator(new[] { Default(1), Default(2), Default(3), Default(4) })
            .Evaluate(4, DeviceNodes()).Where(n => n.Visible).Select(n => n.Path).OrderBy(p => p, StringComparer.Ordinal).ToArray();
        var actual = s.K.DevfsVisibleNodes("/jails/a/dev").OrderBy(p => p, StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, actual);
        Assert.Equal(Ruleset4Visible, actual);
        // The host's /dev is untouched.
        Assert.Equal(SimulatedKernel.DevfsDeviceList.Count, s.K.DevfsVisibleNodes("/dev").Count);
    }

    [Fact]
    public void Reads_list_numbers_rules_and_names()
    {
        using var s = new Sandbox();
        var svc = Service(s);
        Assert.Empty(svc.ListNumbers());
        Assert.Null(svc.Get(4));
        Assert.False(svc.Exists(4));
        Load(svc, 1, 2, 3, 4);
        Assert.Equal(new ushort[] { 1, 2, 3, 4 }, svc.ListNumbers());
        Assert.True(svc.Exists(3));
        var four = svc.Get(4)!;
        Assert.Equal(Default(4).Numbered(), four.Rules);
        Assert.Null(four.Name); // no files: the kernel has numbers only
        Assert.Equal(4, svc.GetAll().Count);
        Assert.Equal(Default(3).Numbered(), svc.GetRules(3));
        Assert.Empty(svc.GetRules(77));
    }

    [Fact]
    public void Names_come_from_the_defaults_file_then_etc_devfs_rules()
    {
        using var f = new SimulatedHostFixture();
        f.WriteFile("/etc/devfs.rules", "[web_jail=10]\nadd include $devfsrules_jail\nadd path 'bpf*' unhide\n");
        var svc = new DevfsRulesetService(f.Host);
        var names = svc.Names();
        Assert.Equal("devfsrules_jail", names[4]);
        Assert.Equal("web_jail", names[10]);
        Assert.Equal("devfsrules_jail_vnet", svc.Get(5)!.Name);
        var rule = svc.ParseRule("add include $web_jail");
        Assert.Equal((ushort)10, rule.IncludeRuleset);

        f.WriteFile("/etc/devfs.rules", "[broken=x]\n");
        var warnings = new List<string>();
        Assert.False(svc.Names(warnings).ContainsKey(10));
        Assert.Single(warnings);
    }

    [Fact]
    public void A_failing_RADD_rolls_back_every_rule_it_added()
    {
        using var s = new Sandbox();
        var svc = Service(s);
        var rules = Enumerable.Range(1, 20).Select(i => DevfsRule.Parse($"path 'dev{i}' unhide")).ToArray();
        var plan = svc.PlanCreate(20, rules, force: false);
        s.K.ResetCounts();
        s.K.InjectFault("ioctl", 7, Errno.EIO);

        var e = Assert.Throws<DevfsRulesetException>(() => svc.Execute(plan, NullJailOutput.Instance));
        Assert.Equal(DevfsRulesetErrorIds.IoctlFailed, e.ErrorId);
        Assert.Equal(Errno.EIO, e.Errno);
        Assert.Equal("EIO", e.ErrnoName);
        Assert.Equal("DEVFSIO_RADD", e.Request);
        Assert.Equal(6, e.RolledBack.Count);
        Assert.Equal("ioctl(/dev, DEVFSIO_RDEL, 20:600)  # devfs rule -s 20 del 600", e.RolledBack[0]);
        Assert.Contains("step 7 of 20", e.Message);
        var c = s.K.CallCounts;
        Assert.Equal((1L, 1L, 7L + 6L), (c["open"], c["close"], c["ioctl"])); // one descriptor: 7 RADD (the 7th failed), 6 RDEL
        Assert.False(svc.Exists(20));
        Assert.Empty(s.K.DevfsRulesets);
    }

    [Fact]
    public void A_failed_replace_restores_the_old_rules()
    {
        using var s = new Sandbox();
        var svc = Service(s);
        Load(svc, 1, 2);
        svc.Execute(svc.PlanCreate(7, new[] { "include 1", "include 2", "path 'pts/*' unhide" }.Select(t => svc.ParseRule(t)), false), NullJailOutput.Instance);
        var before = svc.GetRules(7);

        var plan = svc.PlanReplace(7, new[] { "path null unhide", "path zero unhide", "path random unhide" }.Select(t => svc.ParseRule(t)));
        Assert.Equal(3 + 3, plan.Steps.Count);
        s.K.InjectFault("ioctl", 5, Errno.ENOMEM); // 3 RDEL, 1 RADD, then the second RADD fails
        var e = Assert.Throws<DevfsRulesetException>(() => svc.Execute(plan, NullJailOutput.Instance));
        Assert.Equal(Errno.ENOMEM, e.Errno);
        Assert.Equal(4, e.RolledBack.Count);
        Assert.Equal(before, svc.GetRules(7));

        svc.Execute(svc.PlanReplace(7, new[] { svc.ParseRule("path null unhide") }), NullJailOutput.Instance);
        Assert.Equal(new[] { DevfsRule.Parse("100 path null unhide") }, svc.GetRules(7));
    }

    [Fact]
    public void Refusals_have_stable_ids_and_change_nothing()
    {
        using var s = new Sandbox();
        var svc = Service(s);
        Load(svc, 1);
        var one = new[] { DevfsRule.Parse("path null unhide") };

        Assert.Equal(DevfsRulesetErrorIds.Exists, Assert.Throws<DevfsRulesetException>(() => svc.PlanCreate(1, one, force: false)).ErrorId);
        svc.Execute(svc.PlanCreate(1, one, force: true), NullJailOutput.Instance);
        Assert.Equal(one[0].WithNumber(100), Assert.Single(svc.GetRules(1)));

        Assert.Equal(DevfsRulesetErrorIds.NotFound, Assert.Throws<DevfsRulesetException>(() => svc.PlanReplace(9, one)).ErrorId);
        Assert.Equal(DevfsRulesetErrorIds.NotFound, Assert.Throws<DevfsRulesetException>(() => svc.PlanRemove(9)).ErrorId);
        Assert.Equal(DevfsRulesetErrorIds.NotFound, Assert.Throws<DevfsRulesetException>(() => svc.PlanCreate(9, new[] { DevfsRule.Parse("include 33") }, false)).ErrorId);
        Assert.Equal(DevfsRulesetErrorIds.InvalidNumber, Assert.Throws<DevfsRulesetException>(() => svc.Get(0)).ErrorId);
        Assert.Equal(DevfsRulesetErrorIds.InvalidNumber, Assert.Throws<DevfsRulesetException>(() => svc.Exists(65536)).ErrorId);
        Assert.Equal(DevfsRulesetErrorIds.RuleInvalid, Assert.Throws<DevfsRulesetException>(() => svc.ParseRule("path null blink")).ErrorId);
        Assert.Equal(DevfsRulesetErrorIds.RuleInvalid, Assert.Throws<DevfsRulesetException>(() => svc.ParseRule("include $nosuch")).ErrorId);
        Assert.Equal(DevfsRulesetErrorIds.RuleInvalid,
            Assert.Throws<DevfsRulesetException>(() => svc.PlanCreate(9, new[] { DevfsRule.Parse("5 hide"), DevfsRule.Parse("5 unhide") }, false)).ErrorId);
        Assert.Equal(DevfsRulesetErrorIds.MountNotFound, Assert.Throws<DevfsRulesetException>(() => svc.ApplySet(1, "/jails/a/dev")).ErrorId);
        Assert.Equal(DevfsRulesetErrorIds.MountNotFound, Assert.Throws<DevfsRulesetException>(() => new DevfsRulesetService(s.K, null, "/nonexistent").ListNumbers()).ErrorId);
        Assert.Equal(new[] { 1 }, s.K.DevfsRulesets);

        s.K.CallerUid = 1001;
        var perm = Assert.Throws<DevfsRulesetException>(() => svc.ListNumbers());
        Assert.Equal((DevfsRulesetErrorIds.PermissionDenied, (int?)Errno.EPERM), (perm.ErrorId, perm.Errno));
    }

    [Fact]
    public void Remove_refuses_an_included_ruleset_unless_forced_and_the_kernel_keeps_it_empty()
    {
        using var s = new Sandbox();
        var svc = Service(s);
        Load(svc, 1, 2, 3, 4);
        var e = Assert.Throws<DevfsRulesetException>(() => svc.PlanRemove(2));
        Assert.Equal(DevfsRulesetErrorIds.InUse, e.ErrorId);
        Assert.Contains("ruleset 4 includes it", e.Message);
        Assert.Equal(DevfsRulesetErrorIds.InUse, Assert.Throws<DevfsRulesetException>(() => svc.PlanRemove(4, usedBy: new[] { "jail web uses it" })).ErrorId);

        var plan = svc.PlanRemove(2, force: true);
        Assert.Equal(5, plan.Steps.Count);
        Assert.Equal("ioctl(/dev, DEVFSIO_RDEL, 2:100)  # devfs rule -s 2 del 100", plan.Steps[0].Description);
        svc.Execute(plan, NullJailOutput.Instance);
        Assert.True(svc.Exists(2)); // referenced by ruleset 4's include: empty but kept
        Assert.Empty(svc.GetRules(2));

        svc.DeleteAll(4);
        Assert.False(svc.Exists(4));
        Assert.Equal(new ushort[] { 1, 3 }, svc.ListNumbers()); // 2 is reaped once nothing includes it
    }

    [Fact]
    public void Use_applies_the_ruleset_then_makes_it_current()
    {
        using var s = new Sandbox();
        var svc = Service(s);
        Load(svc, 1, 2);
        s.MustMount("devfs", "/jails/a/dev");
        var plan = svc.PlanApply(2, "/jails/a/dev/", use: true);
        Assert.Equal(new[] { "1. DEVFSIO_SAPPLY: ioctl(/jails/a/dev, DEVFSIO_SAPPLY, 2)  # devfs -m /jails/a/dev rule -s 2 applyset",
                             "2. DEVFSIO_SUSE: ioctl(/jails/a/dev, DEVFSIO_SUSE, 2)  # devfs -m /jails/a/dev ruleset 2" }, plan.Describe());
        svc.Execute(plan, NullJailOutput.Instance);
        Assert.Equal(2, s.K.Mounts.Single(m => m.MountedOn == "/jails/a/dev").DevfsRuleset);
        // ruleset 2 only unhides; nothing was hidden, so everything stays visible.
        Assert.Equal(SimulatedKernel.DevfsDeviceList.Count, s.K.DevfsVisibleNodes("/jails/a/dev").Count);
        Assert.Equal(DevfsRulesetErrorIds.NotFound, Assert.Throws<DevfsRulesetException>(() => svc.PlanApply(3, "/jails/a/dev", false)).ErrorId);
    }

    [Fact]
    public void A_fresh_simulated_host_boots_with_the_default_rulesets_and_file()
    {
        using var f = new SimulatedHostFixture();
        var k = f.Sim.Kernel;
        Assert.All(k.CallCounts.Values, v => Assert.Equal(0L, v));
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, k.DevfsRulesets);

        string text = f.Host.Files.ReadAllText("/etc/defaults/devfs.rules")!;
        var file = DevfsRulesFile.Parse(text, "/etc/defaults/devfs.rules", Array.Empty<DevfsRuleset>());
        Assert.Equal(DevfsDefaults.Rulesets.Select(r => (r.Number, r.Name)), file.Rulesets.Select(r => (r.Number, r.Name)));
        Assert.Contains("add include $devfsrules_hide_all", text);

        var svc = new DevfsRulesetService(f.Host);
        foreach (var rs in DevfsDefaults.Rulesets)
        {
            var got = svc.Get(rs.Number)!;
            Assert.Equal(rs.Name, got.Name);
            Assert.Equal(rs.Numbered(), got.Rules);
        }

        // A second process loads the same booted state without booting twice; the file is not rewritten.
        File.AppendAllText(Path.Combine(f.Root, "etc/defaults/devfs.rules"), "# local note\n");
        var other = new SimulatedHost(f.Root);
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, other.Kernel.DevfsRulesets);
        Assert.EndsWith("# local note\n", File.ReadAllText(Path.Combine(f.Root, "etc/defaults/devfs.rules")));
    }

    [Fact]
    public unsafe void Jail_device_check_reports_missing_and_unexpected_nodes()
    {
        using var f = new SimulatedHostFixture();
        f.Host.Files.CreateDirectory("/usr/jails/web/dev");
        Assert.Equal(DevfsRulesetErrorIds.NotMounted,
            Assert.Throws<DevfsRulesetException>(() => JailDeviceCheck.Run(f.Host, "web", "/usr/jails/web", null, null)).ErrorId);

        using (var iov = new Iov())
        {
            iov.Str("fstype", "devfs").Str("fspath", "/usr/jails/web/dev").Str("from", "devfs").Str("ruleset", "4").ErrMsg(128);
            Assert.Equal(0, f.Host.MountLibc.Nmount(iov.Ptr, iov.Count, 0));
        }
        var ok = JailDeviceCheck.Run(f.Host, "web", "/usr/jails/web", new[] { "null", "pts/*", "zfs" }, new[] { "bpf*", "mem", "kmem", "nda*" });
        Assert.True(ok.Passed);
        Assert.Equal(Ruleset4Visible, ok.Visible);
        Assert.Equal("/usr/jails/web/dev", ok.MountPoint);

        var bad = JailDeviceCheck.Run(f.Host, "web", "/usr/jails/web", new[] { "bpf", "null" }, new[] { "pts/*", "z*" });
        Assert.False(bad.Passed);
        Assert.Equal(new[] { "bpf" }, bad.Missing);
        Assert.Equal(new[] { "pts/0", "pts/1", "zero", "zfs" }, bad.Unexpected);
    }
}
