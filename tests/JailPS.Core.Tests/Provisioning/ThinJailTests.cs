using System.IO;
using JailPS.Core.Lifecycle;
using JailPS.Core.Provisioning;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// New-Jail -Release -Thin, seed 003's split: the first thin jail of a release extracts it into
/// PARENT/basejail/RELEASE and moves what a jail writes to into PARENT/templates/RELEASE, which
/// links the rest to /basejail; each thin jail is a copy of the template only, with the basejail
/// mounted read-only at ROOT/basejail when it starts.
/// </summary>
public sealed class ThinJailTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly ReleaseMedia _media = new();

    public ThinJailTests()
    {
        _media.SaveInto(_f.Host, _f, "14.3-RELEASE");
    }

    public void Dispose()
    {
        _f.Dispose();
        _media.Dispose();
    }

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    private JailPlan Thin(string name) => _f.Service.PlanCreate(new NewJailRequest { Name = name, Path = "/usr/jails/" + name, Release = "14.3-RELEASE", Thin = true, Persist = true });

    [Fact]
    public void The_first_thin_jail_splits_the_release_and_each_one_copies_only_the_template()
    {
        var first = Thin("app");
        Assert.Equal(new[] { "mkdir", "layout lock", "extract", "template", "copy" }, first.Steps.Select(s => s.Name).Where(n => n != "host file" && n != "write"));
        PlanRunner.Execute(first, _f);
        _f.Service.Invalidate();
        Assert.True(File.Exists(Local("/usr/jails/basejail/14.3-RELEASE/lib/libc.so.7")));
        Assert.False(Directory.Exists(Local("/usr/jails/basejail/14.3-RELEASE/etc")));          // moved to the template
        Assert.Equal("/basejail/bin", new FileInfo(Local("/usr/jails/templates/14.3-RELEASE/bin")).LinkTarget);
        Assert.Equal("/basejail/bin", new FileInfo(Local("/usr/jails/app/bin")).LinkTarget);      // a link, not a copy of the base
        Assert.Equal("FreeBSD 14.3-RELEASE (JailPS test fixture)\n", File.ReadAllText(Local("/usr/jails/app/etc/motd")));
        Assert.False(File.Exists(Local("/usr/jails/app/lib/libc.so.7")));
        Assert.Contains("mount = \"/usr/jails/basejail/14.3-RELEASE /usr/jails/app/basejail nullfs ro 0 0\";", _f.Host.Files.ReadAllText("/etc/jail.conf.d/app.conf"));

        var second = Thin("db");
        Assert.Equal(new[] { "mkdir", "copy" }, second.Steps.Select(s => s.Name).Where(n => n != "host file" && n != "write"));
        _f.Sim.Processes.ClearResponses();
        int before = _f.Sim.Processes.Log.Count;
        PlanRunner.Execute(second, _f);
        Assert.Equal(new[] { "/bin/cp -a /usr/jails/templates/14.3-RELEASE/. /usr/jails/db" },
            _f.Sim.Processes.Log.Skip(before).Select(c => string.Join(" ", c.Arguments)));  // no tar: the base is shared
        _f.Service.Invalidate();

        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("db")!)), _f);
        Assert.Contains(_f.Sim.Kernel.Mounts, m => m.FsType == "nullfs" && m.MountedOn == "/usr/jails/db/basejail");
    }

    [Fact]
    public void A_failed_first_thin_jail_leaves_no_basejail_no_template_and_no_root()
    {
        _f.Sim.Processes.AddResponse(new JailPS.Core.Host.SimulatedResponse { Command = "/bin/cp *", ExitCode = 1, StandardError = "cp: No space left on device\n" });
        Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Thin("app"), _f));
        Assert.False(Directory.Exists(Local("/usr/jails/basejail/14.3-RELEASE")));
        Assert.False(Directory.Exists(Local("/usr/jails/templates/14.3-RELEASE")));
        Assert.False(Directory.Exists(Local("/usr/jails/app")));
        Assert.False(File.Exists(Local("/etc/jail.conf.d/app.conf")));
    }

    [Fact]
    public void Thin_needs_a_release_and_a_half_made_layout_is_refused()
    {
        Assert.Equal("JailReleaseRequired", Assert.Throws<JailOperationException>(() => _f.Service.PlanCreate(new NewJailRequest { Name = "x", Path = "/usr/jails/x", Thin = true })).ErrorId);
        _f.Host.Files.CreateDirectory("/usr/jails/basejail/14.3-RELEASE");
        Assert.Equal("JailBaseJailIncomplete", Assert.Throws<JailOperationException>(() => Thin("app")).ErrorId);
    }
}
