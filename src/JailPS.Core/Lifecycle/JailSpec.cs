using System;
using System.Collections.Generic;
using System.Linq;
using System.Globalization;
using JailPS.Core.Config;
using JailPS.Core.Host;
using JailPS.Core.Kernel;

namespace JailPS.Core.Lifecycle;

/// <summary>
/// A jail definition split the way jail(8) splits it (usr.sbin/jail/config.c intparams): the
/// pseudo-parameters jail(8) acts on itself (exec.*, stop.timeout, depend, mount*, interface...)
/// and the kernel parameters that go to jail_set, already converted to their kernel types.
/// </summary>
public sealed class JailSpec
{
    /// <summary>jail(8)'s own parameters (usr.sbin/jail/config.c intparams); never sent to the kernel.</summary>
    public static readonly IReadOnlySet<string> PseudoParameters = new HashSet<string>(JailConfNames.PseudoParameters, StringComparer.Ordinal);

    private readonly Dictionary<string, IReadOnlyList<string>> _pseudo = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _pseudoBools = new(StringComparer.Ordinal);
    private readonly List<string> _lastValueNotes = new();

    private JailSpec(JailDefinition definition) => Definition = definition;

    public JailDefinition Definition { get; }

    /// <summary>Every ip4.addr and ip6.addr entry, in definition order (IPv4 first); those with an interface are aliases.</summary>
    public List<JailPS.Core.Network.JailIPAlias> Addresses { get; } = new();

    /// <summary>The entries that go on a host interface as aliases, in jail(8)'s order: IPv4, then IPv6.</summary>
    public IEnumerable<JailPS.Core.Network.JailIPAlias> Aliases => Addresses.Where(a => a.Interface is not null);
    public string Name => Definition.Name;

    /// <summary>jail(8)'s interface parameter: the interface of every ip4.addr/ip6.addr entry without "iface|".</summary>
    public string? Interface => Single("interface");

    /// <summary>vnet.interface: the interfaces moved into the (vnet) jail after it is created, in order.</summary>
    public IReadOnlyList<string> VnetInterfaces => Values("vnet.interface").SelectMany(v => v.Split(',')).Select(v => v.Trim()).Where(v => v.Length > 0).ToList();

    /// <summary>zfs.dataset (FreeBSD 15): the datasets handed to the jail with zfs jail after exec.created, in order (a value may list several, comma-separated).</summary>
    public IReadOnlyList<string> ZfsDatasets => Values("zfs.dataset").SelectMany(v => v.Split(',')).Select(v => v.Trim()).Where(v => v.Length > 0).ToList();

    /// <summary>The epair JailPS creates for the jail (its jailps_* variables), or null.</summary>
    public JailPS.Core.Network.JailEpair? Epair { get; private set; }

    /// <summary>The port forwards of $jailps_rdr, loaded into the jail's pf anchor on start.</summary>
    public IReadOnlyList<JailPS.Core.Network.JailPortForwardEntry> PortForwards { get; private set; } = Array.Empty<JailPS.Core.Network.JailPortForwardEntry>();

    /// <summary>$jailps_pf_isolation: the jail's private loopback addresses are isolated by pf rules in its anchor.</summary>
    public bool PfIsolation { get; private set; }

    /// <summary>The CPUs of $jailps_cpuset ("0-3"), set with cpuset_setaffinity when the jail starts; null for all the host's.</summary>
    public IReadOnlyCollection<int>? CpuSet { get; private set; }

    /// <summary>ip_hostname: host.hostname's addresses are added to ip4.addr / ip6.addr when the jail is created.</summary>
    public bool IpHostname => Bool("ip_hostname");

    /// <summary>Kernel parameters for jail_set(JAIL_CREATE), in definition order (name/jid first).</summary>
    public List<JailParameterSetting> KernelSettings { get; } = new();

    public bool Persist { get; private set; }
    public string? Path { get; private set; }
    public IReadOnlyList<string> Depend => Values("depend");
    public TimeSpan? ExecTimeout { get; private set; }
    public int StopTimeoutSeconds { get; private set; } = 10; // jail(8) default stop.timeout (usr.sbin/jail/jail.8)
    public string? ConsoleLog => Single("exec.consolelog");
    public bool Clean => Bool("exec.clean");
    public string? JailUser => Single("exec.jail_user");
    public bool SystemJailUser => Bool("exec.system_jail_user");
    public string? SystemUser => Single("exec.system_user");
    public int? Fib { get; private set; }

    /// <summary>`mount`: fstab(5) lines mounted before the jail is created.</summary>
    public IReadOnlyList<string> MountLines => Values("mount");
    /// <summary>
    /// `mount.fstab`: fstab(5) files whose entries are mounted after the `mount` lines, in order;
    /// jail(8) reads each value as a file (check_intparams in usr.sbin/jail/config.c), empty ones skipped.
    /// </summary>
    public IReadOnlyList<string> MountFstabs => _pseudo.TryGetValue("mount.fstab", out var v) ? v.Where(f => f.Length > 0).ToList() : Array.Empty<string>();
    public bool MountDevfs => Bool("mount.devfs");
    public bool MountFdescfs => Bool("mount.fdescfs");
    public bool MountProcfs => Bool("mount.procfs");
    /// <summary>The devfs_ruleset kernel parameter when set (jail(8) mounts devfs with it, default 4).</summary>
    public int? DevfsRuleset { get; private set; }

