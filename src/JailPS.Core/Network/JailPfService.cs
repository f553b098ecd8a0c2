using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Processes;

namespace JailPS.Core.Network;

/// <summary>What pfctl says about pf: whether it runs, and whether the main ruleset hooks JailPS's anchors.</summary>
public sealed record PfStatus(bool Running, bool RdrHook, bool FilterHook, string? Error);

/// <summary>
/// A jail's pf rules, in its own anchor jailps/NAME, through pfctl and the process seam
/// (freebsd-net-prov-facts.md §2.1: pf's ioctl ABI changed format twice, so JailPS feeds rule text
/// to /sbin/pfctl as every peer does):
/// <list type="bullet">
/// <item>port forwards (<c>$jailps_rdr</c>): <c>rdr pass</c> rules from the host's external address to the jail's;</item>
/// <item>private-loopback isolation (<c>$jailps_pf_isolation</c>, seed 003): the jail's 127.0.1.N is
/// reachable from the jail itself only, so jails cannot reach each other's loopback services.</item>
/// </list>
/// A start loads the anchor (<c>pfctl -a jailps/NAME -f -</c>) after the aliases exist; a stop flushes
/// it (<c>pfctl -a jailps/NAME -F all</c>, which with an anchor flushes only that anchor's rules,
/// translations and tables: sbin/pfctl/pfctl.c). An anchor only acts when the main ruleset hooks it
/// (<c>rdr-anchor "jailps/*"</c>, <c>anchor "jailps/*"</c>); pfctl -a cannot add the hook, so when it is
/// missing JailPS says which lines to add and never claims the rules work.
/// </summary>
public sealed class JailPfService
{
    public const string PfctlPath = "/sbin/pfctl";
    public const string AnchorRoot = "jailps";
    /// <summary>The jail.conf variable that asks for loopback isolation (New-Jail -PrivateLoopback writes it).</summary>
    public const string IsolationVariable = "jailps_pf_isolation";
    public const string RdrHook = "rdr-anchor \"jailps/*\"";
    public const string FilterHook = "anchor \"jailps/*\"";

    private readonly JailHost _host;
    private readonly IJailOutput _output;
    private readonly JailInterfaceLedger _ledger;

    public JailPfService(JailHost host, IJailOutput output)
    {
        _host = host;
        _output = output;
        _ledger = new JailInterfaceLedger(host.Files);
    }

    /// <summary>jailps/NAME. pfctl refuses anchors starting with '_' from the command line; names pf cannot parse are refused too.</summary>
    public static string AnchorOf(string jail)
    {
        if (jail.Length == 0 || jail[0] == '_' || jail.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
            throw new JailOperationException("JailPfAnchorInvalid", jail,
                $"jail \"{jail}\": its name cannot be a pf anchor name (letters, digits, '_', '-' and '.', not starting with '_'), so JailPS cannot give it pf rules; nothing was done.",
                "Rename the jail, or write its pf rules in /etc/pf.conf by hand.");
        return AnchorRoot + "/" + jail;
    }

    /// <summary>
    /// Whether pf is enabled and has the hooks: `pfctl -si` (its "Status:" line; a loaded but
    /// disabled pf forwards nothing), `pfctl -sn` and `pfctl -sr` (three processes).
    /// </summary>
    public PfStatus ReadStatus(string? jail = null)
    {
        var listings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string query in new[] { "-si", "-sn", "-sr" })
        {
            var r = Pfctl(jail, null, query);
            if (r.ExitCode != 0)
                return new PfStatus(false, false, false, r.FirstErrorLine ?? $"pfctl {query} exited with {r.ExitCode}");
            if (query == "-si" && r.StandardOutput.Split('\n').Any(l => l.TrimStart().StartsWith("Status: Disabled", StringComparison.Ordinal)))
                return new PfStatus(false, false, false, "pf is loaded but disabled; pfctl -e enables it");
            listings[query] = r.StandardOutput;
        }
        return new PfStatus(true, HasHook(listings["-sn"], RdrHook), HasHook(listings["-sr"], FilterHook), null);
    }

    private static bool HasHook(string listing, string hook)
        => listing.Split('\n').Any(l => l.Trim().StartsWith(hook, StringComparison.Ordinal));

    /// <summary>The loopback addresses seed 003's isolation protects: the jail's entries on lo1 and up.</summary>
    public static IReadOnlyList<IPAddress> LoopbackAddresses(JailSpec spec)
        => spec.Addresses.Where(a => a.Interface is string i && i.StartsWith("lo", StringComparison.Ordinal) && i != "lo0")
            .Select(a => a.Address).Distinct().ToList();

