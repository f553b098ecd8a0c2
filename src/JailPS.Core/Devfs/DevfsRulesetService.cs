using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Native;
using NativeRule = JailPS.Native.DevfsRule;

namespace JailPS.Core.Devfs;

/// <summary>
/// The kernel's devfs rulesets, through the DEVFSIO_* ioctls on a descriptor of a devfs mount's root
/// directory, as devfs(8) does it (sbin/devfs/devfs.c: <c>open(mp, O_RDONLY)</c>; -m defaults to /dev).
/// Rules and rulesets are kernel-global, so every rule operation goes through
/// <see cref="ControlMountPoint"/>; applying (SAPPLY) and using (SUSE) act on the mount given.
/// <para>
/// Reads run at once. Changes are <see cref="JailPlan"/>s whose step descriptions are the exact
/// ioctls with their devfs(8) equivalents (what -WhatIf prints), each with an undo, run by
/// <see cref="Execute"/>: on a failure the completed steps are undone in reverse, so replacing a
/// ruleset either completes or leaves the old rules in place. Descriptors are always closed.
/// </para>
/// The kernel knows numbers only; names come from devfs.rules(5) files (<see cref="Names"/>).
/// </summary>
public sealed unsafe class DevfsRulesetService
{
    /// <summary>Who uses a ruleset, one line each, for Remove-DevfsRuleset's refusal: running jails whose devfs_ruleset parameter is the ruleset, and devfs mounts JailPS made with it (the mount ledger).</summary>
    public static IReadOnlyList<string> UsersOf(JailHost host, int number)
    {
        var users = new List<string>();
        foreach (var rec in host.Kernel.List())
            if (rec["devfs_ruleset"] is { } v && Convert.ToInt64(v, CultureInfo.InvariantCulture) == number)
                users.Add($"jail {rec.Name} (jid {rec.Jid}) has devfs_ruleset={number}");
        var ledger = new MountLedger(host.Files);
        var mounted = new HashSet<string>(MountTable.Read(host.MountLibc).Select(m => m.FsIdText), StringComparer.Ordinal);
        string option = "ruleset=" + number.ToString(CultureInfo.InvariantCulture);
        foreach (var (jail, entries) in ledger.ReadAll())
        {
            foreach (var e in entries)
                if (e.FsType == "devfs" && mounted.Contains(e.FsId) && Array.IndexOf(e.Options.Split(','), option) >= 0)
                    users.Add($"the devfs on {e.MountPoint} (jail {jail}) was mounted with {option}");
        }
        return users;
    }

    public const string DefaultMountPoint = "/dev";
    public const string DefaultsFile = "/etc/defaults/devfs.rules";
    public const string RulesFile = "/etc/devfs.rules";

    private readonly IMountLibc _libc;
    private readonly IHostFileSystem? _files;
    private Dictionary<string, int>? _session;

    /// <param name="libc">The mount seam (FreeBsdLibc, or the simulated kernel).</param>
    /// <param name="files">Where devfs.rules files are read from (names); null: no names.</param>
    /// <param name="controlMountPoint">The devfs mount whose descriptor carries the rule ioctls (devfs -m; default /dev).</param>
    public DevfsRulesetService(IMountLibc libc, IHostFileSystem? files = null, string controlMountPoint = DefaultMountPoint)
    {
        _libc = libc ?? throw new ArgumentNullException(nameof(libc));
        _files = files;
        ControlMountPoint = HostPath.Normalize(controlMountPoint);
    }

    public DevfsRulesetService(JailHost host) : this(host.MountLibc, host.Files) { }

    public string ControlMountPoint { get; }

    // ================================================================== reads

    /// <summary>The rulesets the kernel has (with rules or referenced), ascending: DEVFSIO_SGETNEXT until ENOENT.</summary>
    public IReadOnlyList<ushort> ListNumbers() => WithFd(ControlMountPoint, fd =>
    {
        var list = new List<ushort>();
        ushort n = 0;
        while (true)
        {
            ushort arg = n;
            if (_libc.Ioctl(fd, DevfsIoctl.SetGetNext, &arg) != 0)
            {
                int e = _libc.LastErrno;
                if (e == Errno.ENOENT) break;
                throw Failure("DEVFSIO_SGETNEXT", e, ControlMountPoint, null);
            }
            if (arg <= n) break; // a kernel never answers that; do not loop forever
            list.Add(arg);
            n = arg;
        }
        return list;
    });

