using JailPS.Core.Host.SafePath;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Tests.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Mounts;

/// <summary>jail(8)'s mount and unmount steps in Start/Stop, the ledger, rollback and the leftover check.</summary>
public sealed class MountLifecycleTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private const string Root = "/usr/jails/web";

    /// <summary>Every mount kind: a nullfs `mount` line, a tmpfs from mount.fstab, devfs, fdescfs and procfs.</summary>
    private JailSpec DefineEveryKind(string extra = "")
    {
        _f.Host.Files.CreateDirectory("/usr/jails/basejail");
        foreach (string d in new[] { "basejail", "tmp", "dev", "dev/fd", "proc" })
            _f.Host.Files.CreateDirectory($"{Root}/{d}");
        _f.WriteFile("/etc/fstab.web", "# the jail's fstab\ntmpfs /usr/jails/web/tmp tmpfs rw,size=64m,mode=1777 0 0\n\n");
        var def = _f.Define("web", $$"""
            mount = "/usr/jails/basejail /usr/jails/web/basejail nullfs ro 0 0";
            mount.fstab = "/etc/fstab.web";
            mount.devfs;
            mount.fdescfs;
            mount.procfs;
            persist;
            exec.prestart = "/usr/bin/true prestart";
            exec.poststop = "/usr/bin/true poststop";
            {{extra}}
            """);
        return _f.Spec(def);
    }

    private List<MountEntry> Beneath() => JailMountService.Beneath(MountTable.Read(_f.Host.MountLibc), Root);

    private IReadOnlyList<MountLedgerEntry> Ledger() => new MountLedger(_f.Host.Files).Read("web");

    private static readonly string[] s_mountOrder = { "nullfs /usr/jails/web/basejail", "tmpfs /usr/jails/web/tmp", "devfs /usr/jails/web/dev", "fdescfs /usr/jails/web/dev/fd", "procfs /usr/jails/web/proc" };

    [Fact]
    public void Start_mounts_in_jail8_order_before_prestart_and_records_each_mount()
    {
        var spec = DefineEveryKind();
        var plan = _f.Lifecycle().PlanStart(spec);
        Assert.Equal(new[] { "mount", "mount.fstab", "mount.devfs", "mount.fdescfs", "mount.procfs", "exec.prestart", "jail_set" },
            plan.Steps.Select(s => s.Name));
        Assert.Contains("nmount(fstype=devfs fspath=/usr/jails/web/dev from=devfs ruleset=4 nocover)", plan.Steps[2].Description);
        Assert.Contains("nmount(fstype=nullfs fspath=/usr/jails/web/basejail target=/usr/jails/basejail ro nocover)", plan.Steps[0].Description);
        PlanRunner.Execute(plan, _f);

        Assert.Equal(s_mountOrder, Beneath().Select(m => m.FsType + " " + m.On));
        Assert.True(Beneath()[0].ReadOnly);
        Assert.Equal(s_mountOrder, Ledger().Select(l => l.FsType + " " + l.MountPoint));
        Assert.Equal(new[] { "mount", "mount.fstab", "mount.devfs", "mount.fdescfs", "mount.procfs" }, Ledger().Select(l => l.Origin));
        var devfs = _f.Sim.Kernel.Mounts.Single(m => m.MountedOn == Root + "/dev");
        Assert.Equal(4, devfs.DevfsRuleset);
        Assert.DoesNotContain("mem", _f.Sim.Kernel.DevfsVisibleNodes(Root + "/dev"));
        Assert.Contains("null", _f.Sim.Kernel.DevfsVisibleNodes(Root + "/dev"));
    }

    [Fact]
    public void Stop_unmounts_in_reverse_after_poststop_and_leaves_nothing()
    {
        var spec = DefineEveryKind();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        var plan = _f.Lifecycle().PlanStop("web", jid, spec, 0, false, Root);
        Assert.Equal(new[] { "jail_remove", "exec.poststop", "unmount", "unmount", "unmount", "unmount", "unmount", "check mounts" },
            plan.Steps.Select(s => s.Name));
        var unmountOrder = plan.Steps.Where(s => s.Name == "unmount").Select(s => s.Description.Split("# umount ")[1].Split(' ')[0]).ToArray();
        Assert.Equal(s_mountOrder.Reverse().Select(m => m.Split(' ')[1]), unmountOrder);
        _f.Sim.Kernel.ResetCounts();
        PlanRunner.Execute(plan, _f);

        Assert.Empty(Beneath());
        Assert.Empty(Ledger());
        Assert.False(_f.Host.Files.FileExists(MountLedger.PathOf("web")));
        Assert.Equal(0, _f.RunningCount());
        Assert.Empty(_f.Warnings);
        // One unmount per mount, by FSID; one getfsstat pair to check that nothing is left.
        Assert.Equal(5, _f.Sim.Kernel.CallCounts["unmount"]);
        Assert.Equal(0, _f.Sim.Kernel.CallCounts["nmount"]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void A_failing_mount_rolls_back_every_earlier_mount(int failingMount)
    {
        var spec = DefineEveryKind();
        _f.Sim.Kernel.InjectFault("nmount", failingMount, Errno.EIO);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f));
        Assert.Equal(new[] { "mount", "mount.fstab", "mount.devfs", "mount.fdescfs", "mount.procfs" }[failingMount - 1], ex.FailedStep);
        Assert.Equal("JailMountFailed", Assert.IsType<JailOperationException>(ex.InnerException).ErrorId);
        Assert.Equal(failingMount - 1, ex.RolledBack.Count);
        Assert.Empty(ex.RollbackFailures);
        AssertNothingLeft();
    }

    [Fact]
    public void A_failing_jail_set_unmounts_everything()
    {
        var spec = DefineEveryKind();
        _f.Sim.Kernel.InjectFault("jail_set", 1, Errno.ENOMEM);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f));
        Assert.Equal("jail_set", ex.FailedStep);
        Assert.Equal(5, ex.RolledBack.Count(r => r.StartsWith("unmount")));
        AssertNothingLeft();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void A_busy_unmount_during_rollback_is_forced_so_nothing_is_left(int failingUnmount)
    {
        var spec = DefineEveryKind();
        _f.Sim.Kernel.InjectFault("jail_set", 1, Errno.ENOMEM);
        _f.Sim.Kernel.InjectFault("unmount", failingUnmount, Errno.EBUSY);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f));
        Assert.Empty(ex.RollbackFailures);
        AssertNothingLeft();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void A_failing_unmount_on_stop_reports_one_error_and_a_second_stop_completes(int failingUnmount)
    {
        var spec = DefineEveryKind();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        _f.Sim.Kernel.InjectFault("unmount", failingUnmount, Errno.EBUSY);

        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false, Root), _f));
        var busy = Assert.IsType<JailOperationException>(ex.InnerException);
        Assert.Equal("JailMountBusy", busy.ErrorId);
        string failed = s_mountOrder.Reverse().ElementAt(failingUnmount - 1).Split(' ')[1];
        // The busy mount stays, and so does a mount it sits on (fdescfs holds the devfs below it busy).
        var expectedLeft = failingUnmount == 2 ? new[] { Root + "/dev", Root + "/dev/fd" } : new[] { failed };
        var targets = busy.TargetObject is JailMount one ? new[] { one } : Assert.IsType<JailMount[]>(busy.TargetObject);
        Assert.Equal(failed, targets[0].MountPoint);
        Assert.Equal(expectedLeft.OrderBy(x => x), targets.Select(t => t.MountPoint).OrderBy(x => x));
        Assert.Equal(0, _f.RunningCount());                       // the jail itself is gone
        Assert.Equal(expectedLeft.OrderBy(x => x), Beneath().Select(m => m.On).OrderBy(x => x));  // only the busy mounts stayed...
        Assert.Equal(expectedLeft.OrderBy(x => x), Ledger().Select(l => l.MountPoint).OrderBy(x => x)); // ...and the ledger still knows them

        var lifecycle = _f.Lifecycle();
        Assert.True(lifecycle.NeedsUnmountCleanup("web", spec, Root));
        PlanRunner.Execute(lifecycle.PlanUnmountCleanup("web", spec, Root, force: false), _f);
        AssertNothingLeft();
        Assert.False(_f.Lifecycle().NeedsUnmountCleanup("web", spec, Root));
    }

    [Fact]
    public void A_mount_in_use_stops_the_stop_until_forced()
    {
        var spec = DefineEveryKind();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        _f.Sim.Kernel.SetMountBusy(Root + "/basejail", 1);

        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false, Root), _f));
        Assert.Equal("JailMountBusy", ((JailOperationException)ex.InnerException!).ErrorId);
        // Still busy: a plain second stop reports it again.
        Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanUnmountCleanup("web", spec, Root, force: false), _f));
        PlanRunner.Execute(_f.Lifecycle().PlanUnmountCleanup("web", spec, Root, force: true), _f);
        AssertNothingLeft();
    }

    [Fact]
    public void A_mount_JailPS_did_not_make_is_reported_as_leaked_with_a_warning()
    {
        var spec = DefineEveryKind();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        _f.Host.Files.CreateDirectory(Root + "/mnt");
        // Someone mounts a tmpfs by hand (no ledger entry, not in the definition).
        Assert.Equal(0, JailMounter.CallNmount(_f.Host.MountLibc,
            new[] { new MountOption("fstype", "tmpfs"), new MountOption("fspath", Root + "/mnt"), new MountOption("from", "tmpfs") }, out _, out _));

        var lifecycle = _f.Lifecycle();
        PlanRunner.Execute(lifecycle.PlanStop("web", jid, spec, 0, false, Root), _f);
        var leaked = Assert.Single(lifecycle.LeakedMounts);
        Assert.Equal(JailMountState.Leaked, leaked.Status);
        Assert.Equal("/mnt", leaked.JailPath);
        Assert.Contains(_f.Warnings, w => w.Contains(Root + "/mnt"));
        Assert.Equal(Root + "/mnt", Assert.Single(Beneath()).On);
    }

    [Fact]
    public void A_jail_started_by_jail8_has_its_definition_mounts_taken_down()
    {
        var spec = DefineEveryKind();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        _f.Host.Files.DeleteFile(MountLedger.PathOf("web")); // as if jail(8) had mounted them: no ledger
        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false, Root), _f);
        AssertNothingLeft();
    }

    [Fact]
    public void Start_refuses_a_mount_point_that_already_has_a_mount()
    {
        var spec = DefineEveryKind();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        _f.Host.Kernel.Remove(jid); // jail -R: the jail is gone, its mounts are not
        var ex = Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(spec));
        Assert.Equal("JailMountPointBusy", ex.ErrorId);
        Assert.Equal(5, Beneath().Count); // nothing stacked
    }

    [Fact]
    public void A_missing_devfs_ruleset_is_refused_before_anything_is_mounted()
    {
        var spec = DefineEveryKind("devfs_ruleset = 77;");
        var ex = Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(spec));
        Assert.Equal("DevfsRulesetMissing", ex.ErrorId);
        AssertNothingLeft();
    }

    [Fact]
    public void A_missing_mount_point_is_refused_when_its_turn_comes_and_earlier_mounts_are_undone()
    {
        var spec = DefineEveryKind();
        System.IO.Directory.Delete(_f.Host.Files.ToLocalPath(Root + "/proc"));
        // Planned (jail(8) checks a mount point when it mounts: exec.prepare or an earlier mount may create it)...
        var plan = _f.Lifecycle().PlanStart(spec);
        // ...refused at the mount step, with everything before it rolled back.
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(plan, _f));
        Assert.Equal("mount.procfs", ex.FailedStep);
        Assert.Equal("JailMountPointMissing", Assert.IsType<JailOperationException>(ex.InnerException).ErrorId);
        AssertNothingLeft();
    }

    [Fact]
    public void A_symlinked_mount_point_is_refused_already_at_planning()
    {
        var spec = DefineEveryKind();
        System.IO.Directory.Delete(_f.Host.Files.ToLocalPath(Root + "/proc"));
        System.IO.File.CreateSymbolicLink(_f.Host.Files.ToLocalPath(Root + "/proc"), "/etc");
        Assert.Throws<PathEscapeException>(() => _f.Lifecycle().PlanStart(spec));
        AssertNothingLeft();
    }

    [Theory]
    [InlineData("devfs /usr/jails/web/dev devfs rw 0 0", "DevfsRulesetMissing")]
    [InlineData("devfs /usr/jails/web/dev devfs rw,ruleset=99 0 0", "DevfsRulesetMissing")]
    [InlineData("devfs /usr/jails/web/dev devfs rw,ruleset=x 0 0", "JailMountInvalid")]
    public void A_devfs_mount_line_must_name_a_ruleset_with_rules(string line, string errorId)
    {
        _f.Host.Files.CreateDirectory(Root + "/dev");
        var spec = _f.Spec(_f.Define("web", $"mount = \"{line}\";\npersist;"));
        Assert.Equal(errorId, Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(spec)).ErrorId);
        AssertNothingLeft();
    }

    [Fact]
    public void A_devfs_mount_line_with_ruleset_0_is_the_admins_explicit_choice()
    {
        _f.Host.Files.CreateDirectory(Root + "/dev");
        var spec = _f.Spec(_f.Define("web", "mount = \"devfs /usr/jails/web/dev devfs rw,ruleset=0 0 0\";\npersist;"));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        Assert.Contains("mem", _f.Sim.Kernel.DevfsVisibleNodes(Root + "/dev"));
    }

    [Fact]
    public void A_jail_whose_root_is_the_hosts_root_owns_no_host_mount_by_place()
    {
        var spec = _f.Spec(_f.Define("host", "path = /;\npersist;"));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        int jid = _f.Host.Kernel.GetByName("host")!.Jid;
        var lifecycle = _f.Lifecycle();
        PlanRunner.Execute(lifecycle.PlanStop("host", jid, spec, 0, false, "/"), _f);
        Assert.Empty(lifecycle.LeakedMounts);             // the host's /dev is not the jail's leak
        Assert.Empty(_f.Warnings);
        Assert.Contains(_f.Sim.Kernel.Mounts, m => m.MountedOn == "/dev");
    }

    [Fact]
    public void A_jail_path_through_a_host_symlink_matches_its_mounts()
    {
        _f.Host.Files.CreateDirectory("/zroot/jails/web/dev");
        System.IO.Directory.CreateDirectory(_f.Host.Files.ToLocalPath("/usr/jails"));
        System.IO.File.CreateSymbolicLink(_f.Host.Files.ToLocalPath("/usr/jails/linked"), "/zroot/jails/web");
        var spec = _f.Spec(_f.Define("lnk", "path = /usr/jails/linked;\nmount.devfs;\npersist;"));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        Assert.Contains(_f.Sim.Kernel.Mounts, m => m.MountedOn == "/zroot/jails/web/dev");
        var svc = new JailMountService(_f.Host);
        // The kernel reports the resolved path; the definition says /usr/jails/linked.
        var seen = svc.Inspect("lnk", "/zroot/jails/web", JailMountPlanner.ForSpec(spec, _f.Host.Files), running: true, definitionRoot: "/usr/jails/linked");
        var only = Assert.Single(seen);
        Assert.Equal(JailMountState.Mounted, only.Status);
        Assert.Equal("/dev", only.JailPath);
        _f.Host.Files.DeleteFile(MountLedger.PathOf("lnk")); // as if jail(8) had started it
        int jid = _f.Host.Kernel.GetByName("lnk")!.Jid;
        PlanRunner.Execute(_f.Lifecycle().PlanStop("lnk", jid, spec, 0, false, "/zroot/jails/web"), _f);
        Assert.DoesNotContain(_f.Sim.Kernel.Mounts, m => m.MountedOn.StartsWith("/zroot/jails/web/"));
    }

    [Fact]
    public void A_mount_line_outside_the_root_is_refused()
    {
        _f.Host.Files.CreateDirectory("/mnt/elsewhere");
        var spec = _f.Spec(_f.Define("web", "mount = \"tmpfs /mnt/elsewhere tmpfs rw 0 0\";\npersist;"));
        var ex = Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(spec));
        Assert.Equal("JailMountOutsideRoot", ex.ErrorId);
    }

    [Fact]
    public void A_missing_fstab_file_is_refused()
    {
        var spec = _f.Spec(_f.Define("web", "mount.fstab = /etc/fstab.nope;\npersist;"));
        Assert.Equal("JailMountFstabMissing", Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(spec)).ErrorId);
    }

    private void AssertNothingLeft()
    {
        Assert.Empty(Beneath());
        Assert.Empty(Ledger());
        Assert.Equal(0, _f.RunningCount());
    }
}
