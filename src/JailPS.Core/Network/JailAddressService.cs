using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.Linq;
using System.Net;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Network;

/// <summary>
/// A jail's IP addresses as Get-JailIPAddress lists them, and the plans of Add-JailIPAddress and
/// Remove-JailIPAddress, which are live address changes (jail -m) with their aliases, and with
/// -Persist the definition's ip4.addr / ip6.addr too, made by <see cref="JailService.PlanUpdate(Jail, IDictionary, IDictionary?)"/>.
/// </summary>
public sealed class JailAddressService
{
    private readonly JailService _service;
    private readonly JailAliasLedger _ledger;
    private Dictionary<string, IReadOnlyList<JailAliasLedgerEntry>>? _ledgers;

    public JailAddressService(JailService service)
    {
        _service = service;
        _ledger = new JailAliasLedger(service.Host.Files);
    }

    /// <summary>
    /// The addresses of one jail. <paramref name="interfaces"/> is the host's interface table, read
    /// once per command (getifaddrs); the alias ledgers are read once too, so listing N jails costs
    /// one table read and the jail_get calls that made the Jail objects.
    /// </summary>
    public IReadOnlyList<JailIPAddress> AddressesOf(Jail jail, IReadOnlyList<HostInterface> interfaces)
    {
        _ledgers ??= _ledger.ReadAll().ToDictionary(l => l.Jail, l => l.Entries, StringComparer.Ordinal);
        var ledger = _ledgers.TryGetValue(jail.Name, out var mine) ? mine : Array.Empty<JailAliasLedgerEntry>();
        var defined = DefinedEntries(jail);
        var result = new List<JailIPAddress>();
        bool running = jail.Status == JailState.Running;
        string host = _service.Host.ComputerName;
        if (running)
        {
            foreach (string text in jail.IPv4Address.Concat(jail.IPv6Address))
            {
                if (!IPAddress.TryParse(text, out var address)) continue;
                var d = defined.FirstOrDefault(a => a.Address.Equals(address));
                var l = ledger.FirstOrDefault(e => e.Address == address.ToString());
                string? named = d?.Interface ?? l?.Interface;
                var on = named is null ? interfaces.FirstOrDefault(i => i.Has(address)) : interfaces.FirstOrDefault(i => i.Name == named);
                // An entry without an interface has no mask that means anything (jail(8) uses it only for
                // ifconfig), so the host interface's prefix is the one worth showing.
                int prefix = (d?.Interface is not null ? d.PrefixLength : (int?)null) ?? l?.PrefixLength
                    ?? on?.Addresses.FirstOrDefault(a => a.Address.Equals(address))?.PrefixLength
                    ?? d?.PrefixLength ?? (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32);
                var state = named is not null && (on is null || !on.Has(address)) ? JailIPAddressState.AliasMissing : JailIPAddressState.Active;
                result.Add(new JailIPAddress(jail.Name, jail.Jid, named ?? on?.Name, address, prefix,
                    d is null ? JailIPAddressSource.Live : JailIPAddressSource.Definition, state, d?.Entry, l is not null, host));
            }
        }
        foreach (var d in defined)
        {
            if (running && result.Any(r => r.Address.Equals(d.Address))) continue;
            var l = ledger.FirstOrDefault(e => e.Address == d.Address.ToString());
            // A stopped jail whose alias is still on its interface: an interrupted stop left it (Stop-Jail removes it).
            var state = running ? JailIPAddressState.NotInJail
                : l is not null && interfaces.Any(i => i.Name == l.Interface && i.Has(d.Address)) ? JailIPAddressState.Leftover
                : JailIPAddressState.Configured;
            result.Add(new JailIPAddress(jail.Name, jail.Jid, d.Interface ?? interfaces.FirstOrDefault(i => i.Has(d.Address))?.Name,
                d.Address, d.PrefixLength, JailIPAddressSource.Definition, state, d.Entry, l is not null, host));
        }
        if (!running)
            foreach (var l in ledger)
                if (!result.Any(r => r.Address.ToString() == l.Address) && interfaces.Any(i => i.Name == l.Interface && i.Has(IPAddress.Parse(l.Address))))
                    result.Add(new JailIPAddress(jail.Name, jail.Jid, l.Interface, IPAddress.Parse(l.Address), l.PrefixLength,
                        JailIPAddressSource.Live, JailIPAddressState.Leftover, l.Entry, true, host));
        return result;
    }

