using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Fidelity;

/// <summary>A stopped jail's Persist is jail(8)'s bool_param() of its definition: the "no" form inverts, the last value counts.</summary>
public sealed class PersistValueTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Theory]
    [InlineData("persist;", true)]
    [InlineData("nopersist;", false)]
    [InlineData("persist = 1, 0;", false)]
    [InlineData("persist = 0, true;", true)]
    [InlineData("nopersist = 0;", true)]
    [InlineData("persist = false;", false)]
    public void Persist_of_a_stopped_jail_is_what_jail_8_reads(string statement, bool expected)
    {
        _f.WriteFile("/etc/jail.conf", "web { path = /usr/jails/web; " + statement + " }\n");
        Assert.Equal(expected, _f.Current("web").Persist);
    }
}

/// <summary>jail(8)'s own booleans (mount.devfs, exec.clean, ...) are bool_param() too: the no form XOR the last value.</summary>
public sealed class PseudoBoolValueTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Theory]
    [InlineData("mount.devfs;", true)]
    [InlineData("mount.nodevfs;", false)]
    [InlineData("mount.nodevfs = 0;", true)]
    [InlineData("mount.devfs = 1, 0;", false)]
    public void Mount_devfs_is_what_jail_8_reads(string statement, bool expected)
    {
        _f.WriteFile("/etc/jail.conf", "web { path = /usr/jails/web; " + statement + " }\n");
        Assert.Equal(expected, _f.Spec(_f.Service.FindDefinition("web")!).MountDevfs);
    }
}

/// <summary>mount.fstab names one file per value; jail(8) reads each in order (config.c check_intparams).</summary>
public sealed class MountFstabValuesTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void Every_mount_fstab_file_is_read_in_order()
    {
        _f.WriteFile("/etc/fstab.a", "tmpfs /usr/jails/web/tmp tmpfs rw 0 0\n");
        _f.WriteFile("/etc/fstab.b", "tmpfs /usr/jails/web/var/tmp tmpfs rw 0 0\n");
        _f.WriteFile("/etc/jail.conf", "web { path = /usr/jails/web; mount.fstab = /etc/fstab.a, \"\", /etc/fstab.b; }\n");
        var requests = JailPS.Core.Mounts.JailMountPlanner.ForSpec(_f.Spec(_f.Service.FindDefinition("web")!), _f.Host.Files);
        Assert.Equal(new[] { "/usr/jails/web/tmp", "/usr/jails/web/var/tmp" }, requests.Select(r => r.Target));
    }
}
