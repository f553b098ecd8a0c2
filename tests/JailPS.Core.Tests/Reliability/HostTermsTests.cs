using System.IO;
using JailPS.Core.Host.SafePath;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Reliability;

/// <summary>
/// Reliability C: messages name the host paths the user wrote (/usr/jails/web), not the simulated
/// host's local paths under its directory (/tmp/.../usr/jails/web).
/// </summary>
public sealed class HostTermsTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void HostText_writes_local_paths_as_host_paths_and_leaves_other_text_alone()
    {
        string root = _f.Host.Files.ToLocalPath("/");
        Assert.Equal("The file '/usr/jails/web' already exists.", _f.Host.HostText($"The file '{root}/usr/jails/web' already exists."));
        Assert.Equal("beneath '/' and '/etc/x'", _f.Host.HostText($"beneath '{root}' and '{root}/etc/x'"));
        Assert.Equal(root + "2/etc", _f.Host.HostText(root + "2/etc")); // another directory that merely starts with the root's name
        Assert.Equal("no paths here", _f.Host.HostText("no paths here"));
        Assert.Equal($"Stop jail \"web\" on {_f.Host.ComputerName}: 4 steps", _f.Host.HostText($"Stop jail \"web\" on {_f.Host.ComputerName}: 4 steps"));
    }

    [Fact]
    public void A_lock_held_by_another_command_names_the_host_lock_file()
    {
        using (JailLock.Acquire(_f.Host.Files, "web", TimeSpan.FromSeconds(5)))
        {
            var locked = Assert.Throws<JailOperationException>(() => JailLock.Acquire(_f.Host.Files, "web", TimeSpan.Zero));
            Assert.Equal("JailLocked", locked.ErrorId);
            Assert.Contains("(/var/run/jailps/web.lock)", locked.Message);
            Assert.DoesNotContain(_f.Root, locked.Message);
        }
    }

    [Fact]
    public void A_symlinked_mount_point_is_refused_beneath_the_jails_host_path()
    {
        _f.Host.Files.CreateDirectory("/usr/jails/web");
        File.CreateSymbolicLink(_f.Host.Files.ToLocalPath("/usr/jails/web/proc"), "/etc");
        var spec = _f.Spec(_f.Define("web", "mount.procfs;\npersist;"));
        var ex = Assert.Throws<PathEscapeException>(() => _f.Lifecycle().PlanStart(spec));
        Assert.Equal("/usr/jails/web", ex.Root);
        Assert.Contains("beneath '/usr/jails/web'", ex.Message);
        Assert.DoesNotContain(_f.Root, ex.Message);
    }
}