    /// <summary>The definition's ip4.addr and ip6.addr entries, parsed as jail(8) reads them; none for a jail without a definition.</summary>
    public static IReadOnlyList<JailIPAlias> DefinedEntries(Jail jail)
    {
        var def = jail.Definition;
        if (def is null) return Array.Empty<JailIPAlias>();
        string? defaultInterface = def.Get("interface")?.Values is { Count: > 0 } iv ? iv[iv.Count - 1] : null;
        var list = new List<JailIPAlias>();
        foreach (string parameter in new[] { "ip4.addr", "ip6.addr" })
            foreach (string item in Items(def.Get(parameter)?.Values))
            {
                try
                {
                    list.Add(JailIPAlias.Parse(parameter, item, defaultInterface));
                }
                catch (Exception ex) when (ex is JailParameterException or FormatException)
                {
                    // Start-Jail reports a bad entry; the listing shows what it can read.
                }
            }
        return list;
    }

    /// <summary>
    /// The plan of Add-JailIPAddress: the address in the running jail (its alias first, when an
    /// interface is named) and, with <paramref name="persist"/>, in the definition. A stopped jail
    /// takes the definition change only.
    /// </summary>
    public JailPlan PlanAdd(Jail jail, string? iface, string address, bool persist)
    {
        var alias = ParseNew(jail, iface, address);
        var defined = DefinedEntries(jail);
        bool running = jail.Status == JailState.Running;
        bool inJail = running && KernelAddresses(jail, alias.Family).Contains(alias.Address.ToString());
        bool inDefinition = defined.Any(d => d.Address.Equals(alias.Address));
        if (!running && !persist)
            throw new JailOperationException("JailNotRunning", jail.Name,
                $"jail \"{jail.Name}\" is not running, so there is no live address to add.", "Add -Persist to add it to the definition.")
            { TargetObject = alias };
        if ((inJail || !running) && (!persist || inDefinition))
            throw new JailOperationException("JailIPAddressExists", jail.Name,
                $"jail \"{jail.Name}\" already has {alias.Address}{(inDefinition ? " in its definition" : "")}{(inJail ? (inDefinition ? " and" : "") + " in the running jail" : "")}; nothing was changed.",
                inJail && !inDefinition ? $"Add -Persist to save it to the definition as well." : $"Nothing to do. Get-JailIPAddress {jail.Name} lists its addresses.")
            { TargetObject = alias };
        IDictionary? live = null;
        if (running && !inJail)
            live = new OrderedDictionary { [alias.Parameter] = LiveEntries(jail, alias.Family).Append(alias.Entry).ToArray() };
        else if (running)
            live = new OrderedDictionary();
        IDictionary? definition = null;
        if (persist && !inDefinition)
            definition = new OrderedDictionary { [alias.Parameter] = DefinitionValues(jail, alias.Parameter).Append(alias.Entry).ToArray() };
        return _service.PlanUpdate(jail, live ?? new OrderedDictionary(), definition);
    }

    /// <summary>
    /// The plan of Remove-JailIPAddress: the address out of the running jail (and then its alias,
    /// if JailPS added it) and, with <paramref name="persist"/>, out of the definition.
    /// </summary>
    public JailPlan PlanRemove(Jail jail, IPAddress address, bool persist)
    {
        int family = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 6 : 4;
        string parameter = family == 4 ? "ip4.addr" : "ip6.addr";
        bool running = jail.Status == JailState.Running;
        bool inJail = running && KernelAddresses(jail, family).Contains(address.ToString());
        bool inDefinition = DefinedEntries(jail).Any(d => d.Address.Equals(address));
        if (!inJail && !(persist && inDefinition))
            throw new JailOperationException("JailIPAddressNotFound", jail.Name,
                inDefinition
                    ? $"{address} is in the definition of jail \"{jail.Name}\" but {(running ? "not in the running jail" : "the jail is not running")}; nothing was changed."
                    : $"jail \"{jail.Name}\" has no address {address}; nothing was changed.",
                inDefinition ? "Add -Persist to remove it from the definition." : $"Get-JailIPAddress {jail.Name} lists its addresses.")
            { TargetObject = address };
        var live = new OrderedDictionary();
        if (inJail)
            live[parameter] = LiveEntries(jail, family).Where(e => !SameAddress(parameter, e, address)).ToArray();
        IDictionary? definition = null;
        if (persist && inDefinition)
        {
            var rest = DefinitionValues(jail, parameter).SelectMany(v => v.Split(',')).Select(v => v.Trim())
                .Where(v => v.Length > 0 && !SameAddress(parameter, v, address)).ToArray();
            // No entry left: the parameter goes, as an empty ip4.addr would mean "no IPv4" to jail(8).
            definition = new OrderedDictionary { [parameter] = rest.Length == 0 ? null : rest };
        }
        return _service.PlanUpdate(jail, live, definition);
    }

