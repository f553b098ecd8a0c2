namespace JailPS.Native;

/// <summary>
/// The kernel seam: the libc function signatures JailPS uses, nothing more convenient.
/// <see cref="FreeBsdLibc"/> calls FreeBSD's libc.so.7; the simulated kernel in JailPS.Core
/// implements the same calls over raw memory. Everything above this interface is one code path.
/// Every method returns what the C function returns; on -1 the FreeBSD errno of the failed
/// call is in <see cref="LastErrno"/> (per thread, like errno).
/// </summary>
public unsafe interface ILibc
{
    int JailSet(IoVec* iov, uint niov, int flags);
    int JailGet(IoVec* iov, uint niov, int flags);
    int JailAttach(int jid);
    int JailRemove(int jid);

    /// <summary>int jail_attach_jd(int fd) — sys/sys/jail.h, FreeBSD 15 (syscall 597, libsys FBSD_1.8).</summary>
    int JailAttachJd(int fd);

    /// <summary>int jail_remove_jd(int fd) — sys/sys/jail.h, FreeBSD 15 (syscall 598, libsys FBSD_1.8).</summary>
    int JailRemoveJd(int fd);

    /// <summary>int close(int) — unistd.h: releases a jail descriptor (an owning one removes its jail).</summary>
    int Close(int fd);
    int Sysctl(int* name, uint namelen, void* oldp, nuint* oldlenp, void* newp, nuint newlen);
    int SysctlByName(byte* name, void* oldp, nuint* oldlenp, void* newp, nuint newlen);
    uint GetEuid();

    /// <summary>errno left by the last failed call on this thread.</summary>
    int LastErrno { get; }
}
