using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Mounts;
using JailPS.Core.Processes;
using JailPS.Native;

namespace JailPS.Core.Lifecycle;

/// <summary>
/// Builds start and stop plans in jail(8)'s order (usr.sbin/jail/jail.c startcommands /
/// stopcommands; freebsd-abi.md §4.3, §4.4) and runs exec.* commands through the process seam.
/// </summary>
public sealed class JailLifecycle
{
    private const string PkillPath = "/bin/pkill";   // bin/pkill (LINKS to pgrep), pkill -j jail
    private const string PgrepPath = "/bin/pgrep";
    private const string SetfibPath = "/usr/sbin/setfib";
    private const string ChrootPath = "/usr/sbin/chroot";
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromMilliseconds(100);

    private readonly JailHost _host;
    private readonly IJailOutput _output;
    private readonly CancellationToken _cancel;
    private readonly JailMountService _mounts;
    private readonly Network.JailAliasService _aliases;
    private readonly Network.JailVnetService _vnet;
    private readonly Network.JailPfService _pf;

    public JailLifecycle(JailHost host, IJailOutput output, CancellationToken cancellationToken = default)
    {
        _host = host;
        _output = output;
        _cancel = cancellationToken;
        _mounts = new JailMountService(host);
        _aliases = new Network.JailAliasService(host, output);
        _vnet = new Network.JailVnetService(host, output);
        _pf = new Network.JailPfService(host, output);
    }

    /// <summary>Mounts a stop found still under the jail root afterwards (reported, with a warning).</summary>
    public List<JailMount> LeakedMounts { get; } = new();

    /// <summary>
    /// Mounts left behind by a start whose jail the kernel removed at once (not persistent, no
    /// processes left): reported, with a warning, and left mounted as jail(8) leaves them.
    /// </summary>
    public List<JailMount> StartLeftovers { get; } = new();

    /// <summary>The plan for `jail -c NAME`.</summary>
    public JailPlan PlanStart(JailSpec spec)
    {
        var plan = new JailPlan(spec.Name, "start");
        CheckPath(spec);
        plan.Precondition = () =>
        {
            if (_host.Kernel.GetByName(spec.Name) is { Dying: false } now)
                throw new JailOperationException("JailAlreadyRunning", spec.Name,
                    $"jail \"{spec.Name}\" was started by another command (jid {now.Jid}) while this one waited for its lock; nothing was done.",
                    "Nothing to do: the jail is running. Use Restart-Jail to start it again.");
        };
        int jid = 0;
        bool tempPersist = !spec.Persist;

        var settings = new List<JailParameterSetting>(spec.KernelSettings);
        var aliases = spec.Aliases.ToList();
        string? hostnameNote = spec.IpHostname ? AddHostnameAddresses(spec, settings, aliases) : null;

        AddHostCommands(plan, spec, "exec.prepare");
        AddLoopbackCloneSteps(plan, spec.Name, aliases);
        foreach (var alias in aliases)
            plan.Add("ip alias", Network.JailAliasService.DescribeAdd(alias),
                () => _aliases.Add(spec.Name, alias), () => _aliases.Undo(spec.Name, alias), alias.IfconfigRemove);
        // The jail's pf anchor once the addresses its rules name are there (no jail(8) step: JailPS's own).
        _pf.AddLoadSteps(plan, spec);
        AddMountSteps(plan, spec);
        AddHostCommands(plan, spec, "exec.prestart");
        // Where Bastille and jib make the epair (exec.prestart): the jail's interfaces exist before it does.
        if (spec.Epair is { } epair)
            _vnet.AddCreateSteps(plan, spec.Name, epair);

        if (tempPersist)
        {
            // jail(8) creates a jail that is not persistent with a temporary persist, so it survives
            // until exec.start has started its processes, and clears it at the end.
            var persist = _host.Kernel.Catalog.Find("persist")!;
            settings.RemoveAll(s => s.Info.Name == "persist");
            settings.Add(new JailParameterSetting(persist, true));
        }
        // Under the parameter list, which value of a list the kernel gets (shown by -WhatIf and -Verbose, not warned).
        // With descriptors the new jail is held from its creation: the temporary persist's clearing
        // and a rollback reach it and no other, whatever happens to its jid meanwhile.
        JailDescriptor? created = null;
        plan.Finally.Add(() => created?.Dispose());
        bool descriptors = _host.Kernel.SupportsDescriptors;
        plan.Add("jail_set", $"jail_set(JAIL_CREATE{(descriptors ? " | JAIL_GET_DESC" : "")}) " + DescribeSettings(settings) + string.Concat(spec.LastValueNotes.Select(n => "\n" + n)) + (hostnameNote is null ? "" : "\n" + hostnameNote),
            () => jid = _host.Kernel.Create(settings, spec.Name, out created),
            () =>
            {
                if (created is null) RemoveIfPresent(jid, spec.Name);
                else _host.Kernel.Remove(created, spec.Name);
            },
            descriptors ? $"jail_remove_jd({spec.Name})" : $"jail_remove({spec.Name})");

        AddHostCommands(plan, spec, "exec.created", () => jid);
        AddLimitStep(plan, spec.Name, start: true);
        if (spec.CpuSet is { } cpus)
            plan.Add("cpuset", Limits.JailCpuSetService.StepText(spec.Name, "<jid>", cpus),
                () => new Limits.JailCpuSetService(_host).Apply(spec.Name, jid, cpus));
        AddZfsDatasetSteps(plan, spec, () => jid);
        if (spec.VnetInterfaces.Count > 0)
            _vnet.AddMoveSteps(plan, spec.Name, spec.VnetInterfaces, spec.Epair, () => jid);
        AddJailCommands(plan, spec, "exec.start", () => jid);
        AddJailCommands(plan, spec, "command", () => jid);
        AddHostCommands(plan, spec, "exec.poststart", () => jid);

        if (tempPersist)
        {
            var persist = _host.Kernel.Catalog.Find("persist")!;
            plan.Add("persist", (descriptors ? "jail_set(JAIL_UPDATE | JAIL_USE_DESC) desc=<descriptor of the new jail>" : "jail_set(JAIL_UPDATE) jid=<jid>") + " nopersist (clear the temporary persist)",
                () =>
                {
                    if (created is not null)
                        _host.Kernel.Update(created, new[] { new JailParameterSetting(persist, false) }, spec.Name);
                    else
                        _host.Kernel.Set(new[] { new JailParameterSetting(_host.Kernel.Catalog.Find("jid")!, jid), new JailParameterSetting(persist, false) }, JailFlags.Update, spec.Name);
                    if (_host.Kernel.GetByJid(jid) is null)
                        ReportVanished(spec);
                });
        }
        return plan;
    }

