using System.Runtime.InteropServices;

namespace JailPS.Native;

/// <summary>
/// struct iovec (sys/sys/_iovec.h): void *iov_base at 0, size_t iov_len at 8; 16 bytes on LP64
/// (amd64, arm64). The kernel rewrites iov_len of value entries on jail_get(2).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct IoVec
{
    public nint Base;
    public nuint Length;

    public IoVec(nint @base, nuint length)
    {
        Base = @base;
        Length = length;
    }
}
