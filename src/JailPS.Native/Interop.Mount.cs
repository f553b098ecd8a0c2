using System.Runtime.InteropServices;

namespace JailPS.Native;

internal static unsafe partial class Interop
{
    // Prototypes from sys/sys/mount.h (userland section): int nmount(struct iovec *, unsigned int, int);
    // int unmount(const char *, int); int getfsstat(struct statfs *, long, int).
    // getfsstat is bound by its default symbol, which takes the ino64 struct statfs (see StatFs).

    [LibraryImport(Libc, EntryPoint = "nmount", SetLastError = true)]
    internal static partial int Nmount(IoVec* iov, uint niov, int flags);

    [LibraryImport(Libc, EntryPoint = "unmount", SetLastError = true)]
    internal static partial int Unmount(byte* path, int flags);

    [LibraryImport(Libc, EntryPoint = "getfsstat", SetLastError = true)]
    internal static partial int GetFsStat(StatFs* buf, long bufsize, int mode);
}
