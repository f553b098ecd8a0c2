using System.Runtime.InteropServices;

namespace JailPS.Native;

internal static unsafe partial class Interop
{
    // sys/sys/socket.h int socket(int, int, int); include/ifaddrs.h int getifaddrs(struct ifaddrs **),
    // void freeifaddrs(struct ifaddrs *). getifaddrs is libc proper (lib/libc/net/getifaddrs.c,
    // built on sysctl NET_RT_IFLISTL); socket is a system call stub (libsys.so.7 on 15, reached
    // through libc.so.7 as the jail calls are).

    [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Libc, EntryPoint = "getifaddrs", SetLastError = true)]
    internal static partial int GetIfAddrs(IfAddrs** list);

    [LibraryImport(Libc, EntryPoint = "freeifaddrs")]
    internal static partial void FreeIfAddrs(IfAddrs* list);
}
