using System;
using System.Collections.Generic;
using System.Linq;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Limits;
using JailPS.Core.Mounts;
using JailPS.Core.Network;

namespace JailPS.Core.Lifecycle;

/// <summary>
/// Test-Jail: each running jail against what its definition says it should be. Read only, one
/// pass per host table: the kernel's parameters (each jail.conf setting against jail_get's value,
/// as the codec writes both), the mounts (the definition's against getfsstat, as Get-JailMount
/// compares them), the addresses (as Get-JailIPAddress), the rctl rules /etc/rctl.conf keeps for it
/// (only when it keeps some: no rctl call otherwise) and the CPU set of $jailps_cpuset.
/// </summary>
public sealed class JailDriftService
{
    /// <summary>Parameters the kernel holds in another form than jail.conf, or that jail(8) and JailPS set on their own.</summary>
    private static readonly HashSet<string> s_skipped = new(StringComparer.Ordinal) { "name", "persist", "jid", "parent", "dying" };

    private readonly JailService _service;
    private readonly JailHost _host;
    private readonly IJailOutput _output;
    private IReadOnlyList<MountEntry>? _mounts;
    private IReadOnlyList<HostInterface>? _interfaces;

    public JailDriftService(JailService service, IJailOutput output)
    {
        _service = service;
        _host = service.Host;
        _output = output;
    }

    public IReadOnlyList<JailDrift> Differences(Jail jail)
    {
        var drift = new List<JailDrift>();
        if (jail.Jid is not int jid) return drift;   // a stopped jail has nothing running to differ
        void Add(string kind, string item, string? expected, string? actual) => drift.Add(new JailDrift(jail.Name, kind, item, expected, actual, _host.ComputerName));
        if (jail.Definition is null)
        {
            Add("Definition", jail.Name, null, $"running as jid {jid}" + (jail.ManagedBy is { } m && JailManagers.IsForeign(m) ? $", managed by {m}" : ""));
            return drift;
        }
        var spec = _service.SpecOf(jail)!;
        var record = _host.Kernel.GetByJid(jid);
        if (record is null) return drift;
        foreach (var setting in spec.KernelSettings)
        {
            if (s_skipped.Contains(setting.Info.Name)) continue;
            string expected = Text(setting.Info, setting.Value, setting.Info.Name == "path");
            object? value = record[setting.Info.Name];
            string? actual = value is null ? null : Text(setting.Info, value, false);
            if (expected != actual) Add("Parameter", setting.Info.Name, expected, actual);
        }
        if (jail.Path is { } root && HostPath.IsAbsolute(root))
        {
            var mounts = new JailMountService(_host);
            _mounts ??= mounts.Mounter.ReadTable();
            foreach (var m in mounts.Inspect(jail.Name, root, JailMountPlanner.ForSpec(spec, _host.Files), running: true, _mounts, spec.Path))
                if (m.Status == JailMountState.Missing) Add("Mount", m.MountPoint, $"{m.FsType} {m.Source}", null);
                else if (m.Status == JailMountState.Leaked) Add("Mount", m.MountPoint, null, $"{m.FsType} {m.Source}");
        }
        _interfaces ??= _host.Network.ReadInterfaces();
        foreach (var a in new JailAddressService(_service).AddressesOf(jail, _interfaces))
        {
            string address = $"{(a.Interface is null ? "" : a.Interface + "|")}{a.Address}/{a.PrefixLength}";
            if (a.StateKind == JailIPAddressState.NotInJail) Add("Address", a.Address.ToString(), address, null);
            else if (a.StateKind == JailIPAddressState.AliasMissing) Add("Address", a.Address.ToString(), address, $"{a.Address} in the jail, not on {a.Interface}");
            else if (a.SourceKind == JailIPAddressSource.Live) Add("Address", a.Address.ToString(), null, address);
        }
        // VNET: what the definition moves into the jail is not on the host's list (getifaddrs shows
        // the host's vnet only), and the host side of its epair is.
        var hostNames = _interfaces.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (string iface in spec.VnetInterfaces)
            if (hostNames.Contains(iface)) Add("Interface", iface, "in the jail (vnet.interface)", "on the host");
        if (spec.Epair is { } epair && !hostNames.Contains(epair.HostSide))
            Add("Interface", epair.HostSide, $"on the host (the epair of {jail.Name}" + (epair.Bridge is null ? ")" : $", on {epair.Bridge})"), null);
        var limits = new JailLimitService(_host, _output);
        var persisted = limits.PersistedRules(jail.Name);
        if (persisted.Count > 0)
        {
            try
            {
                var kernel = limits.KernelRules(jail.Name);
                foreach (var r in persisted.Where(r => !kernel.Contains(r))) Add("Limit", r.Resource, r.Text, kernel.FirstOrDefault(k => k.Key == r.Key)?.Text);
                foreach (var r in kernel.Where(r => !persisted.Contains(r) && !persisted.Any(p => p.Key == r.Key))) Add("Limit", r.Resource, null, r.Text);
            }
            catch (JailOperationException ex) when (ex.ErrorId == "JailRacctDisabled")
            {
                foreach (var r in persisted) Add("Limit", r.Resource, r.Text, "RACCT is off in this kernel");
            }
        }
        if (spec.CpuSet is { } cpus)
        {
            var live = new JailCpuSetService(_host).JailCpus(jail.Name, jid);
            if (!live.SetEquals(cpus)) Add("CpuSet", "cpuset", JailCpuSetService.Format(cpus), JailCpuSetService.Format(live));
        }
        return drift;
    }

