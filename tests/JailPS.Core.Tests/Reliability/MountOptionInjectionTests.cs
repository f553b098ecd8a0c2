using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Reliability;

/// <summary>
/// Reliability A: a mount option can never say where or what is mounted. nmount(2) keeps only the
/// last of equal options, so "fspath=/etc" after JailPS's own fspath would move the mount, and
/// "target=/x" would change the nullfs source while the ledger records the checked one. Such options
/// are refused before any system call, in jail.conf `mount` lines, mount.fstab files and requests alike.
/// </summary>
public sealed class MountOptionInjectionTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private const string Root = "/usr/jails/web";

    public static TheoryData<string> LocationOptions => new()
    {
        "fspath=/etc", "target=/etc", "from=/etc", "fstype=tmpfs", "errmsg=x", "update", "fsid=1", "reload",
        "snapshot", "cover", "nofspath", "notarget", "ro,fspath=/etc",
    };

    [Theory]
    [MemberData(nameof(LocationOptions))]
    public void A_mount_line_with_a_location_option_is_refused_before_any_syscall(string options)
    {
        _f.Host.Files.CreateDirectory("/usr/jails/base");
        _f.Host.Files.CreateDirectory(Root + "/basejail");
        var spec = _f.Spec(_f.Define("web", $"mount = \"/usr/jails/base {Root}/basejail nullfs {options} 0 0\";\npersist;"));
        _f.Sim.Kernel.ResetCounts();

        var ex = Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(spec));

        Assert.Equal("JailMountOptionNotAllowed", ex.ErrorId);
        Assert.Contains("not allowed", ex.Message);
        Assert.Contains("mount:", ex.Message);
        Assert.Equal(0, _f.Sim.Kernel.CallCounts["nmount"]);
        Assert.DoesNotContain(_f.Sim.Kernel.Mounts, m => m.MountedOn == "/etc" || m.MountedOn.StartsWith(Root + "/"));
    }

    [Fact]
    public void A_mount_fstab_entry_with_fspath_is_refused_and_names_the_fstab_field_to_use()
    {
        _f.Host.Files.CreateDirectory(Root + "/tmp");
        _f.WriteFile("/etc/fstab.web", $"tmpfs {Root}/tmp tmpfs rw,size=1m,fspath=/etc 0 0\n");
        var spec = _f.Spec(_f.Define("web", "mount.fstab = \"/etc/fstab.web\";\npersist;"));
        _f.Sim.Kernel.ResetCounts();

        var ex = Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(spec));

        Assert.Equal("JailMountOptionNotAllowed", ex.ErrorId);
        Assert.Contains("mount.fstab", ex.Message);
        Assert.Contains("fspath=/etc", ex.Message);
        Assert.Contains("second field", ex.RecommendedAction);
        Assert.Equal("fspath=/etc", ex.TargetObject);
        Assert.Equal(0, _f.Sim.Kernel.CallCounts["nmount"]);
    }

    [Theory]
    [InlineData("fspath=/etc", "-Target")]
    [InlineData("target=/etc", "-Source")]
    [InlineData("from=/etc", "-Source")]
    [InlineData("fstype=nullfs", "-Type")]
    public void A_request_from_the_cmdlet_is_refused_with_the_parameter_to_use(string option, string parameter)
    {
        var options = MountRequest.ParseOptions(option);
        var ex = Assert.Throws<JailOperationException>(() =>
            new MountRequest("nullfs", "/usr/jails/base", Root + "/basejail", options, JailMountPlanner.OriginCmdlet));
        Assert.Equal("JailMountOptionNotAllowed", ex.ErrorId);
        Assert.Contains(parameter, ex.RecommendedAction);
    }

    [Theory]
    [InlineData("nfs", "addr=10.0.0.1", true)]
    [InlineData("nfs", "hostname=srv:/export", true)]
    [InlineData("tmpfs", "hostname=x", false)]
    public void Nfs_server_options_are_location_options_for_nfs_only(string fsType, string option, bool refused)
    {
        var options = MountRequest.ParseOptions(option);
        if (refused)
            Assert.Equal("JailMountOptionNotAllowed", Assert.Throws<JailOperationException>(() => MountRequest.CheckOptions(fsType, options, "web", "mount")).ErrorId);
        else
            MountRequest.CheckOptions(fsType, options, "web", "mount");
    }

    [Fact]
    public void Ordinary_options_still_mount_where_checked()
    {
        _f.Host.Files.CreateDirectory("/usr/jails/base");
        foreach (string d in new[] { "basejail", "tmp", "dev" })
            _f.Host.Files.CreateDirectory($"{Root}/{d}");
        var spec = _f.Spec(_f.Define("web", $$"""
            mount = "/usr/jails/base {{Root}}/basejail nullfs ro,nosuid,noexec 0 0";
            mount += "tmpfs {{Root}}/tmp tmpfs rw,size=64m,mode=1777,nocover 0 0";
            mount += "devfs {{Root}}/dev devfs rw,ruleset=4 0 0";
            persist;
            """));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        Assert.Equal(new[] { Root + "/basejail", Root + "/tmp", Root + "/dev" },
            _f.Sim.Kernel.Mounts.Where(m => m.MountedOn.StartsWith(Root + "/")).Select(m => m.MountedOn));
        Assert.Equal("/usr/jails/base", _f.Sim.Kernel.Mounts.Single(m => m.MountedOn == Root + "/basejail").MountedFrom);
    }

    [Fact]
    public void A_definition_changed_to_carry_a_refused_option_can_still_be_stopped()
    {
        _f.Host.Files.CreateDirectory(Root + "/tmp");
        var spec = _f.Spec(_f.Define("web", $"mount = \"tmpfs {Root}/tmp tmpfs rw 0 0\";\npersist;"));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        // Someone edits the definition while the jail runs.
        var changed = _f.Spec(_f.Define("web", $"mount = \"tmpfs {Root}/tmp tmpfs rw,fspath=/etc 0 0\";\npersist;"));

        var plan = _f.Lifecycle().PlanStop("web", jid, changed, 0, false, Root);
        Assert.Contains(plan.Notes, n => n.Contains("JailMountOptionNotAllowed") || n.Contains("not allowed"));
        PlanRunner.Execute(plan, _f);

        Assert.Equal(0, _f.RunningCount());
        Assert.DoesNotContain(_f.Sim.Kernel.Mounts, m => m.MountedOn.StartsWith(Root + "/"));
    }
}