    /// <summary>The anchor's rule text for the jail, or null when it has no pf work.</summary>
    public string? RulesFor(JailSpec spec, IReadOnlyList<JailPortForwardEntry>? forwards = null)
    {
        forwards ??= spec.PortForwards;
        var loopback = spec.PfIsolation ? LoopbackAddresses(spec) : Array.Empty<IPAddress>();
        if (forwards.Count == 0 && loopback.Count == 0) return null;
        var text = new StringBuilder();
        text.Append("# jail ").Append(spec.Name).Append(": loaded by Start-Jail, flushed by Stop-Jail (JailPS)\n");
        IReadOnlyList<HostInterface>? table = forwards.Count > 0 ? _host.Network.ReadInterfaces() : null;
        foreach (var f in forwards)
            text.Append(f.PfRule(table!.FirstOrDefault(i => i.Has(f.ExternalAddress))?.Name)).Append('\n');
        foreach (var a in loopback)
        {
            string family = a.AddressFamily == AddressFamily.InterNetworkV6 ? "inet6" : "inet";
            text.Append($"pass quick {family} from {a} to {a}\n");
            text.Append($"block drop quick {family} from ! {a} to {a}\n");
        }
        return text.ToString();
    }

    /// <summary>
    /// A start's load of the jail's anchor, after its aliases (the rules name them). pf not running
    /// fails a jail that has port forwards before anything is done and only warns for isolation;
    /// a missing hook warns with the exact pf.conf lines, and the rules are loaded anyway (they act
    /// as soon as the hook is added).
    /// </summary>
    public void AddLoadSteps(JailPlan plan, JailSpec spec)
    {
        string? rules = RulesFor(spec);
        if (rules is null) return;
        string anchor = AnchorOf(spec.Name);
        if (!Usable(spec.Name, spec.PortForwards.Count > 0, spec.PfIsolation && LoopbackAddresses(spec).Count > 0)) return;
        plan.Add("pf", Describe($"pfctl -a {anchor} -f -", rules),
            () => Load(spec.Name, anchor, rules),
            () => Flush(spec.Name, anchor), $"pfctl -a {anchor} -F all");
    }

    /// <summary>
    /// Checks pf for a load; false (with a warning) when pf does not run and only isolation was asked
    /// for. Port forwards without pf are an error: the admin asked for traffic that would never come.
    /// </summary>
    public bool Usable(string jail, bool forwards, bool isolation)
    {
        var status = ReadStatus(jail);
        if (!status.Running)
        {
            if (forwards)
                throw new JailOperationException("JailPfUnavailable", jail,
                    $"jail \"{jail}\" has port forwards, but pf is not running ({status.Error}); nothing was done.",
                    "Load and enable pf (kldload pf; sysrc pf_enable=YES; service pf start) with the JailPS anchor hooks in /etc/pf.conf, or remove the forwards with Remove-JailPortForward.")
                { TargetObject = PfctlPath };
            _output.Warning($"jail \"{jail}\": pf is not running ({status.Error}), so its loopback address is NOT isolated from other jails. Load and enable pf with anchor \"jailps/*\" in /etc/pf.conf.");
            return false;
        }
        // rdr pass rules need only the translation hook; the isolation rules need the filter hook.
        bool forwardsIdle = forwards && !status.RdrHook, isolationIdle = isolation && !status.FilterHook;
        var missing = new List<string>();
        if (forwardsIdle) missing.Add($"{RdrHook} (with the translation rules)");
        if (isolationIdle) missing.Add($"{FilterHook} (with the filter rules)");
        if (missing.Count > 0)
            _output.Warning($"jail \"{jail}\": pf's main ruleset does not hook JailPS's anchors, so rules loaded into {AnchorRoot}/{jail} are not used"
                + (forwardsIdle ? " (no port is forwarded)" : "") + (isolationIdle ? " (its loopback is NOT isolated from other jails)" : "")
                + ". Add to /etc/pf.conf: " + string.Join("; ", missing) + ", then run: pfctl -f /etc/pf.conf");
        return true;
    }

