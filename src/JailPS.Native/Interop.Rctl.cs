using System.Runtime.InteropServices;

namespace JailPS.Native;

internal static unsafe partial class Interop
{
    // sys/sys/rctl.h: int rctl_get_racct(const char *, size_t, char *, size_t) and its siblings
    // (syscalls 525, 526, 528, 529; libc.so.7, libsys on 15).

    [LibraryImport(Libc, EntryPoint = "rctl_get_racct", SetLastError = true)]
    internal static partial int RctlGetRacct(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen);

    [LibraryImport(Libc, EntryPoint = "rctl_get_rules", SetLastError = true)]
    internal static partial int RctlGetRules(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen);

    [LibraryImport(Libc, EntryPoint = "rctl_add_rule", SetLastError = true)]
    internal static partial int RctlAddRule(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen);

    [LibraryImport(Libc, EntryPoint = "rctl_remove_rule", SetLastError = true)]
    internal static partial int RctlRemoveRule(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen);
}

internal static unsafe partial class Interop
{
    // sys/sys/cpuset.h: int cpuset_getaffinity(cpulevel_t, cpuwhich_t, id_t, size_t, cpuset_t *);
    // int cpuset_setaffinity(cpulevel_t, cpuwhich_t, id_t, size_t, const cpuset_t *) (syscalls 487, 488).

    [LibraryImport(Libc, EntryPoint = "cpuset_getaffinity", SetLastError = true)]
    internal static partial int CpusetGetAffinity(int level, int which, long id, nuint size, byte* mask);

    [LibraryImport(Libc, EntryPoint = "cpuset_setaffinity", SetLastError = true)]
    internal static partial int CpusetSetAffinity(int level, int which, long id, nuint size, byte* mask);
}
