using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Limits;
using JailPS.Native;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// cpuset(2) against the real FreeBSD kernel (trait Category=FreeBSD), the answers the simulated
/// kernel gives: the host's CPUs at the root level through a 128-byte mask, ERANGE for a mask
/// smaller than the kernel's set, ESRCH for a jail that is not there. Skipped elsewhere with the reason.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class CpusetConformanceTests
{
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