    /// <summary>The rules of a ruleset in kernel order (DEVFSIO_RGETNEXT until ENOENT); empty when it does not exist.</summary>
    public IReadOnlyList<DevfsRule> GetRules(int number)
    {
        ushort rs = CheckNumber(number);
        return WithFd(ControlMountPoint, fd => ReadRules(fd, rs));
    }

    /// <summary>True when the kernel has ruleset <paramref name="number"/> (it has rules, or a mount or an include references it).</summary>
    public bool Exists(int number)
    {
        ushort rs = CheckNumber(number);
        return ListNumbers().Contains(rs);
    }

    /// <summary>The ruleset as the kernel holds it, named from the devfs.rules files; null when the kernel does not have it.</summary>
    public DevfsRuleset? Get(int number)
    {
        ushort rs = CheckNumber(number);
        var (exists, rules) = WithFd(ControlMountPoint, fd =>
        {
            bool found = false;
            ushort arg = (ushort)(rs - 1);
            if (_libc.Ioctl(fd, DevfsIoctl.SetGetNext, &arg) == 0) found = arg == rs;
            else if (_libc.LastErrno != Errno.ENOENT) throw Failure("DEVFSIO_SGETNEXT", _libc.LastErrno, ControlMountPoint, rs);
            return (found, found ? ReadRules(fd, rs) : Array.Empty<DevfsRule>());
        });
        if (!exists) return null;
        Names().TryGetValue(rs, out string? name);
        return new DevfsRuleset(rs, name, rules);
    }

    /// <summary>Every ruleset of the kernel with its rules and name (one descriptor, one SGETNEXT loop, one RGETNEXT loop per set).</summary>
    public IReadOnlyList<DevfsRuleset> GetAll(ICollection<string>? warnings = null)
    {
        var names = Names(warnings);
        var numbers = ListNumbers();
        return WithFd(ControlMountPoint, fd =>
            numbers.Select(n => new DevfsRuleset(n, names.TryGetValue(n, out var nm) ? nm : null, ReadRules(fd, n))).ToArray());
    }

    private IReadOnlyList<DevfsRule> ReadRules(int fd, ushort rs)
    {
        var rules = new List<DevfsRule>();
        ushort after = 0;
        while (true)
        {
            var arg = new NativeRule { Magic = DevfsConstants.Magic, Id = DevfsRule.MakeId(rs, after) };
            if (_libc.Ioctl(fd, DevfsIoctl.RuleGetNext, &arg) != 0)
            {
                int e = _libc.LastErrno;
                if (e == Errno.ENOENT) break;
                throw Failure("DEVFSIO_RGETNEXT", e, ControlMountPoint, rs);
            }
            var rule = DevfsRule.FromNative(arg, out ushort got);
            if (got != rs || rule.Number <= after) break;
            rules.Add(rule);
            after = rule.Number;
            if (after == ushort.MaxValue) break;
        }
        return rules;
    }

    // ================================================================== names and rule text

    /// <summary>
    /// Ruleset names from /etc/defaults/devfs.rules, then /etc/devfs.rules (a later file wins), read as
    /// the boot scripts read them. A file that does not parse adds a line to <paramref name="warnings"/>.
    /// </summary>
    public IReadOnlyDictionary<ushort, string> Names(ICollection<string>? warnings = null)
    {
        var names = new Dictionary<ushort, string>();
        foreach (var rs in ReadRulesFiles(warnings))
            if (rs.Name != null) names[rs.Number] = rs.Name;
        return names;
    }

    /// <summary>The rulesets of /etc/defaults/devfs.rules and /etc/devfs.rules, in that order (files that are missing or do not parse are skipped).</summary>
    public IReadOnlyList<DevfsRuleset> ReadRulesFiles(ICollection<string>? warnings = null)
    {
        var known = new List<DevfsRuleset>();
        if (_files is null) return known;
        foreach (string file in new[] { DefaultsFile, RulesFile })
        {
            string? text = _files.ReadAllText(file);
            if (text is null) continue;
            try
            {
                known.AddRange(DevfsRulesFile.Parse(text, file, known).Rulesets);
            }
            catch (DevfsRuleException e)
            {
                warnings?.Add("ruleset names from " + file + " are not shown: " + e.Message);
            }
        }
        return known;
    }

