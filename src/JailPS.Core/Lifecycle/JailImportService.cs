using System;
using System.Collections.Generic;
using System.Linq;
using JailPS.Core.Config;
using JailPS.Core.Host;

namespace JailPS.Core.Lifecycle;

/// <summary>A jail another manager keeps, found for import: its name, the manager's file, the block it defines.</summary>
public sealed record ImportCandidate(string Name, string Manager, string SourceFile, JailDefinition Definition)
{
    /// <summary>Why this jail cannot be imported (iocage's VNET, say): thrown by PlanImport, so one such jail does not stop the others.</summary>
    public JailOperationException? Refusal { get; init; }

    /// <summary>iocage's merged settings (config.json over defaults.json), for its limits and CPU set; null for Bastille.</summary>
    public IReadOnlyDictionary<string, string>? IocageSettings { get; init; }
}

/// <summary>
/// Taking over jails another manager made, without rebuilding them: Bastille keeps each jail as
/// BASTILLE/jails/NAME/jail.conf (a plain jail.conf block `NAME { ... }` with path =
/// .../NAME/root and mount.fstab = .../NAME/fstab: BastilleBSD/bastille rename.sh, clone.sh), so
/// its block is read with JailPS's own jail.conf reader and written, parameter for parameter, to
/// /etc/jail.conf.d/NAME.conf, with `$jailps_imported` naming where it came from. The same root,
/// the same fstab and the same dataset are used; nothing of Bastille's is changed or deleted, and a
/// running jail goes on running (it is the same jail: jail(8) and JailPS now read its definition).
/// </summary>
public sealed class JailImportService
{
    public const string BastilleDefaultPrefix = "/usr/local/bastille";
    public const string ImportedVariable = "jailps_imported";

    private readonly JailService _service;
    private readonly JailHost _host;

    public JailImportService(JailService service)
    {
        _service = service;
        _host = service.Host;
    }