    /// <summary>
    /// The jail's rules in /etc/rctl.conf: added once the jail exists and before anything runs in
    /// it (so exec.start's processes are bound), taken out of the kernel after jail_remove (rules
    /// are kept by name and would bind the next jail of the name). Only when rctl.conf has rules
    /// for the jail: a jail without limits makes no rctl call.
    /// </summary>
    private void AddLimitStep(JailPlan plan, string name, bool start)
    {
        var limits = new Limits.JailLimitService(_host, _output);
        var rules = limits.PersistedRules(name);
        if (rules.Count == 0) return;
        if (start)
            plan.Add("rctl", $"rctl_add_rule {string.Join(" ", rules.Select(r => r.Text))} (from {Limits.JailLimitService.RctlConf})",
                () => limits.ApplyPersisted(name),
                () => limits.RemovePersisted(name),
                $"rctl_remove_rule the jail's rules from {Limits.JailLimitService.RctlConf}");
        else
            plan.Add("rctl", $"rctl_remove_rule {string.Join(" ", rules.Select(r => r.Text))} (from {Limits.JailLimitService.RctlConf}; Start-Jail adds them again)",
                () => limits.RemovePersisted(name));
    }

    /// <summary>
    /// zfs.dataset (FreeBSD 15): each dataset handed to the new jail with `zfs jail JID DS` after
    /// exec.created and before vnet.interface, where jail(8)'s startcommands put it
    /// (usr.sbin/jail/jail.c). jail(8) only echoes an error when the dataset is not jailed=on or
    /// zfs jail fails, and goes on; JailPS fails the start instead (and rolls it back), since a
    /// jail without its data is not the jail the definition describes. Nothing is done at stop:
    /// the kernel lets the datasets go when the jail is freed (OpenZFS spl_zone.c zone_destroy).
    /// </summary>
    private void AddZfsDatasetSteps(JailPlan plan, JailSpec spec, Func<int> jid)
    {
        var zfs = new Provisioning.JailZfs(_host);
        foreach (string dataset in spec.ZfsDatasets)
            plan.Add("zfs.dataset", $"zfs jail <jid> {dataset} (jailed=on checked first)",
                () =>
                {
                    string? jailed = zfs.Get(spec.Name, "jailed", dataset);
                    if (jailed is null)
                        throw new JailOperationException("JailDatasetNotFound", spec.Name,
                            $"jail \"{spec.Name}\": zfs.dataset {dataset} does not exist.",
                            $"Create it with zfs create -o jailed=on {dataset}, or take it out of zfs.dataset.") { TargetObject = dataset };
                    if (jailed != "on")
                        throw new JailOperationException("JailDatasetNotJailed", spec.Name,
                            $"jail \"{spec.Name}\": zfs.dataset {dataset} has jailed={jailed}, and only a dataset with jailed=on can be handed to a jail.",
                            $"Run zfs set jailed=on {dataset} (it is then no longer mounted on the host), and start the jail again.") { TargetObject = dataset };
                    zfs.Jail(spec.Name, jid(), dataset);
                },
                // A later step failed: the jail is removed, but may linger dying; the dataset is let go at once.
                () => { if (_host.Kernel.GetByJid(jid()) is not null) zfs.Unjail(spec.Name, jid(), dataset); },
                $"zfs unjail <jid> {dataset}");
    }

