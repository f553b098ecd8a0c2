namespace JailPS.Native;

/// <summary>
/// RCTL(4)/RACCT: system call numbers, the buffer protocol's limit, and the resources with their
/// flags. Facts: freebsd-net-prov-facts.md §3.1–§3.4; syscall numbers sys/sys/syscall.h; resource
/// ids sys/sys/racct.h; flags racct_types[] in sys/kern/kern_racct.c.
/// </summary>
public static class RctlConstants
{
    // sys/sys/syscall.h: SYS_rctl_get_racct .. SYS_rctl_remove_rule (libc exports each by name).
    public const int SysRctlGetRacct = 525;
    public const int SysRctlGetRules = 526;
    public const int SysRctlGetLimits = 527;
    public const int SysRctlAddRule = 528;
    public const int SysRctlRemoveRule = 529;

    /// <summary>kern_rctl.c: an input longer than this (NUL included) is E2BIG.</summary>
    public const int MaxInputBytes = 4096;

    /// <summary>usr.bin/rctl/rctl.c starts with a 128 KiB output buffer and grows it on ERANGE.</summary>
    public const int InitialOutputBytes = 128 * 1024;

    /// <summary>kern.racct.rctl.maxbufsize's default: a larger answer is E2BIG.</summary>
    public const int MaxOutputBytes = 16 * 1024 * 1024;

    // sys/sys/racct.h resource flags.
    public const int InMillions = 0x01;
    public const int Reclaimable = 0x02;
    public const int Inheritable = 0x04;
    public const int Deniable = 0x08;
    public const int Sloppy = 0x10;
    public const int Decaying = 0x20;

    /// <summary>The resources by id (racct.h), with their racct_types[] flags (kern_racct.c).</summary>
    public static readonly (string Name, int Flags)[] Resources =
    {
        ("cputime", InMillions),
        ("datasize", Reclaimable | Inheritable | Deniable),
        ("stacksize", Reclaimable | Inheritable | Deniable),
        ("coredumpsize", Deniable),
        ("memoryuse", Reclaimable),
        ("memorylocked", Reclaimable | Deniable),
        ("maxproc", Reclaimable | Deniable),
        ("openfiles", Reclaimable | Inheritable | Deniable),
        ("vmemoryuse", Reclaimable | Inheritable | Deniable),
        ("pseudoterminals", Reclaimable | Deniable | Sloppy),
        ("swapuse", Reclaimable | Deniable | Sloppy),
        ("nthr", Reclaimable | Deniable),
        ("msgqqueued", Reclaimable | Deniable | Sloppy),
        ("msgqsize", Reclaimable | Deniable | Sloppy),
        ("nmsgq", Reclaimable | Deniable | Sloppy),
        ("nsem", Reclaimable | Deniable | Sloppy),
        ("nsemop", Reclaimable | Inheritable | Deniable),
        ("nshm", Reclaimable | Deniable | Sloppy),
        ("shmsize", Reclaimable | Deniable | Sloppy),
        ("wallclock", InMillions),
        ("pcpu", Decaying | Deniable | InMillions),
        ("readbps", Decaying),
        ("writebps", Decaying),
        ("readiops", Decaying),
        ("writeiops", Decaying),
    };

    /// <summary>The actions that are not signals (rctl.h): deny, log, devctl, throttle.</summary>
    public static readonly string[] NonSignalActions = { "deny", "log", "devctl", "throttle" };

    /// <summary>Subject types (rctl.h): process, user, loginclass, jail.</summary>
    public static readonly string[] Subjects = { "process", "user", "loginclass", "jail" };

    public static int ResourceId(string name)
    {
        for (int i = 0; i < Resources.Length; i++)
            if (string.Equals(Resources[i].Name, name, System.StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }
}
