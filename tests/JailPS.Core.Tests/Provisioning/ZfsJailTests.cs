using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Processes;
using JailPS.Core.Provisioning;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// Jail roots on ZFS (seed 003: base.txz into a dataset), through zfs(8) and the process seam:
/// where the jails' directory is a dataset, each root is a dataset of its own; a thick jail is a
/// clone of a snapshot of the release dataset (nothing copied), a thin jail a new dataset holding
/// a copy of the template; -DeleteRoot destroys the dataset; zfs.dataset hands a jailed dataset
/// to the jail. The simulated zfs answers from its pool model, as zfs(8) would.
/// </summary>
public sealed class ZfsJailTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly ReleaseMedia _media = new();

    public ZfsJailTests()
    {
        _media.SaveInto(_f.Host, _f, "14.3-RELEASE");
        Assert.Equal(0, Zfs("create", "-o", "mountpoint=/usr/jails", "zroot/jails").ExitCode);
        _f.Sim.Processes.ClearResponses();
    }

    public void Dispose()
    {
        _f.Dispose();
        _media.Dispose();
    }

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    private ProcessResult Zfs(params string[] args)
        => _f.Sim.Processes.Run(new ProcessRequest { Arguments = new[] { "/sbin/zfs" }.Concat(args).ToArray(), Purpose = "test" });

    private string[] Datasets() => _f.Sim.Kernel.ZfsDatasets.Select(d => d.Name).ToArray();

    private JailPlan Create(string name, bool thin = false, string? release = "14.3-RELEASE")
        => _f.Service.PlanCreate(new NewJailRequest { Name = name, Path = "/usr/jails/" + name, Release = release, Thin = thin, Persist = true });

    private string[] CommandsSince(int before) => _f.Sim.Processes.Log.Skip(before).Select(c => string.Join(" ", c.Arguments)).ToArray();

    [Fact]
    public void The_simulated_zfs_answers_like_zfs8()
    {
        var list = Zfs("list", "-H", "-p", "-o", "name,mountpoint,origin", "-r", "zroot");
        Assert.Equal("zroot\tnone\t-\nzroot/ROOT\tnone\t-\nzroot/ROOT/default\t/\t-\nzroot/jails\t/usr/jails\t-\n", list.StandardOutput);
        Assert.Contains(_f.Sim.Kernel.Mounts, m => m.FsType == "zfs" && m.MountedOn == "/usr/jails" && m.MountedFrom == "zroot/jails");

        var missing = Zfs("list", "zroot/nope");
        Assert.Equal((1, "cannot open 'zroot/nope': dataset does not exist\n"), (missing.ExitCode, missing.StandardError));
        Assert.Equal("cannot create 'zroot/jails': dataset already exists\n", Zfs("create", "zroot/jails").StandardError);
        Assert.Equal("cannot create 'zroot/a/b': parent does not exist\n", Zfs("create", "zroot/a/b").StandardError);
        Assert.Equal(2, Zfs("create").ExitCode);                                        // usage

        Assert.Equal(0, Zfs("create", "-p", "zroot/jails/a/b").ExitCode);               // parents made, mounted by inheritance
        Assert.True(Directory.Exists(Local("/usr/jails/a/b")));
        File.WriteAllText(Local("/usr/jails/a/b/file"), "data");
        Assert.Equal(0, Zfs("snapshot", "zroot/jails/a/b@one").ExitCode);
        Assert.Equal("cannot create snapshot 'zroot/jails/a/b@one': dataset already exists\n", Zfs("snapshot", "zroot/jails/a/b@one").StandardError);
        Assert.Equal(0, Zfs("clone", "zroot/jails/a/b@one", "zroot/jails/c").ExitCode);
        Assert.Equal("data", File.ReadAllText(Local("/usr/jails/c/file")));
        Assert.Equal("zroot/jails/a/b@one\n", Zfs("get", "-H", "-o", "value", "origin", "zroot/jails/c").StandardOutput);
        Assert.Equal("0\n", Zfs("list", "-H", "-p", "-o", "used", "zroot/jails/c").StandardOutput);   // a clone holds nothing of its own yet

        var children = Zfs("destroy", "zroot/jails/a");
        Assert.Equal((1, "cannot destroy 'zroot/jails/a': filesystem has children\nuse '-r' to destroy the following datasets:\nzroot/jails/a/b\nzroot/jails/a/b@one\n"), (children.ExitCode, children.StandardError));
        var clones = Zfs("destroy", "-r", "zroot/jails/a");
        Assert.StartsWith("cannot destroy 'zroot/jails/a/b@one': snapshot has dependent clones\nuse '-R' to destroy the following datasets:\nzroot/jails/c", clones.StandardError);

        Directory.CreateDirectory(Local("/usr/jails/c/dev"));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Define("c", "\tpath = \"/usr/jails/c\";\n\tpersist;\n\tmount.devfs;"))), _f);
        Assert.Equal("cannot unmount '/usr/jails/c': pool or dataset is busy\n", Zfs("destroy", "zroot/jails/c").StandardError);
        Assert.True(File.Exists(Local("/usr/jails/c/file")));
    }

    [Fact]
    public void A_thick_jail_is_a_clone_of_the_release_dataset_and_writes_nothing_but_the_new_files()
    {
        var first = Create("web");
        Assert.Equal(new[] { "release dataset", "release dataset", "extract", "complete", "clone", "write" }, first.Steps.Select(s => s.Name).Where(n => n != "host file"));
        PlanRunner.Execute(first, _f);
        Assert.Contains("zroot/jails/releases/14.3-RELEASE@jailps-web", Datasets());
        Assert.Equal("zroot/jails/web", _f.Sim.Kernel.Mounts.Last(m => m.MountedOn == "/usr/jails/web").MountedFrom);
        Assert.Equal("FreeBSD 14.3-RELEASE (JailPS test fixture)\n", File.ReadAllText(Local("/usr/jails/web/etc/motd")));

        _f.Service.Invalidate();
        var second = Create("app");
        Assert.Equal(new[] { "clone", "write" }, second.Steps.Select(s => s.Name).Where(n => n != "host file"));
        int before = _f.Sim.Processes.Log.Count;
        PlanRunner.Execute(second, _f);
        var spawned = CommandsSince(before);
        Assert.DoesNotContain(spawned, c => c.StartsWith("/usr/bin/tar", StringComparison.Ordinal) || c.StartsWith("/bin/cp", StringComparison.Ordinal));
        Assert.Contains("/sbin/zfs snapshot zroot/jails/releases/14.3-RELEASE@jailps-app", spawned);
        Assert.Contains("/sbin/zfs clone zroot/jails/releases/14.3-RELEASE@jailps-app zroot/jails/app", spawned);
        Assert.True(File.Exists(Local("/usr/jails/app/lib/libc.so.7")));
        // What the new jail holds of its own: the files the host wrote into it (resolv.conf, localtime), no more.
        long own = long.Parse(Zfs("list", "-H", "-p", "-o", "used", "zroot/jails/app").StandardOutput.Trim());
        long hostFiles = new[] { "/etc/resolv.conf", "/etc/localtime" }.Where(_f.Host.Files.FileExists).Sum(p => new FileInfo(Local("/usr/jails/app" + p)).Length);
        Assert.Equal(hostFiles, own);
    }

    [Fact]
    public void A_thin_jail_on_zfs_is_a_new_dataset_with_a_copy_of_the_template()
    {
        PlanRunner.Execute(Create("app", thin: true), _f);
        Assert.Equal("zroot/jails/app", _f.Sim.Kernel.Mounts.Last(m => m.MountedOn == "/usr/jails/app").MountedFrom);
        Assert.Equal("/basejail/bin", new FileInfo(Local("/usr/jails/app/bin")).LinkTarget);
        Assert.True(File.Exists(Local("/usr/jails/basejail/14.3-RELEASE/lib/libc.so.7")));
        Assert.Equal(new[] { "dataset", "copy", "write" }, Create("db", thin: true).Steps.Select(s => s.Name).Where(n => n != "host file"));
    }

    [Fact]
    public void An_empty_root_without_a_release_is_a_dataset_too()
    {
        var plan = Create("bare", release: null);
        Assert.Equal(new[] { "dataset", "write" }, plan.Steps.Select(s => s.Name));
        Assert.Contains("zfs create zroot/jails/bare", plan.Steps[0].Description);
        PlanRunner.Execute(plan, _f);
        Assert.Contains("zroot/jails/bare", Datasets());
    }

    [Fact]
    public void A_failed_clone_leaves_no_dataset_no_snapshot_and_no_definition()
    {
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/sbin/zfs clone *", ExitCode = 1, StandardError = "cannot create 'zroot/jails/web': out of space\n" });
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Create("web"), _f));
        var cause = Assert.IsType<JailOperationException>(ex.InnerException);
        Assert.Equal("JailZfsFailed", cause.ErrorId);
        Assert.Contains("out of space", cause.Message);
        Assert.Equal(new[] { "zroot", "zroot/ROOT", "zroot/ROOT/default", "zroot/jails" }, Datasets());   // the release dataset this plan made is gone too
        Assert.False(File.Exists(Local("/etc/jail.conf.d/web.conf")));
        Assert.False(Directory.Exists(Local("/usr/jails/web")));
    }

    [Fact]
    public void An_existing_dataset_is_refused_before_anything_is_done()
    {
        Assert.Equal(0, Zfs("create", "-o", "mountpoint=none", "zroot/jails/web").ExitCode);
        Assert.Equal("JailDatasetExists", Assert.Throws<JailOperationException>(() => Create("web")).ErrorId);
    }

    [Fact]
    public void Delete_root_destroys_the_dataset_and_its_snapshot_and_keeps_the_release()
    {
        PlanRunner.Execute(Create("web"), _f);
        _f.Service.Invalidate();
        var plan = _f.Service.PlanRemoveDefinition(_f.Service.FindDefinition("web")!, deleteRoot: true);
        Assert.Contains("zfs destroy -r zroot/jails/web", plan.Steps.Last().Description);
        int before = _f.Sim.Processes.Log.Count;
        PlanRunner.Execute(plan, _f);
        Assert.DoesNotContain(CommandsSince(before), c => c.StartsWith("/bin/rm", StringComparison.Ordinal));  // no file flag stands in a destroy's way
        Assert.DoesNotContain("zroot/jails/web", Datasets());
        Assert.DoesNotContain("zroot/jails/releases/14.3-RELEASE@jailps-web", Datasets());
        Assert.Contains("zroot/jails/releases/14.3-RELEASE", Datasets());
        Assert.False(Directory.Exists(Local("/usr/jails/web")));
    }

    [Fact]
    public void Delete_root_refuses_while_a_jail_mount_is_beneath_the_dataset()
    {
        PlanRunner.Execute(Create("web"), _f);
        _f.Host.Files.CreateDirectory("/usr/jails/web/dev");
        _f.Service.Invalidate();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)), _f);
        _f.Service.Invalidate();
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Service.PlanRemoveDefinition(_f.Service.FindDefinition("web")!, true), _f));
        Assert.Equal("JailRootBusy", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Contains("zroot/jails/web", Datasets());
        _f.Service.Invalidate();
        Assert.NotNull(_f.Service.FindDefinition("web"));
    }

    [Fact]
    public void Zfs_dataset_hands_a_jailed_dataset_to_the_jail_after_exec_created()
    {
        Assert.Equal(0, Zfs("create", "-o", "jailed=on", "zroot/jails/data").ExitCode);
        _f.Host.Files.CreateDirectory("/usr/jails/db");
        var def = _f.Define("db", "\tpath = \"/usr/jails/db\";\n\tpersist;\n\tallow.mount;\n\tallow.mount.zfs;\n\tenforce_statfs = 1;\n\tzfs.dataset = \"zroot/jails/data\";\n\texec.created = \"/usr/bin/true\";");
        var plan = _f.Lifecycle().PlanStart(_f.Spec(def));
        var names = plan.Steps.Select(s => s.Name).ToList();
        Assert.Equal(names.IndexOf("exec.created") + 1, names.IndexOf("zfs.dataset"));
        PlanRunner.Execute(plan, _f);
        int jid = _f.Host.Kernel.GetByName("db")!.Jid;
        Assert.Equal(jid, _f.Sim.Kernel.ZfsDatasets.Single(d => d.Name == "zroot/jails/data").AttachedJid);
        PlanRunner.Execute(_f.Lifecycle().PlanStop("db", jid, _f.Spec(def), 0, force: false), _f);
        Assert.Equal(0, _f.Sim.Kernel.ZfsDatasets.Single(d => d.Name == "zroot/jails/data").AttachedJid);   // let go with the jail
    }

    [Fact]
    public void Zfs_dataset_not_jailed_fails_the_start_and_rolls_it_back()
    {
        Assert.Equal(0, Zfs("create", "zroot/jails/data").ExitCode);
        _f.Host.Files.CreateDirectory("/usr/jails/db");
        var def = _f.Define("db", "\tpath = \"/usr/jails/db\";\n\tpersist;\n\tzfs.dataset = \"zroot/jails/data\";");
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f));
        Assert.Equal("JailDatasetNotJailed", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Null(_f.Host.Kernel.GetByName("db"));
        var bad = _f.Define("x", "\tpath = \"/usr/jails/db\";\n\tzfs.dataset = \"zroot/jails/data@snap\";");
        Assert.Equal("JailParameterInvalidValue", Assert.Throws<JailOperationException>(() => _f.Spec(bad)).ErrorId);
    }
    [Fact]
    public void A_failed_clone_of_a_second_jail_leaves_no_snapshot_behind()
    {
        PlanRunner.Execute(Create("web"), _f);
        _f.Service.Invalidate();
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/sbin/zfs clone *", ExitCode = 1, StandardError = "cannot create 'zroot/jails/app': out of space\n" });
        Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Create("app"), _f));
        Assert.DoesNotContain("zroot/jails/releases/14.3-RELEASE@jailps-app", Datasets());
        Assert.Contains("zroot/jails/releases/14.3-RELEASE@jailps-web", Datasets());
        _f.Sim.Processes.ClearResponses();
        _f.Service.Invalidate();
        PlanRunner.Execute(Create("app"), _f);                       // the name can be used again at once
        Assert.Contains("zroot/jails/app", Datasets());
    }

    [Fact]
    public void A_child_dataset_of_the_root_is_part_of_the_root_not_a_leaked_mount()
    {
        PlanRunner.Execute(Create("web"), _f);
        Assert.Equal(0, Zfs("create", "zroot/jails/web/data").ExitCode);
        _f.Service.Invalidate();
        var def = _f.Service.FindDefinition("web")!;
        var mounts = new JailPS.Core.Mounts.JailMountService(_f.Host).Inspect("web", "/usr/jails/web", Array.Empty<JailPS.Core.Mounts.MountRequest>(), running: false);
        Assert.DoesNotContain(mounts, m => m.MountPoint == "/usr/jails/web/data");
        PlanRunner.Execute(_f.Service.PlanRemoveDefinition(def, deleteRoot: true), _f);
        Assert.DoesNotContain(Datasets(), d => d.StartsWith("zroot/jails/web", StringComparison.Ordinal));
    }

    [Fact]
    public void A_dataset_set_jailed_keeps_its_files_for_its_next_mount()
    {
        Assert.Equal(0, Zfs("create", "zroot/jails/data").ExitCode);
        File.WriteAllText(Local("/usr/jails/data/keep"), "kept");
        Assert.Equal(0, Zfs("set", "jailed=on", "zroot/jails/data").ExitCode);
        Assert.DoesNotContain(_f.Sim.Kernel.Mounts, m => m.MountedFrom == "zroot/jails/data");    // a jailed dataset is not mounted on the host
        Assert.Equal(0, Zfs("set", "jailed=off", "zroot/jails/data").ExitCode);
        Assert.Equal("kept", File.ReadAllText(Local("/usr/jails/data/keep")));
        Assert.Equal(0, Zfs("create", "-p", "zroot/jails/data").ExitCode);                       // -p: what exists is fine
    }

    [Fact]
    public void A_half_made_release_dataset_is_never_cloned_and_a_dataset_made_meanwhile_is_not_taken_as_ours()
    {
        Assert.Equal(0, Zfs("create", "-p", "zroot/jails/releases/14.3-RELEASE").ExitCode);   // extraction killed: no jailps:complete
        Assert.Equal("JailBaseJailIncomplete", Assert.Throws<JailOperationException>(() => Create("web")).ErrorId);
        Assert.Equal(0, Zfs("destroy", "-r", "zroot/jails/releases").ExitCode);

        var plan = Create("web");
        Assert.Equal(0, Zfs("create", "zroot/jails/web").ExitCode);                            // someone else's, after planning
        File.WriteAllText(Local("/usr/jails/web/theirs"), "keep me");
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(plan, _f));
        Assert.Equal("JailDatasetExists", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Equal("keep me", File.ReadAllText(Local("/usr/jails/web/theirs")));             // never destroyed as this plan's
        Assert.DoesNotContain("zroot/jails/releases/14.3-RELEASE", Datasets());                  // what the plan made went
        Assert.DoesNotContain("zroot/jails/releases", Datasets());
    }

    [Fact]
    public void A_zfs_failure_is_not_taken_for_a_missing_dataset()
    {
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/sbin/zfs list -H -o name -t filesystem zroot/jails/web", ExitCode = 1, StandardError = "internal error: Input/output error\n" });
        Assert.Equal("JailZfsFailed", Assert.Throws<JailOperationException>(() => Create("web")).ErrorId);
    }
}
