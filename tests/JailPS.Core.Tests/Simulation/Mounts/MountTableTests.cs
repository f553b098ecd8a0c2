using System.IO;
using System.Text;
using JailPS.Core.Host;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation.Mounts;

/// <summary>nmount/unmount/getfsstat of the simulated kernel through raw iovecs and struct statfs.</summary>
public sealed unsafe class MountTableTests
{
    private const int Force = (int)MountFlags.Force;

    [Fact]
    public void Boot_HasRootZfsAndDevfs_GetFsStatCountsAndFills()
    {
        using var s = new Sandbox();
        Assert.Equal(2, s.K.GetFsStat(null, 0, FsStatMode.NoWait));
        var st = s.FsStat();
        Assert.Equal("/", Sandbox.On(st[0]));
        Assert.Equal("zfs", Sandbox.Type(st[0]));
        Assert.Equal("zroot/ROOT/default", Sandbox.From(st[0]));
        Assert.NotEqual(0UL, st[0].Flags & MountFlags.RootFs);
        Assert.Equal(MountLimits.StatFsVersion, st[0].Version);
        Assert.Equal("/dev", Sandbox.On(st[1]));
        Assert.Equal("devfs", Sandbox.Type(st[1]));
        Assert.Equal(0UL, st[1].Flags);
        Assert.NotEqual(0, st[1].FsId[0]);
    }

    [Fact]
    public void GetFsStat_SmallBuffer_ReturnsWhatFits_BadModeIsEinval()
    {
        using var s = new Sandbox();
        var one = new StatFs[1];
        fixed (StatFs* p = one)
        {
            Assert.Equal(1, s.K.GetFsStat(p, sizeof(StatFs) + 100, FsStatMode.Wait));
            Assert.Equal(-1, s.K.GetFsStat(p, sizeof(StatFs), 0));
            Assert.Equal(Errno.EINVAL, s.K.LastErrno);
            Assert.Equal(-1, s.K.GetFsStat(p, -1, FsStatMode.NoWait));
            Assert.Equal(Errno.EINVAL, s.K.LastErrno);
        }
        Assert.Equal("/", Sandbox.On(one[0]));
    }

    [Fact]
    public void GetFsStat_UnprivilegedCaller_SeesZeroFsid()
    {
        using var s = new Sandbox();
        s.K.CallerUid = 1001;
        var st = s.FsStat();
        Assert.All(st, x => { Assert.Equal(0, x.FsId[0]); Assert.Equal(0, x.FsId[1]); });
    }

    [Fact]
    public void Nmount_Devfs_WithRuleset_AppearsInTable()
    {
        using var s = new Sandbox();
        s.MustMount("devfs", "/jails/a/dev", ("from", "devfs"), ("ruleset", "4"));
        var st = s.FsStat();
        Assert.Equal(3, st.Length);
        Assert.Equal("/jails/a/dev", Sandbox.On(st[2]));
        Assert.Equal("devfs", Sandbox.From(st[2]));
        Assert.Equal(4, s.K.Mounts[2].DevfsRuleset);
        Assert.Contains(4, s.K.DevfsRulesets); // devfs_ruleset_use creates the (empty) ruleset and references it
    }

    [Fact]
    public void Nmount_ProtocolErrors()
    {
        using var s = new Sandbox();
        using (var iov = new Iov())
        {
            iov.Str("fstype", "devfs").Str("fspath", "/jails/a/dev").Name("x");
            Assert.Equal(-1, s.K.Nmount(iov.Ptr, iov.Count, 0));
            Assert.Equal(Errno.EINVAL, s.K.LastErrno);
        }
        using (var iov = new Iov())
        {
            iov.Str("fspath", "/jails/a/dev").ErrMsg(64);
            Assert.Equal(-1, s.K.Nmount(iov.Ptr, iov.Count, 0));
            Assert.Equal(Errno.EINVAL, s.K.LastErrno);
            Assert.Equal("Invalid fstype", iov.ErrMsgText);
        }
        Assert.Equal((-1, Errno.EINVAL, "Invalid fstype"), s.Mount("bogusfs", "/jails/a/dev"));
        Assert.Equal(Errno.ENOENT, s.Mount("devfs", "/jails/nope/dev").Errno);
        Assert.Equal(Errno.ENOTDIR, s.Mount("devfs", "/jails/a/file").Errno);
        Assert.Equal(Errno.ENAMETOOLONG, s.Mount("averyveryverylongfsname", "/jails/a/dev").Errno);
    }

