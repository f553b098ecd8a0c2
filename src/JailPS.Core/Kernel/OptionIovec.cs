using System.Collections.Generic;
using System.Runtime.InteropServices;
using JailPS.Native;

namespace JailPS.Core.Kernel;

/// <summary>
/// The name/value iovec array that jail_set(2) and nmount(2) share (vfs_buildopts; freebsd-abi.md
/// §1.4, §8.1): each name a NUL-terminated string, each value its bytes or, when null, a NULL
/// pointer with length 0, and last an "errmsg" buffer the kernel fills on failure. The arrays are
/// pinned only for the call.
/// </summary>
internal static unsafe class OptionIovec
{
    public delegate int Syscall(IoVec* iov, uint niov);

    /// <summary>Builds the array, makes the call and returns its result, with the kernel's errmsg (null when empty).</summary>
    public static int Invoke(IReadOnlyList<byte[]> names, IReadOnlyList<byte[]?> values, Syscall call, out string? errmsg)
    {
        var iov = new IoVec[(names.Count + 1) * 2];
        var handles = new List<GCHandle>(iov.Length);
        byte* msg = stackalloc byte[JailLimits.ErrMsgLen];
        msg[0] = 0;
        try
        {
            for (int i = 0; i < names.Count; i++)
            {
                iov[2 * i] = Pin(names[i], handles);
                iov[2 * i + 1] = values[i] is { } v ? Pin(v, handles) : default;
            }
            iov[2 * names.Count] = Pin(JailKernel.CString("errmsg"), handles);
            iov[2 * names.Count + 1] = new IoVec((nint)msg, JailLimits.ErrMsgLen);
            int rc;
            fixed (IoVec* p = iov)
                rc = call(p, (uint)iov.Length);
            errmsg = JailKernel.ReadCString(msg, JailLimits.ErrMsgLen);
            return rc;
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }

    private static IoVec Pin(byte[] data, List<GCHandle> handles)
    {
        var h = GCHandle.Alloc(data, GCHandleType.Pinned);
        handles.Add(h);
        return new IoVec(h.AddrOfPinnedObject(), (nuint)data.Length);
    }
}
