using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Provisioning;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// Update-JailRelease: freebsd-update -b on the basejail the thin jails mount, always with
/// --currently-running (never the host's release), then seed 003's database rebuilds inside each
/// running thin jail; "nothing to install" is not a failure.
/// </summary>
public sealed class UpdateReleaseTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private void ThinJail(string name)
    {
        _f.Host.Files.CreateDirectory($"/usr/jails/{name}/basejail");
        _f.Host.Files.CreateDirectory("/usr/jails/basejail/14.3-RELEASE/bin");
        _f.Define(name, $"\tpath = \"/usr/jails/{name}\";\n\tpersist;\n\tmount = \"/usr/jails/basejail/14.3-RELEASE /usr/jails/{name}/basejail nullfs ro 0 0\";");
    }

    private JailReleaseUpdater Updater() => new(_f.Service, _f);

    [Fact]
    public void The_basejail_is_updated_once_with_its_own_release_and_running_jails_rebuild_their_databases()
    {
        ThinJail("app");
        ThinJail("db");
        _f.Service.Invalidate();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("app")!)), _f);
        var plan = Updater().PlanUpdate("14.3-RELEASE", "amd64");
        string fetch = "/usr/sbin/freebsd-update --not-running-from-cron -b /usr/jails/basejail/14.3-RELEASE -d /var/db/jailps/freebsd-update/14.3-RELEASE -f /etc/freebsd-update.conf --currently-running 14.3-RELEASE fetch";
        Assert.Equal(fetch, plan.Steps[0].Description);
        Assert.EndsWith("--currently-running 14.3-RELEASE install", plan.Steps[1].Description);
        Assert.Contains(plan.Notes, n => n.Contains("jail db is stopped", StringComparison.Ordinal));
        int before = _f.Sim.Processes.Log.Count;
        PlanRunner.Execute(plan, _f);
        var ran = _f.Sim.Processes.Log.Skip(before).ToList();
        Assert.Equal(2, ran.Count(c => c.Arguments[0] == "/usr/sbin/freebsd-update"));
        Assert.Equal(new[] { "/usr/bin/cap_mkdb /etc/login.conf", "/usr/sbin/services_mkdb -q -o /var/db/services.db /etc/services", "/usr/sbin/pwd_mkdb -d /etc -p /etc/master.passwd" },
            ran.Where(c => c.Jid is not null).Select(c => string.Join(" ", c.Arguments)));
        Assert.All(ran.Where(c => c.Jid is not null), c => Assert.Equal("app", c.Jail));
    }

    [Fact]
    public void Nothing_to_install_is_not_a_failure_but_a_failed_fetch_is()
    {
        ThinJail("app");
        _f.Service.Invalidate();
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "* install", ExitCode = 1, StandardOutput = "No updates are available to install.\nRun '/usr/sbin/freebsd-update fetch' first.\n" });
        PlanRunner.Execute(Updater().PlanUpdate("14.3-RELEASE", "amd64"), _f);
        _f.Sim.Processes.ClearResponses();
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "* fetch", ExitCode = 1, StandardError = "The update metadata is correctly signed, but failed an integrity check.\n" });
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Updater().PlanUpdate("14.3-RELEASE", "amd64"), _f));
        var cause = (JailOperationException)ex.InnerException!;
        Assert.Equal("JailReleaseUpdateFailed", cause.ErrorId);
        Assert.Contains("integrity check", cause.Message);
    }

    [Fact]
    public void A_release_no_jail_mounts_is_not_found()
        => Assert.Equal("JailBaseJailNotFound", Assert.Throws<JailOperationException>(() => Updater().PlanUpdate("14.3-RELEASE", "amd64")).ErrorId);
    private void ThickJail(string name, string? freebsdVersion)
    {
        _f.Host.Files.CreateDirectory($"/usr/jails/{name}/bin");
        _f.Host.Files.CreateDirectory($"/usr/jails/{name}/etc");
        if (freebsdVersion is not null) _f.WriteFile($"/usr/jails/{name}/bin/freebsd-version", freebsdVersion);
        _f.Define(name, $"\tpath = \"/usr/jails/{name}\";\n\tpersist;\n\t$jailps_release = \"14.3-RELEASE amd64\";");
        _f.Service.Invalidate();
    }

    [Fact]
    public void Update_jail_runs_freebsd_update_inside_the_running_jail_with_the_release_its_userland_says()
    {
        ThickJail("web", "#!/bin/sh\nUSERLAND_VERSION=\"14.2-RELEASE-p3\"\n: ${ROOT:=}\n");
        Assert.Equal("JailNotRunning", Assert.Throws<JailOperationException>(() => Updater().PlanUpdateJail(_f.Service.Get("web")!)).ErrorId);
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)), _f);
        _f.Service.Invalidate();
        var plan = Updater().PlanUpdateJail(_f.Service.Get("web")!);
        Assert.Equal("jexec web /usr/sbin/freebsd-update --not-running-from-cron --currently-running 14.2-RELEASE fetch", plan.Steps[0].Description);
        int before = _f.Sim.Processes.Log.Count;
        PlanRunner.Execute(plan, _f);
        var ran = _f.Sim.Processes.Log.Skip(before).ToList();
        Assert.Equal(2 + DatabaseRebuildCount, ran.Count);                     // fetch, install, then the rebuilds
        Assert.All(ran, c => Assert.NotNull(c.Jid));                            // every one inside the jail, none on the host
    }

    private static int DatabaseRebuildCount => JailReleaseUpdater.DatabaseRebuilds.Count;

    [Fact]
    public void Update_jail_falls_back_to_the_recorded_release_and_follows_no_planted_link()
    {
        ThickJail("web", null);
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)), _f);
        _f.Service.Invalidate();
        Assert.EndsWith("--currently-running 14.3-RELEASE fetch", Updater().PlanUpdateJail(_f.Service.Get("web")!).Steps[0].Description);
        // A jail's root user could make bin/freebsd-version a link to a host file: it is not read.
        _f.WriteFile("/etc/fake-version", "USERLAND_VERSION=\"9.9-RELEASE\"\n");
        File.CreateSymbolicLink(_f.Host.Files.ToLocalPath("/usr/jails/web/bin/freebsd-version"), "/etc/fake-version");
        Assert.Throws<JailPS.Core.Host.SafePath.PathEscapeException>(() => Updater().PlanUpdateJail(_f.Service.Get("web")!));
    }

    [Fact]
    public void Update_jail_refuses_a_thin_jail_and_names_its_release()
    {
        ThinJail("app");
        _f.Service.Invalidate();
        var ex = Assert.Throws<JailOperationException>(() => Updater().PlanUpdateJail(_f.Service.Get("app")!));
        Assert.Equal("JailIsThin", ex.ErrorId);
        Assert.Contains("Update-JailRelease 14.3-RELEASE", ex.RecommendedAction);
    }
}
