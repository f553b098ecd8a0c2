namespace JailPS.Native;

/// <summary>
/// cpuset(2): levels, "which" selectors and the mask size JailPS passes. Facts:
/// freebsd-net-prov-facts.md §3.8 (sys/sys/cpuset.h, _cpuset.h); the level cpuset(1) uses for
/// `cpuset -l LIST -j JAIL` is CPU_LEVEL_WHICH (usr.bin/cpuset/cpuset.c: the default unless -c/-r).
/// </summary>
public static class CpusetConstants
{
    public const int SysCpusetGetAffinity = 487;
    public const int SysCpusetSetAffinity = 488;

    public const int LevelRoot = 1;
    public const int LevelCpuset = 2;
    public const int LevelWhich = 3;

    public const int WhichTid = 1;
    public const int WhichPid = 2;
    public const int WhichCpuset = 3;
    public const int WhichIrq = 4;
    public const int WhichJail = 5;

    /// <summary>
    /// Userland CPU_SETSIZE = CPU_MAXSIZE = 1024 bits: a 128-byte cpuset_t. kern_cpuset.c takes a
    /// size from the kernel's own set (MAXCPU bits: 128 bytes on amd64, 32 on arm64) up to
    /// CPU_MAXSIZE/8, bytes past the kernel's set being zero, so 128 serves both.
    /// </summary>
    public const int MaskBytes = 128;
}
