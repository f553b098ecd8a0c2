using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation;

/// <summary>Call counters, fault injection, persistence, generation, threading and the managed view.</summary>
public sealed unsafe class KernelServiceTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "jailps-simstate-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void CallCounts_CountEveryCallPerKind_AndReset()
    {
        var k = K.NewKernel();
        Assert.All(SimulatedKernel.SyscallNames, n => Assert.Equal(0, k.CallCounts[n]));
        int jid = K.Create(k, "x");
        K.GetInt(k, jid, "persist");
        K.GetFails(k, i => i.Int("jid", 99));
        k.JailAttach(jid);
        k.JailRemove(jid);
        nuint len = 0;
        int* mib = stackalloc int[2] { 1, 2 };
        k.Sysctl(mib, 2, null, &len, null, 0);
        fixed (byte* n = "kern.osreldate\0"u8) k.SysctlByName(n, null, &len, null, 0);
        var c = k.CallCounts;
        Assert.Equal(1, c["jail_set"]);
        Assert.Equal(2, c["jail_get"]);
        Assert.Equal(1, c["jail_attach"]);
        Assert.Equal(1, c["jail_remove"]);
        Assert.Equal(1, c["sysctl"]);
        Assert.Equal(1, c["sysctlbyname"]);
        k.ResetCounts();
        Assert.All(k.CallCounts.Values, v => Assert.Equal(0, v));
    }

    [Fact]
    public void InjectedFault_FailsTheNthCallOfThatKind_WithErrnoAndErrmsg_WithoutChangingState()
    {
        var k = K.NewKernel();
        k.InjectFault("jail_set", 2, Errno.EAGAIN, "simulated trouble");
        K.Create(k, "first");
        long gen = k.Generation;
        var (e, msg) = K.SetFails(k, i => i.Str("name", "second").Bool("persist"), K.C);
        Assert.Equal(Errno.EAGAIN, e);
        Assert.Equal("simulated trouble", msg);
        Assert.Equal(gen, k.Generation);
        Assert.Single(k.Jails);
        K.Create(k, "third");
        Assert.Equal(2, k.Jails.Count);
        Assert.Equal(3, k.CallCounts["jail_set"]);
    }

    [Fact]
    public void InjectedFault_OnOtherSyscalls()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        k.InjectFault("jail_remove", 1, Errno.EBUSY);
        Assert.Equal(-1, k.JailRemove(jid));
        Assert.Equal(Errno.EBUSY, k.LastErrno);
        Assert.Single(k.Jails);
        Assert.Equal(0, k.JailRemove(jid));
        k.InjectFault("sysctlbyname", 1, Errno.EIO);
        fixed (byte* n = "kern.osreldate\0"u8)
        {
            nuint len = 0;
            Assert.Equal(-1, k.SysctlByName(n, null, &len, null, 0));
            Assert.Equal(Errno.EIO, k.LastErrno);
        }
        k.InjectFault("jail_get", 1, Errno.EFAULT);
        Assert.Equal(Errno.EFAULT, K.GetFails(k, i => i.Int("lastjid", 0)).Errno);
    }

    [Fact]
    public void ClearFaults_RemovesPendingFaults()
    {
        var k = K.NewKernel();
        k.InjectFault("jail_set", 1, Errno.EIO);
        k.ClearFaults();
        Assert.True(K.Create(k, "x") > 0);
    }

    [Fact]
    public void InjectFault_RejectsBadArguments()
    {
        var k = K.NewKernel();
        Assert.Throws<ArgumentException>(() => k.InjectFault("kldload", 1, Errno.EIO));
        Assert.Throws<ArgumentOutOfRangeException>(() => k.InjectFault("jail_set", 0, Errno.EIO));
    }

    [Fact]
    public void Generation_ChangesOnStateChanges_NotOnReads()
    {
        var k = K.NewKernel();
        long g0 = k.Generation;
        int jid = K.Create(k, "x");
        long g1 = k.Generation;
        Assert.True(g1 > g0);
        K.GetInt(k, jid, "persist");
        _ = k.Jails;
        _ = k.CallCounts;
        K.GetFails(k, i => i.Int("jid", 1234));
        Assert.Equal(g1, k.Generation);
        k.Spawn(jid, "p");
        Assert.True(k.Generation > g1);
        long g2 = k.Generation;
        K.SetFails(k, i => i.Int("jid", jid).Bool("bogus"), K.U);
        Assert.Equal(g2, k.Generation);
    }

    [Fact]
    public void SaveAndLoad_RoundTripsJailsProcessesAndAllocationState()
    {
        var root = Path.Combine(_dir, "root");
        Directory.CreateDirectory(Path.Combine(root, "jails", "a"));
        var opts = new SimulatedKernelOptions { RootDirectory = root };
        var k = new SimulatedKernel(opts);
        int a = K.Create(k, i => i.Str("name", "a").Bool("persist").Str("path", "/jails/a").Str("host.hostname", "a.example")
            .Raw("ip4.addr", K.Ip("10.0.0.1", "10.0.0.3", "10.0.0.2")).Raw("ip6.addr", K.Ip("2001:db8::1"))
            .Int("children.max", 3).Bool("allow.mount").Bool("allow.mount.zfs").Int("sysvshm", JailSysValues.New)
            .ULong("host.hostid", 77).Int("securelevel", 1).Int("devfs_ruleset", 5));
        int b = K.Create(k, "a.b");
        int pid = k.Spawn(b, "/bin/sh", ignoresSigterm: true);
        int dying = K.Create(k, "gone");
        k.HoldDyingReference(dying);
        k.JailRemove(dying);
        string file = Path.Combine(_dir, "state", "kernel.json");
        k.SaveState(file);

        var k2 = SimulatedKernel.LoadState(file, opts);
        Assert.Equal(k.Generation, k2.Generation);
        Assert.Equal(k.Jails, k2.Jails);
        Assert.Equal(k.ProcessesIn(b), k2.ProcessesIn(b));
        foreach (var p in new[] { "name", "path", "host.hostname", "osrelease" })
            Assert.Equal(K.GetStr(k, a, p), K.GetStr(k2, a, p));
        foreach (var p in new[] { "children.max", "allow.mount", "allow.mount.zfs", "sysvshm", "securelevel", "devfs_ruleset", "ip4", "cpuset.id" })
            Assert.Equal(K.GetInt(k, a, p), K.GetInt(k2, a, p));
        Assert.Equal(K.GetBytes(k, a, "ip4.addr", 64), K.GetBytes(k2, a, "ip4.addr", 64));
        Assert.Equal(K.GetBytes(k, a, "ip6.addr", 64), K.GetBytes(k2, a, "ip6.addr", 64));
        Assert.Equal(K.GetBytes(k, a, "host.hostid", 8), K.GetBytes(k2, a, "host.hostid", 8));
        Assert.Equal(a, K.GetInt(k2, b, "parent"));
        Assert.Equal(1, K.GetInt(k2, dying, "dying", JailFlags.Dying));

        // Allocation continues where it left off, and life goes on.
        Assert.Equal(K.Create(k, "next"), K.Create(k2, "next"));
        Assert.True(k2.Exit(pid));
        k2.ReleaseDyingReference(dying);
        Assert.DoesNotContain(k2.Jails, j => j.Jid == dying);
    }

    [Fact]
    public void LoadOrCreate_StartsEmptyWithoutAFile()
    {
        var k = SimulatedKernel.LoadOrCreate(Path.Combine(_dir, "missing.json"), new SimulatedKernelOptions());
        Assert.Empty(k.Jails);
    }

    [Fact]
    public void LastErrno_IsPerThread()
    {
        var k = K.NewKernel();
        Assert.Equal(-1, k.JailRemove(4242));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
        int other = -1;
        var t = new Thread(() =>
        {
            k.CallerUid = 0;
            using var iov = new Iov();
            iov.Int("jid", 1).Out("name", 0);
            k.JailGet(iov.Ptr, iov.Count, 0);
            other = k.LastErrno;
        });
        t.Start();
        t.Join();
        Assert.Equal(Errno.ENOENT, other);
        Assert.Equal(Errno.EINVAL, k.LastErrno);
    }

    [Fact]
    public void ConcurrentCreates_GetDistinctJids()
    {
        var k = K.NewKernel();
        var jids = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.For(0, 64, n => jids.Add(K.Create(k, "c" + n)));
        Assert.Equal(64, jids.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 64), jids.OrderBy(x => x));
        Assert.Equal(64, k.Jails.Count);
    }

    [Fact]
    public void JailsView_IsASnapshot()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "snap").Bool("persist").Str("path", "/"));
        var view = k.Jails;
        Assert.Equal(new SimulatedJailInfo(jid, "snap", "/", SimulatedJailState.Alive, true, 0, 0), view.Single());
        Assert.Throws<NotSupportedException>(() => ((IList<SimulatedJailInfo>)view).Add(view[0]));
        k.JailRemove(jid);
        Assert.Single(view);
        Assert.Empty(k.Jails);
    }

    [Fact]
    public void GetEuid_ReportsTheCallerUid()
    {
        var k = K.NewKernel(uid: 1001);
        Assert.Equal(1001u, k.GetEuid());
    }

    [Fact]
    public void UnicodeNames_AreStoredAsBytes()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "jäil");
        Assert.Equal("jäil", k.Jails.Single().Name);
        using var iov = new Iov();
        iov.Int("jid", jid).Out("name", 0);
        Assert.Equal(jid, K.Get(k, iov));
        Assert.Equal(Encoding.UTF8.GetByteCount("jäil") + 1, (int)iov.Len("name"));
        Assert.Equal("jäil", K.GetStr(k, jid, "name"));
    }
}