    /// <summary>
    /// Parses one rule as <c>devfs rule add</c> takes it (a leading "add" is allowed); <c>$name</c>
    /// and <c>${name}</c> stand for the number of a ruleset named in the devfs.rules files.
    /// Errors are <see cref="DevfsRulesetException"/> with id DevfsRuleInvalid.
    /// </summary>
    public DevfsRule ParseRule(string text, IReadOnlyDictionary<string, ushort>? numbersByName = null)
    {
        if (text is null) throw new ArgumentNullException(nameof(text));
        numbersByName ??= NumbersByName();
        try
        {
            var words = DevfsShellWords.Split(text, name => numbersByName.TryGetValue(name, out ushort n)
                ? n.ToString(CultureInfo.InvariantCulture)
                : throw new DevfsRuleException(DevfsErrorIds.UndefinedName, "no ruleset named " + name + " in " + DefaultsFile + " or " + RulesFile, "$" + name));
            if (words.Count > 0 && words[0] == "add") words.RemoveAt(0);
            return DevfsRule.Parse(words);
        }
        catch (DevfsRuleException e)
        {
            throw new DevfsRulesetException(DevfsRulesetErrorIds.RuleInvalid, text, "invalid devfs rule '" + text + "': " + e.Reason + " (" + e.ErrorId + ")",
                "Write the rule as devfs(8) 'rule add' takes it, for example: path 'pts/*' unhide, or include $devfsrules_hide_all.", inner: e);
        }
    }

    /// <summary>Names of the devfs.rules files mapped to their numbers (for <c>$name</c> in rule text).</summary>
    public IReadOnlyDictionary<string, ushort> NumbersByName()
    {
        var map = new Dictionary<string, ushort>(StringComparer.Ordinal);
        foreach (var rs in ReadRulesFiles())
            if (rs.Name != null) map[rs.Name] = rs.Number;
        return map;
    }

    // ================================================================== single operations (no plan)

    /// <summary>DEVFSIO_RADD: adds a rule to a ruleset (number 0 = the kernel numbers it) and returns it as the kernel numbered it.</summary>
    public DevfsRule AddRule(int ruleset, DevfsRule rule)
    {
        ushort rs = CheckNumber(ruleset);
        return WithFd(ControlMountPoint, fd => AddRuleOn(fd, rs, rule));
    }

    /// <summary>DEVFSIO_RDEL of one rule.</summary>
    public void DeleteRule(int ruleset, int rule)
    {
        ushort rs = CheckNumber(ruleset);
        if (rule < 1 || rule > ushort.MaxValue) throw InvalidNumber(rule, "rule");
        WithFd(ControlMountPoint, fd => { DeleteRuleOn(fd, rs, (ushort)rule); return 0; });
    }

    /// <summary>Deletes every rule of a ruleset (<c>devfs rule -s N delset</c>: RGETNEXT, then RDEL of each).</summary>
    public void DeleteAll(int ruleset) => Execute(PlanRemove(ruleset, force: true), NullJailOutput.Instance);

    /// <summary>Replaces a ruleset's rules transactionally (snapshot, delete, add; the snapshot comes back on failure).</summary>
    public void Replace(int ruleset, IEnumerable<DevfsRule> rules) =>
        Execute(PlanReplace(ruleset, rules, mustExist: false), NullJailOutput.Instance);

    /// <summary>DEVFSIO_SAPPLY: applies a ruleset once to the devfs mounted on <paramref name="mountPoint"/>.</summary>
    public void ApplySet(int ruleset, string mountPoint) => Execute(PlanApply(ruleset, mountPoint, use: false), NullJailOutput.Instance);

    /// <summary>DEVFSIO_SUSE: makes a ruleset the current ruleset of the devfs mounted on <paramref name="mountPoint"/>.</summary>
    public void UseSet(int ruleset, string mountPoint)
    {
        ushort rs = CheckNumber(ruleset);
        string mp = RequireDevfsMount(mountPoint);
        WithFd(mp, fd => { IoctlSet(fd, DevfsIoctl.SetUse, "DEVFSIO_SUSE", rs, mp); return 0; });
    }

    private DevfsRule AddRuleOn(int fd, ushort rs, DevfsRule rule)
    {
        var native = rule.ToNative(rs);
        if (_libc.Ioctl(fd, DevfsIoctl.RuleAdd, &native) != 0)
        {
            int e = _libc.LastErrno;
            throw Failure("DEVFSIO_RADD", e, ControlMountPoint, rs, rule);
        }
        return DevfsRule.FromNative(native);
    }

