using System.IO;
using System.Text;
using JailPS.Core.Devfs;
using JailPS.Core.Mounts;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// Mount and devfs scenarios against the simulated kernel (everywhere) and FreeBSD's real kernel
/// (trait Category=FreeBSD: only on FreeBSD as root; skipped elsewhere with the reason). Real runs
/// mount tmpfs and devfs on directories under a temporary directory, use a devfs ruleset number
/// from the top of the range, and take everything down afterwards.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed unsafe class MountConformanceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "jailps-mconf-" + Guid.NewGuid().ToString("N").Substring(0, 8));
    private readonly List<(IMountLibc Libc, MountEntry Entry)> _mounted = new();
    private readonly List<(IMountLibc Libc, int Ruleset)> _rulesets = new();

    public MountConformanceTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        foreach (var (libc, entry) in Enumerable.Reverse(_mounted))
            Unmount(libc, entry, MountFlags.Force);
        foreach (var (libc, rs) in _rulesets)
            try { new DevfsRulesetService(libc).DeleteAll(rs); } catch (DevfsRulesetException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    public static IEnumerable<object[]> Kernels() => new[] { new object[] { "simulated" }, new object[] { "freebsd" } };

    private static IMountLibc Open(string which)
    {
        if (which == "simulated")
            return new SimulatedKernel(new SimulatedKernelOptions { RootDirectory = "/" });
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "conformance against the real kernel runs only on FreeBSD (this is " + System.Runtime.InteropServices.RuntimeInformation.OSDescription + ")");
        var libc = new FreeBsdLibc();
        Skip.If(libc.GetEuid() != 0, "conformance against the real kernel needs root");
        return libc;
    }

    private string Dir(string name)
    {
        string d = Path.Combine(_dir, name);
        Directory.CreateDirectory(d);
        return new DirectoryInfo(d).FullName;
    }

    private static MountOption[] Pairs(string fstype, string path, params MountOption[] more)
        => new[] { new MountOption("fstype", fstype), new MountOption("fspath", path), new MountOption("from", fstype) }.Concat(more).ToArray();

    private MountEntry MustMount(IMountLibc libc, string fstype, string path, params MountOption[] more)
    {
        int rc = JailMounter.CallNmount(libc, Pairs(fstype, path, more), out int errno, out string? errmsg);
        Assert.True(rc == 0, $"nmount {fstype} on {path}: {Errno.Name(errno)} {errmsg}");
        var entry = MountTable.Read(libc).Last(m => m.On == path);
        _mounted.Add((libc, entry));
        return entry;
    }

    private static int Unmount(IMountLibc libc, MountEntry entry, ulong flags = 0)
    {
        byte[] id = Encoding.ASCII.GetBytes(entry.FsIdText + "\0");
        fixed (byte* p = id)
            return libc.Unmount(p, unchecked((int)(MountFlags.ByFsId | flags))) == 0 ? 0 : libc.LastErrno;
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void A_tmpfs_appears_in_getfsstat_and_goes_by_fsid(string which)
    {
        var libc = Open(which);
        string mp = Dir("tmp");
        var entry = MustMount(libc, "tmpfs", mp, new MountOption("size", "1m"), new MountOption("nocover", null));
        Assert.Equal("tmpfs", entry.FsType);
        Assert.Equal(mp, entry.On);
        Assert.StartsWith("FSID:", entry.FsIdText);
        Assert.Equal(0, Unmount(libc, entry));
        Assert.DoesNotContain(MountTable.Read(libc), m => m.On == mp);
        Assert.Equal(Errno.ENOENT, Unmount(libc, entry));   // that fsid is gone
        _mounted.Clear();
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void Nocover_refuses_a_mount_root_and_unknown_options_are_named(string which)
    {
        var libc = Open(which);
        string mp = Dir("stack");
        MustMount(libc, "tmpfs", mp);
        Assert.Equal(-1, JailMounter.CallNmount(libc, Pairs("tmpfs", mp, new MountOption("nocover", null)), out int errno, out _));
        Assert.Equal(Errno.EBUSY, errno);
        string other = Dir("opts");
        Assert.Equal(-1, JailMounter.CallNmount(libc, Pairs("tmpfs", other, new MountOption("jailps_no_such_option", null)), out errno, out string? errmsg));
        Assert.Equal(Errno.EINVAL, errno);
        Assert.Equal("mount option <jailps_no_such_option> is unknown", errmsg);
        Assert.Equal(-1, JailMounter.CallNmount(libc, Pairs("tmpfs", Path.Combine(_dir, "missing")), out errno, out _));
        Assert.Equal(Errno.ENOENT, errno);
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void An_open_directory_keeps_a_mount_busy_until_forced(string which)
    {
        var libc = Open(which);
        string mp = Dir("busy");
        var entry = MustMount(libc, "tmpfs", mp);
        byte[] path = Encoding.UTF8.GetBytes(mp + "\0");
        int fd;
        fixed (byte* p = path) fd = libc.Open(p, OpenFlags.ReadOnly | OpenFlags.Directory);
        Assert.True(fd >= 0);
        try
        {
            Assert.Equal(Errno.EBUSY, Unmount(libc, entry));
            Assert.Equal(0, Unmount(libc, entry, MountFlags.Force));
            _mounted.Clear();
        }
        finally
        {
            libc.Close(fd);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void A_devfs_with_a_hide_then_unhide_ruleset_shows_only_what_was_unhidden(string which)
    {
        var libc = Open(which);
        var devfs = new DevfsRulesetService(libc);
        int rs = 65535 - Random.Shared.Next(0, 400);
        Skip.If(devfs.Exists(rs), $"devfs ruleset {rs} is in use on this host");
        _rulesets.Add((libc, rs));
        devfs.Execute(devfs.PlanCreate(rs, new[] { JailPS.Core.Devfs.DevfsRule.Parse("hide"), JailPS.Core.Devfs.DevfsRule.Parse("path null unhide"), JailPS.Core.Devfs.DevfsRule.Parse("path zero unhide") }, force: false), JailPS.Core.Lifecycle.NullJailOutput.Instance);
        Assert.Equal(3, devfs.GetRules(rs).Count);

        string mp = Dir("dev");
        MustMount(libc, "devfs", mp, new MountOption("ruleset", rs.ToString()));
        IReadOnlyList<string> visible = libc is SimulatedKernel k
            ? k.DevfsVisibleNodes(mp)
            : new DevfsDirectoryNodeSource(_ => new HashSet<string>()).VisibleNodes(mp);
        Assert.Equal(new[] { "null", "zero" }, visible);
    }
}
