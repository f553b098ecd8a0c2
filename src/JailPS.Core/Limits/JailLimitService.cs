using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Limits;

/// <summary>One rctl rule of a jail: `jail:NAME:RESOURCE:ACTION=AMOUNT[/PER]`.</summary>
public sealed record JailLimitRule(string Jail, string Resource, string Action, long Amount, string Per)
{
    public string Text => $"jail:{Jail}:{Resource}:{Action}={Amount.ToString(CultureInfo.InvariantCulture)}" + (Per == "jail" ? "" : "/" + Per);

    /// <summary>The rule without its amount: a deny rule of the same key replaces another (kern_rctl.c).</summary>
    public string Key => $"jail:{Jail}:{Resource}:{Action}" + (Per == "jail" ? "" : "/" + Per);

    public override string ToString() => Text;
}

/// <summary>
/// Resource limits through rctl(2), natively (no rctl(8) process): rules are read, added and
/// removed with the syscalls and the buffer protocol of freebsd-net-prov-facts.md §3.2 (input with
/// its NUL; the output buffer grown on ERANGE as rctl(8) grows it), keyed by the jail's name as the
/// kernel keys them. Persisted rules live where the base system reads them: /etc/rctl.conf, one
/// rule a line (rc.d/rctl runs `rctl -a` on each line's first word, so comments and layout stay),
/// edited with the one host-file writer so no one else's line is lost.
/// </summary>
public sealed class JailLimitService
{
    public const string RctlConf = "/etc/rctl.conf";

    private static readonly Regex s_amount = new(@"^\s*([0-9]+)\s*([kmgtpeKMGTPE]?)[bB]?\s*$", RegexOptions.CultureInvariant);

    private readonly JailHost _host;
    private readonly IJailOutput _output;

    public JailLimitService(JailHost host, IJailOutput output)
    {
        _host = host;
        _output = output;
    }

    /// <summary>The rctl resources, in the kernel's order (racct.h).</summary>
    public static IReadOnlyList<string> ResourceNames { get; } = RctlConstants.Resources.Select(r => r.Name).ToArray();

    /// <summary>What a resource's amount counts, as rctl(8) documents it.</summary>
    public static string UnitOf(string resource) => resource switch
    {
        "cputime" or "wallclock" => "seconds",
        "pcpu" => "percent",
        "datasize" or "stacksize" or "coredumpsize" or "memoryuse" or "memorylocked" or "vmemoryuse" or "swapuse" or "shmsize" or "msgqsize" => "bytes",
        "readbps" or "writebps" => "bytes/s",
        "readiops" or "writeiops" => "ops/s",
        _ => "count",
    };

    /// <summary>An amount as an admin writes it: 2147483648 (PowerShell's 2GB), 512M or 2g (expand_number's powers of 1024, as rctl(8) takes them).</summary>
    public static long ParseAmount(string text, string what)
    {
        var m = s_amount.Match(text);
        if (!m.Success)
            throw new JailOperationException("JailLimitInvalid", what, $"\"{text}\" is not an amount: a whole number, or one with K, M, G, T, P or E (powers of 1024); nothing was changed.",
                "Give -Amount 2GB, 512M or 50 (pcpu, in percent of one CPU).") { TargetObject = text };
        int shift = "kmgtpe".IndexOf(char.ToLowerInvariant(m.Groups[2].Value.FirstOrDefault(' ')), StringComparison.Ordinal) + 1;
        if (!long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || (shift > 0 && n > long.MaxValue >> (10 * shift)))
            throw new JailOperationException("JailLimitInvalid", what, $"\"{text}\" is too large an amount; nothing was changed.", "Give a smaller amount.") { TargetObject = text };
        return n << (10 * shift);
    }