    [Fact]
    public void Nmount_Devfs_OptionFiltering_AndRulesetValidation()
    {
        using var s = new Sandbox();
        // "noatime" stays in the option list and devfs does not know it (vfs_filteropt).
        Assert.Equal((-1, Errno.EINVAL, "mount option <noatime> is unknown"), s.Mount("devfs", "/jails/a/dev", 0, ("noatime", null)));
        Assert.Equal((-1, Errno.EINVAL, "invalid ruleset specification"), s.Mount("devfs", "/jails/a/dev", 0, ("ruleset", "70000")));
        Assert.Equal((-1, Errno.EINVAL, "invalid ruleset specification"), s.Mount("devfs", "/jails/a/dev", 0, ("ruleset", "four")));
        Assert.Equal(Errno.EOPNOTSUPP, s.Mount("devfs", "/jails/a/dev", 0, ("export", null)).Errno);
        // Global options are accepted by every file system.
        Assert.Equal(0, s.Mount("devfs", "/jails/a/dev", 0, ("nosuid", null), ("noexec", null)).Rc);
        Assert.Equal(3, s.K.Mounts.Count);
    }

    [Fact]
    public void Nmount_NonRoot_IsEperm()
    {
        using var s = new Sandbox(uid: 1001);
        Assert.Equal(Errno.EPERM, s.Mount("devfs", "/jails/a/dev").Errno);
    }

    [Fact]
    public void Nmount_OnAMountRoot_Covers_UnlessNocover()
    {
        using var s = new Sandbox();
        s.MustMount("tmpfs", "/jails/a/tmp");
        Assert.Equal((-1, Errno.EBUSY, ""), s.Mount("tmpfs", "/jails/a/tmp", 0, ("nocover", null)));
        s.MustMount("tmpfs", "/jails/a/tmp", ("size", "1m"));
        Assert.Equal(4, s.K.Mounts.Count);
        // unmount by path takes the topmost; the lower one is covered by it until then.
        Assert.Equal((0, 0), s.Unmount("/jails/a/tmp"));
        Assert.Equal(3, s.K.Mounts.Count);
        Assert.Equal((0, 0), s.Unmount("/jails/a/tmp"));
        Assert.Equal(2, s.K.Mounts.Count);
    }

    [Fact]
    public void Nmount_Nullfs_ReadOnly_FlagsMergeTheLowerFileSystem()
    {
        using var s = new Sandbox();
        s.MustMount("nullfs", "/jails/a/basejail", ("target", "/usr/ports"), ("ro", null));
        var st = s.FsStat()[2];
        Assert.Equal("nullfs", Sandbox.Type(st));
        Assert.Equal("/usr/ports", Sandbox.From(st));
        Assert.Equal(MountFlags.ReadOnly | MountFlags.Local | MountFlags.Nfs4Acls | MountFlags.NoAtime, st.Flags);
        Assert.Equal(Errno.EINVAL, s.Mount("nullfs", "/jails/a/tmp").Errno);
        Assert.Equal(Errno.ENOENT, s.Mount("nullfs", "/jails/a/tmp", 0, ("from", "/no/such")).Errno);
        // MNT_RDONLY as a flag works as well as the "ro" option.
        Assert.Equal(0, s.Mount("nullfs", "/jails/a/tmp", (int)MountFlags.ReadOnly, ("from", "/data/src")).Rc);
        Assert.NotEqual(0UL, s.K.Mounts[3].Flags & MountFlags.ReadOnly);
    }

    [Fact]
    public void Nmount_Tmpfs_UnknownOptionRefused_BadSizeIgnored()
    {
        using var s = new Sandbox();
        Assert.Equal((-1, Errno.EINVAL, "mount option <bogus> is unknown"), s.Mount("tmpfs", "/jails/a/tmp", 0, ("bogus", "1")));
        s.MustMount("tmpfs", "/jails/a/tmp", ("size", "256m"), ("mode", "1777"));
        var st = s.FsStat()[2];
        Assert.Equal(256UL * 1024 * 1024 / 4096, st.Blocks);
        Assert.Equal("tmpfs", Sandbox.From(st));
        Assert.Equal(MountFlags.Local, st.Flags);
        s.MustMount("tmpfs", "/jails/a/proc", ("size", "lots"));
    }