    private void DeleteRuleOn(int fd, ushort rs, ushort rule)
    {
        uint id = DevfsRule.MakeId(rs, rule);
        if (_libc.Ioctl(fd, DevfsIoctl.RuleDelete, &id) != 0)
            throw Failure("DEVFSIO_RDEL", _libc.LastErrno, ControlMountPoint, rs);
    }

    private void IoctlSet(int fd, ulong request, string name, ushort rs, string mountPoint)
    {
        ushort arg = rs;
        if (_libc.Ioctl(fd, request, &arg) != 0)
            throw Failure(name, _libc.LastErrno, mountPoint, rs);
    }

    // ================================================================== plans

    /// <summary>
    /// New-DevfsRuleset: loads <paramref name="rules"/> into ruleset <paramref name="number"/>. A ruleset
    /// that already has rules is refused (DevfsRulesetExists) unless <paramref name="force"/>, which
    /// replaces its rules. Rules are added with explicit numbers (the kernel's auto-numbering,
    /// computed here), so the plan shows exactly what the kernel will hold.
    /// </summary>
    public JailPlan PlanCreate(int number, IEnumerable<DevfsRule> rules, bool force)
    {
        ushort rs = CheckNumber(number);
        var current = GetRules(rs);
        if (current.Count > 0 && !force)
            throw new DevfsRulesetException(DevfsRulesetErrorIds.Exists, Target(rs),
                $"devfs ruleset {rs} already exists with {current.Count} rule(s).",
                "Use -Force to replace its rules, Set-DevfsRuleset to change them, or choose a free number (Get-DevfsRuleset lists the used ones).");
        var list = (rules ?? throw new ArgumentNullException(nameof(rules))).ToList();
        if (list.Count == 0)
            throw new DevfsRulesetException(DevfsRulesetErrorIds.RuleInvalid, Target(rs),
                $"devfs ruleset {rs} would have no rules: the kernel keeps no empty ruleset, and a devfs mounted with an empty one hides nothing.",
                "Give at least one rule, for example -Rule 'add include 1', 'add path null unhide'.");
        return BuildReplace("create", rs, current, list);
    }

    /// <summary>
    /// Set-DevfsRuleset -Rule: replaces the rules of a ruleset. With <paramref name="mustExist"/> a
    /// ruleset the kernel does not have is refused (DevfsRulesetNotFound).
    /// </summary>
    public JailPlan PlanReplace(int number, IEnumerable<DevfsRule> rules, bool mustExist = true)
    {
        ushort rs = CheckNumber(number);
        var current = GetRules(rs);
        if (mustExist && current.Count == 0 && !Exists(rs))
            throw NotFound(rs);
        return BuildReplace("update", rs, current, rules);
    }

    /// <summary>
    /// Remove-DevfsRuleset: deletes every rule (<c>devfs rule -s N delset</c>). Refused when the ruleset
    /// does not exist, and, unless <paramref name="force"/>, when another ruleset includes it or a
    /// running jail uses it as devfs_ruleset (<paramref name="usedBy"/>; DevfsRulesetInUse).
    /// </summary>
    public JailPlan PlanRemove(int number, bool force = false, IEnumerable<string>? usedBy = null)
    {
        ushort rs = CheckNumber(number);
        if (!Exists(rs)) throw NotFound(rs);
        var numbers = ListNumbers();
        var all = WithFd(ControlMountPoint, fd => numbers.ToDictionary(n => n, n => ReadRules(fd, n)));
        if (!force)
        {
            var users = new List<string>();
            foreach (var (other, rules) in all)
                if (other != rs && rules.Any(r => r.IncludeRuleset == rs))
                    users.Add("ruleset " + other.ToString(CultureInfo.InvariantCulture) + " includes it");
            if (usedBy != null) users.AddRange(usedBy);
            if (users.Count > 0)
                throw new DevfsRulesetException(DevfsRulesetErrorIds.InUse, Target(rs),
                    $"devfs ruleset {rs} is in use: {string.Join("; ", users)}.",
                    "Remove or change its users first, or use -Force: the kernel then keeps the empty ruleset for them, and device nodes that appear later are no longer hidden by it.");
        }
        var plan = BuildReplace("remove", rs, all[rs], Array.Empty<DevfsRule>());
        if (plan.Steps.Count == 0)
            plan.Notes.Add($"devfs ruleset {rs} has no rules; it exists only because a mount or another ruleset refers to it.");
        return plan;
    }