    public IReadOnlyList<string> Commands(string pseudoName) => Values(pseudoName);

    /// <summary>
    /// One line for each kernel parameter written with several values that takes one: which value
    /// the kernel gets. jail(8) is silent about it; the start plan shows it with its jail_set step.
    /// </summary>
    public IReadOnlyList<string> LastValueNotes => _lastValueNotes;

    private IReadOnlyList<string> Values(string name) => _pseudo.TryGetValue(name, out var v) ? v : Array.Empty<string>();
    private string? Single(string name) => _pseudo.TryGetValue(name, out var v) && v.Count > 0 ? v[v.Count - 1] : null;
    private bool Bool(string name) => _pseudoBools.TryGetValue(name, out bool b) && b;

    /// <summary>Splits and type-checks a definition against the kernel's parameter catalog.</summary>
    public static JailSpec Resolve(JailDefinition definition, JailParameterCatalog catalog)
    {
        // jail(8) refuses to create or remove a jail it marked failed while evaluating it.
        if (definition.IsFailed) throw definition.Warnings[0];
        var spec = new JailSpec(definition);
        var kernel = new Dictionary<string, JailParameterSetting>(StringComparer.Ordinal);
        var order = new List<string>();
        bool nameGiven = false;

        foreach (var p in definition.Parameters)
        {
            string name = p.Name;
            string? positive = JailParameterInfo.PositiveNameOf(name);
            if (PseudoParameters.Contains(name) || (positive != null && PseudoParameters.Contains(positive)))
            {
                string key = PseudoParameters.Contains(name) ? name : positive!;
                bool negated = key != name;
                // bool_param() and check_intparams() in usr.sbin/jail/config.c read the last value.
                if (IsPseudoBool(key))
                    // bool_param(): the "no" form inverts whatever the value says ("mount.nodevfs = 0" mounts devfs).
                    spec._pseudoBools[key] = negated ^ (p.Values.Count == 0 || ParsePseudoBool(key, p.Values[p.Values.Count - 1]));
                else
                    spec._pseudo[key] = p.Values;
                continue;
            }
            var info = catalog.Resolve(name, out bool isNo);
            if (info is null)
                throw new JailParameterException("JailParameterUnknown", name, $"jail \"{definition.Name}\": unknown parameter: {name}");
            if (info.Access == JailParameterAccess.ReadOnly)
                throw new JailParameterException("JailParameterReadOnly", name, $"jail \"{definition.Name}\": {info.Name} is read-only (reported by the kernel, never set)");
            IReadOnlyList<string> values = p.Values;
            if (values.Count > 1 && info.Type is not (JailParameterType.IPv4Array or JailParameterType.IPv6Array))
            {
                // import_params() in usr.sbin/jail/config.c: a parameter that is not an array
                // keeps only its last value, and the others are dropped without a word; only that
                // value is checked, as jailparam_import() sees nothing else.
                values = new[] { values[values.Count - 1] };
                spec._lastValueNotes.Add($"{name} = {string.Join(", ", p.Values)}: the kernel gets the last value, {values[0]}, as jail(8) passes only the last value of a parameter that takes one");
            }
            object value;
            try
            {
                value = JailParameterCodec.FromText(info, values, isNo);
            }
            catch (JailParameterException ex)
            {
                throw new JailParameterException(ex.ErrorId, ex.ParameterName, $"jail \"{definition.Name}\": {ex.Message}");
            }
            if (info.Name == "name") nameGiven = true;
            if (!kernel.ContainsKey(info.Name)) order.Add(info.Name);
            kernel[info.Name] = new JailParameterSetting(info, value);
        }

        foreach (string dataset in spec.ZfsDatasets)
            if (!System.Text.RegularExpressions.Regex.IsMatch(dataset, "^[A-Za-z0-9][A-Za-z0-9_.:-]*(/[A-Za-z0-9_.:-]+)+$"))
                throw new JailOperationException("JailParameterInvalidValue", definition.Name,
                    $"jail \"{definition.Name}\": zfs.dataset \"{dataset}\" is not the name of a ZFS file system below a pool (pool/path, no snapshot); nothing was changed.",
                    "Give the dataset as zfs list names it, such as zroot/jails/web/data.") { TargetObject = dataset };
        // jail(8)'s check_intparams: an entry with "iface|", or any entry when interface is set, is
        // also an alias on that interface; the kernel got the bare address above.
        string? defaultInterface = spec.Single("interface");
        foreach (string ipParam in new[] { "ip4.addr", "ip6.addr" })
            if (definition.Get(ipParam) is { } ip && catalog.Find(ipParam) is not null)
                foreach (string v in ip.Values)
                    foreach (string item in v.Split(','))
                        if (item.Trim().Length > 0)
                        {
                            var alias = JailPS.Core.Network.JailIPAlias.Parse(ipParam, item, defaultInterface);
                            spec.Addresses.Add(alias);
                        }

        // The block name is the jail's name (or its jid when all digits), as jail(8) sets it.
        if (!nameGiven && !kernel.ContainsKey("jid"))
        {
            bool numeric = definition.Name.Length > 0 && IsAllDigits(definition.Name);
            var info = catalog.Find(numeric ? "jid" : "name");
            if (info != null)
            {
                object v = numeric ? int.Parse(definition.Name, CultureInfo.InvariantCulture) : definition.Name;
                kernel[info.Name] = new JailParameterSetting(info, v);
                order.Insert(0, info.Name);
            }
        }
        foreach (string n in order)
            spec.KernelSettings.Add(kernel[n]);

        spec.Persist = kernel.TryGetValue("persist", out var persist) && persist.Value is true;
        spec.Path = kernel.TryGetValue("path", out var path) ? path.Value as string : null;
        spec.ExecTimeout = spec.IntPseudo("exec.timeout") is int t && t > 0 ? TimeSpan.FromSeconds(t) : null;
        if (spec.IntPseudo("stop.timeout") is int st) spec.StopTimeoutSeconds = st;
        spec.Fib = spec.IntPseudo("exec.fib");
        if (kernel.TryGetValue("devfs_ruleset", out var rs) && rs.Value is int rsn) spec.DevfsRuleset = rsn;
        spec.Epair = JailPS.Core.Network.JailEpair.FromDefinition(definition);
        spec.PortForwards = JailPS.Core.Network.JailPortForwardEntry.ParseList(definition.Name,
            definition.Variables.TryGetValue(JailPS.Core.Network.JailPortForwardEntry.Variable, out string? rdr) ? rdr : null);
        if (definition.Variables.TryGetValue(JailPS.Core.Network.JailPfService.IsolationVariable, out string? iso))
            spec.PfIsolation = iso.Trim().ToLowerInvariant() switch
            {
                "yes" or "true" or "1" or "pf" => true,
                "no" or "false" or "0" or "" => false,
                _ => throw new JailOperationException("JailPortForwardInvalid", definition.Name,
                    $"jail \"{definition.Name}\": ${JailPS.Core.Network.JailPfService.IsolationVariable} = \"{iso}\" is not yes or no; nothing was changed.", "Write yes or no."),
            };
        if (spec.PortForwards.Count > 0 || spec.PfIsolation) JailPS.Core.Network.JailPfService.AnchorOf(definition.Name);
        if (definition.Variables.TryGetValue(JailPS.Core.Limits.JailCpuSetService.Variable, out string? cpus) && cpus.Trim().Length > 0)
            spec.CpuSet = JailPS.Core.Limits.JailCpuSetService.ParseList(cpus, definition.Name);
        bool vnet = kernel.TryGetValue("vnet", out var vn) && vn.Value is JailSysMode.New;
        if ((spec.Epair is not null || spec.VnetInterfaces.Count > 0) && !vnet)
            throw new JailOperationException("JailVnetInvalid", definition.Name,
                $"jail \"{definition.Name}\": {(spec.Epair is not null ? "$jailps_epair" : "vnet.interface")} moves interfaces into the jail, which needs its own network stack, but vnet is not set; nothing was changed.",
                "Add vnet (vnet = new) to the definition, or take the interfaces out.");
        if (spec.Epair is { } ep && !spec.VnetInterfaces.Contains(ep.JailSide))
            throw new JailOperationException("JailVnetInvalid", definition.Name,
                $"jail \"{definition.Name}\": $jailps_epair's jail side {ep.JailSide} is not in vnet.interface, so it would never reach the jail; nothing was changed.",
                $"Add vnet.interface = \"{ep.JailSide}\" to the definition.");
        return spec;
    }

    private int? IntPseudo(string name)
    {
        string? text = Single(name);
        if (text is null) return null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v)) return v;
        throw new JailParameterException("JailParameterInvalidValue", name, $"jail \"{Name}\": {name}: invalid value \"{text}\": non-integer value");
    }

    private static bool IsPseudoBool(string name) => name is "exec.clean" or "exec.system_jail_user" or "ip_hostname"
        or "mount.devfs" or "mount.fdescfs" or "mount.procfs" or "allow.dying";

    private static bool ParsePseudoBool(string name, string text)
    {
        if (string.Equals(text, "true", StringComparison.OrdinalIgnoreCase)) return true;
        if (string.Equals(text, "false", StringComparison.OrdinalIgnoreCase)) return false;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) return n != 0;
        throw new JailParameterException("JailParameterInvalidValue", name, $"{name}: invalid value \"{text}\": expected true or false");
    }

    public static bool IsAllDigits(string s)
    {
        foreach (char c in s) if (c < '0' || c > '9') return false;
        return s.Length > 0;
    }
}