    public static JailLimitRule Rule(string jail, string resource, string action, long amount, string? per)
    {
        string res = resource.ToLowerInvariant(), act = action.ToLowerInvariant(), p = (per ?? "jail").ToLowerInvariant();
        if (RctlConstants.ResourceId(res) < 0)
            throw new JailOperationException("JailLimitInvalid", jail, $"\"{resource}\" is not an rctl resource ({string.Join(", ", RctlConstants.Resources.Select(r => r.Name))}); nothing was changed.",
                "Give one of those names.") { TargetObject = resource };
        if (jail.Length == 0 || jail.IndexOfAny(new[] { ':', ',', '\0', '\n', ' ', '\t', '#' }) >= 0)
            throw new JailOperationException("JailLimitInvalid", jail, $"jail \"{jail}\": an rctl rule cannot name a jail with ':', ',', '#' or white space; nothing was changed.",
                "Rename the jail to use limits.") { TargetObject = jail };
        return new JailLimitRule(jail, res, act, amount, p);
    }

    /// <summary>Parses `jail:NAME:RES:ACTION=AMOUNT[/PER]` (as the kernel and rctl.conf write rules); null for another subject.</summary>
    public static JailLimitRule? Parse(string text)
    {
        var m = Regex.Match(text.Trim(), @"^(?:jail|j):([^:]+):([a-z]+):([a-z0-9]+)=([0-9]+[kmgtpeKMGTPE]?)(?:/([a-z]+))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        if (!m.Success) return null;
        return new JailLimitRule(m.Groups[1].Value, m.Groups[2].Value.ToLowerInvariant(), m.Groups[3].Value.ToLowerInvariant(),
            ParseAmount(m.Groups[4].Value, text), m.Groups[5].Success ? m.Groups[5].Value.ToLowerInvariant() : "jail");
    }

    // ------------------------------------------------------------------ the syscalls

    /// <summary>rctl_get_rules("jail:NAME"), or every jail rule with a null name.</summary>
    public IReadOnlyList<JailLimitRule> KernelRules(string? jail)
    {
        string text = Call("rctl_get_rules", jail is null ? "jail:" : $"jail:{jail}:", output: true, jail)!;
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Parse).OfType<JailLimitRule>().ToList();
    }

