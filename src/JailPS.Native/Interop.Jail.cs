using System.Runtime.InteropServices;

namespace JailPS.Native;

internal static unsafe partial class Interop
{
    // Prototypes from sys/sys/jail.h; syscall numbers 507/506/436/508 in sys/kern/syscalls.master.

    [LibraryImport(Libc, EntryPoint = "jail_set", SetLastError = true)]
    internal static partial int JailSet(IoVec* iov, uint niov, int flags);

    [LibraryImport(Libc, EntryPoint = "jail_get", SetLastError = true)]
    internal static partial int JailGet(IoVec* iov, uint niov, int flags);

    [LibraryImport(Libc, EntryPoint = "jail_attach", SetLastError = true)]
    internal static partial int JailAttach(int jid);

    [LibraryImport(Libc, EntryPoint = "jail_remove", SetLastError = true)]
    internal static partial int JailRemove(int jid);

    // FreeBSD 15 only (syscalls 597/598, lib/libsys/Symbol.sys.map FBSD_1.8): absent from 14's libc,
    // where binding them throws EntryPointNotFoundException.

    [LibraryImport(Libc, EntryPoint = "jail_attach_jd", SetLastError = true)]
    internal static partial int JailAttachJd(int fd);

    [LibraryImport(Libc, EntryPoint = "jail_remove_jd", SetLastError = true)]
    internal static partial int JailRemoveJd(int fd);
}
