using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Provisioning;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// Save-JailRelease -Source PkgBase: FreeBSD 15's packaged base installed with pkg into the cache
/// as bsdinstall's pkgbase installer does (keys copied into the root first, --repo-conf-dir, ABI and
/// VERSION_* given, update, fetch, install of FreeBSD-set-minimal-jail), recorded only when pkg
/// succeeded; New-Jail -Release then copies that root.
/// </summary>
public sealed class PkgBaseReleaseTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public PkgBaseReleaseTests()
    {
        _f.Host.Files.CreateDirectory("/usr/share/keys/pkg/trusted");
        _f.Host.Files.CreateDirectory("/usr/share/keys/pkgbase-15/trusted");
        _f.WriteFile("/usr/share/keys/pkgbase-15/trusted/awskms-15", "function: sha256\nfingerprint: \"0000\"\n");
    }

    public void Dispose() => _f.Dispose();

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    private JailPlan Save(string release = "15.0-RELEASE", string? mirror = null)
        => new JailReleaseService(_f.Host, _f).PlanSave(new SaveReleaseRequest { Release = release, PkgBase = true, Mirror = mirror });

    [Fact]
    public void The_minimal_jail_set_is_installed_with_the_jails_abi_and_recorded_once_pkg_succeeded()
    {
        var plan = Save();
        string prefix = "/usr/sbin/pkg --rootdir /var/db/jailps/releases/amd64/15.0-RELEASE/root.part --repo-conf-dir /var/db/jailps/releases/amd64/15.0-RELEASE/repos -o IGNORE_OSVERSION=yes -o ABI=FreeBSD:15:amd64 -o VERSION_MAJOR=15 -o VERSION_MINOR=0 ";
        Assert.Equal(new[] { "prepare", prefix + "update", prefix + "install -U -F -y -r FreeBSD-base FreeBSD-set-minimal-jail", prefix + "install -U -y -r FreeBSD-base FreeBSD-set-minimal-jail", "record" },
            plan.Steps.Select(s => s.Name == "pkg" ? s.Description : s.Name));
        PlanRunner.Execute(plan, _f);
        string root = "/var/db/jailps/releases/amd64/15.0-RELEASE/root";
        Assert.True(Directory.Exists(Local(root + "/usr/share/keys/pkgbase-15/trusted")));          // the host's keys, inside the root
        string conf = File.ReadAllText(Local("/var/db/jailps/releases/amd64/15.0-RELEASE/repos/FreeBSD-base.conf"));
        Assert.Contains("url: \"pkg+https://pkg.FreeBSD.org/${ABI}/base_release_${VERSION_MINOR}\"", conf);
        Assert.Contains("fingerprints: \"/usr/share/keys/pkgbase-15\"", conf);
        Assert.Equal(conf, File.ReadAllText(Local(root + "/usr/local/etc/pkg/repos/FreeBSD-base.conf")));
        Assert.Contains(root + "/lib/libc.so.7", _f.Sim.Kernel.ImmutableFiles);
        Assert.Contains(_f.Progress, p => p.PercentComplete > 0 && p.Status.Contains("Installing", StringComparison.Ordinal));

        var cached = new JailReleaseService(_f.Host, _f).List().Single();
        Assert.Equal(("15.0-RELEASE", "pkgbase", true), (cached.Name, cached.Format, cached.Verified));
        Assert.Equal(new[] { PkgBaseRelease.JailSet }, cached.Distributions);
        Assert.Empty(Save().Steps);                                                                  // cached: nothing to do

        // A thick jail of it is a copy of that root, with the release's own version for Update-Jail.
        var create = _f.Service.PlanCreate(new NewJailRequest { Name = "web", Path = "/usr/jails/web", Release = "15.0-RELEASE", Persist = true });
        Assert.Contains(create.Steps, s => s.Description == $"cp -a {root}/. /usr/jails/web");
        PlanRunner.Execute(create, _f);
        Assert.Equal("FreeBSD 15.0-RELEASE (pkgbase, simulated)\n", File.ReadAllText(Local("/usr/jails/web/etc/motd")));
        Assert.Contains("/usr/jails/web/lib/libc.so.7", _f.Sim.Kernel.ImmutableFiles);
        _f.Service.Invalidate();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)), _f);
        _f.Service.Invalidate();
        // A packaged base is updated by pkg inside the jail, never by freebsd-update (which refuses one).
        Assert.StartsWith("jexec web /usr/sbin/pkg upgrade -y -r FreeBSD-base", new JailReleaseUpdater(_f.Service, _f).PlanUpdateJail(_f.Service.Get("web")!).Steps[0].Description);
        Assert.Equal("JailReleaseIsPkgBase", Assert.Throws<JailOperationException>(() => new JailReleaseUpdater(_f.Service, _f).PlanUpdate("15.0-RELEASE", "amd64")).ErrorId);
    }

    [Fact]
    public void Releases_before_15_and_hosts_without_keys_or_pkg_are_refused_before_anything_is_done()
    {
        Assert.Equal("JailReleaseInvalid", Assert.Throws<JailOperationException>(() => Save("14.3-RELEASE")).ErrorId);
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/usr/sbin/pkg -N", ExitCode = 1, StandardError = "pkg: not bootstrapped\n" });
        Assert.Equal("JailPkgNotFound", Assert.Throws<JailOperationException>(() => Save()).ErrorId);
        _f.Sim.Processes.ClearResponses();
        Directory.Delete(Local("/usr/share/keys/pkgbase-15"), recursive: true);
        var keys = Assert.Throws<JailOperationException>(() => Save());
        Assert.Equal("JailPkgBaseKeysMissing", keys.ErrorId);
        Assert.False(Directory.Exists(Local("/var/db/jailps/releases/amd64/15.0-RELEASE")));
    }

    [Fact]
    public void A_failed_or_unverifiable_install_leaves_no_root_and_no_record()
    {
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/usr/sbin/pkg * install -U -y *", ExitCode = 3, StandardError = "pkg: No trusted fingerprint found matching package's certificate\n" });
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Save(), _f));
        Assert.Equal("JailPkgBaseSignatureInvalid", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.False(Directory.Exists(Local("/var/db/jailps/releases/amd64/15.0-RELEASE/root.part")));
        Assert.False(Directory.Exists(Local("/var/db/jailps/releases/amd64/15.0-RELEASE/root")));
        Assert.DoesNotContain(new JailReleaseService(_f.Host, _f).List(), r => r.Verified);
        Assert.Equal("JailReleaseNotCached", Assert.Throws<JailOperationException>(() =>
            _f.Service.PlanCreate(new NewJailRequest { Name = "web", Path = "/usr/jails/web", Release = "15.0-RELEASE" })).ErrorId);
    }

    [Fact]
    public void A_failure_at_any_step_of_a_pkgbase_save_leaves_no_root_and_no_record()
    {
        int steps = Save().Steps.Count;
        for (int i = 0; i < steps; i++)
        {
            var plan = Save();
            string failing = plan.Steps[i].Name;
            plan.Steps[i] = new PlanStep(failing, plan.Steps[i].Description, () => throw new JailOperationException("InjectedFault", "15.0-RELEASE", "injected"));
            var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(plan, _f));
            Assert.Empty(ex.RollbackFailures);
            string dir = "/var/db/jailps/releases/amd64/15.0-RELEASE";
            Assert.False(Directory.Exists(Local(dir + "/root.part")), $"failing at {i} ({failing}): root.part left");
            Assert.False(Directory.Exists(Local(dir + "/root")), $"failing at {i} ({failing}): root left");
            Assert.False(File.Exists(Local(dir + "/release.json")), $"failing at {i} ({failing}): recorded");
            Assert.DoesNotContain(_f.Sim.Kernel.ImmutableFiles, p => p.StartsWith(dir, StringComparison.Ordinal));
        }
    }
}
