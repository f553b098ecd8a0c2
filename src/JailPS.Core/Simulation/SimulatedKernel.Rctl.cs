using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>
/// RCTL behind <see cref="IRctlLibc"/>, as sys/kern/kern_rctl.c answers (freebsd-net-prov-facts.md
/// §3.2–§3.7): ENOSYS when RACCT is off; EINVAL for an empty input, E2BIG past 4096 bytes; rules
/// `subject:id:resource:action=amount[/per]` with names case-insensitive; a jail rule keyed by the
/// jail's NAME, kept after the jail is gone (it applies to the next jail of that name); deny only
/// on a deniable resource or memoryuse, throttle only on a decaying one but pcpu, per=process
/// refused on a sloppy one; a second deny rule that differs only in its amount replaces the first;
/// remove with nothing matched is ESRCH; an answer that does not fit is ERANGE. Usage accounts what
/// the model has: a jail's processes (maxproc, nthr); the rest reads 0 unless a test sets it (SetRacctUsage).
/// </summary>
public sealed unsafe partial class SimulatedKernel : IRctlLibc
{
    private sealed record RctlRule(string Subject, string SubjectId, int Resource, string Action, long Amount, string Per)
    {
        public override string ToString()
            => $"{Subject}:{SubjectId}:{RctlConstants.Resources[Resource].Name}:{Action}={Amount}" + (Per == Subject ? "" : "/" + Per);
    }

    /// <summary>A filter: every field may be missing (null), from the right.</summary>
    private sealed record RctlFilter(string? Subject, string? SubjectId, int? Resource, string? Action, long? Amount, string? Per)
    {
        public bool Matches(RctlRule r)
            => (Subject is null || Subject == r.Subject) && (SubjectId is null || SubjectId == r.SubjectId) && (Resource is null || Resource == r.Resource)
               && (Action is null || Action == r.Action) && (Amount is null || Amount == r.Amount) && (Per is null || Per == r.Per);
    }

    private readonly List<RctlRule> _rctl = new();

    /// <summary>Usage a test (or a runbook's simulated host) tells the model to report for a jail name, by resource; not saved.</summary>
    private readonly Dictionary<(string Jail, int Resource), long> _racctUsage = new();

    /// <summary>Makes rctl_get_racct report this usage of a resource for the jail (the model counts only processes by itself).</summary>
    public void SetRacctUsage(string jail, string resource, long value)
    {
        int id = RctlConstants.ResourceId(resource);
        if (id < 0) throw new ArgumentException($"no rctl resource {resource}", nameof(resource));
        lock (_lock) _racctUsage[(jail, id)] = value;
    }

    /// <summary>The rules in the kernel, as rctl(8) lists them.</summary>
    public IReadOnlyList<string> RctlRules { get { lock (_lock) return _rctl.Select(r => r.ToString()).ToList(); } }

    private static readonly Dictionary<string, int> s_signals = new(StringComparer.Ordinal)
    {
        // sys/sys/signal.h numbers; rctl.h encodes a signal action as its number.
        ["sighup"] = 1, ["sigint"] = 2, ["sigquit"] = 3, ["sigill"] = 4, ["sigtrap"] = 5, ["sigabrt"] = 6, ["sigemt"] = 7, ["sigfpe"] = 8,
        ["sigkill"] = 9, ["sigbus"] = 10, ["sigsegv"] = 11, ["sigsys"] = 12, ["sigpipe"] = 13, ["sigalrm"] = 14, ["sigterm"] = 15,
        ["sigurg"] = 16, ["sigstop"] = 17, ["sigtstp"] = 18, ["sigcont"] = 19, ["sigchld"] = 20, ["sigttin"] = 21, ["sigttou"] = 22,
        ["sigio"] = 23, ["sigxcpu"] = 24, ["sigxfsz"] = 25, ["sigvtalrm"] = 26, ["sigprof"] = 27, ["sigwinch"] = 28, ["siginfo"] = 29,
        ["sigusr1"] = 30, ["sigusr2"] = 31, ["sigthr"] = 32,
    };

