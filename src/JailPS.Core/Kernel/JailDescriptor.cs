using System;
using System.Threading;
using JailPS.Native;

namespace JailPS.Core.Kernel;

/// <summary>
/// A FreeBSD 15 jail descriptor (freebsd-abi.md §1.8, sys/kern/kern_jaildesc.c): a file descriptor
/// that holds one jail. It is never an owning one here (JAIL_OWN_DESC would remove the jail when
/// this process exits), so disposing it only closes the file.
/// </summary>
public sealed class JailDescriptor : IDisposable
{
    private readonly ILibc _libc;
    private int _fd;

    internal JailDescriptor(ILibc libc, int fd, int jid, string name)
    {
        _libc = libc;
        _fd = fd;
        Jid = jid;
        Name = name;
    }

    /// <summary>The descriptor number; -1 once disposed.</summary>
    public int Fd => _fd;

    /// <summary>The jail's id when the descriptor was made.</summary>
    public int Jid { get; }

    /// <summary>The jail's name when the descriptor was made.</summary>
    public string Name { get; }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) _libc.Close(fd);
    }
}
