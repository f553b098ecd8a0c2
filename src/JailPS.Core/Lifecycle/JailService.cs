using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.Linq;
using JailPS.Core.Config;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Network;
using JailPS.Native;

namespace JailPS.Core.Lifecycle;

/// <summary>What New-Jail asks for.</summary>
public sealed class NewJailRequest
{
    public required string Name { get; init; }
    /// <summary>The jail's root directory; null for none (the jail gets the host's root, path "/").</summary>
    public string? Path { get; init; }
    public string? Hostname { get; init; }
    public IReadOnlyList<string> IPv4Address { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> IPv6Address { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> ExecStart { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> ExecStop { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> DependsOn { get; init; } = Array.Empty<string>();
    public bool Persist { get; init; }

    /// <summary>A VNET jail with an epair JailPS creates on start and destroys on stop; the addresses go to the jail's rc.conf.</summary>
    public bool Vnet { get; init; }

    /// <summary>The bridge the epair's host side joins (created on start when missing). Implies <see cref="Vnet"/>.</summary>
    public string? Bridge { get; init; }

    /// <summary>A VNET jail's default routers (defaultrouter / ipv6_defaultrouter in its rc.conf).</summary>
    public IReadOnlyList<string> DefaultGateway { get; init; } = Array.Empty<string>();

    /// <summary>Seed 003's private loopback: an address 127.0.1.N/32 on lo1, N free among all jails, kept in the definition.</summary>
    public bool PrivateLoopback { get; init; }

    /// <summary>Build the root from this release in the cache (Save-JailRelease): a thick jail.</summary>
    public string? Release { get; init; }

    /// <summary>With <see cref="Release"/>: a thin jail (seed 003), a copy of the release's template with its basejail mounted read-only.</summary>
    public bool Thin { get; init; }

    /// <summary>Build the root from this OCI image in the image cache (Save-JailImage): its layers applied in order.</summary>
    public string? Image { get; init; }

    /// <summary>The release's MACHINE_ARCH (amd64 by default).</summary>
    public string ReleaseArchitecture { get; init; } = "amd64";

    /// <summary>Install a Linux userland with debootstrap instead (seeds 000/001): "Debian".</summary>
    public string? Distribution { get; init; }

    /// <summary>With <see cref="Distribution"/>: the suite (bookworm by default).</summary>
    public string? Suite { get; init; }

    /// <summary>With <see cref="Distribution"/>: the mirror debootstrap fetches from (deb.debian.org by default).</summary>
    public string? Mirror { get; init; }
    /// <summary>Further parameters by name (kernel or jail(8) parameters), values as PowerShell gave them.</summary>
    public IDictionary? Parameters { get; init; }
    /// <summary>Where to write the definition; default JAILCONF_D/NAME.conf.</summary>
    public string? ConfigFile { get; init; }
}

/// <summary>
/// A definition file, or one jail in it, that could not be read, parsed or evaluated, and the jails
/// it is taken to define (<see cref="JailService.BrokenDefinitions"/>).
/// </summary>
public sealed record BrokenDefinition(string File, JailConfException Error, IReadOnlyList<string> Jails)
{
    /// <summary>True when the jail was evaluated and keeps its values (jail(8) warned and marked it failed); false when its definition is left out.</summary>
    public bool Evaluated { get; init; }
}

/// <summary>
/// The engine behind the cmdlets: reads definitions (jail.conf) and the kernel, merges them into
/// <see cref="Jail"/> objects, and builds plans for every change. It never touches PowerShell.
/// </summary>
public sealed class JailService
{
    private readonly JailHost _host;
    private readonly IJailOutput _output;
    private LoadedDefinitions? _loaded;
    private readonly HashSet<string> _reportedBroken = new(StringComparer.Ordinal);

    private sealed record LoadedDefinitions(IReadOnlyList<JailDefinition> Definitions, IReadOnlyList<BrokenDefinition> Broken,
        IReadOnlyDictionary<string, JailConfException> ErrorByName);

    public JailService(JailHost host, IJailOutput output)
    {
        _host = host;
        _output = output;
        _aliases = new JailAliasService(host, output);
    }

    private readonly JailAliasService _aliases;

    public JailHost Host => _host;

    /// <summary>Every defined jail (jail.conf and jail.conf.d/*.conf), read once per service.</summary>
    public IReadOnlyList<JailDefinition> Definitions => (_loaded ??= LoadDefinitions()).Definitions;

    /// <summary>
    /// The definition files (or single jails in them) that could not be read, parsed or evaluated,
    /// each with the jail names it is taken to define. Only those jails are affected: they have no
    /// definition and carry the error (<see cref="DefinitionErrorOf"/>); every other jail is read as
    /// if the broken part were not there.
    /// </summary>
    public IReadOnlyList<BrokenDefinition> BrokenDefinitions => (_loaded ??= LoadDefinitions()).Broken;

    /// <summary>The error that keeps a jail from having a definition, or null (it has one, or none was ever written).</summary>
    public JailConfException? DefinitionErrorOf(string name)
    {
        var loaded = _loaded ??= LoadDefinitions();
        return loaded.ErrorByName.TryGetValue(name, out var e) ? e : null;
    }

    /// <summary>
    /// Definitions as `service jail start NAME` finds them (libexec/rc/rc.d/jail parse_options):
    /// /etc/jail.NAME.conf, else /etc/jail.conf.d/NAME.conf — unless /etc/jail.conf has an
    /// `.include "/etc/jail.conf.d/..."` line, in which case jail.conf (with its includes) is used —
    /// else /etc/jail.conf. Each file is evaluated on its own, so jail.conf's global defaults reach
    /// a jail.conf.d file only through such an include. Jails in order of first appearance.
    /// A broken file is an error only for the jails it defines (<see cref="BrokenDefinitions"/>).
    /// </summary>
    private LoadedDefinitions LoadDefinitions()
    {
        var byName = new Dictionary<string, JailDefinition>(StringComparer.Ordinal);
        var order = new List<string>();
        var broken = new List<BrokenDefinition>();
        var owned = new HashSet<string>(StringComparer.Ordinal); // names whose own file (rc.d's pick) is broken
        void Add(JailDefinition d, bool wins)
        {
            if (owned.Contains(d.Name)) return;
            if (!byName.ContainsKey(d.Name)) order.Add(d.Name);
            else if (!wins) return;
            byName[d.Name] = d;
        }
        string confDirPattern = HostPath.Combine(_host.JailConfDirectory, "*.conf");
        static string ConfDirOwner(string name) => name.Substring(0, name.Length - ".conf".Length);
        static string PerJailOwner(string name) => name.Substring("jail.".Length, name.Length - "jail..conf".Length);

        string? jailConfText = ReadForClaims(_host.JailConfPath);
        bool includesConfDir = IncludesConfDirectory(jailConfText);
        LoadRoot(_host.JailConfPath, owner: null,
            // jail.conf that includes jail.conf.d defines the jails of those files too.
            alsoDefines: includesConfDir ? _host.Files.Glob(confDirPattern).Select(f => ConfDirOwner(HostPath.GetFileName(f))) : null);
        if (!includesConfDir)
            foreach (string file in _host.Files.Glob(confDirPattern))
                LoadRoot(file, ConfDirOwner(HostPath.GetFileName(file)), null);
        foreach (string file in _host.Files.Glob(HostPath.Combine(HostPath.GetDirectoryName(_host.JailConfPath), "jail.*.conf")))
            LoadRoot(file, PerJailOwner(HostPath.GetFileName(file)), null);

        var errorByName = new Dictionary<string, JailConfException>(StringComparer.Ordinal);
        // A jail jail(8) would mark failed keeps its values (Get-Jail shows them, as `jail -e`
        // does) and cannot be started or changed until its warnings are gone.
        foreach (var d in byName.Values)
            if (d.IsFailed)
            {
                errorByName[d.Name] = d.Warnings[0];
                broken.Add(new BrokenDefinition(d.Warnings[0].File ?? d.SourceFile ?? "", d.Warnings[0], new[] { d.Name }) { Evaluated = true });
            }
        foreach (var b in broken)
            foreach (string name in b.Jails)
                if (!byName.ContainsKey(name)) errorByName.TryAdd(name, b.Error); // owned names never stay in byName
        return new LoadedDefinitions(order.ConvertAll(n => byName[n]), broken, errorByName);

        void LoadRoot(string file, string? owner, IEnumerable<string>? alsoDefines)
        {
            var problems = new List<JailConfProblem>();
            IReadOnlyList<JailDefinition> defs;
            try
            {
                defs = JailConfLoader.LoadTolerant(_host.Files, file, problems);
            }
            catch (JailConfException e)
            {
                // The root file itself is broken: the jail its name gives, and (for jail.conf with
                // an include of jail.conf.d) the jails of those files are its own; the blocks seen in it too.
                var own = new List<string>();
                if (owner != null) own.Add(owner);
                if (alsoDefines != null) own.AddRange(alsoDefines);
                Broken(new JailConfProblem(file, e), own, BlockNamesIn(file == _host.JailConfPath ? jailConfText : ReadForClaims(file)));
                return;
            }
            foreach (var problem in problems)
            {
                // An included file left out: jail.conf.d/NAME.conf defines NAME.
                bool inConfDir = HostPath.GetDirectoryName(problem.File) == HostPath.Normalize(_host.JailConfDirectory)
                    && problem.File.EndsWith(".conf", StringComparison.Ordinal);
                Broken(problem, inConfDir ? new[] { ConfDirOwner(HostPath.GetFileName(problem.File)) } : Array.Empty<string>(),
                    BlockNamesIn(ReadForClaims(problem.File)));
            }
            foreach (var d in defs)
                Add(d, wins: d.Name == owner); // the file rc.d/jail would pick for that jail
        }

        // A jail whose evaluation failed, or whose own file (rc.d/jail's pick) is broken, keeps the
        // error even when another file defines it. Block names merely seen in a broken file stand
        // only for jails defined nowhere else.
        void Broken(JailConfProblem problem, IEnumerable<string> own, IEnumerable<string> seen)
        {
            var ownNames = own.Distinct(StringComparer.Ordinal).ToArray();
            broken.Add(new BrokenDefinition(problem.File, problem.Error, ownNames.Concat(seen).Distinct(StringComparer.Ordinal).ToArray()));
            foreach (string n in ownNames)
            {
                owned.Add(n);
                if (byName.Remove(n)) order.Remove(n);
            }
        }
    }

    /// <summary>The text of a file to look for block names in; null when it cannot be read (that error is reported already).</summary>
    private string? ReadForClaims(string file)
    {
        try { return _host.Files.ReadAllText(file); }
        catch (Exception e) when (e is System.IO.IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// The names that open a block at the start of a line ("web {", "\"web\" {") in text that is not
    /// valid jail.conf: a best effort, so that a jail a broken file defines keeps an error instead
    /// of silently vanishing. Nested blocks count with their own name only.
    /// </summary>
    internal static IEnumerable<string> BlockNamesIn(string? text)
    {
        if (text is null) yield break;
        foreach (System.Text.RegularExpressions.Match m in BlockOpening.Matches(text))
            if (!JailConfNames.IsWildcardName(m.Groups[2].Value)) yield return m.Groups[2].Value;
    }

    private static readonly System.Text.RegularExpressions.Regex BlockOpening = new(
        @"^[ \t]*([""']?)([^\s{};""'#]+)\1[ \t]*\{", System.Text.RegularExpressions.RegexOptions.Multiline);

    /// <summary>Forget cached definitions after a file changed.</summary>
    public void Invalidate() => _loaded = null;

    /// <summary>
    /// The definition of the jail the kernel knows by <paramref name="name"/>, else the one whose
    /// block has that name (a numeric block "5309 { name = basejail; }" is found by both).
    /// </summary>
    public JailDefinition? FindDefinition(string name)
    {
        JailDefinition? byBlock = null;
        foreach (var d in Definitions)
        {
            if (d.Name == name) return d;
            if (byBlock is null && d.BlockName == name) byBlock = d;
        }
        return byBlock;
    }

    /// <summary>All jails, defined and running, sorted by name: one jail_get per running jail plus one.</summary>
    public IReadOnlyList<Jail> GetAll(bool includeDying = false)
    {
        var byName = new Dictionary<string, (JailDefinition? Def, JailRecord? Rec)>(StringComparer.Ordinal);
        foreach (var d in Definitions)
            byName[d.Name] = (d, null);
        // A jail defined only by a broken file is listed as stopped, with its DefinitionError.
        foreach (var b in BrokenDefinitions)
            foreach (string n in b.Jails)
                if (!byName.ContainsKey(n) && DefinitionErrorOf(n) is not null) byName[n] = (null, null);
        foreach (var r in _host.Kernel.List(includeDying))
        {
            byName.TryGetValue(r.Name, out var entry);
            // A dying jail never hides a live one of the same name.
            if (entry.Rec != null && !entry.Rec.Dying) continue;
            byName[r.Name] = (entry.Def, r);
        }
        // A listing says once which files it could not use, and whom that concerns.
        foreach (var b in BrokenDefinitions)
            if (_reportedBroken.Add(b.File + "\0" + b.Error.Message))
                _output.Warning(b.Error.Message + (b.Evaluated ? $" (jail(8) marks {b.Jails[0]} failed: it cannot be started or changed until this is fixed; other jails are not affected)"
                    : b.Jails.Count == 0 ? " (this part is left out; no jail is known to be defined there)"
                    : $" (the definition of {string.Join(", ", b.Jails)} is left out until it is fixed; other jails are not affected)"));
        var list = new List<Jail>(byName.Count);
        foreach (var kv in byName)
            list.Add(ToJail(kv.Key, kv.Value.Def, kv.Value.Rec, DefinitionErrorOf(kv.Key)));
        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }

    /// <summary>
    /// The given definitions (say, a jail.conf file being imported) as jails, in the definitions'
    /// order, each with the kernel's state of the running jail of its name, as if each were looked
    /// up with <see cref="JailKernel.GetByName"/>: a dying jail does not count, and a definition
    /// whose jail is not running is stopped. The kernel is read once: one listing (N+1 jail_get
    /// for N running jails) instead of a lookup per definition, which also builds one jail_get
    /// request instead of one per definition. A single definition is looked up by name (one
    /// jail_get, where a listing would need N+1). <paramref name="include"/> picks definitions by
    /// name before anything is read.
    /// </summary>
    public IReadOnlyList<Jail> WithKernelState(IEnumerable<JailDefinition> definitions, Func<string, bool>? include = null)
    {
        var picked = new List<JailDefinition>();
        foreach (var d in definitions)
            if (include is null || include(d.Name)) picked.Add(d);
        var result = new List<Jail>(picked.Count);
        if (picked.Count == 1)
        {
            result.Add(ToJail(picked[0].Name, picked[0], _host.Kernel.GetByName(picked[0].Name)));
            return result;
        }
        if (picked.Count == 0) return result;
        // Names are unique among live jails (kern_jail.c), and a lookup by name ignores dying ones.
        var running = new Dictionary<string, JailRecord>(StringComparer.Ordinal);
        foreach (var r in _host.Kernel.List(includeDying: false))
            running[r.Name] = r;
        foreach (var d in picked)
            result.Add(ToJail(d.Name, d, running.TryGetValue(d.Name, out var rec) ? rec : null));
        return result;
    }

    /// <summary>One jail by exact name, or null.</summary>
    public Jail? Get(string name)
    {
        var def = FindDefinition(name);
        var rec = _host.Kernel.GetByName(name);
        if (rec is null && JailSpec.IsAllDigits(name))
            rec = _host.Kernel.GetByJid(int.Parse(name, CultureInfo.InvariantCulture));
        string found = rec?.Name ?? name;
        def ??= rec != null ? FindDefinition(rec.Name) : null;
        var error = DefinitionErrorOf(found);
        if (def is null && rec is null && error is null) return null;
        return ToJail(found, def, rec, error);
    }

    /// <summary>
    /// A jail as it is in the kernel and jail.conf right now (an object from the pipeline may be
    /// stale). A definition the object carries (Import-JailConfig of another file) is kept when no
    /// file JailPS reads defines the jail.
    /// </summary>
    public Jail Current(Jail jail)
    {
        var fresh = Get(jail.Name);
        if (fresh is null)
        {
            if (jail.Definition != null)
                return ToJail(jail.Name, jail.Definition, null);
            throw NotFound(jail.Name);
        }
        // A definition the object carries stands in only where no file defines the jail; a file
        // that defines it but broke since is not replaced by the old copy.
        if (jail.Definition != null && fresh.Definition is null && fresh.DefinitionException is null)
            return ToJail(jail.Name, jail.Definition, fresh.Jid is null ? null : _host.Kernel.GetByJid(fresh.Jid.Value));
        return fresh;
    }

    /// <summary>The jail's definition split and type-checked as jail(8) would (null for a jail with no definition).
    /// A jail whose definition file is broken has no spec: its error is thrown.</summary>
    public JailSpec? SpecOf(Jail jail) => jail.DefinitionException is { } broken ? throw broken
        : jail.Definition is not null ? JailSpec.Resolve(jail.Definition, _host.Kernel.Catalog) : null;

    /// <summary>The jail as it is now (after a change), by name.</summary>
    public Jail Refresh(string name)
    {
        Invalidate();
        return Get(name) ?? throw NotFound(name);
    }

    public Jail ToJail(string name, JailDefinition? def, JailRecord? rec, JailConfException? definitionError = null)
    {
        IDictionary parameters;
        string? path, hostname;
        string[] v4, v6;
        bool persist;
        if (rec != null)
        {
            // Kernel values sorted by name, as display values: a SortedList that reads the record's
            // shared layout and values instead of copying ~70 entries per jail.
            var kernelParameters = new KernelParameterList(rec);
            parameters = kernelParameters;
            path = rec.Path;
            hostname = rec["host.hostname"] as string;
            // A copy of the table's array (so the two stay independent), sharing its strings.
            v4 = kernelParameters["ip4.addr"] is string[] { Length: > 0 } a4 ? (string[])a4.Clone() : Array.Empty<string>();
            v6 = kernelParameters["ip6.addr"] is string[] { Length: > 0 } a6 ? (string[])a6.Clone() : Array.Empty<string>();
            persist = rec.Persist;
        }
        else if (def is null)
        {
            // Defined by a file that is broken (definitionError), and not running: nothing is known but its name.
            parameters = new OrderedDictionary(StringComparer.Ordinal);
            path = hostname = null;
            v4 = v6 = Array.Empty<string>();
            persist = false;
        }
        else
        {
            parameters = new OrderedDictionary(StringComparer.Ordinal); // definition order, as written
            foreach (var p in def.Parameters)
                parameters[p.Name] = p.Values.Count == 0 ? true : p.Values.Count == 1 ? p.Values[0] : p.Values.ToArray();
            path = def.Get("path")?.Values.LastOrDefault();
            hostname = def.Get("host.hostname")?.Values.LastOrDefault();
            v4 = BareAddresses(def.Get("ip4.addr"));
            v6 = BareAddresses(def.Get("ip6.addr"));
            persist = def.Find("persist") is { } pp && JailConfNames.IsTrue(pp); // bool_param(): "nopersist", the last value
        }
        var state = rec is null ? JailState.Stopped : rec.Dying ? JailState.Dying : JailState.Running;
        string[] depends = def is null ? Array.Empty<string>() : DependNames(def).ToArray();
        return new Jail(name, state, rec?.Jid, path, hostname, v4, v6, persist, parameters, depends,
            def?.SourceFile, def, _host.ComputerName, _host.IsSimulated, definitionError ?? (def is { IsFailed: true } ? def.Warnings[0] : null),
            def is not null && def.Variables.ContainsKey(JailImportService.ImportedVariable) ? JailManagers.JailConf
                : JailManagers.Detect(_host, name, path, rec?.Jid, def is not null || definitionError is not null));
    }

    private static string[] BareAddresses(JailConfParameter? p)
    {
        if (p is null) return Array.Empty<string>();
        var list = new List<string>();
        foreach (var v in p.Values)
            foreach (var item in v.Split(','))
            {
                string t = JailParameterCodec.BareAddress(item);
                if (t.Length > 0) list.Add(t);
            }
        return list.ToArray();
    }

    /// <summary>rc.d/jail's test: a line `.include "/etc/jail.conf.d/...` (quotes optional) in jail.conf.</summary>
    private bool IncludesConfDirectory(string? jailConf)
        => jailConf != null && System.Text.RegularExpressions.Regex.IsMatch(jailConf,
            @"^\s*\.include\s*[""']?" + System.Text.RegularExpressions.Regex.Escape(HostPath.Normalize(_host.JailConfDirectory) + "/"),
            System.Text.RegularExpressions.RegexOptions.Multiline);

    // ---- dependencies -------------------------------------------------------------------

    /// <summary>Definitions to start for the given names, dependencies first (jail.conf "depend"); a cycle is an error.</summary>
    public IReadOnlyList<JailDefinition> StartOrder(IEnumerable<JailDefinition> targets)
    {
        var result = new List<JailDefinition>();
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 visiting, 2 done
        var stack = new List<string>();
        foreach (var t in targets) Visit(t);
        return result;

        void Visit(JailDefinition d)
        {
            if (state.TryGetValue(d.Name, out int s))
            {
                if (s == 2) return;
                int i = stack.IndexOf(d.Name);
                var cycle = stack.Skip(i).Append(d.Name);
                throw new JailOperationException("JailDependencyCycle", d.Name,
                    "jail dependency cycle: " + string.Join(" -> ", cycle), "Break the cycle in the jails' depend parameters.");
            }
            state[d.Name] = 1;
            stack.Add(d.Name);
            foreach (string dep in DependNames(d))
            {
                var depDef = FindDefinition(dep) ?? (DefinitionErrorOf(dep) is { } broken ? throw broken : (JailDefinition?)null) ?? throw new JailOperationException("JailDependencyNotFound", d.Name,
                    $"jail \"{d.Name}\" depends on \"{dep}\", which is not defined.", $"Define jail \"{dep}\" or remove it from depend.");
                Visit(depDef);
            }
            stack.RemoveAt(stack.Count - 1);
            state[d.Name] = 2;
            result.Add(d);
        }
    }

    /// <summary>Running jails that must stop before the given one (its dependents, transitively), dependents first.</summary>
    public IReadOnlyList<string> DependentsToStopFirst(string name)
    {
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { name };
        void Visit(string target)
        {
            // depend names blocks; a numeric block's jail has another name in the kernel.
            string block = FindDefinition(target)?.BlockName ?? target;
            foreach (var d in Definitions)
                if (DependNames(d).Any(n => n == target || n == block) && seen.Add(d.Name))
                {
                    Visit(d.Name);
                    result.Add(d.Name);
                }
        }
        Visit(name);
        return result;
    }

    /// <summary>The jails a definition's depend parameter names, in the order written.</summary>
    public static IEnumerable<string> DependNames(JailDefinition d)
        => d.Get("depend")?.Values.SelectMany(v => v.Split(',')).Select(s => s.Trim()).Where(s => s.Length > 0) ?? Enumerable.Empty<string>();

    // ---- new / remove / set -------------------------------------------------------------

    /// <summary>
    /// The names New-Jail accepts: the kernel's rules (sys/kern/kern_jail.c kern_jail_set: shorter
    /// than MAXHOSTNAMELEN bytes, no NUL, a '.' separates a parent jail's name from the child's, and
    /// a numeric name only when it is the jail ID written normally, which a numeric jail.conf
    /// block is: "5309" gets jid 5309), plus what jail.conf and rc.d/jail need to hold the jail: no
    /// '*' (a block name with one is a wildcard block, usr.sbin/jail/config.c), and no '/' when the
    /// definition goes to jail.conf.d/NAME.conf (<paramref name="ownFile"/>). Anything else, ':',
    /// spaces and quotes included, is written quoted and is fine for the kernel.
    /// </summary>
    public static void ValidateName(string name, bool ownFile = false)
    {
        string? why = null;
        string last = name.Substring(name.LastIndexOf('.') + 1);
        if (name.Length == 0) why = "it is empty (an unnamed jail is named after its jid; give the jid as the name, e.g. 5309)";
        else if (name.IndexOf('\0') >= 0) why = "it contains a NUL character";
        else if (System.Text.Encoding.UTF8.GetByteCount(name) >= JailPS.Core.Kernel.JailKernelLimits.MaxHostNameLength) why = $"it is longer than {JailPS.Core.Kernel.JailKernelLimits.MaxHostNameLength - 1} bytes";
        else if (name.StartsWith('.') || name.EndsWith('.') || name.Contains("..")) why = "dots separate parent and child jail names and cannot lead, trail or repeat";
        else if (JailSpec.IsAllDigits(last) && (last[0] == '0' || last != name)) why = "a numeric name must be a jail ID written without leading zeros (the kernel: name cannot be numeric unless it is the jid)";
        else if (name.IndexOf('*') >= 0) why = "jail.conf reads a block name with '*' as a wildcard block, not as a jail";
        else if (ownFile && name.IndexOf('/') >= 0) why = "it cannot name the file jail.conf.d/NAME.conf (give -ConfigFile)";
        if (why != null)
            throw new JailOperationException("JailInvalidName", name, $"\"{name}\" is not a valid jail name: {why}.", "Choose another name; the kernel takes any text without NUL shorter than 256 bytes.");
    }

    /// <summary>The jail.conf parameters New-Jail writes, validated against the kernel's catalog.</summary>
    public IReadOnlyList<JailConfParameter> BuildParameters(NewJailRequest req) => BuildParameters(req, out _);

    /// <summary>The parameters, and the lines a VNET jail's rc.conf gets (<see cref="JailNetworkDefaults"/>).</summary>
    private IReadOnlyList<JailConfParameter> BuildParameters(NewJailRequest req, out List<string> rcLines)
    {
        var list = new List<JailConfParameter>();
        void Add(string name, params string[] values) => list.Add(new JailConfParameter(name, values));
        if (req.Path != null) Add("path", req.Path);
        if (req.Hostname != null) Add("host.hostname", req.Hostname);
        bool vnet = req.Vnet || req.Bridge is not null;
        (var network, rcLines) = new JailNetworkDefaults(this).For(req);
        var rc = rcLines;
        // A VNET jail's addresses are configured inside it (its rc.conf), never as ip4.addr, which
        // the kernel refuses for a vnet jail ("vnet jails cannot have IP address restrictions").
        if (!vnet && !req.PrivateLoopback && req.IPv4Address.Count > 0) Add("ip4.addr", req.IPv4Address.ToArray());
        if (!vnet && req.IPv6Address.Count > 0) Add("ip6.addr", req.IPv6Address.ToArray());
        list.AddRange(network);
        var image = req.Image is null ? null : new Images.JailImageService(_host, _output).Require(req.Name, req.Image);
        // An image's jail persists, as ocijail makes its jails: its command may end, the jail stays to be entered.
        if (req.Persist || image is not null) Add("persist");
        // Without its own /etc/rc the jail would never configure its side of the epair; a root built
        // from a release boots the way jail.conf(5)'s example does: rc, rc.shutdown, and a devfs.
        bool boots = rc.Count > 0 || req.Release is not null || image?.Boots == true;
        if (req.Distribution is not null && req.Path is not null)
        {
            // Seeds 000/001: the Linux file systems, devfs ruleset 4, fdescfs, and an exec.start that boots sysv-rc.
            var (_, suite, debArch) = Provisioning.LinuxJailBuilder.Check(req.Name, req.Distribution, req.Suite, req.ReleaseArchitecture);
            foreach (var (name, values) in Provisioning.LinuxJailBuilder.Parameters(req.Path, suite, debArch))
                if (!((name == "exec.start" && req.ExecStart.Count > 0) || (name == "exec.stop" && (req.ExecStop.Count > 0 || req.ExecStart.Count > 0))))
                    Add(name, values);
        }
        var imageStart = image is null || boots || req.ExecStart.Count > 0 ? null : Images.ImageJailDefaults.ExecStart(req.Name, image, _output);
        if (req.ExecStart.Count > 0) Add("exec.start", req.ExecStart.ToArray());
        else if (boots) Add("exec.start", "/bin/sh /etc/rc");
        else if (imageStart is not null)
        {
            Add("exec.start", imageStart.Value.Command);
            // What the command writes goes where jail(8) puts an in-jail command's output.
            Add("exec.consolelog", $"/var/log/jail_console_{req.Name}.log");
            if (imageStart.Value.User is { } user) Add("exec.jail_user", user);
        }
        if (req.ExecStop.Count > 0) Add("exec.stop", req.ExecStop.ToArray());
        else if (boots && req.ExecStart.Count == 0) Add("exec.stop", "/bin/sh /etc/rc.shutdown jail");
        if (req.Release is not null)
        {
            Add("mount.devfs");
            // Which release the root came from, for Get-JailRelease (jail(8) ignores variables).
            Add("$" + Provisioning.JailReleaseService.ReleaseVariable,
                Provisioning.JailReleaseService.CheckRelease(req.Release) + " " + Provisioning.JailReleaseService.ArchitectureOf(req.ReleaseArchitecture).MachineArch);
        }
        if (image is not null)
        {
            if (image.HasDev) Add("mount.devfs");
            // Which image (pinned to its manifest) the root came from, for Get-JailImage (jail(8) ignores variables).
            Add("$" + Images.JailImageService.ImageVariable, Images.JailImageService.VariableValue(image));
        }
        if (req.Release is not null && req.Thin && req.Path is not null)
        {
            // seed 003: mount = "BASEJAIL ROOT/basejail nullfs ro 0 0"
            string baseJail = Provisioning.JailRootBuilder.ThinLayout(req.Path, req.Release, req.ReleaseArchitecture).BaseJail;
            Add("mount", $"{baseJail} {HostPath.Combine(HostPath.Normalize(req.Path), "basejail")} nullfs ro 0 0");
        }
        if (req.DependsOn.Count > 0) Add("depend", req.DependsOn.ToArray());
        if (req.Parameters != null)
            foreach (DictionaryEntry e in req.Parameters)
            {
                string key = Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "";
                var p = ToConfParameter(key, e.Value);
                list.RemoveAll(x => JailConfNames.EquivalentNames(x.Name, p.Name));
                list.Add(p);
            }
        return list;
    }

    /// <summary>A parameter from PowerShell as jail.conf text: booleans as name / noname, lists as lists.</summary>
    public JailConfParameter ToConfParameter(string name, object? value)
    {
        CheckValueShape(name, value);
        // A jail.conf variable ($jailps_rdr): one value, checked by the writer.
        if (name.StartsWith('$'))
            return new JailConfParameter(name, ToStrings(value));
        if (JailConfNames.IsPseudoParameter(name))
        {
            if (value is bool b) return new JailConfParameter(b ? name : JailParameterInfo.NoNameOf(name), Array.Empty<string>());
            return new JailConfParameter(name, ToStrings(value));
        }
        var info = _host.Kernel.Catalog.Resolve(name, out bool negated)
            ?? throw new JailParameterException("JailParameterUnknown", name, $"unknown parameter: {name}");
        if (info.Access == JailParameterAccess.ReadOnly)
            throw new JailParameterException("JailParameterReadOnly", name, $"{info.Name} is read-only (reported by the kernel, never set)");
        object typed = JailParameterCodec.FromObject(info, value, negated);
        if (info.Type == JailParameterType.Bool)
            return new JailConfParameter((bool)typed ? info.Name : info.NoName, Array.Empty<string>());
        if (info.Type is JailParameterType.IPv4Array or JailParameterType.IPv6Array)
            return new JailConfParameter(info.Name, ToStrings(value)); // keep iface|addr/mask forms as written
        return new JailConfParameter(info.Name, JailParameterCodec.ToText(info, typed).ToArray());
    }

    /// <summary>
    /// A parameter value is a scalar (string, number, boolean, address) or a list of scalars, which
    /// is what jail.conf can hold. A dictionary, a list inside a list or any other object is refused:
    /// written as text it would become something like "[a, 1]" or a type name in the definition.
    /// </summary>
    private static void CheckValueShape(string name, object? value)
    {
        if (IsScalar(value)) return;
        if (value is IDictionary)
            throw NotScalar(name, "a hashtable or dictionary is not a parameter value");
        if (value is IEnumerable list)
        {
            foreach (object? item in list)
                if (!IsScalar(item))
                    throw NotScalar(name, item is IDictionary ? "a list element is a hashtable or dictionary"
                        : item is IEnumerable ? "a list element is itself a list" : $"a list element is a {item!.GetType().FullName}");
            return;
        }
        throw NotScalar(name, $"a {value!.GetType().FullName} is not a parameter value");
    }

    private static bool IsScalar(object? v) => v is null or string or char or bool or sbyte or byte or short or ushort or int or uint
        or long or ulong or float or double or decimal or System.Net.IPAddress or Enum;

    private static JailParameterException NotScalar(string name, string why)
        => new("JailParameterInvalidValue", name,
            $"{name}: invalid value ({why}): give a string, a number, a boolean, or an array of them for a list.");

    private static string[] ToStrings(object? value) => value switch
    {
        null => Array.Empty<string>(),
        string s => new[] { s },
        bool b => new[] { b ? "true" : "false" },
        IEnumerable e => e.Cast<object?>().Select(x => Convert.ToString(x, CultureInfo.InvariantCulture) ?? "").ToArray(),
        _ => new[] { Convert.ToString(value, CultureInfo.InvariantCulture) ?? "" },
    };

    /// <summary>The plan for New-Jail: create the root directory when missing, write NAME.conf.</summary>
    public JailPlan PlanCreate(NewJailRequest req)
    {
        ValidateName(req.Name, ownFile: req.ConfigFile is null);
        if (req.Path != null) HostPath.CheckText(req.Path, "path", req.Name);
        if (req.ConfigFile != null) HostPath.CheckText(req.ConfigFile, "config file", req.Name);
        if (req.Path != null && !HostPath.IsAbsolute(req.Path))
            throw new JailOperationException("JailPathNotAbsolute", req.Name, $"jail \"{req.Name}\": path \"{req.Path}\" is not an absolute path.", "Use an absolute path such as /usr/jails/NAME.");
        if (FindDefinition(req.Name) is { } existing)
            throw new JailOperationException("JailAlreadyExists", req.Name, $"jail \"{req.Name}\" is already defined in {existing.SourceFile}.", "Choose another name, or change the existing jail with Set-Jail.");
        if (_host.Kernel.GetByName(req.Name) != null)
            throw new JailOperationException("JailAlreadyExists", req.Name, $"a jail named \"{req.Name}\" is already running.", "Choose another name.");

        var parameters = BuildParameters(req, out var rcLines);
        // Type-check everything before writing a byte: each parameter with its own error first, then
        // the block as jail(8) will read it (variables included).
        JailSpec.Resolve(new JailDefinition(req.Name, parameters.Where(p => !p.Name.StartsWith('$')).ToList()), _host.Kernel.Catalog);
        var def = JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(JailConfWriter.FormatBlock(req.Name, parameters), req.ConfigFile) })
            .First(d => d.BlockName == req.Name);
        JailSpec.Resolve(def, _host.Kernel.Catalog);
        foreach (string dep in req.DependsOn)
            if (FindDefinition(dep) is null)
                throw new JailOperationException("JailDependencyNotFound", req.Name, $"jail \"{req.Name}\" depends on \"{dep}\", which is not defined.", $"Create jail \"{dep}\" first.");

        string file = req.ConfigFile ?? HostPath.Combine(_host.JailConfDirectory, req.Name + ".conf");
        if (!HostPath.IsAbsolute(file))
            throw new JailOperationException("JailPathNotAbsolute", req.Name, $"config file \"{file}\" is not an absolute path.");
        // Without a path the jail shares the host's root, as jail(8) and the kernel allow.
        string? path = req.Path is null ? null : HostPath.Normalize(req.Path);
        var plan = new JailPlan(req.Name, "create");
        if (req.Release is not null && path is null)
            throw new JailOperationException("JailPathRequired", req.Name, $"jail \"{req.Name}\": -Release builds a root, so it needs -Path.", "Give -Path /usr/jails/NAME.");
        if (req.Image is not null && (path is null || req.Release is not null || req.Distribution is not null || req.Thin))
            throw new JailOperationException("JailPathRequired", req.Name,
                $"jail \"{req.Name}\": -Image builds a root of its own from the image's layers, so it needs -Path and goes with neither -Release, -Thin nor -Distribution; nothing was done.",
                "Give -Path /usr/jails/NAME and -Image alone.");
        if (req.Thin && req.Release is null)
            throw new JailOperationException("JailReleaseRequired", req.Name, $"jail \"{req.Name}\": -Thin makes a thin jail of a release, so it needs -Release.", "Give -Release 14.3-RELEASE (Save-JailRelease first).");
        if (req.Distribution is not null && (req.Vnet || req.Bridge is not null))
            throw new JailOperationException("JailDistributionConflict", req.Name,
                $"jail \"{req.Name}\": -Vnet and -Bridge configure the jail's side of the epair in FreeBSD's /etc/rc.conf, which a Debian jail does not read; nothing was done.",
                "Leave -Vnet and -Bridge out and give the jail an address with -IPv4Address, or configure a VNET Debian jail's network inside it by hand.");
        if (req.Distribution is not null && (req.Release is not null || path is null))
            throw new JailOperationException("JailPathRequired", req.Name,
                $"jail \"{req.Name}\": -Distribution installs a Linux userland into a root of its own, so it needs -Path and cannot go with -Release.", "Give -Path /usr/jails/NAME and leave -Release out.");
        var linux = req.Distribution is null ? null : new Provisioning.LinuxJailBuilder(_host, _output);
        var distro = req.Distribution is null ? default : Provisioning.LinuxJailBuilder.Check(req.Name, req.Distribution, req.Suite, req.ReleaseArchitecture);
        linux?.CheckHost(req.Name, distro.DebianArch);
        var builder = new Provisioning.JailRootBuilder(_host, _output);
        // Where the jails' directory is a ZFS dataset, a new root is a dataset of its own (a clone, for a thick jail).
        var zfsRoot = path is null ? null : builder.DatasetFor(req.Name, path);
        string? dataset = zfsRoot?.Dataset;
        // On ZFS the steps act on the root as getfsstat will show it (an admin's link on the way resolved).
        string? buildRoot = zfsRoot?.RealRoot ?? path;
        if (path != null && dataset is null && !_host.Files.DirectoryExists(path))
            plan.Add("mkdir", $"create root directory {path} (mode 0755)",
                () => _host.Files.CreateDirectory(path),
                () => { if (_host.Files.DirectoryExists(path)) _host.Files.DeleteEmptyDirectory(path); },
                $"remove {path}");
        if (dataset is not null && ((req.Release is null && req.Image is null) || req.Thin))
            builder.AddDatasetStep(plan, req.Name, buildRoot!, dataset);
        if (req.Image is not null && dataset is not null)
            builder.AddImageCloneSteps(plan, req.Name, buildRoot!, dataset, new Images.JailImageService(_host, _output).Require(req.Name, req.Image));
        else if (req.Image is not null)
            builder.AddImageSteps(plan, req.Name, path!, new Images.JailImageService(_host, _output).Require(req.Name, req.Image));
        if (linux is not null)
            linux.AddSteps(plan, req.Name, buildRoot!, distro.Suite, distro.DebianArch, req.Mirror, rootIsDataset: dataset is not null,
                req.Hostname, req.IPv4Address.Concat(req.IPv6Address).ToList());
        if (req.Release is not null && req.Thin)
            builder.AddThinSteps(plan, req.Name, buildRoot!, req.Release, req.ReleaseArchitecture, rootIsDataset: dataset is not null);
        else if (req.Release is not null && dataset is not null)
            builder.AddCloneSteps(plan, req.Name, buildRoot!, dataset, req.Release, req.ReleaseArchitecture);
        else if (req.Release is not null)
            builder.AddBuildSteps(plan, req.Name, path!, req.Release, req.ReleaseArchitecture);
        // The text shown now; the write step computes it again from the file as it is under the
        // file's lock, so an edit made meanwhile (by hand, or by another command) is kept.
        bool exists = _host.Files.FileExists(file);
        string block = JailConfWriter.FormatBlock(req.Name, parameters);
        string AppendTo(string? current)
        {
            if (current is null)
                return block;
            var doc = JailConfDocument.Parse(current, file);
            if (doc.HasBlock(req.Name))
                throw new JailOperationException("JailAlreadyExists", req.Name,
                    $"jail \"{req.Name}\" was defined in {file} by someone else while this command ran; nothing was written.", "Look at the file, then change the jail with Set-Jail.");
            doc.AppendBlock(req.Name, parameters);
            return doc.ToString();
        }
        HostFileEdit? written = null;
        plan.Add("write", $"{(exists ? "append to" : "write")} {file}:\n{block.TrimEnd()}",
            () => { written = _host.Files.Edit(file, AppendTo); Invalidate(); },
            () => { UndoEdit(file, written, req.Name); Invalidate(); },
            exists ? $"take the block of {req.Name} out of {file} again" : $"delete {file}");
        if (rcLines.Count > 0)
            AddRcConfStep(plan, req.Name, path, rcLines, rootBuilt: req.Release is not null || req.Image is not null);
        return plan;
    }

    /// <summary>
    /// A VNET jail's own configuration of its side of the epair, appended to its /etc/rc.conf
    /// (rc.conf is read as sh, so the last assignment wins and nothing else in the file changes),
    /// beneath the root without following any link in it. A root without /etc yet gets a warning
    /// with the lines to add once it is built.
    /// </summary>
    private void AddRcConfStep(JailPlan plan, string name, string? root, IReadOnlyList<string> lines, bool rootBuilt = false)
    {
        string text = $"# Added by New-Jail for jail {name}: its side of the epair JailPS creates.\n" + string.Join("\n", lines) + "\n";
        if (root is null || (!rootBuilt && !_host.Files.DirectoryExists(HostPath.Combine(root, "etc"))))
        {
            _output.Warning($"jail \"{name}\": {root ?? "its root"}/etc does not exist yet, so its network is not configured inside it; once the root is built, add to its /etc/rc.conf: {string.Join("; ", lines)}");
            return;
        }
        long before = 0;
        plan.Add("rc.conf", $"append to {HostPath.Combine(root, "etc/rc.conf")} (beneath the jail root, no link followed):\n{text.TrimEnd()}",
            () => before = _host.AppendBeneathRoot(root, JailNetworkDefaults.RcConf, text),
            () => _host.TruncateBeneathRoot(root, JailNetworkDefaults.RcConf, before),
            $"cut {HostPath.Combine(root, "etc/rc.conf")} back to what it held");
    }

    /// <summary>The plan that removes a jail's definition from its file (the root directory is kept).</summary>
    public JailPlan PlanRemoveDefinition(JailDefinition def) => PlanRemoveDefinition(def, deleteRoot: false);

    /// <summary>
    /// The plan that removes a jail's definition and, with <paramref name="deleteRoot"/>, then its
    /// root directory (the last step, since it cannot be undone: when it fails, the definition is
    /// put back and the error says what is left). The root is refused when it is a link, the host's
    /// root or a top-level directory, or shared with another jail's definition.
    /// </summary>
    public JailPlan PlanRemoveDefinition(JailDefinition def, bool deleteRoot)
    {
        var plan = new JailPlan(def.Name, "remove");
        string? root = deleteRoot ? RootToDelete(def) : null;
        string file = def.SourceFile ?? throw new JailOperationException("JailNotDefined", def.Name, $"jail \"{def.Name}\" has no definition file.");
        string RemoveFrom(string? current, out bool deleted)
        {
            if (current is null)
                throw new JailOperationException("JailConfigMissing", def.Name, $"{file} no longer exists.");
            var doc = JailConfDocument.Parse(current, file);
            if (!doc.HasBlock(def.BlockName))
                throw new JailOperationException("JailConfigReadOnly", def.Name,
                    $"jail \"{def.Name}\" has no block of its own in {file} (it comes from a wildcard, or someone removed it); JailPS will not edit it.", "Edit the file by hand.");
            doc.RemoveBlock(def.BlockName);
            string after = doc.ToString();
            deleted = doc.BlockNames.Count == 0 && string.IsNullOrWhiteSpace(StripComments(after))
                && HostPath.GetDirectoryName(file) == HostPath.Normalize(_host.JailConfDirectory);
            return after;
        }
        // Planned on the file as it is now, for -WhatIf; done again under the file's lock.
        RemoveFrom(_host.Files.ReadAllText(file), out bool delete);
        HostFileEdit? written = null;
        plan.Add("write", delete ? $"delete {file} (it defined only {def.Name})" : $"remove the block of {def.Name} from {file}",
            () => { written = _host.Files.Edit(file, current => { string after = RemoveFrom(current, out bool del); return del ? null : after; }); Invalidate(); },
            () => { UndoEdit(file, written, def.Name); Invalidate(); },
            $"restore {file}");
        string? rootDataset = root is null ? null : new Provisioning.JailZfs(_host).DatasetMountedOn(root);
        if (root is not null && rootDataset is not null)
            plan.Add("delete root", $"{Provisioning.JailZfs.Describe("destroy", "-r", rootDataset)}, then the snapshot it was cloned from if it was taken for {def.Name} (refused if anything else is mounted beneath {root}; cannot be undone)",
                () => new Provisioning.JailRootRemover(_host, _output).DestroyDataset(def.Name, root, rootDataset));
        else if (root is not null)
            plan.Add("delete root", $"chflags -R noschg {root}; rm -rf {root} (refused if anything is mounted beneath it; cannot be undone)",
                () => new Provisioning.JailRootRemover(_host, _output).RemoveTree(def.Name, root));
        return plan;
    }

    private string RootToDelete(JailDefinition def)
    {
        string? path = def.Get("path")?.Values is { Count: > 0 } v ? v[^1] : null;
        if (path is null || !HostPath.IsAbsolute(path))
            throw new JailOperationException("JailRootRefused", def.Name, $"jail \"{def.Name}\" has no absolute path in its definition, so there is no root to delete; nothing was done.");
        string normalized = HostPath.Normalize(path);
        if (!_host.Files.DirectoryExists(normalized))
            throw new JailOperationException("JailRootRefused", def.Name, $"jail \"{def.Name}\": its root {normalized} does not exist; nothing was done.", $"Remove-Jail {def.Name} without -DeleteRoot removes the definition.") { TargetObject = normalized };
        string real = _host.Files.RealPath(normalized);
        string parentReal = _host.Files.RealPath(HostPath.GetDirectoryName(normalized));
        if (real != HostPath.Combine(parentReal, HostPath.GetFileName(normalized)))
            throw new JailOperationException("JailRootRefused", def.Name,
                $"jail \"{def.Name}\": its root {normalized} is a symbolic link (to {real}); JailPS deletes no directory through a link; nothing was done.",
                $"Delete {real} by hand if that is what you mean.") { TargetObject = normalized };
        if (real == "/" || real.Split('/', StringSplitOptions.RemoveEmptyEntries).Length < 2)
            throw new JailOperationException("JailRootRefused", def.Name, $"jail \"{def.Name}\": its root is {real}, which JailPS never deletes; nothing was done.") { TargetObject = real };
        foreach (var other in Definitions.Where(d => d.Name != def.Name))
        {
            string? op = other.Get("path")?.Values is { Count: > 0 } ov ? ov[^1] : null;
            if (op is null || !HostPath.IsAbsolute(op)) continue;
            string o = _host.Files.DirectoryExists(op) ? _host.Files.RealPath(op) : HostPath.Normalize(op);
            if (o == real || o.StartsWith(real + "/", StringComparison.Ordinal) || real.StartsWith(o + "/", StringComparison.Ordinal))
                throw new JailOperationException("JailRootShared", def.Name,
                    $"jail \"{def.Name}\": its root {real} is also the root of jail \"{other.Name}\" (or holds it, or lies in it: {o}); it is not deleted; nothing was done.",
                    $"Remove-Jail {def.Name} without -DeleteRoot, or remove jail \"{other.Name}\" first.") { TargetObject = real };
        }
        return real;
    }

    /// <summary>
    /// Undoes one of our edits: puts back what the file held before it, but only while the file
    /// still holds exactly what the edit wrote. If anyone changed it since, their change is kept
    /// and the undo fails (the rollback then reports it as not undone).
    /// </summary>
    private void UndoEdit(string file, HostFileEdit? written, string jailName)
    {
        if (written is null) return;
        _host.Files.Edit(file, current => current == written.After
            ? written.Before
            : throw new JailOperationException("JailConfigChanged", jailName,
                $"{file} was changed by someone else after JailPS wrote it, so it was not put back; check the jail's block by hand.",
                "Compare the file with what you expect; JailPS keeps other people's edits."));
    }

    /// <summary>A kernel value as comparable text (a list as its items joined by ',').</summary>
    private static string ValueText(object value) => JailParameterCodec.ToDisplayValue(value) switch
    {
        string text => text,
        IEnumerable items => string.Join(",", items.Cast<object?>().Select(i => Convert.ToString(i, CultureInfo.InvariantCulture))),
        var other => Convert.ToString(other, CultureInfo.InvariantCulture) ?? "",
    };

    private static string StripComments(string text)
        => string.Join("\n", text.Split('\n').Where(l => !l.TrimStart().StartsWith('#') && !l.TrimStart().StartsWith("//")));

    /// <summary>
    /// The plan for Set-Jail: update the running jail (jail_set JAIL_UPDATE) and, with persist, its
    /// definition file. The live change is undone if writing the file fails.
    /// </summary>
    public JailPlan PlanUpdate(Jail jail, IDictionary changes, bool writeDefinition)
        => PlanUpdate(jail, changes, writeDefinition ? changes : null);

    /// <summary>
    /// The plan for a change whose live values differ from what the definition gets (Add-JailIPAddress:
    /// the running jail's addresses plus one, and the definition's entries plus one). A null
    /// <paramref name="definitionChanges"/> changes the running jail only.
    /// </summary>
    public JailPlan PlanUpdate(Jail jail, IDictionary liveChanges, IDictionary? definitionChanges)
    {
        bool writeDefinition = definitionChanges is not null;
        var plan = new JailPlan(jail.Name, "update");
        var conf = new List<JailConfParameter>();
        var live = new List<JailParameterSetting>();
        var undo = new List<JailParameterSetting>();
        var catalog = _host.Kernel.Catalog;
        // A null value takes the parameter out of the definition (Remove-JailIPAddress of its last address).
        var removals = new List<string>();
        if (definitionChanges is not null)
            foreach (DictionaryEntry e in definitionChanges)
            {
                string key = Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "";
                if (e.Value is null) removals.Add(key);
                else conf.Add(ToConfParameter(key, e.Value));
            }
        var addressEntries = new List<(string Parameter, string Entry)>();
        foreach (DictionaryEntry e in liveChanges)
        {
            string key = Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "";
            var p = ToConfParameter(key, e.Value);
            if (jail.Status != JailState.Running) continue;
            var info = catalog.Resolve(key, out bool negated);
            if (info is null)
            {
                if (!writeDefinition)
                    throw new JailOperationException("JailParameterNotLive", jail.Name,
                        $"{key} is a jail(8) setting used when the jail starts or stops; it cannot be changed in the running jail.",
                        "Add -Persist to change the jail's definition.");
                continue;
            }
            if (info.Access == JailParameterAccess.CreateOnly)
            {
                if (!writeDefinition)
                    throw new JailOperationException("JailParameterCreateOnly", jail.Name,
                        $"{info.Name} can only be set when a jail is created; jail \"{jail.Name}\" is running.",
                        "Save it to the definition with -Persist, then Restart-Jail.");
                // jail.c rdtun_params(): only a value that differs from the running jail's needs a restart.
                object wanted = JailParameterCodec.FromObject(info, e.Value, negated);
                object? current = jail.Parameters.Contains(info.Name) ? jail.Parameters[info.Name] : null;
                if (current is null || ValueText(wanted) != ValueText(JailParameterCodec.FromObject(info, current, false)))
                {
                    plan.CreateOnlyChanges.Add(info.Name);
                    plan.Notes.Add($"{info.Name} can only be set when a jail is created: it is saved to the definition and takes effect when the jail restarts (Set-Jail -Restart restarts it now, as jail -mr does).");
                }
                continue;
            }
            object typed = JailParameterCodec.FromObject(info, e.Value, negated);
            live.Add(new JailParameterSetting(info, typed));
            if (info.Name is "ip4.addr" or "ip6.addr")
                foreach (string v in p.Values)
                    foreach (string item in v.Split(','))
                        if (item.Trim().Length > 0) addressEntries.Add((info.Name, item));
            object? old = jail.Parameters.Contains(info.Name) ? jail.Parameters[info.Name] : null;
            if (old != null) undo.Add(new JailParameterSetting(info, JailParameterCodec.FromObject(info, old, false)));
        }
        if (jail.Status != JailState.Running && !writeDefinition)
            throw new JailOperationException("JailNotRunning", jail.Name,
                $"jail \"{jail.Name}\" is not running, so there is nothing to change live.", "Add -Persist to change its definition.");
        var jidInfo = catalog.Find("jid")!;
        var aliasRemovals = addressEntries.Count > 0 || live.Any(l => l.Info.Name is "ip4.addr" or "ip6.addr")
            ? AddLiveAliasSteps(plan, jail, live, addressEntries) : Array.Empty<JailAliasLedgerEntry>();
        if (live.Count > 0)
        {
            int jid = jail.Jid!.Value;
            var set = new List<JailParameterSetting> { new(jidInfo, jid) };
            set.AddRange(live);
            var revert = new List<JailParameterSetting> { new(jidInfo, jid) };
            revert.AddRange(undo);
            if (_host.Kernel.SupportsDescriptors)
            {
                // Held by a descriptor from the moment it is checked to be the jail looked at, so the
                // change and its undo reach that jail and never one that took its jid since.
                JailDescriptor? held = null;
                plan.Finally.Add(() => held?.Dispose());
                plan.Add("jail_set", "jail_set(JAIL_UPDATE | JAIL_USE_DESC) " + JailLifecycle.DescribeSettings(set),
                    () =>
                    {
                        held = _host.Kernel.OpenDescriptor(jid);
                        if (held is null || held.Name != jail.Name)
                            throw new JailOperationException("JailNotRunning", jail.Name,
                                held is null
                                    ? $"jail \"{jail.Name}\" (jid {jid}) stopped before it could be changed; nothing was changed."
                                    : $"jid {jid} is no longer jail \"{jail.Name}\" but \"{held.Name}\": the jail was replaced; nothing was changed.",
                                $"Run Get-Jail {jail.Name} and try again.");
                        _host.Kernel.Update(held, live, jail.Name);
                    },
                    undo.Count > 0 ? () => _host.Kernel.Update(held!, undo, jail.Name) : null,
                    "restore the previous values in the running jail");
            }
            else
                plan.Add("jail_set", "jail_set(JAIL_UPDATE) " + JailLifecycle.DescribeSettings(set),
                    () => _host.Kernel.Set(set, JailFlags.Update, jail.Name),
                    undo.Count > 0 ? () => _host.Kernel.Set(revert, JailFlags.Update, jail.Name) : null,
                    "restore the previous values in the running jail");
        }
        foreach (var entry in aliasRemovals)
            plan.Add("ip alias", JailAliasService.DescribeRemove(entry),
                () => _aliases.Remove(jail.Name, entry), () => _aliases.Add(jail.Name, entry.ToAlias()), entry.ToAlias().IfconfigAdd);
        if (writeDefinition)
        {
            var def = jail.Definition ?? (jail.DefinitionException is { } broken ? throw broken : throw new JailOperationException("JailNotDefined", jail.Name,
                $"jail \"{jail.Name}\" has no jail.conf definition to change.", "Create one with New-Jail or Export-JailConfig."));
            string file = def.SourceFile ?? throw new JailOperationException("JailNotDefined", jail.Name, $"jail \"{jail.Name}\" has no definition file.");
            string UpdateIn(string? current)
            {
                if (current is null)
                    throw new JailOperationException("JailConfigMissing", jail.Name, $"{file} no longer exists.");
                var doc = JailConfDocument.Parse(current, file);
                if (!doc.HasBlock(def.BlockName))
                    throw new JailOperationException("JailConfigReadOnly", jail.Name,
                        $"jail \"{jail.Name}\" has no block of its own in {file}; JailPS will not edit wildcard definitions.", "Edit the file by hand.");
                foreach (var p in conf)
                    doc.SetParameter(def.BlockName, p.Name, p.Values.Count == 0 ? null : p.Values);
                foreach (string name in removals)
                    doc.RemoveParameter(def.BlockName, name);
                string after = doc.ToString();
                // Type-check the edited definition as a whole before anything is written.
                var edited = JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(after, file) }).FirstOrDefault(d => d.Name == jail.Name);
                if (edited != null) JailSpec.Resolve(edited, catalog);
                return after;
            }
            UpdateIn(_host.Files.ReadAllText(file)); // refuse a bad edit at planning time, before any step
            HostFileEdit? written = null;
            plan.Add("write", $"update {file}: " + string.Join("; ", conf.Select(c => c.Values.Count == 0 ? c.Name : c.Name + " = " + string.Join(", ", c.Values))
                    .Concat(removals.Select(r => "remove " + r))),
                () => { written = _host.Files.Edit(file, UpdateIn); Invalidate(); },
                () => { UndoEdit(file, written, jail.Name); Invalidate(); },
                $"restore {file}");
        }
        return plan;
    }

    /// <summary>
    /// A live address change as jail -m makes it, and the aliases with it: an entry that names an
    /// interface (iface|addr, or the definition's interface parameter) and is not yet there is added
    /// before the jail_set (its undo removes it); an alias JailPS added for an address the jail no
    /// longer has is removed after the jail_set (returned, for steps the caller adds there).
    /// Addresses JailPS did not add are never removed.
    /// </summary>
    private IReadOnlyList<JailAliasLedgerEntry> AddLiveAliasSteps(JailPlan plan, Jail jail,
        IReadOnlyList<JailParameterSetting> live, IReadOnlyList<(string Parameter, string Entry)> entries)
    {
        string? defaultInterface = jail.Definition?.Get("interface")?.Values is { Count: > 0 } iv ? iv[iv.Count - 1] : null;
        var ledger = _aliases.Ledger.Read(jail.Name);
        var wanted = new List<JailIPAlias>();
        foreach (var (parameter, entry) in entries)
        {
            JailIPAlias alias;
            try
            {
                alias = JailIPAlias.Parse(parameter, entry, defaultInterface);
            }
            catch (JailParameterException ex)
            {
                throw new JailOperationException(ex.ErrorId, jail.Name, $"jail \"{jail.Name}\": {ex.Message}; nothing was changed.",
                    "Give the address as ADDRESS[/PREFIX] or INTERFACE|ADDRESS[/PREFIX].");
            }
            wanted.Add(alias);
            if (alias.Interface is null || ledger.Any(l => l.Interface == alias.Interface && l.Address == alias.Address.ToString()))
                continue;
            plan.Add("ip alias", JailAliasService.DescribeAdd(alias),
                () => _aliases.Add(jail.Name, alias), () => _aliases.Undo(jail.Name, alias), alias.IfconfigRemove);
        }
        var changedFamilies = live.Where(l => l.Info.Name is "ip4.addr" or "ip6.addr").Select(l => l.Info.Name).ToHashSet();
        return ledger.Where(l => changedFamilies.Contains(l.Parameter) && !wanted.Any(w => w.Address.ToString() == l.Address))
            .Reverse().ToList();
    }

    /// <summary>
    /// The parameters Export-JailConfig writes: the evaluated definition, or for a jail that exists only in
    /// the kernel what `jls -s` would give (settable parameters; booleans as name / noname).
    /// </summary>
    public IReadOnlyList<JailConfParameter> ExportParameters(Jail jail)
    {
        if (jail.Definition != null)
            return jail.Definition.Parameters
                .Where(p => !(p.Name == "name" && p.Values.Count == 1 && p.Values[0] == jail.Name))
                .ToList();
        var catalog = _host.Kernel.Catalog;
        var list = new List<JailConfParameter>();
        foreach (DictionaryEntry e in jail.Parameters)
        {
            string key = (string)e.Key;
            if (key is "name" or "jid") continue;
            var info = catalog.Find(key);
            if (info is null || info.Access == JailParameterAccess.ReadOnly) continue;
            int dot = key.LastIndexOf('.');
            if (dot > 0 && catalog.Find(key.Substring(0, dot)) is { Type: JailParameterType.JailSys } parent
                && jail.Parameters[parent.Name] as string == "inherit")
                continue; // host.* of a jail that shares its parent's values, and the like
            switch (e.Value)
            {
                case bool b:
                    list.Add(new JailConfParameter(b ? info.Name : info.NoName, Array.Empty<string>()));
                    break;
                case string[] addrs:
                    if (addrs.Length > 0) list.Add(new JailConfParameter(info.Name, addrs));
                    break;
                case string text when (key is "ip4" or "ip6") && text == "disable"
                    && jail.Parameters[key + ".addr"] is string[] { Length: > 0 }:
                    break; // the kernel reads restricted ip4/ip6 back as disable (kern_jail.c); ip4.addr says it all
                case null:
                    break;
                default:
                    list.Add(new JailConfParameter(info.Name, new[] { Convert.ToString(e.Value, CultureInfo.InvariantCulture) ?? "" }));
                    break;
            }
        }
        return list;
    }

    /// <summary>The same jail, shown as stopped (for a jail that existed only in the kernel and is gone now).</summary>
    public Jail AsStopped(Jail jail) => new(jail.Name, JailState.Stopped, null, jail.Path, jail.Hostname, jail.IPv4Address,
        jail.IPv6Address, false, jail.Parameters, jail.DependsOn, jail.ConfigFile, jail.Definition, jail.ComputerName, jail.IsSimulated);

    /// <summary>
    /// Waits until the jail is running (alive in the kernel) or stopped (gone, or dying: removed
    /// and no longer listed by jls), polling one jail_get at a time. Returns the jail as it is then.
    /// </summary>
    public Jail WaitFor(string name, JailState state, TimeSpan? timeout, System.Threading.CancellationToken cancellationToken)
    {
        var poll = TimeSpan.FromMilliseconds(200);
        var start = DateTime.UtcNow;
        var deadline = timeout is { } t ? start + t : DateTime.MaxValue;
        string activity = $"Waiting for jail {name}";
        string status = $"until it is {state.ToString().ToLowerInvariant()}" + (timeout is { } limit ? $" (at most {limit.TotalSeconds:0.#}s)" : " (Ctrl+C to stop)");
        bool shown = false;
        try
        {
            while (true)
            {
                _host.Simulation?.Refresh(); // another process may have changed the simulated kernel
                var rec = _host.Kernel.GetByName(name);
                bool running = rec != null && !rec.Dying;
                if (running == (state == JailState.Running))
                {
                    Invalidate();
                    return Get(name) ?? ToJail(name, FindDefinition(name) ?? new JailDefinition(name, Array.Empty<JailConfParameter>()), null);
                }
                if (DateTime.UtcNow >= deadline)
                    throw new JailOperationException("JailWaitTimeout", name,
                        $"jail \"{name}\" was not {state.ToString().ToLowerInvariant()} after {timeout!.Value.TotalSeconds:0.#}s.",
                        "Raise -Timeout, or check why the jail does not change state (Get-Jail, the jail's exec.* commands).");
                _output.Progress(JailProgress.Waiting(JailProgress.WaitJailActivity, activity, status, start, deadline));
                shown = true;
                var left = deadline - DateTime.UtcNow;
                if (cancellationToken.WaitHandle.WaitOne(left < poll ? left : poll))
                    cancellationToken.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            if (shown)
                _output.Progress(new JailProgress(JailProgress.WaitJailActivity, activity, "done").Complete());
        }
    }

    public static JailOperationException NotFound(string name) => new("JailNotFound", name,
        $"no jail named \"{name}\" is defined or running.", "List jails with Get-Jail.");
}
