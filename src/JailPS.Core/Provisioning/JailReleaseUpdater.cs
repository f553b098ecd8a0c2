using System;
using System.Collections.Generic;
using System.Linq;
using JailPS.Core.Config;
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
        if (new JailReleaseService(Host, _output).List().FirstOrDefault(r => r.Name == name && r.Architecture == machineArch) is { Format: PkgBaseRelease.Kind })
            throw new JailOperationException("JailReleaseIsPkgBase", name,
                $"{name} ({machineArch}) is a packaged base: freebsd-update refuses one, and its basejail's package database went to the template with /var, so JailPS does not update that basejail in place; nothing was done.",
                $"Save it again (Save-JailRelease {name} -Source PkgBase -Force) for new jails, or move thin jails to a new basejail with Update-Jail NAME -Release.") { TargetObject = release };
        var bases = ThinJailsOf(name, arch);
        if (bases.Count == 0)
            throw new JailOperationException("JailBaseJailNotFound", name,
                $"no jail's definition mounts a basejail of {name} ({machineArch}), so there is nothing to update; nothing was done.",
                $"Thin jails come from New-Jail -Release {name} -Thin; a thick jail's own root is updated with Update-Jail NAME.") { TargetObject = release };
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

    /// <summary>The jail's definition and its root directory, which must exist (both updates act on them).</summary>
    private (JailDefinition Definition, string Root) DefinitionAndRoot(Jail jail, string what)
    {
        var def = jail.Definition ?? throw new JailOperationException("JailNotDefined", jail.Name,
            $"jail \"{jail.Name}\" has no definition, so JailPS does not know {what}.", "Import or define it first (Import-JailConfig, New-Jail).") { TargetObject = jail.Name };
        string? root = jail.Path;
        if (root is null || !HostPath.IsAbsolute(root) || !Host.Files.DirectoryExists(root))
            throw new JailOperationException("JailPathNotFound", jail.Name, $"jail \"{jail.Name}\": its root {root ?? "(no path)"} does not exist; nothing was done.") { TargetObject = root };
        return (def, root);
    }

    /// <summary>The definition's mount lines that make it a thin jail (a .../basejail/... directory, nullfs, read-only), with their index and fields, in order.</summary>
    private static List<(int Index, string[] Fields)> BasejailMounts(JailDefinition def)
    {
        var found = new List<(int, string[])>();
        var lines = def.Get("mount")?.Values ?? (IReadOnlyList<string>)Array.Empty<string>();
        for (int i = 0; i < lines.Count; i++)
        {
            string[] f = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 4 && f[2] == "nullfs" && f[0].Contains("/basejail/", StringComparison.Ordinal) && f[3].Split(',').Contains("ro")) found.Add((i, f));
        }
        return found;
    }

    /// <summary>Update-JailRelease's arguments for a basejail directory's name (LayoutName): 14.3-RELEASE, or 14.3-RELEASE -Architecture aarch64.</summary>
    private static string ReleaseArgumentsOf(string layoutName)
    {
        var m = System.Text.RegularExpressions.Regex.Match(layoutName, "^(.+-(?:RELEASE|RC[0-9]|BETA[0-9]|ALPHA[0-9]|CURRENT|STABLE|PRERELEASE))-(aarch64|i386)$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        return m.Success ? $"{m.Groups[1].Value} -Architecture {m.Groups[2].Value}" : layoutName;
    }

    /// <summary>The release a root's userland says it is (bin/freebsd-version's USERLAND_VERSION, read beneath the root), without its patch level; null when it does not say.</summary>
    public string? UserlandRelease(string root)
    {
        string? text = Host.ReadTextBeneathRoot(root, "bin/freebsd-version", 64 * 1024);
        if (text is null) return null;
        var m = System.Text.RegularExpressions.Regex.Match(text, "^USERLAND_VERSION=\"?([0-9]{1,2}\\.[0-9]-[A-Z0-9]+)(-p[0-9]+)?\"?\\s*$", System.Text.RegularExpressions.RegexOptions.Multiline | System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        return m.Success ? m.Groups[1].Value : null;
    }

    /// <summary>
    /// Update-Jail: a thick jail's own root updated from inside the running jail (jexec): freebsd-update
    /// fetch and install with --currently-running set to what the root's userland is
    /// (bin/freebsd-version, read beneath the root; or the release New-Jail -Release recorded),
    /// never the host's, or for a packaged base pkg upgrade -r FreeBSD-base (freebsd-update refuses
    /// one); then seed 003's database rebuilds inside it. Never freebsd-update -b ROOT from the
    /// host: the root is the jail's to write, and a link it planted would lead the host's tool
    /// out of it. A thin jail's base is its release's basejail: Update-JailRelease updates it.
    /// </summary>
    public JailPlan PlanUpdateJail(Jail jail)
    {
        var (def, root) = DefinitionAndRoot(jail, "its root");
        root = Host.Files.RealPath(root);
        if (BasejailMounts(def) is [var (_, f), ..])
            throw new JailOperationException("JailIsThin", jail.Name,
                $"jail \"{jail.Name}\" is a thin jail: its base system is {f[0]}, mounted read-only, which freebsd-update cannot change from the jail's root; nothing was done.",
                $"Update the basejail with Update-JailRelease {ReleaseArgumentsOf(HostPath.GetFileName(f[0]))}: every thin jail of it gets the update.") { TargetObject = f[0] };
        string? recorded = def.Variables.TryGetValue(JailReleaseService.ReleaseVariable, out string? v) ? v.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() : null;
        string release = UserlandRelease(root) ?? recorded
            ?? throw new JailOperationException("JailReleaseUnknown", jail.Name,
                $"jail \"{jail.Name}\": {root}/bin/freebsd-version does not say which release the root is, and its definition does not record one; freebsd-update would take the host's release for it, so nothing was done.",
                "Check that the root holds a FreeBSD userland (bin/freebsd-version).") { TargetObject = root };
        release = JailReleaseService.CheckRelease(release);
        var running = Host.Kernel.GetByName(jail.Name)
            ?? throw new JailOperationException("JailNotRunning", jail.Name,
                $"jail \"{jail.Name}\" is not running. Update-Jail runs the update inside the jail, where nothing the jail's root planted (a link in its /usr, say) can lead it to the host's files, as freebsd-update -b ROOT run by the host could; nothing was done.",
                $"Start-Jail {jail.Name}, then Update-Jail {jail.Name}.") { TargetObject = jail.Name };
        var plan = new JailPlan(jail.Name, "update");
        // A packaged base (pkgbase) is updated by pkg: freebsd-update refuses such a system.
        bool pkgbase = Host.ReadTextBeneathRoot(root, "usr/local/etc/pkg/repos/FreeBSD-base.conf", 64 * 1024) is { } conf
            && System.Text.RegularExpressions.Regex.IsMatch(conf, "enabled\\s*:\\s*yes", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        if (pkgbase)
        {
            string[] upgrade = { PkgPath, "upgrade", "-y", "-r", "FreeBSD-base" };
            plan.Add("pkg", $"jexec {jail.Name} {string.Join(" ", upgrade)} (a packaged base: pkg upgrades it from its FreeBSD-base repository, checking each package's signature)",
                () => Check(release, Run(jail.Name, running.Jid, upgrade), "pkg upgrade -r FreeBSD-base", nothingToDo: null, jail.Name,
                    advice: $"Run Update-Jail {jail.Name} again after fixing the cause (pkg checks the repository's signatures: see /usr/share/keys/pkgbase-* in the jail); the packages it had not reached are at their old version."));
        }
        else
        {
            // Inside the jail (jexec): freebsd-update's own work directory and config are the jail's, and it sees only the jail's files.
            string[] Args(string command) => new[] { FreebsdUpdatePath, "--not-running-from-cron", "--currently-running", release, command };
            plan.Add("freebsd-update", $"jexec {jail.Name} {string.Join(" ", Args("fetch"))}",
                () => Check(release, Run(jail.Name, running.Jid, Args("fetch")), "fetch", nothingToDo: null, jail.Name, advice: $"Run Update-Jail {jail.Name} again after fixing the cause; nothing was installed yet."));
            plan.Add("freebsd-update", $"jexec {jail.Name} {string.Join(" ", Args("install"))}",
                () => Check(release, Run(jail.Name, running.Jid, Args("install")), "install", nothingToDo: "No updates are available to install.", jail.Name, advice: $"Run Update-Jail {jail.Name} again after fixing the cause; Invoke-JailCommand {jail.Name} -Command freebsd-update, rollback undoes what the install did."));
        }
        foreach (var argv in DatabaseRebuilds)
        {
            var a = argv;
            plan.Add("rebuild", $"jexec {jail.Name} {string.Join(" ", a)}",
                () => Check(release, Run(jail.Name, running.Jid, a), string.Join(" ", a), nothingToDo: null, jail.Name));
        }
        return plan;
    }

    public const string PkgPath = "/usr/sbin/pkg";

    /// <summary>
    /// Update-Jail -Release for a thin jail, seed 003's major upgrade: not freebsd-update across
    /// majors, but the new release's basejail (made beside the old one when missing) mounted in the
    /// old one's place. The jail is stopped when it runs, its definition's basejail mount line and
    /// $jailps_release switched, and it is started again, as one plan: a failed start puts the old
    /// mount line back and starts the jail as it was. The jail's own /etc, from the old template, is
    /// not merged: etcupdate inside the jail does that (the plan says so).
    /// </summary>
    public JailPlan PlanUpgradeThin(Jail jail, string newRelease, string? architecture)
    {
        var (def, root) = DefinitionAndRoot(jail, "its basejail");
        // The jail's own architecture unless told otherwise: an aarch64 jail is never given an amd64 basejail by default.
        string arch = architecture
            ?? (def.Variables.TryGetValue(JailReleaseService.ReleaseVariable, out string? recorded) && recorded.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: 2 } parts ? parts[1] : "amd64");
        string target = JailReleaseService.CheckRelease(newRelease);
        root = HostPath.Normalize(root);
        var lines = def.Get("mount")?.Values ?? (IReadOnlyList<string>)Array.Empty<string>();
        var basejails = BasejailMounts(def);
        if (basejails.Count == 0)
            throw new JailOperationException("JailIsThick", jail.Name,
                $"jail \"{jail.Name}\" is a thick jail (no read-only basejail mount in its definition); a major upgrade of its own root is freebsd-update -r {target} upgrade, which merges /etc interactively and JailPS does not run; nothing was done.",
                $"Run it inside the running jail by hand (jexec {jail.Name} freebsd-update -r {target} upgrade, then install, as freebsd-update says), or make a thin jail of {target} (New-Jail -Release {target} -Thin) and move the data.") { TargetObject = jail.Name };
        var (index, fields) = basejails[^1];
        var builder = new JailRootBuilder(Host, _output);
        var plan = new JailPlan(jail.Name, "upgrade");
        var (baseJail, _, _) = builder.AddLayoutSteps(plan, jail.Name, root, target, arch);
        if (HostPath.Normalize(fields[0]) == baseJail)
            throw new JailOperationException("JailReleaseInvalid", jail.Name,
                $"jail \"{jail.Name}\" already mounts {baseJail}; nothing was done.", $"Update-Jail {jail.Name} without -Release keeps it patched through Update-JailRelease {target}.") { TargetObject = target };
        var newLines = lines.ToArray();
        newLines[index] = string.Join(" ", new[] { baseJail }.Concat(fields.Skip(1)));
        var changes = new System.Collections.Specialized.OrderedDictionary
        {
            ["mount"] = newLines,
            ["$" + JailReleaseService.ReleaseVariable] = $"{target} {JailReleaseService.ArchitectureOf(arch).MachineArch}",
        };
        var lifecycle = new JailLifecycle(Host, _output);
        var oldSpec = JailSpec.Resolve(def, Host.Kernel.Catalog);
        var running = Host.Kernel.GetByName(jail.Name);
        JailSpec NewSpec()
        {
            _service.Invalidate();
            var edited = _service.FindDefinition(jail.Name) ?? throw new JailOperationException("JailNotDefined", jail.Name, $"jail \"{jail.Name}\"'s definition went away while it was upgraded.");
            return JailSpec.Resolve(edited, Host.Kernel.Catalog);
        }
        void RunNested(JailPlan nested)
        {
            nested.Precondition?.Invoke();
            PlanRunner.Execute(nested, _output);
        }
        if (running is not null)
        {
            int jid = running.Jid;
            plan.Add("stop", $"Stop-Jail {jail.Name} (jid {jid}): its stop plan runs here, so the old basejail is unmounted",
                () => RunNested(lifecycle.PlanStop(jail.Name, jid, oldSpec, null, force: false)),
                () => RunNested(lifecycle.PlanStart(oldSpec)),
                $"Start-Jail {jail.Name} as it was");
        }
        var write = _service.PlanUpdate(jail, new System.Collections.Hashtable(), changes);
        plan.Steps.AddRange(write.Steps);
        plan.Finally.AddRange(write.Finally);
        if (running is not null)
        {
            plan.Add("start", $"Start-Jail {jail.Name} with {baseJail} mounted read-only at {root}/basejail",
                () => RunNested(lifecycle.PlanStart(NewSpec())),
                () =>
                {
                    var now = Host.Kernel.GetByName(jail.Name);
                    if (now is not null) RunNested(lifecycle.PlanStop(jail.Name, now.Jid, NewSpec(), null, force: false));
                },
                $"Stop-Jail {jail.Name}");
            foreach (var argv in DatabaseRebuilds)
            {
                var a = argv;
                plan.Add("rebuild", $"jexec {jail.Name} {string.Join(" ", a)}",
                    () => Check(target, Run(jail.Name, Host.Kernel.GetByName(jail.Name)?.Jid, a), string.Join(" ", a), nothingToDo: null, jail.Name));
            }
        }
        plan.Notes.Add($"jail {jail.Name} now runs on {baseJail}; its own /etc and /var came from the template of the release it was made from and are not merged: run etcupdate inside it (Invoke-JailCommand {jail.Name} -Command etcupdate, -p; then -Command etcupdate) to bring them to {target}.");
        return plan;
    }

    // freebsd-update's lines as -Verbose while it runs, written from this (the pipeline's) thread.
    private ProcessResult Run(string jail, int? jid, string[] argv)
        => ProcessPump.RunWithLines(Host.Processes, new ProcessRequest
        {
            Arguments = argv,
            JailName = jail,
            Jid = jid,
            Purpose = "update",
            Timeout = TimeSpan.FromMinutes(60),
        }, (line, _) => _output.Verbose($"{jail}: {line}"));

    private void Check(string release, ProcessResult r, string what, string? nothingToDo, string? jail = null, string? advice = null)
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
            advice is not null ? advice
            : jail is null
                ? $"Run it again after fixing the cause; freebsd-update rollback -b BASEJAIL -d {WorkRoot}/{release} undoes an install."
                : $"Run the rebuilds inside jail {jail} by hand (Invoke-JailCommand {jail} ...).") { TargetObject = what };
    }
}
