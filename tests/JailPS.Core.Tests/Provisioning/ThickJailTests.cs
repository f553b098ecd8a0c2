using System.IO;
using System.Security.Cryptography;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Provisioning;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// New-Jail -Release: a thick root extracted from a verified release in the cache with tar through
/// the process seam (on the simulated host, for real inside its directory), the host's resolv.conf
/// and localtime copied in beneath the root, and every failure leaving no root and no definition.
/// </summary>
public sealed class ThickJailTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly ReleaseServer _mirror = new();

    public void Dispose()
    {
        _mirror.Dispose();
        _f.Dispose();
    }

    private static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fixtures", name));

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    private void Save(string fixture = "base.txz")
    {
        _mirror.PutRelease("14.3-RELEASE", new Dictionary<string, byte[]> { ["base.txz"] = Fixture(fixture) });
        PlanRunner.Execute(new JailReleaseService(_f.Host, _f).PlanSave(new SaveReleaseRequest { Release = "14.3-RELEASE", Mirror = _mirror.Url }), _f);
    }

    private JailPlan Create(string name = "web") => _f.Service.PlanCreate(new NewJailRequest { Name = name, Path = "/usr/jails/" + name, Release = "14.3-RELEASE", Persist = true });

    [Fact]
    public void A_thick_jail_is_extracted_with_modes_and_links_and_boots_with_rc()
    {
        _f.WriteFile("/etc/resolv.conf", "nameserver 192.0.2.53\n");
        Save();
        var plan = Create();
        Assert.Contains(plan.Steps, s => s.Description == "tar -xpf /var/db/jailps/releases/amd64/14.3-RELEASE/base.txz -C /usr/jails/web");
        PlanRunner.Execute(plan, _f);
        string root = Local("/usr/jails/web");
        Assert.Equal("FreeBSD 14.3-RELEASE (JailPS test fixture)\n", File.ReadAllText(Path.Combine(root, "etc/motd")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(Path.Combine(root, "lib/libc.so.7")));
        Assert.True(File.GetUnixFileMode(Path.Combine(root, "tmp")).HasFlag(UnixFileMode.StickyBit));
        Assert.Equal("../../bin/sh", new FileInfo(Path.Combine(root, "usr/bin/sh-link")).LinkTarget);
        File.AppendAllText(Path.Combine(root, "bin/["), "same inode\n");
        Assert.EndsWith("same inode\n", File.ReadAllText(Path.Combine(root, "bin/test")));   // a hard link, not a copy
        Assert.Equal("nameserver 192.0.2.53\n", File.ReadAllText(Path.Combine(root, "etc/resolv.conf")));
        string conf = _f.Host.Files.ReadAllText("/etc/jail.conf.d/web.conf")!;
        Assert.Contains("exec.start = \"/bin/sh /etc/rc\";", conf);
        Assert.Contains("mount.devfs;", conf);
        Assert.Contains("$jailps_release = \"14.3-RELEASE amd64\";", conf);
        _f.Service.Invalidate();
        Assert.Equal(new[] { "web" }, new JailReleaseService(_f.Host, _f).List(_f.Service.Definitions).Single().Jails);
        Assert.Equal(new[] { "provision" }, _f.CommandPurposes());   // one tar, nothing else
        _f.Service.Invalidate();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)), _f);
        Assert.NotNull(_f.Host.Kernel.GetByName("web"));
    }

    [Fact]
    public void A_release_that_is_not_cached_or_a_root_that_is_not_empty_is_refused_before_anything_is_done()
    {
        Assert.Equal("JailReleaseNotCached", Assert.Throws<JailOperationException>(() => Create()).ErrorId);
        Save();
        _f.Host.Files.CreateDirectory("/usr/jails/web");
        _f.WriteFile("/usr/jails/web/keep.txt", "someone's file\n");
        Assert.Equal("JailRootNotEmpty", Assert.Throws<JailOperationException>(() => Create()).ErrorId);
        Assert.True(File.Exists(Local("/usr/jails/web/keep.txt")));
    }

    [Fact]
    public void A_failed_extraction_or_a_later_failed_step_leaves_no_root_and_no_definition()
    {
        Save();
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/usr/bin/tar *", ExitCode = 1, StandardError = "tar: Error exit delayed from previous errors.\n" });
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Create(), _f));
        Assert.Equal("JailRootExtractFailed", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.False(Directory.Exists(Local("/usr/jails/web")));
        Assert.False(File.Exists(Local("/etc/jail.conf.d/web.conf")));
        _f.Sim.Processes.ClearResponses();

        // The definition cannot be written: the extracted root goes again (chflags, then rm).
        Directory.CreateDirectory(Local("/etc/jail.conf.d/web.conf"));
        Assert.ThrowsAny<Exception>(() => PlanRunner.Execute(Create(), _f));
        Assert.False(Directory.Exists(Local("/usr/jails/web")));
        Assert.Contains(_f.Sim.Processes.Log, c => string.Join(" ", c.Arguments) == "/bin/chflags -R noschg /usr/jails/web");
        Assert.Contains(_f.Sim.Processes.Log, c => string.Join(" ", c.Arguments) == "/bin/rm -rf /usr/jails/web");
    }

    [Fact]
    public void An_archive_that_reaches_outside_the_root_writes_nothing_outside_it()
    {
        Save("evil.txz");
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Create(), _f));
        var cause = (JailOperationException)ex.InnerException!;
        Assert.Equal("JailRootExtractFailed", cause.ErrorId);
        Assert.False(File.Exists(Local("/escaped-through-link.txt")));
        Assert.False(File.Exists(Local("/usr/jails/escaped-dotdot.txt")));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_f.Sim.Root)!, "escaped-dotdot.txt")));
        Assert.False(Directory.Exists(Local("/usr/jails/web")));   // rolled back
    }

    [Fact]
    public void A_root_behind_an_admins_link_is_built_in_the_real_directory_and_a_rollback_keeps_the_link()
    {
        Save();
        Directory.CreateDirectory(Local("/data/jails"));
        Directory.CreateDirectory(Local("/usr"));
        File.CreateSymbolicLink(Local("/usr/jails"), "/data/jails");
        var plan = Create();
        Assert.Contains(plan.Steps, s => s.Description == "tar -xpf /var/db/jailps/releases/amd64/14.3-RELEASE/base.txz -C /data/jails/web");
        Directory.CreateDirectory(Local("/etc/jail.conf.d/web.conf")); // the definition cannot be written
        Assert.ThrowsAny<Exception>(() => PlanRunner.Execute(plan, _f));
        Assert.Equal("/data/jails", new FileInfo(Local("/usr/jails")).LinkTarget);
        Assert.False(Directory.Exists(Local("/data/jails/web")));
        Assert.Equal("JailRootRefused", Assert.Throws<JailOperationException>(() => _f.Service.PlanCreate(new NewJailRequest { Name = "top", Path = "/top", Release = "14.3-RELEASE" })).ErrorId);
    }
    [Fact]
    public void Schg_from_the_archive_stops_rm_until_chflags_clears_it()
    {
        Save();
        PlanRunner.Execute(Create(), _f);
        Assert.Contains("/usr/jails/web/lib/libc.so.7", _f.Sim.Kernel.ImmutableFiles);     // SCHILY.fflags=schg in base.txz
        Assert.Contains("/usr/jails/web/var/empty", _f.Sim.Kernel.ImmutableFiles);

        // rm -rf alone fails on them as FreeBSD's does (Bastille #570), and leaves them and their directories.
        var rm = _f.Sim.Processes.Run(new JailPS.Core.Processes.ProcessRequest { Arguments = new[] { "/bin/rm", "-rf", "/usr/jails/web" }, Purpose = "test" });
        Assert.Equal(1, rm.ExitCode);
        Assert.Contains("rm: /usr/jails/web/lib/libc.so.7: Operation not permitted", rm.StandardError);
        Assert.True(File.Exists(Local("/usr/jails/web/lib/libc.so.7")));
        Assert.False(File.Exists(Local("/usr/jails/web/etc/motd")));

        // A delete whose chflags did nothing fails and says so; with the flags cleared it goes through.
        _f.Service.Invalidate();
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/bin/chflags -R noschg /usr/jails/web", ExitCode = 0 });
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Service.PlanRemoveDefinition(_f.Service.FindDefinition("web")!, deleteRoot: true), _f));
        Assert.Contains("Operation not permitted", ex.InnerException!.Message);
        _f.Sim.Processes.ClearResponses();
        _f.Service.Invalidate();
        PlanRunner.Execute(_f.Service.PlanRemoveDefinition(_f.Service.FindDefinition("web")!, deleteRoot: true), _f);
        Assert.False(Directory.Exists(Local("/usr/jails/web")));
        Assert.Empty(_f.Sim.Kernel.ImmutableFiles);
    }
}