    private static bool SameAddress(string parameter, string entry, IPAddress address)
    {
        try
        {
            return JailIPAlias.Parse(parameter, entry, null).Address.Equals(address);
        }
        catch (Exception ex) when (ex is JailParameterException or FormatException)
        {
            return false;
        }
    }

    /// <summary>The entry the user gave, checked as jail.conf's would be: "[iface|]addr[/prefix]".</summary>
    private JailIPAlias ParseNew(Jail jail, string? iface, string address)
    {
        string text = address.Trim();
        if (text.Contains('|'))
            throw new JailOperationException("JailIPAddressInvalid", jail.Name,
                $"\"{address}\" is not an address: give the interface with -Interface, not with \"|\".", "Add-JailIPAddress NAME -Interface em0 -Address 192.0.2.12/24")
            { TargetObject = address };
        string bare = text.Split('/')[0];
        if (!IPAddress.TryParse(bare, out var ip) || bare.Contains('%'))
            throw new JailOperationException("JailIPAddressInvalid", jail.Name,
                $"\"{address}\" is not an IPv4 or IPv6 address (ADDRESS or ADDRESS/PREFIX).", "Give it as 192.0.2.12/24 or 2001:db8::12/64.")
            { TargetObject = address };
        string parameter = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ip6.addr" : "ip4.addr";
        string entry = iface is null ? text : iface + "|" + text;
        var info = _service.Host.Kernel.Catalog.Find(parameter)
            ?? throw new JailOperationException("JailParameterUnknown", jail.Name,
                $"this kernel has no {parameter} parameter (no {(parameter == "ip4.addr" ? "INET" : "INET6")} support).", "Use the other address family.");
        try
        {
            JailParameterCodec.FromText(info, new[] { entry }, false); // jail(8)'s checks and messages
            return JailIPAlias.Parse(parameter, entry, iface is null ? jail.Definition?.Get("interface")?.Values.LastOrDefault() : null);
        }
        catch (JailParameterException ex)
        {
            throw new JailOperationException("JailIPAddressInvalid", jail.Name, $"jail \"{jail.Name}\": {ex.Message}; nothing was changed.",
                "Give the address as 192.0.2.12/24 (or a netmask) and the interface with -Interface.")
            { TargetObject = address };
        }
    }

    private static IReadOnlyList<string> KernelAddresses(Jail jail, int family)
        => (family == 4 ? jail.IPv4Address : jail.IPv6Address).Select(a => IPAddress.TryParse(a, out var ip) ? ip.ToString() : a).ToList();

    /// <summary>
    /// The running jail's addresses as entries: with the interface and prefix the definition or the
    /// alias ledger gives them, so a live change keeps every alias that stays.
    /// </summary>
    private IEnumerable<string> LiveEntries(Jail jail, int family)
    {
        string parameter = family == 4 ? "ip4.addr" : "ip6.addr";
        var defined = DefinedEntries(jail).Where(d => d.Parameter == parameter).ToList();
        var ledger = _ledger.Read(jail.Name);
        foreach (string text in KernelAddresses(jail, family))
        {
            var d = defined.FirstOrDefault(a => a.Address.ToString() == text);
            var l = ledger.FirstOrDefault(e => e.Address == text);
            if (l is not null) yield return l.Interface + "|" + text + "/" + l.PrefixLength.ToString(CultureInfo.InvariantCulture);
            else if (d is not null && d.Interface is null) yield return d.Entry;
            else yield return text;
        }
    }

    private static IEnumerable<string> DefinitionValues(Jail jail, string parameter)
        => jail.Definition?.Get(parameter)?.Values ?? (IEnumerable<string>)Array.Empty<string>();

    private static IEnumerable<string> Items(IReadOnlyList<string>? values)
    {
        if (values is null) yield break;
        foreach (string v in values)
            foreach (string item in v.Split(','))
                if (item.Trim().Length > 0) yield return item.Trim();
    }
}
