using System;
using JailPS.Native;

namespace JailPS.Core.Kernel;

/// <summary>A failed system call: the syscall, the FreeBSD errno and the kernel's errmsg (or strerror).</summary>
public sealed class JailKernelException : Exception
{
    public JailKernelException(string syscall, int errno, string? kernelMessage, string? target = null)
        : base(Compose(syscall, errno, kernelMessage, target))
    {
        Syscall = syscall;
        Errno = errno;
        KernelMessage = kernelMessage;
        Target = target;
        Data["Errno"] = errno;
        Data["Syscall"] = syscall;
    }

    public string Syscall { get; }
    public int Errno { get; }
    public string ErrnoName => Native.Errno.Name(Errno);
    public string? KernelMessage { get; }
    public string? Target { get; }

    private static string Compose(string syscall, int errno, string? kernelMessage, string? target)
    {
        string what = string.IsNullOrEmpty(kernelMessage) ? Native.Errno.Describe(errno) : kernelMessage!;
        string prefix = target is null ? "" : "jail " + target + ": ";
        return $"{prefix}{syscall}: {what} ({Native.Errno.Name(errno)})";
    }
}
