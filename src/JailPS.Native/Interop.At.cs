using System.Runtime.InteropServices;

namespace JailPS.Native;

internal static unsafe partial class Interop
{
    // openat(2): sys/sys/fcntl.h int openat(int, const char *, int, ...);
    // mkdirat(2): sys/sys/stat.h int mkdirat(int, const char *, mode_t);  mode_t = __uint16_t.
    // readlinkat(2): unistd.h.
    //
    // openat is variadic in C; it is declared here with the mode as a fourth fixed int argument.
    // On amd64 (System V) and arm64 (AAPCS64 as FreeBSD uses it) variadic integer arguments are
    // passed in the same registers as named ones, and a mode_t promoted through `...` is an int,
    // so the callee's va_arg(ap, int) finds it (same reasoning as open in Interop.Descriptors.cs).

    [LibraryImport(Libc, EntryPoint = "openat", SetLastError = true)]
    internal static partial int OpenAt(int fd, byte* path, int flags, int mode);

    // unistd.h ssize_t readlinkat(int, const char *restrict, char *restrict, size_t); ssize_t/size_t are 8 bytes on amd64/arm64.
    [LibraryImport(Libc, EntryPoint = "readlinkat", SetLastError = true)]
    internal static partial nint ReadLinkAt(int fd, byte* path, byte* buf, nuint bufsize);

    [LibraryImport(Libc, EntryPoint = "mkdirat", SetLastError = true)]
    internal static partial int MkdirAt(int fd, byte* path, ushort mode);
}
