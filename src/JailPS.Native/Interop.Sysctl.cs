using System.Runtime.InteropServices;

namespace JailPS.Native;

internal static unsafe partial class Interop
{
    // lib/libc/gen/sysctl.c and sysctlbyname.c: int sysctl(const int *, u_int, void *, size_t *,
    // const void *, size_t); int sysctlbyname(const char *, void *, size_t *, const void *, size_t).

    [LibraryImport(Libc, EntryPoint = "sysctl", SetLastError = true)]
    internal static partial int Sysctl(int* name, uint namelen, void* oldp, nuint* oldlenp, void* newp, nuint newlen);

    [LibraryImport(Libc, EntryPoint = "sysctlbyname", SetLastError = true)]
    internal static partial int SysctlByName(byte* name, void* oldp, nuint* oldlenp, void* newp, nuint newlen);

    // sys/sys/unistd.h / lib/libc: uid_t geteuid(void); never fails.
    [LibraryImport(Libc, EntryPoint = "geteuid")]
    internal static partial uint GetEuid();
}
