using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Threading;

namespace JailPS.Core.Processes;

/// <summary>
/// Runs real processes (the FreeBSD host: /usr/sbin/jexec and host tools). argv is passed as an
/// array (execve, no shell in between); standard output and error are read concurrently and cut
/// into lines as they arrive; standard input is written by its own thread; a timeout or a
/// cancellation kills the whole process tree and waits until it is gone.
/// </summary>
/// <remarks>
/// The pipes are served by dedicated threads and the exit is awaited without the thread pool:
/// callers fan out over many jails from pool threads they block in <see cref="Run"/>, and
/// readers that needed the pool as well would starve behind them.
/// </remarks>
public sealed class SystemProcessRunner : IProcessRunner
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>How often a wait for the process looks at the timeout and the cancellation token.</summary>
    private const int PollMilliseconds = 25;

    /// <summary>
    /// How long, once the process has exited (or was killed), a read of its output may wait for
    /// more data before the runner stops reading. The pipes normally reach end-of-file at once; a
    /// background process the command left behind (a daemon that kept stdout) would otherwise
    /// hold the call open for as long as it lives.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public ProcessResult Run(ProcessRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Arguments is null || request.Arguments.Count == 0)
            throw new ArgumentException("the request has no program (Arguments is empty).", nameof(request));
        cancellationToken.ThrowIfCancellationRequested();
        return request.Interactive ? RunInteractive(request, cancellationToken) : RunRedirected(request, cancellationToken);
    }

    private static ProcessStartInfo StartInfo(ProcessRequest request, bool redirect)
    {
        var psi = new ProcessStartInfo(request.Arguments[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = redirect,
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
            WorkingDirectory = request.WorkingDirectory ?? "/",
        };
        if (redirect)
        {
            psi.StandardInputEncoding = s_utf8;
            psi.StandardOutputEncoding = s_utf8;
            psi.StandardErrorEncoding = s_utf8;
        }
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
        return psi;
    }

    private static Process Start(ProcessStartInfo psi, string program)
    {
        try
        {
            return Process.Start(psi) ?? throw new InvalidOperationException("could not start " + program);
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"could not start {program}: {ex.Message}", ex);
        }
    }

    private static ProcessResult RunInteractive(ProcessRequest request, CancellationToken cancellationToken)
    {
        var psi = StartInfo(request, redirect: false);
        DateTime startTime = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        using var process = Start(psi, request.Arguments[0]);
        Ending ending = WaitOrKill(process, clock, request.Timeout, cancellationToken, abort: null);
        if (ending == Ending.Cancelled)
            throw Cancelled(cancellationToken);
        return new ProcessResult
        {
            ExitCode = ending == Ending.TimedOut ? -1 : process.ExitCode,
            TimedOut = ending == Ending.TimedOut,
            StartTime = startTime,
            Duration = clock.Elapsed,
        };
    }

    private ProcessResult RunRedirected(ProcessRequest request, CancellationToken cancellationToken)
    {
        var psi = StartInfo(request, redirect: true);
        DateTime startTime = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        using var process = Start(psi, request.Arguments[0]);
        // Not disposed: a pump thread left blocked on a stray process's pipe may still touch it.
        var abort = new ManualResetEventSlim();
        var stdout = new LinePump(process.StandardOutput.BaseStream, request.OnOutputLine, abort, cancellationToken, "stdout");
        var stderr = new LinePump(process.StandardError.BaseStream, request.OnErrorLine, abort, cancellationToken, "stderr");
        var input = new InputFeeder(process.StandardInput, request.StandardInput);

        Ending ending = Ending.Exited;
        try
        {
            ending = WaitOrKill(process, clock, request.Timeout, cancellationToken, abort);
            Drain(stdout, stderr, cancellationToken);
        }
        finally
        {
            // Nothing of ours outlives the call: no further line callback, and the threads are
            // either finished or (blocked on a pipe a stray descendant holds) detached.
            stdout.Stop();
            stderr.Stop();
            input.Finish(DrainTimeout);
        }

        // Cancellation first: a callback that failed because its pipeline is stopping is not the news.
        if (ending == Ending.Cancelled || cancellationToken.IsCancellationRequested)
            throw Cancelled(cancellationToken);
        if ((stdout.Fault ?? stderr.Fault) is { } fault)
            ExceptionDispatchInfo.Capture(fault).Throw();
        return new ProcessResult
        {
            ExitCode = ending == Ending.TimedOut ? -1 : process.ExitCode,
            StandardOutput = stdout.Text,
            StandardError = stderr.Text,
            TimedOut = ending == Ending.TimedOut,
            StartTime = startTime,
            Duration = clock.Elapsed,
        };
    }

    private enum Ending { Exited, TimedOut, Cancelled, Aborted }

    /// <summary>
    /// Waits until the process exits. On timeout, cancellation or abort (a line callback threw) it
    /// kills the process tree and waits until the tree is gone. A process that ended by itself
    /// just as the wait gave up is reported as exited.
    /// </summary>
    private static Ending WaitOrKill(Process process, Stopwatch clock, TimeSpan? timeout, CancellationToken cancellationToken, ManualResetEventSlim? abort)
    {
        long limit = timeout is { } t && t != System.Threading.Timeout.InfiniteTimeSpan
            ? (long)Math.Max(0, Math.Min(t.TotalMilliseconds, long.MaxValue / 2))
            : -1;
        while (true)
        {
            long left = limit < 0 ? PollMilliseconds : limit - clock.ElapsedMilliseconds;
            if (left > 0 && process.WaitForExit((int)Math.Min(left, PollMilliseconds)))
                return Ending.Exited;
            Ending why = cancellationToken.IsCancellationRequested ? Ending.Cancelled
                : abort?.IsSet == true ? Ending.Aborted
                : limit >= 0 && clock.ElapsedMilliseconds >= limit ? Ending.TimedOut
                : Ending.Exited;
            if (why == Ending.Exited)
                continue;
            return KillTree(process) ? why : Ending.Exited;
        }
    }

    private static OperationCanceledException Cancelled(CancellationToken cancellationToken)
        => new("the process was ended because the operation was cancelled.", cancellationToken);

    /// <summary>
    /// Kills the process and its descendants and waits until they are gone: the process itself
    /// is reaped; each descendant (listed before the kill) has exited or is a zombie waiting for
    /// its new parent. Returns false when the process had already exited.
    /// </summary>
    private static bool KillTree(Process process)
    {
        if (process.HasExited)
            return false;
        List<Member> tree = Descendants(process.Id);
        try
        {
            // Stops each process before listing its children, so the tree cannot grow while it is walked.
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { }   // exited meanwhile
        catch (AggregateException) { }          // a descendant exited meanwhile; the rest are killed
        catch (Win32Exception) { }
        process.WaitForExit();
        WaitUntilGone(tree);
        return true;
    }

    /// <summary>A process of the tree as it was before the kill; its start time tells it from a later process that reuses the pid.</summary>
    private readonly record struct Member(Process Process, DateTime StartTime);

    private const int TreeExitTimeoutMilliseconds = 5000;

    /// <summary>
    /// .NET knows every process's parent on the systems it runs on (procfs on Linux, kinfo_proc
    /// on FreeBSD) and uses it for Kill(entireProcessTree), but keeps the property internal. It is
    /// looked up once; when a runtime lacks it, the tree is still killed, only not waited for.
    /// </summary>
    private static readonly Func<Process, int>? s_parentOf = ParentLookup();

    private static Func<Process, int>? ParentLookup()
    {
        try
        {
            var getter = typeof(Process).GetProperty("ParentProcessId", BindingFlags.Instance | BindingFlags.NonPublic)?.GetMethod;
            return getter is { ReturnType: var t } && t == typeof(int)
                ? (Func<Process, int>)getter.CreateDelegate(typeof(Func<Process, int>))
                : null;
        }
        catch (ArgumentException) { return null; }
        catch (MemberAccessException) { return null; }
    }

    private static List<Member> Descendants(int rootPid)
    {
        var found = new List<Member>();
        if (s_parentOf is null)
            return found;
        var children = new Dictionary<int, List<Process>>();
        Process[] all;
        try { all = Process.GetProcesses(); }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or IOException or UnauthorizedAccessException) { return found; }
        var kept = new HashSet<Process>();
        foreach (var p in all)
        {
            int parent;
            try { parent = s_parentOf(p); }
            catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or IOException or UnauthorizedAccessException or ArgumentException)
            {
                continue; // gone while listing
            }
            if (!children.TryGetValue(parent, out var list))
                children[parent] = list = new List<Process>();
            list.Add(p);
        }
        var queue = new Queue<int>();
        queue.Enqueue(rootPid);
        while (queue.Count > 0 && found.Count < all.Length)
        {
            if (!children.TryGetValue(queue.Dequeue(), out var list))
                continue;
            foreach (var child in list)
            {
                DateTime started;
                try { started = child.StartTime; }
                catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or IOException or UnauthorizedAccessException) { continue; }
                found.Add(new Member(child, started));
                kept.Add(child);
                queue.Enqueue(child.Id);
            }
        }
        foreach (var p in all)
            if (!kept.Contains(p))
                p.Dispose();
        return found;
    }

    /// <summary>
    /// Waits (bounded) until every listed descendant is gone. One that the kill missed (its
    /// parent died between the listing and the kill, so it was no longer in the tree) is killed
    /// here, after checking by start time that the pid still names the same process.
    /// </summary>
    private static void WaitUntilGone(List<Member> tree)
    {
        if (tree.Count == 0)
            return;
        var clock = Stopwatch.StartNew();
        bool killedStragglers = false;
        try
        {
            while (true)
            {
                tree.RemoveAll(m => IsGone(m));
                if (tree.Count == 0 || clock.ElapsedMilliseconds > TreeExitTimeoutMilliseconds)
                    return;
                if (!killedStragglers && clock.ElapsedMilliseconds > 100)
                {
                    killedStragglers = true;
                    foreach (var m in tree)
                        try { m.Process.Kill(); }
                        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException) { }
                }
                Thread.Sleep(5);
            }
        }
        finally
        {
            foreach (var m in tree)
                m.Process.Dispose();
        }
    }

    private static bool IsGone(Member m)
    {
        try
        {
            m.Process.Refresh();
            if (m.Process.HasExited || m.Process.StartTime != m.StartTime)
                return Dispose(m.Process);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or IOException or UnauthorizedAccessException)
        {
            return Dispose(m.Process);
        }
        // Dead but not yet reaped by its new parent: nothing runs any more (Linux shows it in procfs).
        return IsZombie(m.Process.Id) && Dispose(m.Process);
    }

    private static bool Dispose(Process p)
    {
        p.Dispose();
        return true;
    }

    private static bool IsZombie(int pid)
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            string stat = File.ReadAllText("/proc/" + pid.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/stat");
            int close = stat.LastIndexOf(')');
            return close >= 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
        }
        catch (IOException) { return true; }               // no such process any more
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// After the process is gone, reads what is left in the pipes. Descendants that still hold a
    /// pipe end (a daemon the command started) are not waited for longer than
    /// <see cref="DrainTimeout"/> of silence; a slow line callback is not cut short.
    /// </summary>
    private void Drain(LinePump stdout, LinePump stderr, CancellationToken cancellationToken)
    {
        long grace = (long)DrainTimeout.TotalMilliseconds;
        var done = new WaitHandle[] { stdout.Done, stderr.Done };
        while (!WaitHandle.WaitAll(done, 0))
        {
            if (cancellationToken.IsCancellationRequested)
                return; // the caller stops the pumps
            stdout.StopIfIdleFor(grace);
            stderr.StopIfIdleFor(grace);
            WaitHandle.WaitAny(done, PollMilliseconds);
        }
    }

    /// <summary>
    /// Writes the request's text to the process's stdin on its own thread (a process that reads
    /// slowly or not at all blocks only that thread) and closes it; with no text, closes it at
    /// once so a command that reads stdin sees end-of-file. A broken pipe (the process exited or
    /// closed its stdin) ends the writing quietly.
    /// </summary>
    private sealed class InputFeeder
    {
        private readonly StreamWriter _stdin;
        private readonly byte[]? _bytes;
        private readonly Thread? _thread;

        public InputFeeder(StreamWriter stdin, string? text)
        {
            _stdin = stdin;
            if (string.IsNullOrEmpty(text))
            {
                Close();
                return;
            }
            _bytes = s_utf8.GetBytes(text);
            _thread = new Thread(Write) { IsBackground = true, Name = "jailps stdin" };
            _thread.Start();
        }

        private void Write()
        {
            try
            {
                const int Chunk = 64 * 1024;
                for (int offset = 0; offset < _bytes!.Length; offset += Chunk)
                    _stdin.BaseStream.Write(_bytes, offset, Math.Min(Chunk, _bytes.Length - offset));
            }
            catch (IOException) { }                 // EPIPE
            catch (ObjectDisposedException) { }
            finally
            {
                Close();
            }
        }

        private void Close()
        {
            try { _stdin.Dispose(); }
            catch (IOException) { }
            catch (ObjectDisposedException) { }
        }

        /// <summary>
        /// Waits for the writer, which ends by itself once the process tree is gone (broken pipe).
        /// Only a stray descendant holding stdin without reading it keeps it blocked; then it is
        /// left behind and ends when that process does.
        /// </summary>
        public void Finish(TimeSpan grace) => _thread?.Join(grace);
    }

    /// <summary>
    /// Reads one output pipe to its end on its own thread: keeps the whole text and hands each
    /// line (up to '\n', without it and without a trailing '\r'; a last unterminated line too) to
    /// a callback, in order, one at a time.
    /// </summary>
    private sealed class LinePump
    {
        private readonly Stream _stream;
        private readonly Action<string>? _onLine;
        private readonly ManualResetEventSlim _abort;
        private readonly CancellationToken _cancelled;
        private readonly object _gate = new();
        private readonly StringBuilder _text = new();
        private readonly StringBuilder _line = new();
        private readonly Decoder _decoder = s_utf8.GetDecoder();
        private bool _stopped;          // under _gate: no more text, no more callbacks
        private bool _inCallback;       // under _gate
        private long _readPendingSince; // Environment.TickCount64 when the current read began; 0 when not reading

        public LinePump(Stream stream, Action<string>? onLine, ManualResetEventSlim abort, CancellationToken cancelled, string name)
        {
            _stream = stream;
            _onLine = onLine;
            _abort = abort;
            _cancelled = cancelled;
            new Thread(Pump) { IsBackground = true, Name = "jailps " + name }.Start();
        }

        /// <summary>Set when the pipe reached its end, the pump was stopped, or a callback failed. Never disposed: a detached thread may still set it.</summary>
        public ManualResetEvent Done { get; } = new(false);
        public Exception? Fault { get; private set; }

        public string Text
        {
            get { lock (_gate) return _text.ToString(); }
        }

        /// <summary>
        /// Stops taking output and calling back, once a callback in progress has returned; a read
        /// blocked on a pipe that a stray process holds is left to end with that process. With
        /// <paramref name="deliverBegunLine"/>, a line begun but not ended is still called back.
        /// </summary>
        public void Stop(bool deliverBegunLine = false)
        {
            string? begun = null;
            lock (_gate)
            {
                if (_stopped)
                    return;
                _stopped = true;
                while (_inCallback)
                    Monitor.Wait(_gate);
                if (deliverBegunLine && _onLine != null && _line.Length > 0 && Fault is null)
                    begun = CutLine();
            }
            try
            {
                if (begun != null && !_cancelled.IsCancellationRequested)
                    _onLine!(begun);
            }
            catch (Exception ex)
            {
                Fault = ex;
            }
            finally
            {
                Done.Set();
            }
        }

        /// <summary>Stops the pump when it has been waiting for data longer than <paramref name="milliseconds"/>.</summary>
        public void StopIfIdleFor(long milliseconds)
        {
            long since = Interlocked.Read(ref _readPendingSince);
            if (since != 0 && Environment.TickCount64 - since > milliseconds)
                Stop(deliverBegunLine: true);
        }

        private void Pump()
        {
            byte[] bytes = new byte[64 * 1024];
            char[] chars = new char[s_utf8.GetMaxCharCount(bytes.Length)];
            try
            {
                while (true)
                {
                    Interlocked.Exchange(ref _readPendingSince, Math.Max(1, Environment.TickCount64));
                    int n;
                    try { n = _stream.Read(bytes, 0, bytes.Length); }
                    catch (IOException) { n = 0; }
                    catch (ObjectDisposedException) { n = 0; }
                    finally { Interlocked.Exchange(ref _readPendingSince, 0); }
                    int count = _decoder.GetChars(bytes, 0, n, chars, 0, flush: n == 0);
                    if (!Take(chars, count))
                        return;
                    if (n == 0)
                    {
                        EndLastLine();
                        return;
                    }
                }
            }
            catch (Exception ex)
            {
                // A line callback threw: remember it; Run stops the process and rethrows it.
                Fault = ex;
                _abort.Set();
            }
            finally
            {
                Done.Set();
            }
        }

        /// <summary>Takes decoded text and calls back for each line it completes. False once stopped.</summary>
        private bool Take(char[] chars, int count)
        {
            lock (_gate)
            {
                if (_stopped)
                    return false;
                _text.Append(chars, 0, count);
            }
            if (_onLine is null)
                return true;
            int start = 0;
            for (int i = 0; i < count; i++)
            {
                if (chars[i] != '\n')
                    continue;
                string line;
                lock (_gate)
                {
                    if (_stopped)
                        return false;
                    _line.Append(chars, start, i - start);
                    line = CutLine();
                    _inCallback = true;
                }
                CallBack(line);
                start = i + 1;
            }
            lock (_gate)
            {
                if (_stopped)
                    return false;
                _line.Append(chars, start, count - start);
            }
            return true;
        }

        private void EndLastLine()
        {
            string line;
            lock (_gate)
            {
                if (_stopped || _onLine is null || _line.Length == 0)
                    return;
                line = CutLine();
                _inCallback = true;
            }
            CallBack(line);
        }

        /// <summary>Calls back outside the lock (the caller set _inCallback); once the caller cancelled, lines are dropped.</summary>
        private void CallBack(string line)
        {
            try
            {
                if (!_cancelled.IsCancellationRequested)
                    _onLine!(line);
            }
            finally
            {
                lock (_gate)
                {
                    _inCallback = false;
                    Monitor.PulseAll(_gate);
                }
            }
        }

        private string CutLine()
        {
            int length = _line.Length;
            if (length > 0 && _line[length - 1] == '\r')
                length--;
            string line = _line.ToString(0, length);
            _line.Clear();
            return line;
        }
    }
}