    public int RctlGetRacct(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen)
        => Rctl("rctl_get_racct", inbuf, inbuflen, outbuf, outbuflen, text =>
        {
            if (!ParseFilter(text, out var f, out int err)) return (err, null);
            if (f.Subject is null || f.SubjectId is null) return (Errno.EINVAL, null);
            var values = new long[RctlConstants.Resources.Length];
            if (f.Subject == "jail")
            {
                // The jail's own processes and those of the jails below it (racct_add_cred_locked walks the parents).
                int procs = _procs.Values.Count(p => p.Prison.IsAlive && InJailNamed(p.Prison, f.SubjectId));
                values[RctlConstants.ResourceId("maxproc")] = procs;
                values[RctlConstants.ResourceId("nthr")] = procs;
                foreach (var ((j, r), v) in _racctUsage)
                    if (j == f.SubjectId) values[r] = v;
            }
            return (0, string.Join(",", RctlConstants.Resources.Select((r, i) => $"{r.Name}={values[i]}")));
        });

    public int RctlGetRules(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen)
        => Rctl("rctl_get_rules", inbuf, inbuflen, outbuf, outbuflen, text =>
        {
            if (!ParseFilter(text, out var f, out int err)) return (err, null);
            return (0, string.Join(",", _rctl.Where(f.Matches).Select(r => r.ToString())));
        });

    public int RctlAddRule(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen)
        => Rctl("rctl_add_rule", inbuf, inbuflen, null, 0, text =>
        {
            if (!ParseFilter(text, out var f, out int err)) return (err, null);
            if (f.Subject is null || f.SubjectId is null || f.Resource is null || f.Action is null || f.Amount is null)
                return (Errno.EINVAL, null);   // add_rule wants a fully specified rule
            int res = f.Resource.Value;
            int flags = RctlConstants.Resources[res].Flags;
            string per = f.Per ?? f.Subject;
            if (f.Action == "deny" && (flags & RctlConstants.Deniable) == 0 && RctlConstants.Resources[res].Name != "memoryuse")
                return (Errno.EOPNOTSUPP, null);
            if (f.Action == "throttle" && ((flags & RctlConstants.Decaying) == 0 || RctlConstants.Resources[res].Name == "pcpu"))
                return (Errno.EOPNOTSUPP, null);
            if (per == "process" && (flags & RctlConstants.Sloppy) != 0)
                return (Errno.EOPNOTSUPP, null);
            if (f.Subject == "process" && !_procs.ContainsKey(int.Parse(f.SubjectId, CultureInfo.InvariantCulture)))
                return (Errno.ESRCH, null);
            var rule = new RctlRule(f.Subject, f.SubjectId, res, f.Action, f.Amount.Value, per);
            if (rule.Action == "deny")
                _rctl.RemoveAll(r => r.Action == "deny" && r.Subject == rule.Subject && r.SubjectId == rule.SubjectId && r.Resource == rule.Resource && r.Per == rule.Per);
            _rctl.Add(rule);
            Touch();
            return (0, null);
        });

    public int RctlRemoveRule(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen)
        => Rctl("rctl_remove_rule", inbuf, inbuflen, null, 0, text =>
        {
            if (!ParseFilter(text, out var f, out int err)) return (err, null);
            int removed = _rctl.RemoveAll(f.Matches);
            if (removed == 0) return (Errno.ESRCH, null);
            Touch();
            return (0, null);
        });

    private bool InJailNamed(SimPrison? pr, string name)
    {
        for (; pr is not null && pr != _prison0; pr = pr.Parent)
            if (pr.Name == name) return true;
        return false;
    }

