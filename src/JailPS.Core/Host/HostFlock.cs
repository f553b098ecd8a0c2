using System;
using System.IO;
using System.Threading;

namespace JailPS.Core.Host;

/// <summary>
/// The one way JailPS takes an exclusive flock(2) and waits for another process that holds it: a
/// FileStream with FileShare.None (which .NET implements with flock(LOCK_EX|LOCK_NB) on Unix),
/// retried while the lock is held elsewhere, until a deadline. Used by the per-jail locks, the
/// per-file locks of the host file writer and the simulated kernel's state lock.
/// </summary>
public static class HostFlock
{
    /// <summary>
    /// Opens <paramref name="localPath"/> (created when missing) holding its flock. While another
    /// process holds it, waits <paramref name="poll"/> between tries; at the deadline the last
    /// conflict is thrown (see <see cref="IsHeldByAnother"/>). Any other failure is thrown at once.
    /// </summary>
    public static FileStream Acquire(string localPath, TimeSpan timeout, TimeSpan poll, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(localPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex) when (IsHeldByAnother(ex) && DateTime.UtcNow < deadline)
            {
                if (cancellationToken.WaitHandle.WaitOne(poll))
                    cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>
    /// True when the open failed only because another process holds the flock: .NET reports
    /// flock's EWOULDBLOCK as a plain IOException whose HResult is the raw errno (35 on FreeBSD,
    /// sys/sys/errno.h; 11 on Linux, where only the simulated host runs). Any other failure (a name
    /// too long, a missing directory, EIO) is not a lock, and is never waited out as one.
    /// </summary>
    public static bool IsHeldByAnother(IOException ex) =>
        ex.GetType() == typeof(IOException)
        && ex.HResult == (OperatingSystem.IsFreeBSD() ? JailPS.Native.Errno.EAGAIN : LinuxEWouldBlock);

    private const int LinuxEWouldBlock = 11;
}
