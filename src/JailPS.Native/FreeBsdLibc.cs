using System;
using System.Runtime.InteropServices;

namespace JailPS.Native;

/// <summary>The real kernel: direct calls into FreeBSD's libc.so.7. Usable only on FreeBSD.</summary>
public sealed unsafe class FreeBsdLibc : ILibc, IMountLibc, IAtLibc, IStatLibc, INetLibc, IRctlLibc, ICpusetLibc
{
    [ThreadStatic] private static int t_errno;

    public FreeBsdLibc()
    {
        if (!OperatingSystem.IsFreeBSD())
            throw new PlatformNotSupportedException("FreeBsdLibc is only usable on FreeBSD.");
        Interop.EnsureResolver();
    }

    public int LastErrno => t_errno;

    private static int Capture(int result)
    {
        if (result == -1)
            t_errno = Marshal.GetLastPInvokeError();
        return result;
    }

    public int JailSet(IoVec* iov, uint niov, int flags) => Capture(Interop.JailSet(iov, niov, flags));
    public int JailGet(IoVec* iov, uint niov, int flags) => Capture(Interop.JailGet(iov, niov, flags));
    public int JailAttach(int jid) => Capture(Interop.JailAttach(jid));
    public int JailRemove(int jid) => Capture(Interop.JailRemove(jid));
    public int JailAttachJd(int fd) => Since15(() => Interop.JailAttachJd(fd));
    public int JailRemoveJd(int fd) => Since15(() => Interop.JailRemoveJd(fd));

    /// <summary>A FreeBSD 15 call: on 14, whose libc lacks the symbol, it fails as the raw syscall would, with ENOSYS.</summary>
    private static int Since15(Func<int> call)
    {
        try
        {
            return Capture(call());
        }
        catch (EntryPointNotFoundException)
        {
            t_errno = Errno.ENOSYS;
            return -1;
        }
    }

    public int Sysctl(int* name, uint namelen, void* oldp, nuint* oldlenp, void* newp, nuint newlen)
        => Capture(Interop.Sysctl(name, namelen, oldp, oldlenp, newp, newlen));

    public int SysctlByName(byte* name, void* oldp, nuint* oldlenp, void* newp, nuint newlen)
        => Capture(Interop.SysctlByName(name, oldp, oldlenp, newp, newlen));

    public uint GetEuid() => Interop.GetEuid();

    public int Nmount(IoVec* iov, uint niov, int flags) => Capture(Interop.Nmount(iov, niov, flags));
    public int Unmount(byte* path, int flags) => Capture(Interop.Unmount(path, flags));
    public int GetFsStat(StatFs* buf, long bufsize, int mode) => Capture(Interop.GetFsStat(buf, bufsize, mode));
    public int Open(byte* path, int flags) => Capture(Interop.Open(path, flags));
    public int Close(int fd) => Capture(Interop.Close(fd));
    public int Ioctl(int fd, ulong request, void* arg) => Capture(Interop.Ioctl(fd, request, arg));

    public int OpenAt(int fd, byte* path, int flags, int mode) => Capture(Interop.OpenAt(fd, path, flags, mode));

    // IStatLibc
    public int FStat(int fd, Stat* buf) => Capture(Interop.FStat(fd, buf));
    public int FChown(int fd, uint owner, uint group) => Capture(Interop.FChown(fd, owner, group));
    public int MkdirAt(int fd, byte* path, ushort mode) => Capture(Interop.MkdirAt(fd, path, mode));
    public nint ReadLinkAt(int fd, byte* path, byte* buf, nuint bufsize)
    {
        nint n = Interop.ReadLinkAt(fd, path, buf, bufsize);
        if (n == -1)
            t_errno = Marshal.GetLastPInvokeError();
        return n;
    }
    // Close(int) above serves IAtLibc too.

    // INetLibc (Ioctl and Close above serve it too)
    public int Socket(int domain, int type, int protocol) => Capture(Interop.Socket(domain, type, protocol));
    public int GetIfAddrs(IfAddrs** list) => Capture(Interop.GetIfAddrs(list));
    public void FreeIfAddrs(IfAddrs* list) => Interop.FreeIfAddrs(list);

    // IRctlLibc
    public int RctlGetRacct(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen) => Capture(Interop.RctlGetRacct(inbuf, inbuflen, outbuf, outbuflen));
    public int RctlGetRules(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen) => Capture(Interop.RctlGetRules(inbuf, inbuflen, outbuf, outbuflen));
    public int RctlAddRule(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen) => Capture(Interop.RctlAddRule(inbuf, inbuflen, outbuf, outbuflen));
    public int RctlRemoveRule(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen) => Capture(Interop.RctlRemoveRule(inbuf, inbuflen, outbuf, outbuflen));

    // ICpusetLibc
    public int CpusetGetAffinity(int level, int which, long id, nuint size, byte* mask) => Capture(Interop.CpusetGetAffinity(level, which, id, size, mask));
    public int CpusetSetAffinity(int level, int which, long id, nuint size, byte* mask) => Capture(Interop.CpusetSetAffinity(level, which, id, size, mask));
}