    /// <summary>A value as the codec writes it, list values in a stable order (the kernel may list addresses in another).</summary>
    private string Text(JailParameterInfo info, object value, bool isPath)
    {
        var parts = JailParameterCodec.ToText(info, value);
        if (isPath && parts.Count == 1 && HostPath.IsAbsolute(parts[0]))
        {
            try { return _host.Files.RealPath(parts[0]); }
            catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException) { return parts[0]; }
        }
        return string.Join(",", parts.Count > 1 ? parts.OrderBy(p => p, StringComparer.Ordinal) : parts);
    }

    /// <summary>
    /// Repair-Jail: the plan that brings a running jail back in line with its definition, as far as
    /// a running jail can be changed: parameters the kernel changes live (jail_set JAIL_UPDATE, as
    /// Set-Jail does, with its undo), the rctl rules /etc/rctl.conf keeps and the kernel lost, and the
    /// CPU set (cpuset_setaffinity takes any set within the host's CPUs for a running jail). What
    /// needs the jail made anew (create-only parameters, mounts, addresses) is left, each in <paramref name="needsRestart"/>, for
    /// Restart-Jail. A rule only the kernel has was added by hand and is never removed.
    /// </summary>
    public JailPlan PlanRepair(Jail jail, out List<JailDrift> needsRestart)
    {
        needsRestart = new List<JailDrift>();
        var drift = Differences(jail);
        var plan = new JailPlan(jail.Name, "repair");
        if (drift.Count == 0 || jail.Jid is not int jid) return plan;
        var spec = _service.SpecOf(jail)!;
        var live = new System.Collections.Hashtable();
        foreach (var d in drift.Where(d => d.Kind == "Parameter"))
        {
            var setting = spec.KernelSettings.FirstOrDefault(s => s.Info.Name == d.Item);
            if (setting.Info is null || setting.Info.Access == JailParameterAccess.CreateOnly) needsRestart.Add(d);
            else live[setting.Info.Name] = setting.Value;
        }
        if (live.Count > 0) plan = _service.PlanUpdate(jail, live, null);
        var limits = new JailLimitService(_host, _output);
        foreach (var d in drift.Where(d => d.Kind == "Limit"))
        {
            if (d.Expected is null)
            {
                plan.Notes.Add($"{d.Actual} is only in the kernel (added by hand, or without -Persist); it is left as it is (Remove-JailLimit {jail.Name} -Resource {d.Item} takes it away).");
                continue;
            }
            var rule = JailLimitService.Parse(d.Expected)!;
            plan.Add("rctl", $"rctl_add_rule {rule.Text} (from {JailLimitService.RctlConf})", () => limits.Add(rule), () => limits.Remove(rule.Text, jail.Name), $"rctl_remove_rule {rule.Text}");
        }
        foreach (var d in drift.Where(d => d.Kind == "CpuSet"))
            new JailCpuSetService(_host).AddSetStep(plan, jail.Name, jid, JailCpuSetService.ParseList(d.Expected!, jail.Name));
        needsRestart.AddRange(drift.Where(d => d.Kind is "Mount" or "Address" or "Interface" or "Definition"));
        foreach (var d in needsRestart)
            plan.Notes.Add($"{d.Kind} {d.Item}: expected {d.Expected ?? "(none)"}, actual {d.Actual ?? "(none)"}: needs the jail made anew (Restart-Jail {jail.Name}).");
        return plan;
    }
}
