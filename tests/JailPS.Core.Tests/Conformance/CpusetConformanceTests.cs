using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Core.Simulation;
using JailPS.Core.Limits;
using JailPS.Native;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// cpuset(2) against the real FreeBSD kernel (trait Category=FreeBSD), the answers the simulated
/// kernel gives: the host's CPUs at the root level through a 128-byte mask, ERANGE for a mask
/// smaller than the kernel's set, ESRCH for a jail that is not there. Skipped elsewhere with the reason.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class CpusetConformanceTests : IDisposable
{
    private readonly List<(JailKernel Kernel, int Jid)> _jails = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "jailps-cpuconf-" + Guid.NewGuid().ToString("N")[..8]);

    public CpusetConformanceTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        foreach (var (k, jid) in _jails)
            try { k.Remove(jid); } catch (JailKernelException) { }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    public static IEnumerable<object[]> Kernels() => new[] { new object[] { "simulated" }, new object[] { "freebsd" } };

    /// <summary>
    /// A running jail's set narrows and widens again within the host's CPUs (FreeBSD 14's
    /// cpuset_modify checks a jail's root set against its parent, cs_parent), a CPU the host lacks is
    /// EINVAL and an empty mask EDEADLK: the same answers from the model and from the kernel.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public unsafe void A_running_jails_set_narrows_and_widens_within_the_hosts_cpus(string which)
    {
        ICpusetLibc cpuset;
        JailKernel kernel;
        int hostCpus;
        if (which == "simulated")
        {
            var sim = new SimulatedKernel();
            (cpuset, kernel) = (sim, new JailKernel(sim));
        }
        else
        {
            Skip.IfNot(OperatingSystem.IsFreeBSD(), "cpuset conformance runs only on FreeBSD (this is " + System.Runtime.InteropServices.RuntimeInformation.OSDescription + ")");
            var libc = new FreeBsdLibc();
            Skip.If(libc.GetEuid() != 0, "cpuset conformance against the real kernel needs root");
            (cpuset, kernel) = (libc, new JailKernel(libc));
        }
        var buffer = new byte[CpusetConstants.MaskBytes];
        int Call(bool set, int level, int whichKind, long id)
        {
            fixed (byte* p = buffer)
                return set ? cpuset.CpusetSetAffinity(level, whichKind, id, CpusetConstants.MaskBytes, p)
                           : cpuset.CpusetGetAffinity(level, whichKind, id, CpusetConstants.MaskBytes, p);
        }
        Assert.Equal(0, Call(false, CpusetConstants.LevelRoot, CpusetConstants.WhichPid, -1));
        byte[] host = (byte[])buffer.Clone();
        hostCpus = host.Sum(b => System.Numerics.BitOperations.PopCount(b));
        Skip.If(hostCpus < 2, "needs a host with 2 CPUs or more");

        string name = "jpscpu" + Guid.NewGuid().ToString("N")[..6];
        var c = kernel.Catalog;
        int jid = kernel.Set(new List<JailParameterSetting> { new(c.Find("name")!, name), new(c.Find("path")!, _root), new(c.Find("persist")!, true) }, JailFlags.Create, name);
        _jails.Add((kernel, jid));

        int Set(Action<byte[]> fill)
        {
            Array.Clear(buffer);
            fill(buffer);
            return Call(true, CpusetConstants.LevelWhich, CpusetConstants.WhichJail, jid);
        }
        Assert.Equal(0, Set(m => m[0] = 1));                            // narrowed to CPU 0
        Assert.Equal(0, Set(m => host.CopyTo(m, 0)));                   // widened again to all the host's CPUs
        Assert.Equal(0, Call(false, CpusetConstants.LevelWhich, CpusetConstants.WhichJail, jid));
        Assert.Equal(host, buffer);
        Assert.Equal(-1, Set(m => { host.CopyTo(m, 0); m[hostCpus / 8] |= (byte)(1 << (hostCpus % 8)); }));   // a CPU the host lacks
        Assert.Equal(Errno.EINVAL, cpuset.LastErrno);
        Assert.Equal(-1, Set(_ => { }));                                // no CPU at all
        Assert.Equal(Errno.EDEADLK, cpuset.LastErrno);
    }

    [SkippableFact]
    public unsafe void The_host_set_reads_and_a_missing_jail_is_ESRCH()
    {
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "cpuset conformance runs only on FreeBSD (this is " + System.Runtime.InteropServices.RuntimeInformation.OSDescription + ")");
        var host = JailHost.Real();
        var cpus = new JailCpuSetService(host).HostCpus();
        Assert.NotEmpty(cpus);
        Assert.Equal(Environment.ProcessorCount, cpus.Count);
        byte* mask = stackalloc byte[CpusetConstants.MaskBytes];
        Assert.Equal(-1, host.CpusetLibc.CpusetGetAffinity(CpusetConstants.LevelRoot, CpusetConstants.WhichPid, -1, 1, mask));
        Assert.Equal(Errno.ERANGE, host.CpusetLibc.LastErrno);
        Assert.Equal(-1, host.CpusetLibc.CpusetGetAffinity(CpusetConstants.LevelWhich, CpusetConstants.WhichJail, int.MaxValue, CpusetConstants.MaskBytes, mask));
        Assert.Equal(Errno.ESRCH, host.CpusetLibc.LastErrno);
        Assert.Equal("JailNotRunning", Assert.Throws<JailOperationException>(() => new JailCpuSetService(host).JailCpus("nosuch", int.MaxValue)).ErrorId);
    }
}
