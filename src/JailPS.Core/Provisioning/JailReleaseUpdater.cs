using System;
using System.Collections.Generic;
using System.Linq;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Processes;

namespace JailPS.Core.Provisioning;

/// <summary>
/// Update-JailRelease: seed 003's minor upgrade of a basejail, which every thin jail mounting it
/// gets at once — freebsd-update -b BASEJAIL fetch, then install (freebsd-net-prov-facts.md §5.4),
/// always with --currently-running RELEASE so it never takes the host's release for the basejail's;
/// then, in each running thin jail of that basejail, the database rebuilds the seed lists
/// (cap_mkdb, services_mkdb, pwd_mkdb). freebsd-update's state goes to
/// /var/db/jailps/freebsd-update/RELEASE, not into the read-only base.
/// </summary>
public sealed class JailReleaseUpdater
{
    public const string FreebsdUpdatePath = "/usr/sbin/freebsd-update";
    public const string WorkRoot = "/var/db/jailps/freebsd-update";

    /// <summary>The rebuilds seed 003 runs inside a jail after an upgrade of its base.</summary>
    public static readonly IReadOnlyList<string[]> DatabaseRebuilds = new[]
    {
        new[] { "/usr/bin/cap_mkdb", "/etc/login.conf" },
        new[] { "/usr/sbin/services_mkdb", "-q", "-o", "/var/db/services.db", "/etc/services" },
        new[] { "/usr/sbin/pwd_mkdb", "-d", "/etc", "-p", "/etc/master.passwd" },
    };

    private readonly JailService _service;
    private readonly IJailOutput _output;

    public JailReleaseUpdater(JailService service, IJailOutput output)
    {
        _service = service;
        _output = output;
    }

    private JailHost Host => _service.Host;

    /// <summary>The thin jails whose definition mounts this release's basejail, by basejail.</summary>
    public IReadOnlyDictionary<string, List<string>> ThinJailsOf(string release, string arch)
    {
        string leaf = JailReleaseService.LayoutName(release, arch);
        var result = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var def in _service.Definitions)
            foreach (string line in def.Get("mount")?.Values ?? (IReadOnlyList<string>)Array.Empty<string>())
            {
                string[] f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (f.Length >= 3 && f[2] == "nullfs" && f[0].EndsWith("/basejail/" + leaf, StringComparison.Ordinal))
                {
                    if (!result.TryGetValue(f[0], out var jails)) result[f[0]] = jails = new List<string>();
                    if (!jails.Contains(def.Name)) jails.Add(def.Name);
                }
            }
        return result;
    }

    public JailPlan PlanUpdate(string release, string arch)
    {
        string name = JailReleaseService.CheckRelease(release);
        string machineArch = JailReleaseService.ArchitectureOf(arch).MachineArch;
        var bases = ThinJailsOf(name, arch);
        if (bases.Count == 0)
            throw new JailOperationException("JailBaseJailNotFound", name,
                $"no jail's definition mounts a basejail of {name} ({machineArch}), so there is nothing to update; nothing was done.",
                $"Thin jails come from New-Jail -Release {name} -Thin; a thick jail's root is updated with freebsd-update -b ROOT.") { TargetObject = release };
        var plan = new JailPlan(name, "update") { Subject = "release", LockName = JailReleaseService.LockName(name, arch) };
        string work = $"{WorkRoot}/{JailReleaseService.LayoutName(name, arch)}";
        foreach (var (baseJail, jails) in bases)
        {
            if (!Host.Files.DirectoryExists(baseJail))
                throw new JailOperationException("JailBaseJailNotFound", name,
                    $"{baseJail}, the basejail that {string.Join(", ", jails)} mount, does not exist; nothing was done.",
                    "Make it again with New-Jail -Release -Thin for a new jail, or fix the jails' mount lines.") { TargetObject = baseJail };
            string[] Args(string command) => new[] { FreebsdUpdatePath, "--not-running-from-cron", "-b", baseJail, "-d", work, "-f", "/etc/freebsd-update.conf", "--currently-running", name, command };
            plan.Add("freebsd-update", string.Join(" ", Args("fetch")),
                () =>
                {
                    Host.Files.CreateDirectory(work);
                    Check(name, Run(name, null, Args("fetch")), "fetch", nothingToDo: null);
                });
            plan.Add("freebsd-update", string.Join(" ", Args("install")),
                () => Check(name, Run(name, null, Args("install")), "install", nothingToDo: "No updates are available to install."));
            foreach (string jail in jails)
            {
                var running = Host.Kernel.GetByName(jail);
                if (running is null)
                {
                    plan.Notes.Add($"jail {jail} is stopped: after its next start, rebuild its databases (Invoke-JailCommand {jail} cap_mkdb /etc/login.conf, and services_mkdb and pwd_mkdb as seed 003 lists).");
                    continue;
                }
                foreach (var argv in DatabaseRebuilds)
                {
                    var a = argv;
                    plan.Add("rebuild", $"jexec {jail} {string.Join(" ", a)}",
                        () => Check(name, Run(jail, running.Jid, a), string.Join(" ", a), nothingToDo: null, jail));
                }
            }
        }
        return plan;
    }

    private ProcessResult Run(string jail, int? jid, string[] argv)
        => Host.Processes.Run(new ProcessRequest
        {
            Arguments = argv,
            JailName = jail,
            Jid = jid,
            Purpose = "update",
            Timeout = TimeSpan.FromMinutes(60),
            OnOutputLine = line => _output.Verbose($"{jail}: {line}"),
        });

    private void Check(string release, ProcessResult r, string what, string? nothingToDo, string? jail = null)
    {
        if (r.ExitCode == 0) return;
        // freebsd-update install exits 1 with this line when fetch found nothing (freebsd-update.sh).
        if (nothingToDo is not null && (r.StandardOutput + r.StandardError).Contains(nothingToDo, StringComparison.Ordinal))
        {
            _output.Verbose($"{release}: {nothingToDo}");
            return;
        }
        string text = (r.StandardError.Trim().Length > 0 ? r.StandardError : r.StandardOutput).Trim();
        throw new JailOperationException("JailReleaseUpdateFailed", jail ?? release,
            $"{(jail is null ? release : "jail " + jail)}: {what} failed (exit {r.ExitCode}){(text.Length > 0 ? ": " + text.Split('\n')[^1] : "")}; the steps before it are done.",
            jail is null
                ? $"Run it again after fixing the cause; freebsd-update rollback -b BASEJAIL -d {WorkRoot}/{release} undoes an install."
                : $"Run the rebuilds inside jail {jail} by hand (Invoke-JailCommand {jail} ...).") { TargetObject = what };
    }
}
