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
        try
        {
            return new JailLock(HostFlock.Acquire(local, timeout, TimeSpan.FromMilliseconds(100), cancellationToken));
        }
        catch (IOException ex) when (HostFlock.IsHeldByAnother(ex))
        {
            throw new JailOperationException("JailLocked", jailName,
                $"jail \"{jailName}\" is locked by another JailPS command ({lockPath}); waited {timeout.TotalSeconds:0}s.",
                "Wait for the other command to finish, then try again.", ex);
        }
    }

    public void Dispose() => _stream.Dispose();
}