    /// <summary>Every jail under PREFIX/jails/*/jail.conf whose file defines a block of its directory's name.</summary>
    public IReadOnlyList<ImportCandidate> BastilleJails(string? prefix)
    {
        string jails = HostPath.Combine(HostPath.Normalize(prefix ?? BastilleDefaultPrefix), "jails");
        var found = new List<ImportCandidate>();
        foreach (string file in _host.Files.Glob(jails + "/*/jail.conf"))
        {
            string name = HostPath.GetFileName(HostPath.GetDirectoryName(file));
            string? text = _host.Files.ReadAllText(file);
            if (text is null) continue;
            JailDefinition? def;
            try { def = JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(text, file) }).FirstOrDefault(d => d.Name == name); }
            catch (JailConfException ex)
            {
                throw new JailOperationException("JailImportInvalid", name, $"Bastille's {file} cannot be read: {ex.Message}; nothing was imported.",
                    "Fix the file (bastille edit NAME), then import again.", ex) { TargetObject = file };
            }
            if (def is not null) found.Add(new ImportCandidate(name, "bastille", file, def));
        }
        return found;
    }

    /// <summary>
    /// Bastille's limits (BASTILLE/jails/NAME/rctl.conf: `bastille limits` writes a deny and a log
    /// rule per resource, `jail:NAME:RES:deny=VALUE/jail`, limits.sh) into /etc/rctl.conf, where
    /// Start-Jail applies them; the kernel's rules are left as Bastille set them. A line that is not
    /// a rule of this jail is left out, with a warning.
    /// </summary>
    private void AddBastilleLimits(JailPlan plan, ImportCandidate c)
    {
        if (BastilleFileLines(c, "rctl.conf", out string file) is { } lines)
            AddLimits(plan, c, lines.Select(l => l.Split(new[] { ' ', '\t' }, 2)[0]), file);
    }

    /// <summary>The lines of a file Bastille keeps beside the jail's jail.conf (rctl.conf, cpuset.conf), without blanks and comments; null when there is none.</summary>
    private IEnumerable<string>? BastilleFileLines(ImportCandidate c, string name, out string file)
    {
        file = HostPath.Combine(HostPath.GetDirectoryName(c.SourceFile), name);
        string? text = _host.Files.ReadAllText(file);
        return text?.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
    }

    /// <summary>A manager's CPU list as cpuset(1) takes it, or null with a note that it is not one.</summary>
    private static SortedSet<int>? CpuListOrNote(string value, string jail, string where, List<string> notes)
    {
        try { return JailPS.Core.Limits.JailCpuSetService.ParseList(value, jail); }
        catch (JailOperationException)
        {
            notes.Add($"{where} \"{value}\" is not a CPU list; it is not imported.");
            return null;
        }
    }

    /// <summary>
    /// iocage's limits: each rctl property (IOCRCTL.types in iocage_lib/ioc_json.py: memoryuse,
    /// pcpu, maxproc ...) that is not "off" holds "action=amount", which ioc_start.py adds at start
    /// as `rctl -a jail:ioc-NAME:PROPERTY:VALUE`; the same rules go to /etc/rctl.conf.
    /// </summary>
    private void AddIocageLimits(JailPlan plan, ImportCandidate c)
    {
        if (c.IocageSettings is not { } conf) return;
        var lines = IocageRctlProperties.Where(k => conf.TryGetValue(k, out string? v) && v.Length > 0 && v is not ("off" or "none"))
            .Select(k => $"jail:{c.Name}:{k}:{conf[k]}");
        AddLimits(plan, c, lines, c.SourceFile);
    }

    /// <summary>iocage's rctl properties (IOCRCTL.types, iocage_lib/ioc_json.py), in a fixed order.</summary>
    private static readonly string[] IocageRctlProperties =
    {
        "cputime", "datasize", "stacksize", "coredumpsize", "memoryuse", "memorylocked", "maxproc", "openfiles",
        "vmemoryuse", "pseudoterminals", "swapuse", "nthr", "msgqqueued", "msgqsize", "nmsgq", "nsem", "nsemop",
        "nshm", "shmsize", "wallclock", "pcpu", "readbps", "writebps", "readiops", "writeiops",
    };

    /// <summary>A manager's rctl rules of this jail into /etc/rctl.conf in the plan; a line that is not one is left out with a note.</summary>
    private void AddLimits(JailPlan plan, ImportCandidate c, IEnumerable<string> lines, string file)
    {
        var rules = new List<JailPS.Core.Limits.JailLimitRule>();
        foreach (string line in lines)
        {
            JailPS.Core.Limits.JailLimitRule? rule = null;
            try { rule = JailPS.Core.Limits.JailLimitService.Parse(line); }
            catch (JailOperationException) { }
            // A resource or action rctl does not have would only fail later, at Start-Jail.
            if (rule is not null && (JailPS.Native.RctlConstants.ResourceId(rule.Resource) < 0 ||
                !(JailPS.Native.RctlConstants.NonSignalActions.Contains(rule.Action) || rule.Action.StartsWith("sig", StringComparison.Ordinal))))
                rule = null;
            if (rule is not null && rule.Jail == c.Name) rules.Add(rule);
            else plan.Notes.Add($"{file}: \"{line}\" is not an rctl rule of jail {c.Name}; it is not imported.");
        }
        if (rules.Count > 0)
            new JailPS.Core.Limits.JailLimitService(_host, NullJailOutput.Instance).AddPersistStep(plan, rules, $"from {file}");
    }

    /// <summary>Where iocage's dataset is mounted when -Root is not given: the first of these with a jails/ directory.</summary>
    public static readonly string[] IocageDefaultRoots = { "/iocage", "/zroot/iocage" };

    /// <summary>
    /// iocage's jails: ROOT/jails/NAME/config.json (over ROOT/defaults.json, as iocage merges them),
    /// turned into the parameters iocage_lib/ioc_start.py hands to `jail -c`: name ioc-NAME (the
    /// jail's name in the kernel, so a running one stays the same jail), path ROOT/jails/NAME/root,
    /// host.hostuuid NAME, mount.fstab ROOT/jails/NAME/fstab, exec.consolelog
    /// ROOT/log/ioc-NAME-console.log, persist, and each property by ioc_start's mapping
    /// (host_hostname → host.hostname, allow_raw_sockets → allow.raw_sockets, ip4_addr →
    /// ip4.addr, exec_start → exec.start, ...). iocage's VNET (its own epairs) and jailed datasets
    /// (jail_zfs) are refused: JailPS sets those up its own way, and a silent half import would
    /// leave a jail without its network or data.
    /// </summary>
    public IReadOnlyList<ImportCandidate> IocageJails(string? root)
    {
        string? iocroot = root is not null ? HostPath.Normalize(root) : IocageDefaultRoots.FirstOrDefault(r => _host.Files.DirectoryExists(r + "/jails"));
        if (iocroot is null) return Array.Empty<ImportCandidate>();
        var defaults = ReadJson(iocroot + "/defaults.json", "iocage");
        var found = new List<ImportCandidate>();
        foreach (string file in _host.Files.Glob(iocroot + "/jails/*/config.json"))
        {
            string uuid = HostPath.GetFileName(HostPath.GetDirectoryName(file));
            var conf = new Dictionary<string, string>(defaults, StringComparer.Ordinal);
            foreach (var (k, v) in ReadJson(file, uuid)) conf[k] = v;
            try { found.Add(new ImportCandidate("ioc-" + uuid, "iocage", file, IocageDefinition(iocroot, uuid, conf, file)) { IocageSettings = conf }); }
            catch (JailOperationException ex) { found.Add(new ImportCandidate("ioc-" + uuid, "iocage", file, new JailDefinition("ioc-" + uuid, Array.Empty<JailConfParameter>(), file)) { Refusal = ex }); }
        }
        return found;
    }

    private Dictionary<string, string> ReadJson(string file, string what)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string? text = _host.Files.ReadAllText(file);
        if (text is null) return result;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            foreach (var p in doc.RootElement.EnumerateObject())
                result[p.Name] = p.Value.ValueKind == System.Text.Json.JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new JailOperationException("JailImportInvalid", what, $"iocage's {file} is not JSON ({ex.Message}); nothing was imported.", "Fix the file (iocage get all NAME shows what iocage reads).") { TargetObject = file };
        }
        return result;
    }

    /// <summary>ioc_start.py's `jail -c` parameters from a merged config, as a definition.</summary>
    private JailDefinition IocageDefinition(string iocroot, string uuid, Dictionary<string, string> conf, string file)
    {
        string name = "ioc-" + uuid, dir = $"{iocroot}/jails/{uuid}";
        string? Get(string k) => conf.TryGetValue(k, out string? v) && v.Length > 0 && v != "none" ? v : null;
        bool On(string k) => Get(k) is "1" or "on" or "yes" or "true";
        if (On("vnet"))
            throw new JailOperationException("JailImportInvalid", name, $"iocage jail {uuid} uses VNET (vnet=on), whose epairs iocage makes itself; it is not imported.",
                "Make it again with New-Jail -Vnet -Bridge (the root can stay: -Path " + dir + "/root), or keep it under iocage.") { TargetObject = file };
        if (On("jail_zfs"))
            throw new JailOperationException("JailImportInvalid", name, $"iocage jail {uuid} is handed datasets (jail_zfs=on), which iocage does itself; it is not imported.",
                "Add the datasets with zfs.dataset (FreeBSD 15) after importing by hand, or keep it under iocage.") { TargetObject = file };
        var p = new List<JailConfParameter>();
        void Add(string param, params string[] values) => p.Add(new JailConfParameter(param, values));
        void Bool(string key, string param) { if (Get(key) is not null) p.Add(new JailConfParameter(On(key) ? param : JailPS.Core.Kernel.JailParameterInfo.NoNameOf(param), Array.Empty<string>())); }
        void Value(string key, string param) { if (Get(key) is { } v) Add(param, v); }
        Add("path", dir + "/root");
        Add("host.hostuuid", uuid);
        Value("host_hostname", "host.hostname");
        Value("host_domainname", "host.domainname");
        Value("securelevel", "securelevel");
        Value("devfs_ruleset", "devfs_ruleset");
        Value("enforce_statfs", "enforce_statfs");
        Value("children_max", "children.max");
        foreach (string a in new[] { "set_hostname", "sysvipc", "raw_sockets", "chflags", "mlock", "mount", "mount_devfs", "mount_fusefs", "mount_nullfs", "mount_procfs", "mount_tmpfs", "mount_zfs", "quotas", "socket_af" })
            Bool("allow_" + a, a.StartsWith("mount_", StringComparison.Ordinal) ? "allow.mount." + a["mount_".Length..] : "allow." + a);
        foreach (string sv in new[] { "sysvmsg", "sysvsem", "sysvshm" }) Value(sv, sv);
        if (Get("ip4_addr") is { } ip4) Add("ip4.addr", ip4.Split(',', StringSplitOptions.TrimEntries));
        if (Get("ip6_addr") is { } ip6) Add("ip6.addr", ip6.Split(',', StringSplitOptions.TrimEntries));
        Value("ip4_saddrsel", "ip4.saddrsel");
        Value("ip6_saddrsel", "ip6.saddrsel");
        Value("ip4", "ip4");
        Value("ip6", "ip6");
        Value("exec_prestart", "exec.prestart");
        Value("exec_start", "exec.start");
        Value("exec_poststart", "exec.poststart");
        Value("exec_prestop", "exec.prestop");
        Value("exec_stop", "exec.stop");
        Value("exec_poststop", "exec.poststop");
        Bool("exec_clean", "exec.clean");
        Value("exec_timeout", "exec.timeout");
        Value("stop_timeout", "stop.timeout");
        Add("mount.fstab", dir + "/fstab");
        Bool("mount_devfs", "mount.devfs");
        Bool("mount_fdescfs", "mount.fdescfs");
        Bool("mount_procfs", "mount.procfs");
        Add("exec.consolelog", $"{iocroot}/log/{name}-console.log");
        Add("persist");
        // ioc_start.py passes allow.mount.fusefs=0 and the like whatever is loaded; a "no" of a
        // parameter this kernel does not have (its module not loaded) is the default, so it is left out.
        var catalog = _host.Kernel.Catalog;
        p.RemoveAll(x => x.Values.Count == 0 && x.Name[(x.Name.LastIndexOf('.') + 1)..].StartsWith("no", StringComparison.Ordinal)
            && !JailConfNames.IsPseudoParameter(x.Name) && catalog.Resolve(x.Name, out _) is null);
        return new JailDefinition(name, p, file);
    }

    /// <summary>
    /// The plan that imports one jail: its block written to JAILCONF_D/NAME.conf. Refused when a
    /// definition JailPS reads already defines the name, and when the block's path is not the
    /// root beside the manager's file (so a copied or hand-edited file never points JailPS elsewhere unnoticed).
    /// </summary>
    public JailPlan PlanImport(ImportCandidate c)
    {
        if (c.Refusal is { } refused) throw refused;
        if (_service.FindDefinition(c.Name) is { } existing)
            throw new JailOperationException("JailAlreadyExists", c.Name,
                $"jail \"{c.Name}\" is already defined in {existing.SourceFile}; nothing was imported.",
                "Remove or rename that definition first, or leave this jail to its manager.") { TargetObject = c.Name };
        string root = HostPath.Combine(HostPath.GetDirectoryName(c.SourceFile), "root");
        if (!_host.Files.DirectoryExists(root))
            throw new JailOperationException("JailImportInvalid", c.Name, $"jail \"{c.Name}\": {root}, its root beside {c.SourceFile}, does not exist; nothing was imported.",
                "Mount its dataset (zfs mount), then import again.") { TargetObject = root };
        string? path = c.Definition.Get("path")?.Values.LastOrDefault();
        if (path is null || HostPath.Normalize(path) != root)
            throw new JailOperationException("JailImportInvalid", c.Name,
                $"jail \"{c.Name}\": {c.SourceFile} gives path {path ?? "(none)"}, not {root}, the root Bastille keeps beside it; nothing was imported.",
                "Check the file (bastille edit NAME): JailPS imports a jail only with the root its manager made.") { TargetObject = c.SourceFile };
        var parameters = c.Definition.Parameters.Where(p => !p.Name.StartsWith('$') && p.Name != "name").ToList();   // the evaluator's implicit name comes from the block
        parameters.Add(new JailConfParameter("$" + ImportedVariable, new[] { $"{c.Manager} {c.SourceFile}" }));
        var notes = new List<string>();
        if ((c.Manager == "bastille" ? BastilleCpuSet(c, notes) : IocageCpuSet(c, notes)) is { } cpus)
            parameters.Add(new JailConfParameter("$" + JailPS.Core.Limits.JailCpuSetService.Variable, new[] { cpus }));
        string file = HostPath.Combine(_host.JailConfDirectory, c.Name + ".conf");
        string block = $"# Imported from {c.Manager} ({c.SourceFile}) by Import-{(c.Manager == "bastille" ? "Bastille" : "Iocage")}Jail; that file is left as it was.\n"
            + JailConfWriter.FormatBlock(c.Name, parameters);
        // Checked as New-Jail checks what it writes: each parameter as the kernel's catalog types it.
        JailSpec.Resolve(JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(block, file) }).First(d => d.Name == c.Name), _host.Kernel.Catalog);
        var plan = new JailPlan(c.Name, "import");
        HostFileEdit? written = null;
        plan.Add("write", $"write {file}:\n{block.TrimEnd()}",
            () =>
            {
                written = _host.Files.Edit(file, current => current is null ? block
                    : throw new JailOperationException("JailConfigExists", c.Name, $"{file} was made by someone else while this command ran; nothing was written.", "Look at the file.") { TargetObject = file });
                _service.Invalidate();
            },
            () =>
            {
                if (written is { } w) _host.Files.Edit(file, current => current == w.After ? null : current);
                _service.Invalidate();
            },
            $"delete {file}");
        plan.Notes.AddRange(notes);
        if (c.Manager == "bastille") AddBastilleLimits(plan, c);
        else AddIocageLimits(plan, c);
        return plan;
    }

    /// <summary>
    /// iocage's cpuset property: "off" (none), "all" (all CPUs, which is no list), or a list ioc_start.py
    /// hands to `cpuset -l VALUE -j ioc-NAME` at start. A value that is not a CPU list is left out with a note.
    /// </summary>
    private static string? IocageCpuSet(ImportCandidate c, List<string> notes)
    {
        if (c.IocageSettings is not { } conf || !conf.TryGetValue("cpuset", out string? value) || value is "" or "off" or "all" or "none")
            return null;
        return CpuListOrNote(value, c.Name, $"{c.SourceFile}: cpuset", notes) is { } cpus ? JailPS.Core.Limits.JailCpuSetService.Format(cpus) : null;
    }

    /// <summary>
    /// Bastille's CPU set (BASTILLE/jails/NAME/cpuset.conf, one cpuset(1) list per line: `bastille
    /// limits NAME cpu 2,3` appends one, limits.sh), as the list the jail ends up on: start.sh runs
    /// `cpuset -l LINE -j NAME` for each line in order, each replacing the set before it (the kernel
    /// takes any set within the host's CPUs), so the last CPU list wins; a line that is not one is
    /// left out with a note. Null when there is no such file or no line is a list.
    /// </summary>
    private string? BastilleCpuSet(ImportCandidate c, List<string> notes)
    {
        if (BastilleFileLines(c, "cpuset.conf", out string file) is not { } lines) return null;
        SortedSet<int>? current = null;
        foreach (string line in lines)
        {
            if (CpuListOrNote(line, c.Name, $"{file}:", notes) is not { } cpus) continue;
            if (current is not null)
                notes.Add($"{file}: \"{line}\" replaces {JailPS.Core.Limits.JailCpuSetService.Format(current)} from the line before it, as when Bastille starts the jail.");
            current = cpus;
        }
        return current is null ? null : JailPS.Core.Limits.JailCpuSetService.Format(current);
    }
}
