using System.IO;
using JailPS.Core.Lifecycle;
using JailPS.Core.Processes;
using JailPS.Core.Provisioning;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// Get-JailDataset and the snapshot cmdlets' logic: a jail's datasets found from its root's zfs
/// mount, snapshots taken recursively, a rollback refused while the jail runs and destroying the
/// later snapshots, and one zfs list for any number of jails.
/// </summary>
public sealed class JailSnapshotTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public JailSnapshotTests()
    {
        Assert.Equal(0, Zfs("create", "-o", "mountpoint=/usr/jails", "zroot/jails").ExitCode);
        Assert.Equal(0, Zfs("create", "zroot/jails/web").ExitCode);
        Assert.Equal(0, Zfs("create", "zroot/jails/web/data").ExitCode);
        Assert.Equal(0, Zfs("create", "-o", "jailed=on", "zroot/jails/shared").ExitCode);
        _f.Define("web", "\tpath = \"/usr/jails/web\";\n\tpersist;\n\tzfs.dataset = \"zroot/jails/shared\";");
        _f.Host.Files.CreateDirectory("/usr/jails/plain");
        _f.Define("plain", "\tpath = \"/usr/jails/plain/x\";\n\tpersist;");
        _f.Service.Invalidate();
    }

    public void Dispose() => _f.Dispose();

    private ProcessResult Zfs(params string[] args)
        => _f.Sim.Processes.Run(new ProcessRequest { Arguments = new[] { "/sbin/zfs" }.Concat(args).ToArray(), Purpose = "test" });

    private JailDatasetService Service => new(_f.Service);

    private Jail Web => _f.Service.Get("web")!;

    [Fact]
    public void A_jails_datasets_are_its_root_its_children_and_what_zfs_dataset_hands_it()
    {
        int before = _f.Sim.Processes.Log.Count;
        var ds = Service.DatasetsOf(_f.Service.GetAll().ToList()).ToList();
        Assert.Equal(new[] { ("web", "zroot/jails/shared", JailDatasetRole.Delegated), ("web", "zroot/jails/web", JailDatasetRole.Root), ("web", "zroot/jails/web/data", JailDatasetRole.Child) },
            ds.Select(d => (d.JailName, d.Dataset, d.RoleKind)).OrderBy(x => x.Dataset));
        Assert.Equal(1, _f.Sim.Processes.Log.Count - before);     // one zfs list for every jail
        Assert.Equal("/usr/jails/web/data", ds.Single(d => d.RoleKind == JailDatasetRole.Child).Mountpoint);
    }

    [Fact]
    public void Snapshot_restore_and_remove_act_on_the_whole_root_tree()
    {
        File.WriteAllText(_f.Host.Files.ToLocalPath("/usr/jails/web/data/db"), "v1");
        PlanRunner.Execute(Service.PlanSnapshot(Web, "before"), _f);
        Assert.Contains("zroot/jails/web/data@before", _f.Sim.Kernel.ZfsDatasets.Select(d => d.Name));
        Assert.Equal("JailSnapshotExists", Assert.Throws<JailOperationException>(() => Service.PlanSnapshot(Web, "before")).ErrorId);
        Assert.Equal("JailSnapshotInvalid", Assert.Throws<JailOperationException>(() => Service.PlanSnapshot(Web, "jailps-x")).ErrorId);
        PlanRunner.Execute(Service.PlanSnapshot(Web, "after"), _f);
        File.WriteAllText(_f.Host.Files.ToLocalPath("/usr/jails/web/data/db"), "v2");

        Assert.Equal(new[] { "before", "after" }, Service.SnapshotsOf(new[] { Web }).Select(s => s.SnapshotName));
        var restore = Service.PlanRestore(Web, "before");
        Assert.Equal(2, restore.Steps.Count);                               // the root and its child
        Assert.Contains("destroys the later snapshots: after", restore.Steps[0].Description);
        PlanRunner.Execute(restore, _f);
        Assert.Equal("v1", File.ReadAllText(_f.Host.Files.ToLocalPath("/usr/jails/web/data/db")));
        Assert.Equal(new[] { "before" }, Service.SnapshotsOf(new[] { Web }).Select(s => s.SnapshotName));

        PlanRunner.Execute(Service.PlanRemoveSnapshot(Web, "before"), _f);
        Assert.DoesNotContain(_f.Sim.Kernel.ZfsDatasets, d => d.Name.Contains("@before"));
        Assert.Equal("JailSnapshotNotFound", Assert.Throws<JailOperationException>(() => Service.PlanRemoveSnapshot(Web, "before")).ErrorId);
    }

    [Fact]
    public void A_running_jail_is_not_rolled_back_and_a_root_off_zfs_has_no_snapshots()
    {
        PlanRunner.Execute(Service.PlanSnapshot(Web, "s"), _f);
        Zfs("set", "jailed=on", "zroot/jails/shared");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)), _f);
        _f.Service.Invalidate();
        Assert.Equal("JailIsRunning", Assert.Throws<JailOperationException>(() => Service.PlanRestore(_f.Service.Get("web")!, "s")).ErrorId);
        _f.Host.Files.CreateDirectory("/usr/jails/plain/x");
        Assert.Equal("JailDatasetNotFound", Assert.Throws<JailOperationException>(() => Service.PlanSnapshot(_f.Service.Get("plain")!, "s")).ErrorId);
    }
}
