using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace JailPS.Core.Processes;

/// <summary>Running a process whose output lines must reach the caller's thread while it runs.</summary>
public static class ProcessPump
{
    /// <summary>
    /// Runs a command on a worker thread and hands the lines it writes to <paramref name="deliver"/>
    /// on this thread, in the order they arrived, as many at a time as have arrived: the cmdlets may
    /// write to the pipeline only from its own thread, and a long exec.start (/etc/rc) should show
    /// its lines while it runs, not after. If <paramref name="deliver"/> throws (the pipeline is
    /// stopping, or -InformationAction Stop), the command is killed and waited for before the
    /// exception goes on, so no hook outlives the cmdlet.
    /// </summary>
    public static ProcessResult RunDelivering(IProcessRunner runner, ProcessRequest request, BlockingCollection<(string Stream, string Line)> lines,
        Action<IReadOnlyList<(string Stream, string Line)>> deliver, CancellationToken cancel = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var run = Task.Factory.StartNew(() =>
        {
            try
            {
                return runner.Run(request, stop.Token);
            }
            finally
            {
                // The runner makes no line callback once Run has returned, so nothing is added after this.
                lines.CompleteAdding();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        bool delivered = false;
        try
        {
            var batch = new List<(string Stream, string Line)>();
            foreach (var first in lines.GetConsumingEnumerable())
            {
                batch.Add(first);
                while (lines.TryTake(out var more))
                    batch.Add(more);
                deliver(batch);
                batch.Clear();
            }
            delivered = true;
        }
        finally
        {
            if (!delivered)
            {
                stop.Cancel();
                // The command's own end (OperationCanceledException) is not the news: the caller's exception is.
                try { run.Wait(); }
                catch (AggregateException) { }
            }
            lines.Dispose();
        }
        return run.GetAwaiter().GetResult();
    }


    /// <summary>
    /// Runs <paramref name="request"/> (its line callbacks replaced) and hands each line of standard
    /// output and error to <paramref name="onLine"/> on this thread while it runs.
    /// </summary>
    public static ProcessResult RunWithLines(IProcessRunner runner, ProcessRequest request, Action<string, bool> onLine, CancellationToken cancel = default)
    {
        var lines = new BlockingCollection<(string Stream, string Line)>();
        var pumped = new ProcessRequest
        {
            Arguments = request.Arguments, Jid = request.Jid, JailName = request.JailName, Purpose = request.Purpose,
            DisplayText = request.DisplayText, Environment = request.Environment, CleanEnvironment = request.CleanEnvironment,
            WorkingDirectory = request.WorkingDirectory, Timeout = request.Timeout, StandardInput = request.StandardInput,
            OnOutputLine = line => lines.Add(("stdout", line)),
            OnErrorLine = line => lines.Add(("stderr", line)),
        };
        return RunDelivering(runner, pumped, lines, batch =>
        {
            foreach (var (stream, line) in batch) onLine(line, stream == "stderr");
        }, cancel);
    }
}