    [Fact]
    public void UpdateMount_Tmpfs_OnlyUpdateOptions_NoResize_RoFlag()
    {
        using var s = new Sandbox();
        int u = (int)MountFlags.Update;
        s.MustMount("tmpfs", "/jails/a/tmp", ("size", "1m"));
        Assert.Equal(Errno.EOPNOTSUPP, s.Mount("tmpfs", "/jails/a/tmp", u, ("mode", "700")).Errno);
        Assert.Equal(Errno.EOPNOTSUPP, s.Mount("tmpfs", "/jails/a/tmp", u, ("size", "2m")).Errno);
        Assert.Equal(0, s.Mount("tmpfs", "/jails/a/tmp", u, ("size", "1048576"), ("ro", null)).Rc);
        Assert.Equal(MountFlags.ReadOnly | MountFlags.Local, s.FsStat()[2].Flags);
        // Not a mount root: EINVAL; nullfs refuses updates other than export.
        Assert.Equal(Errno.EINVAL, s.Mount("tmpfs", "/jails/a/proc", u).Errno);
        s.MustMount("nullfs", "/jails/a/basejail", ("from", "/usr/ports"));
        Assert.Equal(Errno.EOPNOTSUPP, s.Mount("nullfs", "/jails/a/basejail", u, ("ro", null)).Errno);
    }

    [Fact]
    public void Unmount_Errors_NotAMount_Root_Busy_Force()
    {
        using var s = new Sandbox();
        Assert.Equal((-1, Errno.EINVAL), s.Unmount("/jails/a/tmp"));
        Assert.Equal((-1, Errno.EINVAL), s.Unmount("/no/such/path"));
        Assert.Equal((-1, Errno.EINVAL), s.Unmount("/"));
        s.MustMount("tmpfs", "/jails/a/tmp");
        s.K.SetMountBusy("/jails/a/tmp", 1);
        Assert.Equal((-1, Errno.EBUSY), s.Unmount("/jails/a/tmp"));
        Assert.Equal((-1, Errno.EBUSY), s.Unmount("/jails/a/tmp", (int)MountFlags.NonBusy | Force));
        Assert.Equal((0, 0), s.Unmount("/jails/a/tmp", Force));
        s.K.CallerUid = 5;
        Assert.Equal((-1, Errno.EPERM), s.Unmount("/dev"));
    }

    [Fact]
    public void Unmount_WithSubmountOrStackedNullfs_IsEbusy()
    {
        using var s = new Sandbox();
        Directory.CreateDirectory(Path.Combine(s.Root, "jails/a/tmp/inner"));
        s.MustMount("tmpfs", "/jails/a/tmp");
        s.MustMount("devfs", "/jails/a/tmp/inner");
        Assert.Equal((-1, Errno.EBUSY), s.Unmount("/jails/a/tmp"));
        Assert.Equal((0, 0), s.Unmount("/jails/a/tmp/inner"));
        // nullfs from a directory of the tmpfs registers as its upper mount.
        s.MustMount("nullfs", "/jails/a/basejail", ("from", "/jails/a/tmp"));
        Assert.Equal((-1, Errno.EBUSY), s.Unmount("/jails/a/tmp", Force));
        s.K.RecursiveForcedUnmount = true;
        Assert.Equal((0, 0), s.Unmount("/jails/a/tmp", Force));
        Assert.Equal(2, s.K.Mounts.Count);
    }

    [Fact]
    public void Unmount_ByFsid()
    {
        using var s = new Sandbox();
        s.MustMount("tmpfs", "/jails/a/tmp");
        var st = s.FsStat()[2];
        int byFsid = (int)MountFlags.ByFsId;
        Assert.Equal((-1, Errno.EINVAL), s.Unmount("junk", byFsid));
        Assert.Equal((-1, Errno.ENOENT), s.Unmount("FSID:1:2", byFsid));
        Assert.Equal((0, 0), s.Unmount("FSID:" + st.FsId[0] + ":" + st.FsId[1], byFsid));
    }

    [Fact]
    public void Unmount_MissingPathString_MatchesMntonname()
    {
        using var s = new Sandbox();
        s.MustMount("tmpfs", "/jails/a/tmp");
        Directory.Delete(Path.Combine(s.Root, "jails/a/tmp"));
        // The mount root still resolves (a mounted root always exists).
        Assert.Equal((0, 0), s.Unmount("/jails/a/tmp"));
    }

    [Fact]
    public void OpenRootFd_KeepsDevfsBusy_ForcedUnmountKillsTheFd()
    {
        using var s = new Sandbox();
        s.MustMount("devfs", "/jails/a/dev");
        int fd = s.Open("/jails/a/dev");
        Assert.True(fd >= 3);
        Assert.Equal((-1, Errno.EBUSY), s.Unmount("/jails/a/dev"));
        Assert.Equal((0, 0), s.Unmount("/jails/a/dev", Force));
        ushort rs = 0;
        Assert.Equal((-1, Errno.EBADF), s.Ioctl(fd, DevfsIoctl.SetGetNext, ref rs));
        Assert.Equal(0, s.K.Close(fd));
        Assert.Equal(-1, s.K.Close(fd));
        Assert.Equal(Errno.EBADF, s.K.LastErrno);
    }