    /// <summary>A stop's flush, after jail_remove: only when the ledger says JailPS loaded the anchor.</summary>
    public void AddFlushSteps(JailPlan plan, string jail)
    {
        foreach (var e in _ledger.Read(jail).Where(e => e.Kind == JailInterfaceLedgerEntry.PfKind))
        {
            string anchor = e.Name;
            plan.Add("pf", $"pfctl -a {anchor} -F all", () => Flush(jail, anchor));
        }
    }

    /// <summary>
    /// Add-/Remove-JailPortForward on a running jail: the anchor reloaded with the new rules (or
    /// flushed when none are left); the undo puts the old ones back.
    /// </summary>
    public void AddReloadSteps(JailPlan plan, JailSpec before, IReadOnlyList<JailPortForwardEntry> after)
    {
        string anchor = AnchorOf(before.Name);
        string? old = _ledger.Read(before.Name).Any(e => e.Kind == JailInterfaceLedgerEntry.PfKind) ? RulesFor(before) : null;
        string? rules = RulesFor(before, after);
        if (rules is null)
        {
            if (old is not null)
                plan.Add("pf", $"pfctl -a {anchor} -F all", () => Flush(before.Name, anchor), () => Load(before.Name, anchor, old), $"pfctl -a {anchor} -f - (the rules it had)");
            return;
        }
        if (!Usable(before.Name, after.Count > 0, before.PfIsolation && LoopbackAddresses(before).Count > 0)) return;
        plan.Add("pf", Describe($"pfctl -a {anchor} -f -", rules),
            () => Load(before.Name, anchor, rules),
            () => { if (old is null) Flush(before.Name, anchor); else Load(before.Name, anchor, old); },
            old is null ? $"pfctl -a {anchor} -F all" : $"pfctl -a {anchor} -f - (the rules it had)");
    }

    private static string Describe(string command, string rules)
        => command + "   <<\n" + string.Join("\n", rules.TrimEnd('\n').Split('\n').Select(l => "    " + l));

    private void Load(string jail, string anchor, string rules)
    {
        // Recorded first: a load interrupted half-way is still flushed by Stop-Jail.
        bool had = _ledger.Read(jail).Any(e => e.Kind == JailInterfaceLedgerEntry.PfKind && e.Name == anchor);
        _ledger.Record(jail, new JailInterfaceLedgerEntry { Kind = JailInterfaceLedgerEntry.PfKind, Name = anchor });
        ProcessResult r;
        try
        {
            r = Pfctl(jail, rules, "-a", anchor, "-f", "-");
        }
        catch when (!had)
        {
            // pfctl could not be run (or timed out): flush in case it got as far as loading.
            try { Flush(jail, anchor); } catch (JailOperationException) { }
            throw;
        }
        if (r.ExitCode != 0)
        {
            // pfctl loads an anchor in one transaction: a refused ruleset leaves the anchor as it was
            // (empty for a first load, the earlier rules for a reload).
            if (!had) _ledger.Forget(jail, JailInterfaceLedgerEntry.PfKind, anchor);
            throw new JailOperationException("JailPfLoadFailed", jail,
                $"jail \"{jail}\": pfctl -a {anchor} -f - failed (exit {r.ExitCode}): {r.FirstErrorLine ?? "no message"}.",
                "Check pf with pfctl -sr; the rules JailPS tried are in the -WhatIf output of Start-Jail.")
            { TargetObject = anchor };
        }
    }

    private void Flush(string jail, string anchor)
    {
        var r = Pfctl(jail, null, "-a", anchor, "-F", "all");
        // pf unloaded since the load (kldunload pf): the anchor went with it.
        if (r.ExitCode != 0 && !(r.StandardError.Contains("/dev/pf", StringComparison.Ordinal)))
            throw new JailOperationException("JailPfFlushFailed", jail,
                $"jail \"{jail}\": pfctl -a {anchor} -F all failed (exit {r.ExitCode}): {r.FirstErrorLine ?? "no message"}; its rules are still loaded.",
                $"Run pfctl -a {anchor} -F all by hand; after a failed stop, Stop-Jail {jail} finishes it.")
            { TargetObject = anchor };
        _ledger.Forget(jail, JailInterfaceLedgerEntry.PfKind, anchor);
    }

    private ProcessResult Pfctl(string? jail, string? stdin, params string[] args)
        => _host.Processes.Run(new ProcessRequest
        {
            Arguments = new[] { PfctlPath }.Concat(args).ToArray(),
            JailName = jail,
            Purpose = "pfctl",
            StandardInput = stdin,
            Timeout = TimeSpan.FromSeconds(30),
        });
}