    /// <summary>
    /// Seed 003's private loopback: an alias on lo1 (or loN) when the host has no such interface
    /// yet clones it first (what rc.conf's cloned_interfaces="lo1" does at boot). The clone stays
    /// when the jail stops, for the other jails on it; a failed start destroys a clone it made.
    /// </summary>
    private void AddLoopbackCloneSteps(JailPlan plan, string jail, IReadOnlyList<Network.JailIPAlias> aliases)
    {
        var wanted = aliases.Select(a => a.Interface!).Where(IsClonedLoopback).Distinct().ToList();
        if (wanted.Count == 0) return;
        var present = _host.Network.ReadInterfaces().Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string lo in wanted.Where(l => !present.Contains(l)))
        {
            bool created = false;
            plan.Add("ip alias", $"ifconfig {lo} create   [ioctl(SIOCIFCREATE2) {lo}]",
                () =>
                {
                    if (_host.Network.ReadInterfaces().Any(i => i.Name == lo)) return; // made meanwhile: not ours
                    _host.Network.CreateInterface(lo, jail);
                    created = true;
                    _output.Verbose($"jail {jail}: created {lo}; it stays when the jail stops (add cloned_interfaces=\"{lo}\" to the host's rc.conf to have it at boot)");
                },
                () =>
                {
                    if (created) _host.Network.DestroyInterface(lo, jail);
                }, $"ifconfig {lo} destroy (only if this start created it)");
        }
    }

    /// <summary>lo1, lo2, ...: loopbacks an admin clones (lo0 exists from boot and is never cloned).</summary>
    private static bool IsClonedLoopback(string name)
        => name.Length > 2 && name.StartsWith("lo", StringComparison.Ordinal) && name[2] is >= '1' and <= '9' && name[3..].All(char.IsAsciiDigit);

    /// <summary>
    /// ip_hostname (usr.sbin/jail/config.c): every address getaddrinfo(3) gives for host.hostname is
    /// appended, bare, to ip4.addr or ip6.addr, and becomes an alias too when the interface
    /// parameter is set. Resolved when the plan is made, as jail(8) does while reading its
    /// configuration, so a name that does not resolve fails the start before anything is done.
    /// Returns the plan's note on what the name gave.
    /// </summary>
    private string? AddHostnameAddresses(JailSpec spec, List<JailParameterSetting> settings, List<Network.JailIPAlias> aliases)
    {
        int named = settings.FindIndex(s => s.Info.Name == "host.hostname");
        if (named < 0 || settings[named].Value is not string hostname || hostname.Length == 0)
            return null; // jail(8) resolves only a host.hostname that is set
        IReadOnlyList<System.Net.IPAddress> found;
        try
        {
            found = _host.NameResolver.Resolve(hostname);
        }
        catch (Network.HostNameResolveException ex)
        {
            throw new JailOperationException("JailHostnameUnresolved", spec.Name,
                $"jail \"{spec.Name}\": host.hostname {hostname}: {ex.Message} (ip_hostname); nothing was done.",
                $"Add {hostname} to /etc/hosts or DNS, or list the jail's addresses in ip4.addr / ip6.addr instead of setting ip_hostname.", ex);
        }
        var used = new List<string>();
        foreach (var address in found)
        {
            bool v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
            string parameter = v6 ? "ip6.addr" : "ip4.addr";
            // feature_present("inet"/"inet6"): a family the kernel lacks is not asked for.
            if (_host.Kernel.Catalog.Find(parameter) is not { } info) continue;
            int at = settings.FindIndex(s => s.Info.Name == parameter);
            var list = at >= 0 && settings[at].Value is System.Net.IPAddress[] old ? old.ToList() : new List<System.Net.IPAddress>();
            list.Add(address);
            if (at >= 0) settings[at] = new JailParameterSetting(info, list.ToArray());
            else settings.Add(new JailParameterSetting(info, list.ToArray()));
            if (spec.Interface is { } iface)
                aliases.Add(Network.JailIPAlias.Parse(parameter, address.ToString(), iface));
            used.Add(address.ToString());
        }
        // IPv4 aliases before IPv6 ones, as jail(8) runs IP4 before IP6.
        var ordered = aliases.Where(a => a.Family == 4).Concat(aliases.Where(a => a.Family == 6)).ToList();
        aliases.Clear();
        aliases.AddRange(ordered);
        return $"ip_hostname: host.hostname {hostname} resolves to {(used.Count == 0 ? "no address of a family this kernel has" : string.Join(", ", used))}";
    }

    /// <summary>
    /// A jail the kernel removed as soon as its temporary persist was cleared. jail(8) does nothing
    /// more then (usr.sbin/jail/jail.c, main loop: jail_create_done runs clear_persist and dep_done,
    /// no stop commands), so its mounts stay mounted; JailPS does the same and says so: a warning that
    /// lists them, and the JailMount objects for the pipeline. Stop-Jail NAME unmounts them (the
    /// ledger has them).
    /// </summary>
    private void ReportVanished(JailSpec spec)
    {
        var left = new List<JailMount>();
        if (spec.Path is string root && HostPath.IsAbsolute(root))
            left.AddRange(_mounts.Inspect(spec.Name, root, Array.Empty<MountRequest>(), running: false)
                .Where(m => m.Status is JailMountState.Mounted or JailMountState.Leaked));
        StartLeftovers.AddRange(left);
        string mounts = $"{string.Join("; ", left.Select(m => $"{m.FsType} on {m.MountPoint}"))}."
            + $" They are written to the pipeline; Stop-Jail {spec.Name} unmounts them.";
        if (spec.Commands("command").Count > 0)
        {
            // A command= jail is meant to end with its command, and jail(8) says nothing when the
            // command exits 0 (usr.sbin/jail/jail.c: clear_persist() after IP_COMMAND and
            // exec.poststart, no message); a non-zero exit already failed the command step. Only
            // mounts left behind are worth a word: jail(8) leaks them silently, and the next start
            // would find its mount points taken.
            _output.Verbose($"jail \"{spec.Name}\": its command ended, and the kernel removed the jail, as jail(8) leaves it.");
            if (left.Count > 0)
                _output.Warning($"jail \"{spec.Name}\" ended with its command; its mounts stay mounted, as jail(8) leaves them: " + mounts);
            return;
        }
        string text = $"jail \"{spec.Name}\" is not persistent and has no processes left, so the kernel removed it as soon as it started.";
        if (left.Count > 0)
            text += " Its mounts stay mounted, as jail(8) leaves them: " + mounts;
        _output.Warning(text + " Set persist, or give it an exec.start that leaves processes running.");
    }

    /// <summary>
    /// The plan for `jail -r NAME` of a running jail (spec null: a jail with no definition, as `jail -R`).
    /// <paramref name="rootPath"/> is the jail's path, for its unmounts and the check that nothing is left.
    /// </summary>
    public JailPlan PlanStop(string name, int jid, JailSpec? spec, int? timeoutSeconds, bool force, string? rootPath = null)
    {
        var plan = new JailPlan(name, "stop");
        // Where the kernel has jail descriptors, the jail is held by one from the check on: the
        // jail_remove can then only reach the jail that was checked, never one that took its jid.
        JailDescriptor? held = null;
        plan.Finally.Add(() => held?.Dispose());
        plan.Precondition = () =>
        {
            held = _host.Kernel.OpenDescriptor(jid);
            if (held is not null && held.Name != name)
                throw new JailOperationException("JailNotRunning", name,
                    $"jid {jid} is no longer jail \"{name}\" but \"{held.Name}\": the jail was replaced while this command waited for its lock; nothing was done.",
                    "Run Stop-Jail again: it looks the jail up afresh.");
            var now = _host.Kernel.GetByJid(jid, includeDying: true);
            if (now is null || now.Dying)
                throw new JailOperationException("JailNotRunning", name,
                    $"jail \"{name}\" (jid {jid}) was stopped by another command while this one waited for its lock; nothing was done.",
                    "Nothing to do: the jail is stopped. Get-JailMount shows whether anything is still mounted.");
            if (now.Name != name)
                throw new JailOperationException("JailNotRunning", name,
                    $"jid {jid} is no longer jail \"{name}\" but \"{now.Name}\": the jail was replaced while this command waited for its lock; nothing was done.",
                    "Run Stop-Jail again: it looks the jail up afresh.");
        };
        plan.AfterFailure = failed => StopOutcome(name, jid, spec, rootPath ?? spec?.Path, force, failed);
        if (spec != null)
        {
            AddHostCommands(plan, spec, "exec.prestop", () => jid, tolerate: force);
            AddJailCommands(plan, spec, "exec.stop", () => jid, tolerate: force);
        }
        int wait = timeoutSeconds ?? spec?.StopTimeoutSeconds ?? 10;
        if (wait > 0)
        {
            plan.Add("stop.timeout", $"{PkillPath} -TERM -j {jid}; wait up to {wait}s for the jail's processes to exit",
                () => TerminateAndWait(name, jid, TimeSpan.FromSeconds(wait)));
        }
        // Before jail_remove, unlike jail(8): what was lent comes back now, not when the kernel
        // frees the dying jail, which can take minutes (iocage #59, #1299).
        _vnet.AddReclaimSteps(plan, name, jid);
        if (_host.Kernel.SupportsDescriptors)
            plan.Add("jail_remove", $"jail_remove_jd(descriptor of jid {jid})", () =>
            {
                if (held is null) RemoveIfPresent(jid, name);
                else if (!_host.Kernel.Remove(held, name))
                    _output.Verbose($"jail {name}: jid {jid} had already ended by itself (its descriptor reports a dead jail); nothing was removed");
            });
        else
            plan.Add("jail_remove", $"jail_remove({jid})", () => RemoveIfPresent(jid, name));
        AddLimitStep(plan, name, start: false);
        // exec.poststop and exec.release still see the jid the jail had (jail(8)'s
        // usr.sbin/jail/tests/jail_basic_test.sh, param_consistency, expects JID in exec.poststop).
        if (spec != null)
            AddHostCommands(plan, spec, "exec.poststop", () => jid);
        AddUnmountSteps(plan, name, spec, rootPath ?? spec?.Path, force);
        AddAliasRemovalSteps(plan, name);
        _pf.AddFlushSteps(plan, name);
        _vnet.AddDestroySteps(plan, name);
        if (spec != null)
            AddHostCommands(plan, spec, "exec.release", () => jid);
        return plan;
    }

    /// <summary>
    /// True when a jail that is not running still has mounts to take down: ledger entries, or its
    /// definition's mounts still under its root (an interrupted stop, or a stop by jail -R).
    /// </summary>
    public bool NeedsUnmountCleanup(string name, JailSpec? spec, string? rootPath)
        => HasUnmountWork(PlanUnmountCleanup(name, spec, rootPath, force: false));

    /// <summary>True when an unmount plan does more than the final check: it unmounts, or forgets stale ledger entries.</summary>
    public static bool HasUnmountWork(JailPlan plan) => plan.Steps.Any(s => s.Name is "unmount" or "ledger" or "ip alias" or "epair" or "vnet.interface" or "pf");

    /// <summary>The unmount half of a stop, for a jail that is already gone (what `jail -C` does for mounts).</summary>
    public JailPlan PlanUnmountCleanup(string name, JailSpec? spec, string? rootPath, bool force)
    {
        var plan = new JailPlan(name, "stop");
        plan.AfterFailure = failed => StopOutcome(name, 0, spec, rootPath ?? spec?.Path, force, failed);
        AddUnmountSteps(plan, name, spec, rootPath ?? spec?.Path, force);
        AddAliasRemovalSteps(plan, name);
        _pf.AddFlushSteps(plan, name);
        _vnet.AddDestroySteps(plan, name);
        return plan;
    }

    /// <summary>
    /// After the unmounts, as jail(8) does: the aliases JailPS added for the jail (its alias
    /// ledger), IPv6 first, each family in reverse order; never an address it did not add.
    /// </summary>
    private void AddAliasRemovalSteps(JailPlan plan, string name)
    {
        foreach (var entry in _aliases.ToRemove(name))
            plan.Add("ip alias", Network.JailAliasService.DescribeRemove(entry),
                () => _aliases.Remove(name, entry));
    }

    /// <summary>
    /// What a failed stop left: a stop cannot be undone (about_JailPS), so the error says whether the
    /// jail is still in the kernel, what is still mounted (getfsstat and the ledger), and what
    /// finishes the stop: Stop-Jail again (a jail that is gone runs the unmount half only), -Force for
    /// a failing exec.prestop/exec.stop or a busy mount, and exec.release by hand when it did not run.
    /// </summary>
    private PlanOutcome StopOutcome(string name, int jid, JailSpec? spec, string? root, bool force, PlanStep failed)
    {
        var rec = jid > 0 ? _host.Kernel.GetByJid(jid, includeDying: true) : null;
        bool running = rec is { Dying: false };
        var parts = new List<string>
        {
            running ? $"The jail is still running (jid {jid})"
                : rec is { Dying: true } ? "The jail is removed from the kernel (dying while its last processes exit)"
                : "The jail is removed from the kernel",
        };
        var left = root != null && HostPath.IsAbsolute(root) ? _mounts.Leftovers(name, root) : new List<JailMount>();
        if (left.Count > 0)
            parts.Add("still mounted: " + string.Join(", ", left.Select(m => $"{m.FsType} on {m.MountPoint}")));
        else if (root != null && HostPath.IsAbsolute(root))
            parts.Add($"nothing is mounted under {root} any more");
        string state = string.Join("; ", parts);

        string next;
        if (running)
            next = $"Fix the cause and run Stop-Jail {name} again"
                + (!force && failed.Name is "exec.prestop" or "exec.stop" ? $", or run Stop-Jail {name} -Force to go on past a failing {failed.Name}" : "");
        else if (left.Count > 0)
            next = $"Run Stop-Jail {name} again to finish the unmounts (or Stop-Jail {name} -Force to force a busy one)";
        else
            next = "Nothing else is left to do for the stop";
        bool releaseSkipped = !running && failed.Name != "exec.release" && spec != null && spec.Commands("exec.release").Count > 0;
        if (releaseSkipped)
            next += $"; exec.release did not run and a second Stop-Jail does not run it: run it by hand if the host needs it";
        return new PlanOutcome(state, next);
    }

    /// <summary>jail(8)'s mount steps (§4.3), each undone by unmounting it by file system id.</summary>
    private void AddMountSteps(JailPlan plan, JailSpec spec)
    {
        var requests = JailMountPlanner.ForSpec(spec, _host.Files);
        if (requests.Count == 0) return;
        string root = spec.Path ?? "/";
        var table = _mounts.Mounter.ReadTable();
        foreach (var request in requests)
        {
            var req = request;
            string fsPath = _mounts.Mounter.CheckTarget(spec.Name, root, req, table, mustExist: false);
            MountEntry? done = null;
            plan.Add(req.Origin, req.Describe(fsPath),
                () => done = _mounts.Mounter.Mount(spec.Name, root, req),
                () => { if (done != null) _mounts.Mounter.Unmount(spec.Name, done, force: true); },
                $"unmount {req.FsType} on {fsPath}");
        }
    }

    /// <summary>
    /// jail(8)'s unmount steps (§4.4), then a check with getfsstat that nothing is left under the
    /// root. A busy mount does not stop the other unmounts; the check step then reports every busy
    /// one as one JailMountBusy error, and the ledger keeps them so Stop-Jail again (or -Force)
    /// completes the stop.
    /// </summary>
    private void AddUnmountSteps(JailPlan plan, string name, JailSpec? spec, string? root, bool force)
    {
        if (root is null || !HostPath.IsAbsolute(root)) return;
        // A stop is driven by the kernel's mount table and the ledger; the definition only adds the
        // mounts jail(8) made without a ledger entry. So a definition whose mounts can no longer be
        // read (fstab deleted or relative, a mount line edited into nonsense) never wedges a stop.
        var requests = new List<MountRequest>();
        if (spec != null)
        {
            try
            {
                requests = JailMountPlanner.ForSpec(spec, _host.Files);
            }
            catch (Exception ex) when (EngineErrors.IsEngineError(ex))
            {
                plan.Notes.Add($"its definition's mounts cannot be read ({ex.Message}); it is unmounted from the mount ledger, and anything else still mounted under {root} is reported afterwards");
            }
        }
        var ledger = _mounts.Mounter.Ledger;
        var (unmounts, stale) = _mounts.ToUnmount(name, root, requests, _mounts.Mounter.ReadTable(), spec?.Path);
        foreach (string problem in ledger.TakeProblems())
            plan.Notes.Add(problem);
        // Unmounts that failed: EBUSY (JailMountBusy) and any other errno (JailUnmountFailed), each kept with its error.
        var busy = new List<(JailMount Mount, JailOperationException Error)>();
        foreach (var s in stale)
        {
            var entry = s;
            plan.Add("ledger", $"forget {entry.FsType} on {entry.MountPoint} ({entry.FsId}): no longer mounted",
                () => _mounts.Mounter.Ledger.Remove(name, entry.FsId));
        }
        foreach (var (entry, mount) in unmounts)
        {
            var e = entry;
            var m = mount;
            plan.Add("unmount", $"unmount(\"{e.FsIdText}\", MNT_BYFSID{(force ? " [MNT_FORCE if busy]" : "")})  # umount {(force ? "-f " : "")}{e.On} ({e.FsType}, {m.Origin})",
                () =>
                {
                    try
                    {
                        _mounts.Mounter.Unmount(name, e, force, m);
                    }
                    catch (JailOperationException ex) when (ex.ErrorId is "JailMountBusy" or "JailUnmountFailed")
                    {
                        _output.Verbose($"jail {name}: {ex.Message}");
                        busy.Add((m, ex));
                    }
                });
        }
        plan.Add("check mounts", $"getfsstat: nothing may be left mounted under {root}",
            () =>
            {
                var left = _mounts.Leftovers(name, root);
                if (busy.Count > 0)
                    throw UnmountsFailed(name, busy);
                if (left.Count > 0)
                {
                    LeakedMounts.AddRange(left);
                    _output.Warning($"jail \"{name}\": {left.Count} file system(s) are still mounted under {root} and JailPS has no record of mounting them: " +
                        string.Join("; ", left.Select(l => $"{l.FsType} {l.Source} on {l.MountPoint}")) + ". They are written to the pipeline; Dismount-JailFileSystem removes them.");
                }
            });
    }

    /// <summary>
    /// One error for the unmounts of a stop that failed. Only EBUSY means "in use" (JailMountBusy);
    /// any other errno is named with its strerror text (JailUnmountFailed), since EIO or EROFS will
    /// not go away by ending processes.
    /// </summary>
    private static JailOperationException UnmountsFailed(string name, List<(JailMount Mount, JailOperationException Error)> failed)
    {
        static int ErrnoOf(JailOperationException e) => e.InnerException is JailKernelException k ? k.Errno : 0;
        var inUse = failed.Where(f => ErrnoOf(f.Error) == Errno.EBUSY).ToList();
        var other = failed.Where(f => ErrnoOf(f.Error) != Errno.EBUSY).ToList();
        string Why(JailOperationException e) => ErrnoOf(e) is int n && n != 0 ? $"{Errno.Describe(n)} ({Errno.Name(n)})" : e.Message;
        var parts = new List<string>();
        if (inUse.Count > 0)
            parts.Add($"{(inUse.Count == 1 ? "a mount is" : inUse.Count + " mounts are")} still in use (EBUSY) and stayed mounted: "
                + string.Join("; ", inUse.Select(b => $"{b.Mount.FsType} on {b.Mount.MountPoint}")));
        if (other.Count > 0)
            parts.Add($"{(other.Count == 1 ? "a mount" : other.Count + " mounts")} could not be unmounted and stayed mounted: "
                + string.Join("; ", other.Select(b => $"{b.Mount.FsType} on {b.Mount.MountPoint}: unmount failed with {Why(b.Error)}")));
        var advice = new List<string>();
        if (other.Count > 0)
            advice.Add($"Find out why the kernel refused (dmesg; the errno above), then run Stop-Jail {name} again to retry the unmount{(other.Count == 1 ? "" : "s")}.");
        if (inUse.Count > 0)
            advice.Add($"End what uses {(inUse.Count == 1 ? "the busy mount" : "the busy mounts")} (fstat -f {inUse[0].Mount.MountPoint}) and run Stop-Jail {name} again, or run Stop-Jail {name} -Force to force the unmount.");
        var first = other.Count > 0 ? other[0] : inUse[0];
        return new JailOperationException(other.Count > 0 ? "JailUnmountFailed" : "JailMountBusy", name,
            $"jail \"{name}\": {string.Join("; and ", parts)}. Everything else was stopped and unmounted.",
            string.Join(" ", advice), first.Error.InnerException)
        { TargetObject = failed.Count == 1 ? failed[0].Mount : failed.Select(b => b.Mount).ToArray() };
    }

    private void CheckPath(JailSpec spec)
    {
        // jail(8) checks a path that is set before jail_set: it must be absolute, exist and be a
        // directory. Without one the kernel gives the jail the creator's root, path "/".
        if (spec.Path is null)
            return;
        if (!HostPath.IsAbsolute(spec.Path))
            throw new JailOperationException("JailPathNotAbsolute", spec.Name, $"jail \"{spec.Name}\": path \"{spec.Path}\" is not an absolute path.", "Use an absolute path such as /usr/jails/NAME.");
        if (!_host.Files.DirectoryExists(spec.Path))
            throw new JailOperationException("JailPathNotFound", spec.Name, $"jail \"{spec.Name}\": path \"{spec.Path}\" does not exist or is not a directory.", $"Create {spec.Path} and install a FreeBSD userland in it.");
    }

    private void RemoveIfPresent(int jid, string name)
    {
        if (jid <= 0) return;
        var rec = _host.Kernel.GetByJid(jid, includeDying: true);
        if (rec is null || rec.Dying) return; // gone already (no processes and not persistent), or dying
        _host.Kernel.Remove(jid, name);
    }

    private void TerminateAndWait(string name, int jid, TimeSpan timeout)
    {
        var term = Run(new ProcessRequest { Arguments = new[] { PkillPath, "-TERM", "-j", Num(jid) }, Purpose = "pkill", JailName = name });
        if (term.ExitCode > 1)
            _output.Warning($"jail \"{name}\": {PkillPath} -TERM -j {jid} failed ({term.ExitCode}): {term.StandardError.Trim()}");
        var start = DateTime.UtcNow;
        var deadline = start + timeout;
        string activity = $"Stopping jail {name}";
        string status = $"waiting up to {timeout.TotalSeconds:0}s (stop.timeout) for its processes to exit after SIGTERM";
        bool shown = false;
        try
        {
            while (true)
            {
                if (_host.Kernel.GetByJid(jid) is null) return; // the jail ended with its last process
                var probe = Run(new ProcessRequest { Arguments = new[] { PgrepPath, "-j", Num(jid) }, Purpose = "pgrep", JailName = name });
                if (probe.ExitCode == 1) return; // no process left in the jail
                if (DateTime.UtcNow >= deadline)
                {
                    _output.Verbose($"jail {name}: processes still running after {timeout.TotalSeconds:0}s; jail_remove will kill them");
                    return;
                }
                // Shown only once a wait is really under way: a jail whose processes exit at once shows no bar.
                _output.Progress(JailProgress.Waiting(JailProgress.StopWaitActivity, activity, status, start, deadline));
                shown = true;
                if (_cancel.WaitHandle.WaitOne(s_pollInterval)) _cancel.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            if (shown)
                _output.Progress(new JailProgress(JailProgress.StopWaitActivity, activity, "done").Complete());
        }
    }

    /// <summary>
    /// Host commands of one hook. <paramref name="jid"/> gives the jail's id once it has one (JID in
    /// the command's environment); exec.prepare and exec.prestart run before jail_set(2) and get none.
    /// </summary>
    private void AddHostCommands(JailPlan plan, JailSpec spec, string pseudo, Func<int>? jid = null, bool tolerate = false)
    {
        foreach (string command in spec.Commands(pseudo))
        {
            string text = command;
            plan.Add(pseudo, (spec.SystemUser != null ? $"(as {spec.SystemUser}) " : "") + text,
                Tolerant(tolerate, spec.Name, pseudo, () => RunCommand(spec, pseudo, text, jid?.Invoke() ?? 0, inJail: false)));
        }
    }

    private void AddJailCommands(JailPlan plan, JailSpec spec, string pseudo, Func<int> jid, bool tolerate = false)
    {
        foreach (string command in spec.Commands(pseudo))
        {
            string text = command;
            string who = spec.JailUser != null ? $" (as {spec.JailUser}{(spec.SystemJailUser ? ", host passwd" : "")})" : "";
            plan.Add(pseudo, "in jail" + who + ": " + text,
                Tolerant(tolerate, spec.Name, pseudo, () => RunCommand(spec, pseudo, text, jid(), inJail: true)));
        }
    }

    private Action Tolerant(bool tolerate, string jail, string step, Action action)
    {
        if (!tolerate) return action;
        return () =>
        {
            try { action(); }
            catch (JailOperationException ex)
            {
                _output.Warning($"jail \"{jail}\": {step} failed and -Force continues: {ex.Message}");
            }
        };
    }

    /// <summary>
    /// Runs one exec.* command the way jail(8) would (usr.sbin/jail/command.c run_command), and
    /// fails the step on a non-zero exit or timeout. <paramref name="jid"/> is the jail's id, 0 while
    /// it has none. Where the output goes follows jail(8): an in-jail command (exec.start, command,
    /// exec.stop) writes to exec.consolelog when that is set, and to jail(8)'s own stdout and stderr
    /// otherwise, as every host command does; JailPS's stand-in for those is
    /// <see cref="IJailOutput.HookOutput"/>, line by line as the command writes them.
    /// </summary>
    private void RunCommand(JailSpec spec, string purpose, string text, int jid, bool inJail)
    {
        IReadOnlyList<string> argv = CommandLine.Split(text, out bool background);
        if (argv.Count == 0) return;
        if (inJail)
            argv = CommandLine.Jexec(jid, argv, spec.Clean, spec.JailUser, spec.SystemJailUser);
        else if (spec.SystemUser != null)
            argv = Prepend(new[] { ChrootPath, "-u", spec.SystemUser, "/" }, argv);
        if (spec.Fib is int fib)
            argv = Prepend(new[] { SetfibPath, Num(fib) }, argv);

        // jail(8) opens exec.consolelog (O_WRONLY|O_CREAT|O_APPEND) for in-jail commands only, before
        // it forks: a log that cannot be opened fails the command before it runs, and the file exists
        // even when the command writes nothing. Host commands never write to it.
        string? consoleLog = inJail ? spec.ConsoleLog : null;
        if (consoleLog != null)
            AppendConsoleLog(spec, consoleLog, "");

        var environment = inJail || spec.Clean ? null : HookEnvironment(spec, jid);
        var lines = new BlockingCollection<(string Stream, string Line)>();
        var request = new ProcessRequest
        {
            Arguments = argv,
            Jid = inJail ? jid : null,
            JailName = spec.Name,
            Purpose = purpose,
            DisplayText = text,
            CleanEnvironment = spec.Clean && !inJail,
            Environment = environment,
            Timeout = spec.ExecTimeout,
            WorkingDirectory = inJail ? "/" : null,
            // Called on the runner's reader threads: only queued here, delivered on this thread.
            OnOutputLine = line => lines.Add((JailHookOutput.StandardOutput, line)),
            OnErrorLine = line => lines.Add((JailHookOutput.StandardError, line)),
        };
        _output.Debug($"jail {spec.Name}: {purpose}: run {CommandLine.Render(argv)}"
            + (environment is null ? "" : " with " + string.Join(" ", environment.Select(kv => kv.Key + "=" + kv.Value))));

        int logged = 0;
        int? shownJid = jid > 0 ? jid : null;
        var result = RunDelivering(request, lines, batch =>
        {
            if (consoleLog != null)
            {
                AppendConsoleLog(spec, consoleLog, string.Concat(batch.Select(l => l.Line + "\n")));
                logged += batch.Count;
                return;
            }
            foreach (var (stream, line) in batch)
                _output.HookOutput(new JailHookOutput(spec.Name, shownJid, purpose, stream, line, _host.ComputerName));
        });
        if (consoleLog != null && logged > 0)
            _output.Verbose($"jail {spec.Name}: {purpose}: {logged} line{(logged == 1 ? "" : "s")} of output written to exec.consolelog {consoleLog}");
        if (background) return;
        if (result.TimedOut)
            throw new JailOperationException("JailCommandTimedOut", spec.Name,
                $"{purpose} \"{text}\" did not finish within exec.timeout ({spec.ExecTimeout?.TotalSeconds:0}s) and was killed.",
                "Raise exec.timeout or fix the command.");
        if (result.ExitCode != 0)
        {
            string err = result.StandardError.Trim();
            if (err.Length > 400) err = "..." + err.Substring(err.Length - 400);
            throw new JailOperationException("JailCommandFailed", spec.Name,
                $"{purpose} \"{text}\" failed with exit code {result.ExitCode}" + (err.Length > 0 ? ": " + err : "."),
                $"Run the command by hand to see why it fails, or correct {purpose} in the jail's definition.");
        }
    }

    /// <summary>
    /// JID, JNAME and JPATH for a command run on the host, as FreeBSD 15's jail(8) adds them
    /// (usr.sbin/jail/jail.8, the exec.* paragraph; freebsd-src PR #1609): not for in-jail commands
    /// (the jail is not told the host's path) and not with exec.clean, which the caller checks. JID
    /// only once the jail has one: exec.prepare and exec.prestart run before jail_set(2), the stop
    /// hooks after jail_remove(2) still get the id the jail had. JailPS sets them on FreeBSD 14 too,
    /// because JailPS, not the host's jail(8), runs the hooks (docs/design.md).
    /// </summary>
    private static Dictionary<string, string> HookEnvironment(JailSpec spec, int jid)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (jid > 0) environment["JID"] = Num(jid);
        environment["JNAME"] = spec.Name;
        if (spec.Path != null) environment["JPATH"] = spec.Path;
        return environment;
    }

    private void AppendConsoleLog(JailSpec spec, string log, string text)
    {
        if (spec.Path is { Length: > 0 } root)
            _host.AppendOnBehalfOf(root, log, text);
        else
            _host.Files.AppendAllText(log, text);
    }

    private ProcessResult RunDelivering(ProcessRequest request, BlockingCollection<(string Stream, string Line)> lines,
        Action<IReadOnlyList<(string Stream, string Line)>> deliver)
        => ProcessPump.RunDelivering(_host.Processes, request, lines, deliver, _cancel);

    private ProcessResult Run(ProcessRequest request) => _host.Processes.Run(request, _cancel);

    private static IReadOnlyList<string> Prepend(string[] head, IReadOnlyList<string> tail)
    {
        var list = new List<string>(head);
        list.AddRange(tail);
        return list;
    }

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>The jail_set parameter list as jail(8)-style text: name=value pairs, booleans as name or noname.</summary>
    public static string DescribeSettings(IEnumerable<JailParameterSetting> settings)
    {
        var sb = new StringBuilder();
        foreach (var s in settings)
        {
            if (sb.Length > 0) sb.Append(' ');
            if (s.Info.Type == JailParameterType.Bool)
            {
                sb.Append((bool)s.Value ? s.Info.Name : s.Info.NoName);
                continue;
            }
            sb.Append(s.Info.Name).Append('=');
            string v = string.Join(",", JailParameterCodec.ToText(s.Info, s.Value));
            sb.Append(v.IndexOfAny(new[] { ' ', '\t', '"', '\'' }) >= 0 || v.Length == 0 ? "\"" + v.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"" : v);
        }
        return sb.ToString();
    }
}
