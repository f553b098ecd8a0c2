using System;
using System.IO;
using System.Threading;
using JailPS.Core.Host;

namespace JailPS.Core.Lifecycle;

/// <summary>
/// Per-jail advisory lock (DESIGN.md "Host safety"): /var/run/jailps/NAME.lock held exclusively,
/// so two pwsh processes cannot start, stop or edit one jail at the same time. .NET takes an
/// flock(2) for FileShare.None on Unix, so the lock is visible across processes.
/// </summary>
public sealed class JailLock : IDisposable
{
    public const string LockDirectory = "/var/run/jailps";
    private readonly FileStream _stream;

    private JailLock(FileStream stream) => _stream = stream;

    public static JailLock Acquire(IHostFileSystem files, string jailName, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        files.CreateDirectory(LockDirectory);
        string lockPath = HostPath.Combine(LockDirectory, HostFileName.ForJail(jailName, ".lock"));
        // Resolved as every host path is (links followed, never out of a simulated host).
        string local = files.ToLocalPath(files.RealPath(lockPath));
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new JailLock(new FileStream(local, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException ex) when (IsHeldByAnother(ex) && DateTime.UtcNow < deadline)
            {
                cancellationToken.WaitHandle.WaitOne(100);
                cancellationToken.ThrowIfCancellationRequested();
            }
            catch (IOException ex) when (IsHeldByAnother(ex))
            {
                throw new JailOperationException("JailLocked", jailName,
                    $"jail \"{jailName}\" is locked by another JailPS command ({lockPath}); waited {timeout.TotalSeconds:0}s.",
                    "Wait for the other command to finish, then try again.", ex);
            }
        }
    }

    /// <summary>
    /// True when the open failed only because another process holds the flock: .NET reports
    /// flock's EWOULDBLOCK as a plain IOException whose HResult is the raw errno (35 on FreeBSD,
    /// sys/sys/errno.h; 11 on Linux, where only the simulated host runs). Any other failure (a name
    /// too long, a missing directory, EIO) is reported at once instead of being waited out as a lock.
    /// </summary>
    private static bool IsHeldByAnother(IOException ex) =>
        ex.GetType() == typeof(IOException)
        && ex.HResult == (OperatingSystem.IsFreeBSD() ? JailPS.Native.Errno.EAGAIN : LinuxEWouldBlock);

    private const int LinuxEWouldBlock = 11;

    public void Dispose() => _stream.Dispose();
}
