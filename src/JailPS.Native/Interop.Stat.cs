using System.Runtime.InteropServices;

namespace JailPS.Native;

internal static unsafe partial class Interop
{
    // fstat(2): sys/sys/stat.h int fstat(int, struct stat *). The plain symbol binds the default
    // (FBSD_1.5, ino64) version, whose struct stat is the one in Stat.cs.
    [LibraryImport(Libc, EntryPoint = "fstat", SetLastError = true)]
    internal static partial int FStat(int fd, Stat* buf);

    // fchown(2): unistd.h int fchown(int, uid_t, gid_t).
    [LibraryImport(Libc, EntryPoint = "fchown", SetLastError = true)]
    internal static partial int FChown(int fd, uint owner, uint group);
}
