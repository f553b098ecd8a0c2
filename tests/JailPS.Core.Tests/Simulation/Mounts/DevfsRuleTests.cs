using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation.Mounts;

/// <summary>DEVFSIO_* ioctls on a devfs root descriptor, with struct devfs_rule in raw memory.</summary>
public sealed unsafe class DevfsRuleTests
{
    private static readonly string[] s_jailRuleset4 =
    {
        "crypto", "fd", "fd/0", "fd/1", "fd/2", "fuse", "null", "ptmx", "pts", "pts/0", "pts/1",
        "random", "stderr", "stdin", "stdout", "urandom", "zero", "zfs",
    };

    [Fact]
    public void Radd_AutoNumbers_LastPlus100_AndKeepsOrder_EexistOnDuplicate()
    {
        using var s = new Sandbox();
        int fd = s.Open("/dev");
        var r = Sandbox.Rule(10, 0, "null", DevfsBooleanActions.Unhide);
        Assert.Equal((0, 0), s.Ioctl(fd, DevfsIoctl.RuleAdd, ref r));
        Assert.Equal((10u << 16) | 0u, r.Id); // the kernel does not copy the assigned number back
        r = Sandbox.Rule(10, 0, "zero", DevfsBooleanActions.Unhide);
        s.Ioctl(fd, DevfsIoctl.RuleAdd, ref r);
        r = Sandbox.Rule(10, 150, "random", DevfsBooleanActions.Unhide);
        s.Ioctl(fd, DevfsIoctl.RuleAdd, ref r);
        r = Sandbox.Rule(10, 150, "random", DevfsBooleanActions.Unhide);
        Assert.Equal((-1, Errno.EEXIST), s.Ioctl(fd, DevfsIoctl.RuleAdd, ref r));

        var numbers = new List<int>();
        var g = new DevfsRule { Magic = DevfsConstants.Magic, Id = 10u << 16 };
        while (s.Ioctl(fd, DevfsIoctl.RuleGetNext, ref g).Rc == 0)
            numbers.Add((int)(g.Id & 0xffff));
        Assert.Equal(Errno.ENOENT, s.K.LastErrno);
        Assert.Equal(new[] { 100, 150, 200 }, numbers);
    }

    [Fact]
    public void Radd_Errors_Magic_RulesetZero_MissingInclude_Privilege()
    {
        using var s = new Sandbox();
        int fd = s.Open("/dev");
        var r = Sandbox.Rule(5, 0, bacts: DevfsBooleanActions.Hide);
        r.Magic = 0x12345678;
        Assert.Equal((-1, Errno.ERPCMISMATCH), s.Ioctl(fd, DevfsIoctl.RuleAdd, ref r));
        // Ruleset 0 means "the mount's current ruleset", which is 0 on /dev: no rule can go there.
        r = Sandbox.Rule(0, 0, bacts: DevfsBooleanActions.Hide);
        Assert.Equal((-1, Errno.EIO), s.Ioctl(fd, DevfsIoctl.RuleAdd, ref r));
        r = Sandbox.Rule(5, 0, incset: 77);
        Assert.Equal((-1, Errno.ESRCH), s.Ioctl(fd, DevfsIoctl.RuleAdd, ref r));
        Assert.Empty(s.K.DevfsRulesets);
        s.K.CallerUid = 1001;
        r = Sandbox.Rule(5, 0, bacts: DevfsBooleanActions.Hide);
        Assert.Equal((-1, Errno.EPERM), s.Ioctl(fd, DevfsIoctl.RuleAdd, ref r));
    }

    [Fact]
    public void Ioctl_OnANonDevfsDescriptor_IsEnotty_UnknownRequestIsEnotty()
    {
        using var s = new Sandbox();
        int fd = s.Open("/jails/a");
        ushort rs = 0;
        Assert.Equal((-1, Errno.ENOTTY), s.Ioctl(fd, DevfsIoctl.SetGetNext, ref rs));
        int dev = s.Open("/dev");
        Assert.Equal((-1, Errno.ENOTTY), s.Ioctl(dev, 0xC0024499UL, ref rs));
        Assert.Equal((-1, Errno.EBADF), s.Ioctl(99, DevfsIoctl.SetGetNext, ref rs));
    }

    [Fact]
    public void Sgetnext_ListsRulesetsInOrder_RdelReapsEmptyRulesets()
    {
        using var s = new Sandbox();
        int fd = s.Open("/dev");
        s.LoadDefaultRulesets(fd);
        var sets = new List<int>();
        ushort rs = 0;
        while (s.Ioctl(fd, DevfsIoctl.SetGetNext, ref rs).Rc == 0) sets.Add(rs);
        Assert.Equal(Errno.ENOENT, s.K.LastErrno);
        Assert.Equal(new[] { 1, 2, 3, 4 }, sets);

        // Ruleset 1 is included by ruleset 4: deleting its only rule keeps it (referenced).
        uint rid = (1u << 16) | 100;
        Assert.Equal((0, 0), s.Ioctl(fd, DevfsIoctl.RuleDelete, ref rid));
        Assert.Equal((-1, Errno.ENOENT), s.Ioctl(fd, DevfsIoctl.RuleDelete, ref rid));
        Assert.Contains(1, s.K.DevfsRulesets);
        // Deleting ruleset 4's rules drops the references; then 1 (empty) is reaped, 4 too.
        for (uint n = 100; n <= 500; n += 100)
        {
            uint id = (4u << 16) | n;
            Assert.Equal((0, 0), s.Ioctl(fd, DevfsIoctl.RuleDelete, ref id));
        }
        Assert.Equal(new[] { 2, 3 }, s.K.DevfsRulesets);
    }