    /// <summary>
    /// Set-DevfsRuleset -MountPoint: applies the ruleset once to the devfs mounted there (SAPPLY,
    /// <c>devfs -m MP rule -s N applyset</c>); with <paramref name="use"/> it first becomes that mount's
    /// current ruleset too (SUSE, <c>devfs -m MP ruleset N</c>), so nodes that appear later get it.
    /// Applying cannot be undone: rules change nodes, the kernel keeps no history.
    /// </summary>
    public JailPlan PlanApply(int number, string mountPoint, bool use)
    {
        ushort rs = CheckNumber(number);
        string mp = RequireDevfsMount(mountPoint);
        if (!Exists(rs)) throw NotFound(rs);
        var plan = new JailPlan(Target(rs), use ? "use" : "apply");
        string n = rs.ToString(CultureInfo.InvariantCulture);
        // Apply first, then use: the mount's current ruleset cannot be read back, so SUSE could not be
        // undone if a later step failed; applied rules cannot be undone either way.
        plan.Add("DEVFSIO_SAPPLY", $"ioctl({mp}, DEVFSIO_SAPPLY, {n})  # devfs -m {mp} rule -s {n} applyset",
            () => WithFd(mp, fd => { IoctlSet(fd, DevfsIoctl.SetApply, "DEVFSIO_SAPPLY", rs, mp); return 0; }));
        if (use)
            plan.Add("DEVFSIO_SUSE", $"ioctl({mp}, DEVFSIO_SUSE, {n})  # devfs -m {mp} ruleset {n}",
                () => WithFd(mp, fd => { IoctlSet(fd, DevfsIoctl.SetUse, "DEVFSIO_SUSE", rs, mp); return 0; }));
        return plan;
    }

    private JailPlan BuildReplace(string operation, ushort rs, IReadOnlyList<DevfsRule> current, IEnumerable<DevfsRule> rules)
    {
        IReadOnlyList<DevfsRule> numbered;
        try
        {
            numbered = new DevfsRuleset(rs, null, rules ?? throw new ArgumentNullException(nameof(rules))).Numbered();
        }
        catch (DevfsRuleException e)
        {
            throw new DevfsRulesetException(DevfsRulesetErrorIds.RuleInvalid, Target(rs), e.Message, "Give each rule its own number, or leave numbers out.", inner: e);
        }

        // Pre-flight: an include of a ruleset the kernel does not have fails with ESRCH; say so before changing anything.
        var includes = numbered.Where(r => r.IncludeRuleset is { } inc && inc != 0).Select(r => r.IncludeRuleset!.Value).Distinct().ToArray();
        if (includes.Length > 0)
        {
            var have = ListNumbers();
            foreach (ushort inc in includes)
            {
                if (inc == rs)
                    throw new DevfsRulesetException(DevfsRulesetErrorIds.RuleInvalid, Target(rs), $"devfs ruleset {rs} cannot include itself.");
                if (!have.Contains(inc))
                    throw new DevfsRulesetException(DevfsRulesetErrorIds.NotFound, Target(inc),
                        $"devfs ruleset {rs}: the included ruleset {inc} does not exist in the kernel.",
                        $"Create ruleset {inc} first (New-DevfsRuleset), or load it from devfs.rules (service devfs restart).");
            }
        }

        var plan = new JailPlan(Target(rs), operation);
        string n = rs.ToString(CultureInfo.InvariantCulture);
        string dash = ControlMountPoint == DefaultMountPoint ? "devfs" : "devfs -m " + ControlMountPoint;
        foreach (var old in current)
        {
            var keep = old;
            plan.Add("DEVFSIO_RDEL", DescribeDelete(rs, old.Number, dash),
                () => WithFd(ControlMountPoint, fd => { DeleteRuleOn(fd, rs, keep.Number); return 0; }),
                () => WithFd(ControlMountPoint, fd => AddRuleOn(fd, rs, keep)),
                DescribeAdd(rs, keep, dash));
        }
        foreach (var rule in numbered)
        {
            var add = rule;
            plan.Add("DEVFSIO_RADD", DescribeAdd(rs, add, dash),
                () => WithFd(ControlMountPoint, fd => AddRuleOn(fd, rs, add)),
                () => WithFd(ControlMountPoint, fd => { DeleteRuleOn(fd, rs, add.Number); return 0; }),
                DescribeDelete(rs, add.Number, dash));
        }
        return plan;
    }