    /// <summary>The common part: RACCT on, privilege, copyinstr of the input (EINVAL, E2BIG), and copying the answer out (ERANGE).</summary>
    private int Rctl(string syscall, byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen, Func<string, (int Errno, string? Output)> body)
    {
        lock (_lock)
        {
            var fault = Enter(syscall);
            if (fault is not null) return Fail(fault.Errno);
            if (!_options.RacctEnabled) return Fail(Errno.ENOSYS);
            if (CallerUid != 0) return Fail(Errno.EPERM);
            if (inbuflen == 0) return Fail(Errno.EINVAL);
            if (inbuflen > RctlConstants.MaxInputBytes) return Fail(Errno.E2BIG);
            int len = 0;
            while (len < (int)inbuflen && inbuf[len] != 0) len++;
            if (len == (int)inbuflen) return Fail(Errno.ENAMETOOLONG);   // copyinstr found no NUL within inbuflen
            var (errno, output) = body(Encoding.UTF8.GetString(inbuf, len));
            if (errno != 0) return Fail(errno);
            if (output is null) return 0;
            byte[] bytes = Encoding.UTF8.GetBytes(output + "\0");
            if (bytes.Length > RctlConstants.MaxOutputBytes) return Fail(Errno.E2BIG);
            if ((nuint)bytes.Length > outbuflen) return Fail(Errno.ERANGE);
            bytes.CopyTo(new Span<byte>(outbuf, bytes.Length));
            return 0;
        }
    }

    /// <summary>rctl_string_to_rule: fields split on ':', then '=' and '/'; trailing ones may be missing; every present one must be valid (EINVAL).</summary>
    private bool ParseFilter(string text, out RctlFilter filter, out int errno)
    {
        filter = new RctlFilter(null, null, null, null, null, null);
        errno = Errno.EINVAL;
        string[] parts = text.Split(':', 4);
        string? Part(int i) => i < parts.Length && parts[i].Length > 0 ? parts[i] : null;
        string? subject = Part(0)?.ToLowerInvariant(), id = Part(1), resourceText = Part(2), rest = Part(3);
        if (subject is not null && Array.IndexOf(RctlConstants.Subjects, subject) < 0) return false;
        if (id is not null)
        {
            if (subject is null) return false;
            if (subject is "process" or "user" && !id.All(char.IsAsciiDigit)) return false;
            if (subject == "jail" && Encoding.UTF8.GetByteCount(id) >= JailLimits.MaxHostNameLen) { errno = Errno.ENAMETOOLONG; return false; }
        }
        int? resource = null;
        if (resourceText is not null)
        {
            int r = RctlConstants.ResourceId(resourceText);
            if (r < 0) return false;
            resource = r;
        }
        string? action = null, per = null;
        long? amount = null;
        if (rest is not null)
        {
            string actionText = rest, amountText = "";
            int eq = rest.IndexOf('=');
            if (eq >= 0) { actionText = rest[..eq]; amountText = rest[(eq + 1)..]; }
            int slash = amountText.IndexOf('/');
            if (slash >= 0) { per = amountText[(slash + 1)..].ToLowerInvariant(); amountText = amountText[..slash]; }
            action = actionText.Length == 0 ? null : actionText.ToLowerInvariant();
            if (action is not null && Array.IndexOf(RctlConstants.NonSignalActions, action) < 0 && !s_signals.ContainsKey(action)) return false;
            if (amountText.Length > 0)
            {
                if (!amountText.All(char.IsAsciiDigit) || !long.TryParse(amountText, NumberStyles.None, CultureInfo.InvariantCulture, out long a)) return false;
                if (resource is int rr && (RctlConstants.Resources[rr].Flags & RctlConstants.InMillions) != 0 && a > long.MaxValue / 1_000_000)
                { errno = Errno.ERANGE; return false; }
                amount = a;
            }
            if (per is { Length: > 0 } && Array.IndexOf(RctlConstants.Subjects, per) < 0) return false;
            if (per is { Length: 0 }) per = null;
        }
        filter = new RctlFilter(subject, id, resource, action, amount, per);
        errno = 0;
        return true;
    }

    private List<string> SaveRctl() => _rctl.Select(r => r.ToString()).ToList();

    private void LoadRctl(List<string>? rules)
    {
        _rctl.Clear();
        foreach (string text in rules ?? new List<string>())
            if (ParseFilter(text, out var f, out _) && f.Subject is not null && f.SubjectId is not null && f.Resource is not null && f.Action is not null && f.Amount is not null)
                _rctl.Add(new RctlRule(f.Subject, f.SubjectId, f.Resource.Value, f.Action, f.Amount.Value, f.Per ?? f.Subject));
    }
}
