using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace JailPS.Core.Processes;

/// <summary>Runs real processes (FreeBSD host only): argv is passed as an array, never through a shell string.</summary>
public sealed class SystemProcessRunner : IProcessRunner
{
    public ProcessResult Run(ProcessRequest request, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(request.Arguments[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = request.StandardInput != null,
            UseShellExecute = false,
            WorkingDirectory = request.WorkingDirectory ?? "/",
        };
        for (int i = 1; i < request.Arguments.Count; i++)
            psi.ArgumentList.Add(request.Arguments[i]);
        if (request.CleanEnvironment)
        {
            string? term = psi.Environment.TryGetValue("TERM", out var t) ? t : null;
            psi.Environment.Clear();
            if (term != null) psi.Environment["TERM"] = term;
            psi.Environment["PATH"] = "/bin:/usr/bin";
        }
        if (request.Environment != null)
            foreach (var kv in request.Environment)
                psi.Environment[kv.Key] = kv.Value;

        var sw = Stopwatch.StartNew();
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + request.Arguments[0]);
        // Read both streams concurrently so a large stderr cannot block a process writing stdout.
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (request.StandardInput != null)
        {
            process.StandardInput.Write(request.StandardInput);
            process.StandardInput.Close();
        }
        bool timedOut = false;
        using (var timeout = request.Timeout is { } ts ? new CancellationTokenSource(ts) : new CancellationTokenSource())
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken))
        {
            try
            {
                process.WaitForExitAsync(linked.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                timedOut = timeout.IsCancellationRequested;
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit();
                if (!timedOut) cancellationToken.ThrowIfCancellationRequested();
            }
        }
        return new ProcessResult
        {
            ExitCode = timedOut ? -1 : process.ExitCode,
            StandardOutput = stdout.GetAwaiter().GetResult(),
            StandardError = stderr.GetAwaiter().GetResult(),
            TimedOut = timedOut,
            Duration = sw.Elapsed,
        };
    }
}
