using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Host.SafePath;
using JailPS.Core.Lifecycle;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Reliability;

/// <summary>
/// Issue 9 #3: no write outside its place. A link a jail plants beneath its root never redirects a
/// host write (exec.consolelog), and links anywhere in a host configuration path (not only the
/// last component) resolve inside the simulated host.
/// </summary>
public sealed class HostPathLinkTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly string _outside = Path.Combine(Path.GetTempPath(), "jailps-outside-" + Guid.NewGuid().ToString("N")[..8]);

    public HostPathLinkTests() => Directory.CreateDirectory(_outside);

    public void Dispose()
    {
        _f.Dispose();
        Directory.Delete(_outside, recursive: true);
    }

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    [Fact]
    public void A_consolelog_beneath_the_root_behind_a_planted_link_is_refused_and_nothing_is_written_outside()
    {
        var def = _f.Define("web", "\tpersist;\n\texec.start = \"/bin/sh /etc/rc\";\n\texec.consolelog = \"/usr/jails/web/var/log/console.log\";");
        // The jail's root user replaces var/log with a link to a host directory.
        Directory.CreateDirectory(Local("/usr/jails/web/var"));
        File.CreateSymbolicLink(Local("/usr/jails/web/var/log"), _outside);

        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f));
        Assert.IsType<PathEscapeException>(ex.InnerException);
        Assert.Empty(Directory.GetFileSystemEntries(_outside));
        Assert.Null(_f.Host.Kernel.GetByName("web"));
    }

    [Fact]
    public void A_consolelog_beneath_the_root_without_links_is_written_there()
    {
        var def = _f.Define("web", "\tpersist;\n\texec.start = \"/bin/sh /etc/rc\";\n\texec.consolelog = \"/usr/jails/web/var/log/console.log\";");
        Directory.CreateDirectory(Local("/usr/jails/web/var/log"));
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "exec.start", StandardOutput = "Starting sshd.\n" });
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        Assert.Equal("Starting sshd.\n", File.ReadAllText(Local("/usr/jails/web/var/log/console.log")));
    }

    [Theory]
    [InlineData("/etc/jail.conf.d")]
    [InlineData("/var/run/jailps")]
    [InlineData("/etc")]
    public void A_linked_host_directory_never_leads_out_of_the_simulated_host(string linked)
    {
        // The directory is a link to a real directory of this machine (an absolute target, as an
        // admin would write it on a real host): on the simulated host it is a host path, inside DIR.
        Directory.CreateDirectory(Path.GetDirectoryName(Local(linked))!);
        if (Directory.Exists(Local(linked))) Directory.Delete(Local(linked), recursive: true);
        File.CreateSymbolicLink(Local(linked), _outside);

        _f.Host.Files.CreateDirectory("/usr/jails/web");
        try
        {
            PlanRunner.Execute(_f.Service.PlanCreate(new NewJailRequest { Name = "web", Path = "/usr/jails/web" }), _f);
            using (JailLock.Acquire(_f.Host.Files, "web", TimeSpan.FromSeconds(5))) { }
            _f.Service.Invalidate();
            _ = _f.Service.GetAll();
        }
        catch (IOException)
        {
            // Refusing is fine too; writing outside is not.
        }
        Assert.Empty(Directory.GetFileSystemEntries(_outside));
    }
}