    [Fact]
    public void CountersAndFaults_ForMountSyscalls()
    {
        using var s = new Sandbox();
        s.K.ResetCounts();
        s.K.InjectFault("nmount", 1, Errno.EBUSY, "injected");
        Assert.Equal((-1, Errno.EBUSY, "injected"), s.Mount("tmpfs", "/jails/a/tmp"));
        Assert.Equal(2, s.K.Mounts.Count);
        s.MustMount("tmpfs", "/jails/a/tmp");
        s.K.InjectFault("unmount", 1, Errno.EBUSY);
        Assert.Equal((-1, Errno.EBUSY), s.Unmount("/jails/a/tmp"));
        Assert.Equal(3, s.K.Mounts.Count);
        s.K.InjectFault("getfsstat", 1, Errno.EIO);
        Assert.Equal(-1, s.K.GetFsStat(null, 0, FsStatMode.NoWait));
        s.K.InjectFault("open", 1, Errno.EACCES);
        Assert.Equal(-1, s.Open("/dev"));
        int fd = s.Open("/dev");
        s.K.InjectFault("ioctl", 1, Errno.EIO);
        ushort rs = 0;
        Assert.Equal((-1, Errno.EIO), s.Ioctl(fd, DevfsIoctl.SetGetNext, ref rs));
        s.K.InjectFault("close", 1, Errno.EINTR);
        Assert.Equal(-1, s.K.Close(fd));
        var c = s.K.CallCounts;
        Assert.Equal(2, c["nmount"]);
        Assert.Equal(1, c["unmount"]);
        Assert.Equal(1, c["getfsstat"]);
        Assert.Equal(2, c["open"]);
        Assert.Equal(1, c["ioctl"]);
        Assert.Equal(1, c["close"]);
    }

    [Fact]
    public void SaveAndLoad_KeepsMountsRulesetsAndNodeState()
    {
        using var s = new Sandbox();
        int fd = s.Open("/dev");
        s.LoadDefaultRulesets(fd);
        s.MustMount("devfs", "/jails/a/dev", ("ruleset", "4"));
        s.MustMount("nullfs", "/jails/a/basejail", ("target", "/usr/ports"), ("ro", null));
        var visible = s.K.DevfsVisibleNodes("/jails/a/dev");
        string file = Path.Combine(s.Root, ".simulation", "kernel.json");
        s.K.SaveState(file);
        var k2 = SimulatedKernel.LoadState(file, new SimulatedKernelOptions { RootDirectory = s.Root });
        Assert.Equal(s.K.Mounts, k2.Mounts);
        Assert.Equal(s.K.DevfsRulesets, k2.DevfsRulesets);
        Assert.Equal(visible, k2.DevfsVisibleNodes("/jails/a/dev"));
        // The restored kernel still knows the lower mount of the nullfs and the ruleset references.
        byte[] p = Encoding.UTF8.GetBytes("/jails/a/basejail\0");
        fixed (byte* pp = p) Assert.Equal(0, k2.Unmount(pp, 0));
    }

    [Fact]
    public void Nmount_Emptydir_RefusesANonEmptyMountPoint()
    {
        using var s = new Sandbox();
        Assert.Equal(Errno.ENOTEMPTY, s.Mount("tmpfs", "/usr/ports", 0, ("emptydir", null)).Errno);
        Assert.Equal(0, s.Mount("tmpfs", "/jails/a/tmp", 0, ("emptydir", null)).Rc);
        // A devfs root is never empty.
        Assert.Equal(Errno.ENOTEMPTY, s.Mount("tmpfs", "/dev", 0, ("emptydir", null)).Errno);
    }

    [Fact]
    public void LoadState_WithoutMounts_KeepsTheBootMounts()
    {
        using var s = new Sandbox();
        string file = Path.Combine(s.Root, "old.json");
        File.WriteAllText(file, "{ \"Version\": 1, \"HostName\": \"h\" }");
        var k = SimulatedKernel.LoadState(file, new SimulatedKernelOptions { RootDirectory = s.Root });
        Assert.Equal(new[] { "/", "/dev" }, k.Mounts.Select(m => m.MountedOn));
    }

    [Fact]
    public void SimulatedHost_ForwardsTheMountSeam()
    {
        using var s = new Sandbox();
        var host = new SimulatedHost(s.Root);
        IMountLibc libc = host;
        using var iov = new Iov();
        iov.Str("fstype", "tmpfs").Str("fspath", "/jails/a/tmp").ErrMsg(128);
        Assert.Equal(0, libc.Nmount(iov.Ptr, iov.Count, 0));
        Assert.Equal(3, libc.GetFsStat(null, 0, FsStatMode.NoWait));
        Assert.Equal(1, host.Kernel.CallCounts["nmount"]);
    }
}
