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
        string local = files.ToLocalPath(HostPath.Combine(LockDirectory, jailName.Replace('/', '_') + ".lock"));
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new JailLock(new FileStream(local, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                cancellationToken.WaitHandle.WaitOne(100);
                cancellationToken.ThrowIfCancellationRequested();
            }
            catch (IOException ex)
            {
                throw new JailOperationException("JailLocked", jailName,
                    $"jail \"{jailName}\" is locked by another JailPS command ({local}); waited {timeout.TotalSeconds:0}s.",
                    "Wait for the other command to finish, then try again.", ex);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
