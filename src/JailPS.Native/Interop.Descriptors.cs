using System.Runtime.InteropServices;

namespace JailPS.Native;

internal static unsafe partial class Interop
{
    // open(2), close(2), ioctl(2): sys/sys/fcntl.h int open(const char *, int, ...);
    // unistd.h int close(int); sys/sys/ioccom.h int ioctl(int, unsigned long, ...).
    //
    // open and ioctl are variadic in C. They are declared here with fixed arguments, which is
    // correct for the two FreeBSD targets: on amd64 (System V ABI) and on arm64 (AAPCS64, which
    // FreeBSD follows without Apple's variadic-on-stack rule) the variadic integer/pointer
    // arguments travel in the same registers as named ones, so a callee reading one pointer
    // through va_arg finds it where a fixed-argument caller put it. (amd64 callers of variadic
    // functions also set %al to the number of vector registers used; a va_start prologue only
    // tests it to decide whether to spill XMM registers, and no floating-point argument is
    // involved here. libc's ioctl is a system-call stub with no va_start at all.) open is declared without
    // the mode argument: it is only read with O_CREAT, which JailPS never passes to Open.

    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true)]
    internal static partial int Open(byte* path, int flags);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Libc, EntryPoint = "ioctl", SetLastError = true)]
    internal static partial int Ioctl(int fd, ulong request, void* arg);
}