    [Fact]
    public void MountWithRuleset4_ShowsExactlyTheSeedDeviceSet()
    {
        using var s = new Sandbox();
        int fd = s.Open("/dev");
        s.LoadDefaultRulesets(fd);
        Assert.Equal(SimulatedKernel.DevfsDeviceList, s.K.DevfsVisibleNodes("/dev"));
        s.MustMount("devfs", "/jails/a/dev", ("ruleset", "4"));
        Assert.Equal(s_jailRuleset4, s.K.DevfsVisibleNodes("/jails/a/dev"));
        Assert.DoesNotContain("mem", s.K.DevfsVisibleNodes("/jails/a/dev"));
    }

    [Fact]
    public void Suse_OnlyAssigns_SapplyApplies_RapplyAppliesOneRule()
    {
        using var s = new Sandbox();
        int root = s.Open("/dev");
        s.LoadDefaultRulesets(root);
        s.MustMount("devfs", "/jails/a/dev");
        int fd = s.Open("/jails/a/dev");
        ushort four = 4;
        Assert.Equal((0, 0), s.Ioctl(fd, DevfsIoctl.SetUse, ref four));
        Assert.Equal(4, s.K.Mounts[2].DevfsRuleset);
        Assert.Equal(SimulatedKernel.DevfsDeviceList, s.K.DevfsVisibleNodes("/jails/a/dev"));
        ushort cur = 0; // 0 = the mount's current ruleset
        Assert.Equal((0, 0), s.Ioctl(fd, DevfsIoctl.SetApply, ref cur));
        Assert.Equal(s_jailRuleset4, s.K.DevfsVisibleNodes("/jails/a/dev"));
        ushort missing = 900;
        Assert.Equal((-1, Errno.ESRCH), s.Ioctl(fd, DevfsIoctl.SetApply, ref missing));

        var unhideMem = Sandbox.Rule(0, 0, "mem", DevfsBooleanActions.Unhide);
        Assert.Equal((0, 0), s.Ioctl(fd, DevfsIoctl.RuleApply, ref unhideMem));
        Assert.Contains("mem", s.K.DevfsVisibleNodes("/jails/a/dev"));
        uint rid = (1u << 16) | 100; // "hide" of ruleset 1
        Assert.Equal((0, 0), s.Ioctl(fd, DevfsIoctl.RuleApplyId, ref rid));
        Assert.Empty(s.K.DevfsVisibleNodes("/jails/a/dev"));
        rid = (1u << 16) | 999;
        Assert.Equal((-1, Errno.ENOENT), s.Ioctl(fd, DevfsIoctl.RuleApplyId, ref rid));
        // The other devfs mounts were not touched.
        Assert.Equal(SimulatedKernel.DevfsDeviceList, s.K.DevfsVisibleNodes("/dev"));
    }

    [Fact]
    public void TypeCondition_MatchesDevicesOnly_HiddenDirectoryHidesChildren()
    {
        using var s = new Sandbox();
        int root = s.Open("/dev");
        s.Add(root, Sandbox.Rule(20, 0, bacts: DevfsBooleanActions.Hide, type: DeviceTypes.Disk | DeviceTypes.Mem));
        s.Add(root, Sandbox.Rule(20, 0, "pts", DevfsBooleanActions.Hide));
        s.MustMount("devfs", "/jails/a/dev", ("ruleset", "20"));
        var v = s.K.DevfsVisibleNodes("/jails/a/dev");
        Assert.DoesNotContain("nda0p1", v);
        Assert.DoesNotContain("cd0", v);
        Assert.DoesNotContain("kmem", v);
        Assert.DoesNotContain("pts/0", v);
        Assert.Contains("null", v);
        Assert.Contains("fd/0", v);
    }

    [Fact]
    public void UpdateMount_WithRuleset_AssignsAndApplies()
    {
        using var s = new Sandbox();
        int root = s.Open("/dev");
        s.LoadDefaultRulesets(root);
        s.MustMount("devfs", "/jails/a/dev");
        Assert.Equal(0, s.Mount("devfs", "/jails/a/dev", (int)MountFlags.Update, ("ruleset", "4")).Rc);
        Assert.Equal(4, s.K.Mounts[2].DevfsRuleset);
        Assert.Equal(s_jailRuleset4, s.K.DevfsVisibleNodes("/jails/a/dev"));
        Assert.Equal(Errno.EINVAL, s.Mount("devfs", "/jails/a/tmp", (int)MountFlags.Update).Errno);
    }

    [Fact]
    public void UnmountingTheLastUser_ReapsAnEmptyRuleset()
    {
        using var s = new Sandbox();
        s.MustMount("devfs", "/jails/a/dev", ("ruleset", "33"));
        Assert.Equal(new[] { 33 }, s.K.DevfsRulesets);
        Assert.Equal((0, 0), s.Unmount("/jails/a/dev"));
        Assert.Empty(s.K.DevfsRulesets);
    }

    [Theory]
    [InlineData("pts/*", "pts/0", true)]
    [InlineData("pts/*", "pts", false)]
    [InlineData("*", "pts/0", false)]
    [InlineData("tty[pq]*", "ttyq3", true)]
    [InlineData("tty[!pq]*", "ttyq3", false)]
    [InlineData("nda0p?", "nda0p1", true)]
    [InlineData("\\*", "*", true)]
    public void FnMatch_WithPathname(string pattern, string name, bool match)
        => Assert.Equal(match, JailPS.Core.Devfs.DevfsPattern.IsMatch(pattern, name));
}
