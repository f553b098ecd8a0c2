namespace JailPS.Native;

/// <summary>
/// The kernel seam for CPU sets: `int cpuset_getaffinity(cpulevel_t, cpuwhich_t, id_t, size_t,
/// cpuset_t *)` and `cpuset_setaffinity(..., const cpuset_t *)` (sys/sys/cpuset.h; id_t is 64-bit).
/// </summary>
public unsafe interface ICpusetLibc
{
    int CpusetGetAffinity(int level, int which, long id, nuint size, byte* mask);
    int CpusetSetAffinity(int level, int which, long id, nuint size, byte* mask);

    /// <summary>errno left by the last failed call on this thread.</summary>
    int LastErrno { get; }
}
