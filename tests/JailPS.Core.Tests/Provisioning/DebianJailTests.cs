using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Provisioning;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// New-Jail -Distribution Debian, seeds 000/001: the Linux ABI and debootstrap checked first,
/// debootstrap with the seed's exclusions adapted to the suite, the seeds' file systems (linprocfs,
/// linsysfs, tmpfs /run, devfs ruleset 4, fdescfs), /dev/shm made by the jail's own exec.start,
/// hostname and hosts beneath the root; a failed debootstrap leaves nothing.
/// </summary>
public sealed class DebianJailTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    private JailPlan Create(string name = "deb", string? suite = "bookworm", string? hostname = "deb.example.org")
        => _f.Service.PlanCreate(new NewJailRequest
        {
            Name = name, Path = "/usr/jails/" + name, Distribution = "Debian", Suite = suite, Hostname = hostname,
            IPv4Address = new[] { "10.1.0.30" }, IPv6Address = new[] { "em0|2001:db8::30/64" }, Persist = true,
        });

    [Fact]
    public void A_debian_jail_is_debootstrapped_with_the_seeds_mounts_and_boots_with_sysv_rc()
    {
        _f.WriteFile("/etc/resolv.conf", "nameserver 10.1.0.1\n");
        var plan = Create();
        Assert.Equal(new[] { "mkdir", "debootstrap", "hostname", "hosts", "write" }, plan.Steps.Select(s => s.Name));
        Assert.StartsWith("/usr/local/sbin/debootstrap --arch=amd64 --include=sysvinit-core --exclude=dmidecode,isc-dhcp-client,isc-dhcp-common,systemd-sysv bookworm /usr/jails/deb http://deb.debian.org/debian",
            plan.Steps[1].Description);
        PlanRunner.Execute(plan, _f);
        Assert.Equal("12.12\n", File.ReadAllText(Local("/usr/jails/deb/etc/debian_version")));
        Assert.Equal("deb.example.org\n", File.ReadAllText(Local("/usr/jails/deb/etc/hostname")));
        Assert.EndsWith("10.1.0.30\tdeb.example.org deb\n2001:db8::30\tdeb.example.org deb\n", File.ReadAllText(Local("/usr/jails/deb/etc/hosts")));
        Assert.Equal("nameserver 10.1.0.1\n", File.ReadAllText(Local("/usr/jails/deb/etc/resolv.conf")));
        string status = File.ReadAllText(Local("/usr/jails/deb/var/lib/dpkg/status"));
        Assert.Contains("Package: sysvinit-core", status);
        Assert.DoesNotContain("Package: systemd-sysv", status);
        Assert.DoesNotContain("Package: isc-dhcp-client", status);
        Assert.Contains(_f.Progress, p => p.ActivityId == LinuxJailBuilder.ProgressActivity && p.Status.StartsWith("Extracting", StringComparison.Ordinal));

        string conf = _f.Host.Files.ReadAllText("/etc/jail.conf.d/deb.conf")!;
        Assert.Contains("\"linprocfs /usr/jails/deb/proc linprocfs rw 0 0\"", conf);
        Assert.Contains("devfs_ruleset = 4;", conf);
        Assert.Contains("mount.fdescfs;", conf);
        Assert.Contains("\"/bin/ln -sfn /run/shm /dev/shm\"", conf);

        _f.Service.Invalidate();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("deb")!)), _f);
        var mounted = _f.Sim.Kernel.Mounts.Where(m => m.MountedOn.StartsWith("/usr/jails/deb/", StringComparison.Ordinal)).Select(m => m.FsType).ToArray();
        Assert.Equal(new[] { "linprocfs", "linsysfs", "tmpfs", "devfs", "fdescfs" }, mounted);
        Assert.Equal(4, _f.Sim.Kernel.Mounts.Single(m => m.MountedOn == "/usr/jails/deb/dev").DevfsRuleset);
    }

    [Fact]
    public void Trixie_excludes_its_own_dhcp_client()
    {
        Assert.Contains("--exclude=dmidecode,dhcpcd-base,systemd-sysv trixie", Create(suite: "trixie").Steps[1].Description);
    }

    [Fact]
    public void Without_the_linux_abi_or_debootstrap_nothing_is_done_and_the_error_names_what_is_missing()
    {
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/sbin/kldstat -q -m linux64elf", ExitCode = 1 });
        var abi = Assert.Throws<JailOperationException>(() => Create());
        Assert.Equal("JailLinuxAbiNotLoaded", abi.ErrorId);
        Assert.Contains("linux64", abi.Message);
        Assert.Contains("service linux start", abi.RecommendedAction);
        _f.Sim.Processes.ClearResponses();
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/usr/local/sbin/debootstrap --version", ExitCode = 127, StandardError = "/usr/local/sbin/debootstrap: not found\n" });
        Assert.Equal("JailDebootstrapNotFound", Assert.Throws<JailOperationException>(() => Create()).ErrorId);
        Assert.False(Directory.Exists(Local("/usr/jails/deb")));
    }

    [Fact]
    public void A_failed_debootstrap_leaves_no_root_and_no_definition()
    {
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/usr/local/sbin/debootstrap --arch=*", ExitCode = 1, StandardOutput = "I: Retrieving InRelease\n", StandardError = "E: Failed getting release file http://deb.debian.org/debian/dists/bookworm/InRelease\n" });
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Create(), _f));
        var cause = Assert.IsType<JailOperationException>(ex.InnerException);
        Assert.Equal("JailDebootstrapFailed", cause.ErrorId);
        Assert.Contains("Failed getting release file", cause.Message);
        Assert.False(Directory.Exists(Local("/usr/jails/deb")));
        Assert.False(File.Exists(Local("/etc/jail.conf.d/deb.conf")));
    }

    [Fact]
    public void A_debian_jail_on_zfs_gets_a_dataset_and_a_loopback_resolver_is_warned_about()
    {
        Assert.Equal(0, _f.Sim.Processes.Run(new JailPS.Core.Processes.ProcessRequest { Arguments = new[] { "/sbin/zfs", "create", "-o", "mountpoint=/usr/jails", "zroot/jails" } }).ExitCode);
        _f.WriteFile("/etc/resolv.conf", "nameserver 127.0.0.1\n");
        var plan = Create(hostname: null);
        Assert.Equal(new[] { "dataset", "debootstrap", "write" }, plan.Steps.Select(s => s.Name));
        Assert.Contains(_f.Warnings, w => w.Contains("127.0.0.1", StringComparison.Ordinal));
        PlanRunner.Execute(plan, _f);
        Assert.Equal("zroot/jails/deb", _f.Sim.Kernel.Mounts.Last(m => m.MountedOn == "/usr/jails/deb").MountedFrom);
    }

    [Fact]
    public void A_vnet_debian_jail_is_refused_because_its_network_lives_in_freebsds_rc_conf()
    {
        var ex = Assert.Throws<JailOperationException>(() => _f.Service.PlanCreate(new NewJailRequest { Name = "deb", Path = "/usr/jails/deb", Distribution = "Debian", Vnet = true }));
        Assert.Equal("JailDistributionConflict", ex.ErrorId);
    }
}