    /// <summary>rctl_get_racct("jail:NAME"): every resource's usage, by name.</summary>
    public IReadOnlyDictionary<string, long> Usage(string jail)
    {
        string text = Call("rctl_get_racct", $"jail:{jail}", output: true, jail)!;
        var usage = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = pair.IndexOf('=');
            if (eq > 0 && long.TryParse(pair[(eq + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)) usage[pair[..eq]] = v;
        }
        return usage;
    }

    public void Add(JailLimitRule rule) => Call("rctl_add_rule", rule.Text, output: false, rule.Jail);

    /// <summary>rctl_remove_rule with the rule (or filter); false when nothing matched (ESRCH).</summary>
    public bool Remove(string filter, string jail)
    {
        try
        {
            Call("rctl_remove_rule", filter, output: false, jail);
            return true;
        }
        catch (JailOperationException ex) when (ex.ErrorId == "JailLimitNotFound")
        {
            return false;
        }
    }

    /// <summary>One rctl call: the input with its NUL, the output buffer grown on ERANGE (rctl(8)'s way), errno made a typed error.</summary>
    private unsafe string? Call(string syscall, string input, bool output, string jail)
    {
        byte[] inBytes = Encoding.UTF8.GetBytes(input + "\0");
        int size = output ? RctlConstants.InitialOutputBytes : 0;
        while (true)
        {
            byte[] outBytes = new byte[Math.Max(size, 1)];
            int rc;
            int errno;
            fixed (byte* i = inBytes)
            fixed (byte* o = outBytes)
            {
                var libc = _host.RctlLibc;
                rc = syscall switch
                {
                    "rctl_get_racct" => libc.RctlGetRacct(i, (nuint)inBytes.Length, o, (nuint)size),
                    "rctl_get_rules" => libc.RctlGetRules(i, (nuint)inBytes.Length, o, (nuint)size),
                    "rctl_add_rule" => libc.RctlAddRule(i, (nuint)inBytes.Length, null, 0),
                    _ => libc.RctlRemoveRule(i, (nuint)inBytes.Length, null, 0),
                };
                errno = rc == 0 ? 0 : libc.LastErrno;
            }
            if (rc == 0)
            {
                if (!output) return null;
                int len = Array.IndexOf(outBytes, (byte)0);
                return Encoding.UTF8.GetString(outBytes, 0, len < 0 ? outBytes.Length : len);
            }
            if (errno == Errno.ERANGE && output && size < RctlConstants.MaxOutputBytes)
            {
                size = Math.Min(size * 4, RctlConstants.MaxOutputBytes);
                continue;
            }
            throw Failed(syscall, input, errno, jail);
        }
    }

    private JailOperationException Failed(string syscall, string input, int errno, string jail) => errno switch
    {
        Errno.ENOSYS => new JailOperationException("JailRacctDisabled", jail,
            $"{syscall}: resource limits are off in this kernel (ENOSYS): RACCT is disabled at boot, as GENERIC has it by default, or the kernel was built without options RACCT and RCTL.",
            "Add kern.racct.enable=1 to /boot/loader.conf and reboot (it is a boot-time tunable: sysctl cannot turn it on); a custom kernel needs options RACCT and RCTL.") { TargetObject = input },
        Errno.EPERM => new JailOperationException("JailPermissionDenied", jail, $"{syscall} {input}: not permitted (EPERM).", "Run as root on the host.") { TargetObject = input },
        Errno.ESRCH => new JailOperationException("JailLimitNotFound", jail, $"{syscall} {input}: no such rule or subject (ESRCH).", "See Get-JailLimit.") { TargetObject = input },
        Errno.EOPNOTSUPP => new JailOperationException("JailLimitNotSupported", jail,
            $"{input}: the kernel does not take this rule (EOPNOTSUPP): deny works only on a resource the kernel can refuse (and memoryuse), throttle only on readbps, writebps, readiops and writeiops, and /process not on a shared resource such as swapuse; nothing was changed.",
            "Use action log or devctl, or another resource.") { TargetObject = input },
        Errno.ERANGE => new JailOperationException("JailLimitInvalid", jail, $"{input}: the amount is out of range (ERANGE); nothing was changed.", "Give a smaller amount.") { TargetObject = input },
        Errno.ENAMETOOLONG => new JailOperationException("JailLimitInvalid", jail, $"{input}: the jail's name is too long for an rctl rule (ENAMETOOLONG).", "Use a shorter jail name.") { TargetObject = input },
        _ => new JailOperationException("JailLimitInvalid", jail, $"{syscall} {input}: the kernel refused it ({Errno.Name(errno)}); nothing was changed.", "Check the resource, action and amount (rctl(8)).") { TargetObject = input },
    };

    /// <summary>A jail's limits: the kernel's rules and /etc/rctl.conf's, each once, with where it is.</summary>
    public IReadOnlyList<JailLimit> Limits(string jail)
    {
        var kernel = KernelRules(jail);
        var persisted = PersistedRules(jail);
        return kernel.Concat(persisted.Where(p => !kernel.Contains(p))).Select(r =>
            new JailLimit(r.Jail, r.Resource, r.Action, r.Amount, r.Per, UnitOf(r.Resource),
                kernel.Contains(r) && persisted.Contains(r) ? "Both" : kernel.Contains(r) ? "Kernel" : "Persisted", r.Text, _host.ComputerName)).ToList();
    }

    // ------------------------------------------------------------------ rctl.conf

    /// <summary>The jail rules /etc/rctl.conf holds (each line's first word, as rc.d/rctl reads it; comments and other subjects left alone).</summary>
    public IReadOnlyList<JailLimitRule> PersistedRules(string? jail)
    {
        string text = _host.Files.ReadAllText(RctlConf) ?? "";
        var rules = new List<JailLimitRule>();
        foreach (string line in text.Split('\n'))
        {
            string first = line.TrimStart().Split(new[] { ' ', '\t' }, 2)[0];
            if (first.Length == 0 || first.StartsWith('#')) continue;
            JailLimitRule? rule;
            try { rule = Parse(first); }
            catch (JailOperationException) { rule = null; }
            if (rule is not null && (jail is null || rule.Jail == jail)) rules.Add(rule);
        }
        return rules;
    }

    /// <summary>
    /// The plan that adds a rule to the kernel and, with <paramref name="persist"/>, writes it to
    /// /etc/rctl.conf (a deny rule of the same key replaced there as in the kernel). The undo takes
    /// the rule out of the kernel again (putting back the one it replaced) and the file back.
    /// </summary>
    public JailPlan PlanSet(JailLimitRule rule, bool persist)
    {
        var plan = new JailPlan(rule.Jail, "set limit") { Subject = "jail" };
        JailLimitRule? replaced = null;
        bool added = false;
        plan.Add("rctl", $"rctl_add_rule {rule.Text}",
            () =>
            {
                replaced = rule.Action == "deny" ? KernelRules(rule.Jail).FirstOrDefault(r => r.Key == rule.Key) : null;
                if (replaced == rule) replaced = null;
                Add(rule);
                added = true;
            },
            () =>
            {
                if (!added) return;
                Remove(rule.Text, rule.Jail);
                if (replaced is not null) Add(replaced);
            },
            $"rctl_remove_rule {rule.Text}");
        if (persist)
        {
            HostFileEdit? written = null;
            plan.Add("rctl.conf", $"write {rule.Text} to {RctlConf}" + (rule.Action == "deny" ? $" (in place of a deny rule of {rule.Key})" : ""),
                () => written = _host.Files.Edit(RctlConf, current => WithRule(current, rule)),
                () => { if (written is { } w) _host.Files.Edit(RctlConf, current => current == w.After ? w.Before : current); },
                $"put {RctlConf} back as it was");
            if (!RcConfEnables())
                plan.Notes.Add($"{RctlConf} is read at boot only with rctl_enable=\"YES\" in /etc/rc.conf (sysrc rctl_enable=YES); Start-Jail applies the jail's rules from it either way, service jail does not.");
        }
        return plan;
    }

    /// <summary>
    /// A step that writes rules to /etc/rctl.conf only (the kernel left as it is: a jail another
    /// manager runs has its rules there already), each as <see cref="WithRule"/> writes one; the undo
    /// puts the file back.
    /// </summary>
    public void AddPersistStep(JailPlan plan, IReadOnlyList<JailLimitRule> rules, string why)
    {
        if (rules.Count == 0) return;
        HostFileEdit? written = null;
        plan.Add("rctl.conf", $"write {string.Join(", ", rules.Select(r => r.Text))} to {RctlConf} ({why})",
            () => written = _host.Files.Edit(RctlConf, current => rules.Aggregate(current, (text, r) => WithRule(text, r))),
            () => { if (written is { } w) _host.Files.Edit(RctlConf, current => current == w.After ? w.Before : current); },
            $"put {RctlConf} back as it was");
    }

    /// <summary>The plan that removes a jail's matching rules from the kernel and, with <paramref name="persist"/>, from /etc/rctl.conf.</summary>
    public JailPlan PlanRemove(string jail, IReadOnlyList<JailLimitRule> rules, bool persist)
    {
        var plan = new JailPlan(jail, "remove limit") { Subject = "jail" };
        var removed = new List<JailLimitRule>();
        foreach (var rule in rules)
            plan.Add("rctl", $"rctl_remove_rule {rule.Text}",
                () => { if (Remove(rule.Text, jail)) removed.Add(rule); },
                () => { if (removed.Remove(rule)) Add(rule); },
                $"rctl_add_rule {rule.Text}");
        if (persist)
        {
            HostFileEdit? written = null;
            plan.Add("rctl.conf", $"take {string.Join(", ", rules.Select(r => r.Text))} out of {RctlConf}",
                () => written = _host.Files.Edit(RctlConf, current => current is null ? null : WithoutRules(current, rules)),
                () => { if (written is { } w) _host.Files.Edit(RctlConf, current => current == w.After ? w.Before : current); },
                $"put {RctlConf} back as it was");
        }
        return plan;
    }

    /// <summary>The file with the rule added (a deny rule of the same key replaced in its line, its comment kept); other lines untouched.</summary>
    internal static string WithRule(string? current, JailLimitRule rule)
    {
        var lines = (current ?? "").Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        bool done = false;
        for (int i = 0; i < lines.Count && !done; i++)
        {
            var (first, rest, indent) = Split(lines[i]);
            JailLimitRule? existing = null;
            try { existing = first.Length == 0 || first.StartsWith('#') ? null : Parse(first); }
            catch (JailOperationException) { }
            if (existing is null) continue;
            if (existing == rule) done = true;
            else if (rule.Action == "deny" && existing.Key == rule.Key)
            {
                lines[i] = indent + rule.Text + rest;
                done = true;
            }
        }
        if (!done) lines.Add(rule.Text);
        return string.Join("\n", lines) + "\n";
    }

    internal static string? WithoutRules(string current, IReadOnlyList<JailLimitRule> rules)
    {
        var kept = new List<string>();
        foreach (string line in current.Split('\n'))
        {
            var (first, _, _) = Split(line);
            JailLimitRule? existing = null;
            try { existing = first.Length == 0 || first.StartsWith('#') ? null : Parse(first); }
            catch (JailOperationException) { }
            if (existing is null || !rules.Contains(existing)) kept.Add(line);
        }
        return string.Join("\n", kept);
    }

    private static (string First, string Tail, string Indent) Split(string line)
    {
        string trimmed = line.TrimStart();
        string indent = line[..(line.Length - trimmed.Length)];
        int ws = trimmed.IndexOfAny(new[] { ' ', '\t' });
        return ws < 0 ? (trimmed, "", indent) : (trimmed[..ws], trimmed[ws..], indent);
    }

    private bool RcConfEnables()
        => Regex.IsMatch(_host.Files.ReadAllText("/etc/rc.conf") ?? "", @"^\s*rctl_enable\s*=\s*[""']?(YES|yes|Yes|TRUE|true|on|ON|1)[""']?", RegexOptions.Multiline);

    // ------------------------------------------------------------------ start and stop

    /// <summary>
    /// Start-Jail: the jail's rules from /etc/rctl.conf that the kernel does not have yet, added
    /// once the jail exists (as the peers add theirs). A kernel without RACCT is a warning here, not
    /// a failed start: the jail runs without its limits, and says so.
    /// </summary>
    public void ApplyPersisted(string jail)
    {
        var wanted = PersistedRules(jail);
        if (wanted.Count == 0) return;
        try
        {
            var have = KernelRules(jail);
            foreach (var rule in wanted.Where(r => !have.Contains(r)))
            {
                Add(rule);
                _output.Verbose($"jail {jail}: rctl_add_rule {rule.Text} (from {RctlConf})");
            }
        }
        catch (JailOperationException ex) when (ex.ErrorId is "JailRacctDisabled" or "JailLimitNotSupported" or "JailLimitInvalid")
        {
            _output.Warning($"jail \"{jail}\" runs without its limits from {RctlConf}: {ex.Message} {ex.RecommendedAction}");
        }
    }

    /// <summary>
    /// Stop-Jail: the jail's rules that /etc/rctl.conf holds are taken out of the kernel (rules are
    /// kept by name and would bind the next jail of that name; Start-Jail adds them again). A rule
    /// that is only in the kernel was added by hand (or without -Persist) and stays, with a warning.
    /// </summary>
    public void RemovePersisted(string jail)
    {
        IReadOnlyList<JailLimitRule> have;
        try { have = KernelRules(jail); }
        catch (JailOperationException ex) when (ex.ErrorId == "JailRacctDisabled") { return; }
        if (have.Count == 0) return;
        var persisted = PersistedRules(jail);
        foreach (var rule in have)
        {
            if (persisted.Contains(rule)) Remove(rule.Text, jail);
            else _output.Warning($"jail \"{jail}\": the rule {rule.Text} is only in the kernel (added by hand, or without -Persist), so it stays, and binds the next jail named {jail}; Remove-JailLimit {jail} -Resource {rule.Resource} takes it away.");
        }
    }
}