    private string DescribeAdd(ushort rs, DevfsRule rule, string dash) =>
        $"ioctl({ControlMountPoint}, DEVFSIO_RADD, {{{NativeText(rs, rule)}}})  # {dash} rule -s {rs} add {rule.ToRuleText()}";

    private string DescribeDelete(ushort rs, ushort rule, string dash) =>
        $"ioctl({ControlMountPoint}, DEVFSIO_RDEL, {rs}:{rule})  # {dash} rule -s {rs} del {rule}";

    /// <summary>The struct devfs_rule of a rule, in words: id, then the conditions and actions that are set.</summary>
    public static string NativeText(ushort ruleset, DevfsRule rule)
    {
        var sb = new StringBuilder();
        sb.Append("id=").Append(ruleset.ToString(CultureInfo.InvariantCulture)).Append(':').Append(rule.Number.ToString(CultureInfo.InvariantCulture));
        if (rule.DeviceTypes is { } t) sb.Append(" type ").Append(t.ToString().ToLowerInvariant().Replace(", ", "|"));
        if (rule.PathPattern != null) sb.Append(" path '").Append(rule.PathPattern.Replace("'", "\\'")).Append('\'');
        if (rule.Hide) sb.Append(" hide");
        if (rule.Unhide) sb.Append(" unhide");
        if (rule.Uid is { } u) sb.Append(" uid=").Append(u.ToString(CultureInfo.InvariantCulture));
        if (rule.Gid is { } g) sb.Append(" gid=").Append(g.ToString(CultureInfo.InvariantCulture));
        if (rule.Mode is { } m) sb.Append(" mode=0").Append(Convert.ToString(m, 8));
        if (rule.IncludeRuleset is { } inc) sb.Append(" include ").Append(inc.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    // ================================================================== running plans

    /// <summary>
    /// Runs a plan with an undo journal, on descriptors opened once per mount point and closed at the
    /// end whatever happens. A failure undoes the completed steps in reverse and throws
    /// <see cref="DevfsRulesetException"/> with the cause's id and errno and what was rolled back.
    /// </summary>
    public void Execute(JailPlan plan, IJailOutput output)
    {
        if (plan is null) throw new ArgumentNullException(nameof(plan));
        output ??= NullJailOutput.Instance;
        bool outer = _session is null;
        _session ??= new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            var journal = new Stack<PlanStep>();
            for (int i = 0; i < plan.Steps.Count; i++)
            {
                var step = plan.Steps[i];
                output.Verbose($"{plan.JailName}: {step.Description}");
                try
                {
                    step.Execute();
                }
                catch (Exception ex) when (ex is DevfsRulesetException or DevfsRuleException)
                {
                    var (rolledBack, failures) = PlanRunner.RollBack(journal, output, plan.JailName,
                        undoError => undoError is DevfsRulesetException or DevfsRuleException);
                    string text = $"{plan.Operation} of {plan.JailName} failed at step {i + 1} of {plan.Steps.Count} ({step.Name}): {ex.Message}";
                    text += rolledBack.Count == 0 ? " Nothing had to be rolled back." : $" Rolled back {rolledBack.Count} step(s); the ruleset is as it was.";
                    if (failures.Count > 0) text += " ROLLBACK INCOMPLETE: " + string.Join("; ", failures) + ".";
                    var cause = ex as DevfsRulesetException
                        ?? new DevfsRulesetException(DevfsRulesetErrorIds.RuleInvalid, plan.JailName, ex.Message, inner: ex);
                    throw cause.WithRollback(text, rolledBack);
                }
                journal.Push(step);
            }
        }
        finally
        {
            if (outer)
            {
                var fds = _session;
                _session = null;
                foreach (int fd in fds.Values) _libc.Close(fd);
            }
        }
    }

    // ================================================================== descriptors and errors

    private T WithFd<T>(string mountPoint, Func<int, T> action)
    {
        if (_session != null)
        {
            if (!_session.TryGetValue(mountPoint, out int cached))
            {
                cached = OpenFd(mountPoint);
                _session[mountPoint] = cached;
            }
            return action(cached);
        }
        int fd = OpenFd(mountPoint);
        try
        {
            return action(fd);
        }
        finally
        {
            _libc.Close(fd);
        }
    }

    private int OpenFd(string mountPoint)
    {
        byte[] path = Encoding.UTF8.GetBytes(mountPoint + "\0");
        int fd;
        fixed (byte* p = path) fd = _libc.Open(p, OpenFlags.ReadOnly);
        if (fd >= 0) return fd;
        int e = _libc.LastErrno;
        if (e is Errno.ENOENT or Errno.ENOTDIR)
            throw new DevfsRulesetException(DevfsRulesetErrorIds.MountNotFound, mountPoint,
                $"open({mountPoint}): {Errno.Describe(e)} ({Errno.Name(e)}); no devfs mount to issue the ioctls on.",
                "Give the mount point of a mounted devfs (Get-JailMount, or mount -t devfs).", e, "open");
        throw Failure("open", e, mountPoint, null);
    }

    /// <summary>The devfs mounted exactly on <paramref name="mountPoint"/> (getfsstat), else DevfsMountNotFound.</summary>
    public string RequireDevfsMount(string mountPoint)
    {
        if (string.IsNullOrEmpty(mountPoint) || !HostPath.IsAbsolute(mountPoint))
            throw new DevfsRulesetException(DevfsRulesetErrorIds.MountNotFound, mountPoint, $"'{mountPoint}' is not an absolute path.", "Give the absolute path of a devfs mount, such as /usr/jails/web/dev.");
        string mp = HostPath.Normalize(mountPoint);
        if (!MountTable.Read(_libc).Any(m => m.FsType == "devfs" && m.On == mp))
            throw new DevfsRulesetException(DevfsRulesetErrorIds.MountNotFound, mp, $"no devfs is mounted on {mp}.",
                "Mount it first (mount -t devfs devfs " + mp + ", or start the jail with mount.devfs), then apply the ruleset.");
        return mp;
    }

    private static DevfsRulesetException Failure(string request, int errno, string mountPoint, ushort? rs, DevfsRule? rule = null)
    {
        string what = rs is { } r ? "devfs ruleset " + r.ToString(CultureInfo.InvariantCulture) : mountPoint;
        string detail = rule is null ? "" : " (rule: " + rule.ToRuleText() + ")";
        string msg = $"{what}: ioctl({mountPoint}, {request}){detail}: {Errno.Describe(errno)} ({Errno.Name(errno)})";
        if (request == "open") msg = $"open({mountPoint}): {Errno.Describe(errno)} ({Errno.Name(errno)})";
        return errno switch
        {
            Errno.EPERM => new DevfsRulesetException(DevfsRulesetErrorIds.PermissionDenied, what, msg,
                "Run as root on the host: devfs rules cannot be changed from inside a jail.", errno, request),
            Errno.ESRCH => new DevfsRulesetException(DevfsRulesetErrorIds.NotFound, what, msg + " - a ruleset it names does not exist.",
                "List the kernel's rulesets with Get-DevfsRuleset.", errno, request),
            Errno.ENOTTY => new DevfsRulesetException(DevfsRulesetErrorIds.MountNotFound, mountPoint, msg + $" - {mountPoint} is not the root of a devfs mount.",
                "Give the mount point of a devfs (Get-JailMount).", errno, request),
            Errno.EEXIST => new DevfsRulesetException(DevfsRulesetErrorIds.RuleInvalid, what, msg + " - the ruleset already has a rule with that number.",
                "Choose another rule number, or leave it out so the kernel numbers the rule.", errno, request),
            _ => new DevfsRulesetException(DevfsRulesetErrorIds.IoctlFailed, what, msg, null, errno, request),
        };
    }

    private static ushort CheckNumber(int number)
    {
        if (number < 1 || number > ushort.MaxValue) throw InvalidNumber(number, "ruleset");
        return (ushort)number;
    }

    private static DevfsRulesetException InvalidNumber(int number, string what) =>
        new(DevfsRulesetErrorIds.InvalidNumber, number.ToString(CultureInfo.InvariantCulture),
            $"{what} number {number} is out of range: devfs {what}s are numbered 1 to 65535" + (what == "ruleset" ? " (0 is the kernel's empty null ruleset)." : "."));

    private static DevfsRulesetException NotFound(ushort rs) =>
        new(DevfsRulesetErrorIds.NotFound, Target(rs), $"devfs ruleset {rs} does not exist in the kernel.",
            "List the kernel's rulesets with Get-DevfsRuleset; create one with New-DevfsRuleset.");

    private static string Target(ushort rs) => "devfs ruleset " + rs.ToString(CultureInfo.InvariantCulture);
}
