using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Processes;

namespace JailPS.Core.Provisioning;

/// <summary>
/// Save-JailRelease -Source PkgBase: FreeBSD 15's packaged base as a release in the cache. The way
/// bsdinstall's pkgbase installer does it (usr.sbin/bsdinstall/scripts/pkgbase.in; facts §5.5):
/// the host's signing keys copied into the new root first (pkg reads the fingerprints path inside
/// --rootdir), a FreeBSD-base repository definition passed with --repo-conf-dir (outside the
/// root, so -o REPOS_DIR's root-relative reading does not apply), then `pkg update` and
/// `pkg install -U -F` (fetch) and `pkg install -U` of the set meta-package for jails,
/// FreeBSD-set-minimal-jail, with ABI, VERSION_MAJOR and VERSION_MINOR given so the host's own
/// release is never taken for the jail's (as Bastille does), and IGNORE_OSVERSION=yes. pkg checks
/// every package's signature against the pkgbase-MAJOR fingerprints: that is the verification.
/// The root is installed into ROOT.part and renamed to ROOT only when pkg succeeded, so an
/// unfinished install never counts as a verified release.
/// </summary>
public sealed class PkgBaseRelease
{
    public const string Kind = "pkgbase";
    public const string RootDirectory = "root";
    public const string JailSet = "FreeBSD-set-minimal-jail";
    public const string PkgPath = "/usr/sbin/pkg";
    public const string DefaultUrl = "pkg+https://pkg.FreeBSD.org/${ABI}/base_release_${VERSION_MINOR}";
    private static readonly Regex s_counter = new(@"^\[(?:[^\]]*\] )?\[?(\d+)/(\d+)\]", RegexOptions.CultureInvariant);

    private readonly JailHost _host;
    private readonly IJailOutput _output;
    private readonly JailReleaseService _releases;
    private readonly CancellationToken _cancel;

    public PkgBaseRelease(JailHost host, IJailOutput output, JailReleaseService releases, CancellationToken cancel)
    {
        _host = host;
        _output = output;
        _releases = releases;
        _cancel = cancel;
    }

    /// <summary>The repository definition JailPS writes: bsdinstall's FreeBSD-base, enabled, with the pkgbase-MAJOR fingerprints.</summary>
    public static string RepositoryConf(string url, int major)
        => "# Written by Save-JailRelease -Source PkgBase (the FreeBSD-base repository of FreeBSD " + major.ToString(CultureInfo.InvariantCulture) + ").\n"
           + "FreeBSD-base: {\n"
           + $"  url: \"{url}\",\n"
           + (url.StartsWith("pkg+", StringComparison.Ordinal) ? "  mirror_type: \"srv\",\n" : "")
           + "  signature_type: \"fingerprints\",\n"
           + $"  fingerprints: \"/usr/share/keys/pkgbase-{major.ToString(CultureInfo.InvariantCulture)}\",\n"
           + "  enabled: yes\n"
           + "}\n";

    public JailPlan PlanSave(SaveReleaseRequest req)
    {
        string release = JailReleaseService.CheckRelease(req.Release);
        var (_, machineArch) = JailReleaseService.ArchitectureOf(req.Architecture);
        var m = Regex.Match(release, "^([0-9]+)\\.([0-9])-", RegexOptions.CultureInvariant);
        int major = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), minor = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        if (major < 15)
            throw new JailOperationException("JailReleaseInvalid", release,
                $"{release} has no packaged base for jails: the FreeBSD-set-* packages start with FreeBSD 15; nothing was done.",
                $"Save {release} from its dist files (Save-JailRelease {release}), or give -Source PkgBase a release of 15 or later.") { TargetObject = release };
        if (req.SourcePath is not null)
            throw new JailOperationException("JailReleaseInvalid", release, "-Source PkgBase installs from a package repository; -Path is for dist files. Give -Mirror with the repository URL instead.") { TargetObject = req.SourcePath };
        string url = req.Mirror ?? DefaultUrl;
        if (!Regex.IsMatch(url, "^(pkg\\+)?(https?|file)://[^\\s\"]+$", RegexOptions.CultureInvariant))
            throw new JailOperationException("JailReleaseInvalid", release,
                $"-Mirror \"{url}\" is not a package repository URL (pkg+https://, https://, http:// or file://); nothing was done.",
                "Give the URL of a FreeBSD-base repository, such as pkg+https://pkg.FreeBSD.org/${ABI}/base_release_${VERSION_MINOR}.") { TargetObject = url };

        string dir = JailReleaseService.CachePath(release, req.Architecture);
        string root = $"{dir}/{RootDirectory}", work = root + ".part", repos = $"{dir}/repos";
        var plan = new JailPlan(release, "save") { Subject = "release", LockName = JailReleaseService.LockName(release, req.Architecture) };
        var existing = _releases.ReadRecord(dir);
        if (!req.Force && existing is { Kind: Kind } && existing.Verified.ContainsKey(JailSet) && _host.Files.DirectoryExists(root))
            return plan; // in the cache, installed and verified

        // The host's pkg runs (pkg -N: activation test) and has the keys the repository is signed with.
        var probe = Pkg(release, new[] { PkgPath, "-N" });
        if (probe.ExitCode != 0)
            throw new JailOperationException("JailPkgNotFound", release,
                $"pkg(8) is not bootstrapped on this host ({probe.FirstErrorLine ?? "pkg -N failed"}); nothing was done.",
                "Run pkg bootstrap -y, then try again.") { TargetObject = PkgPath };
        string keys = $"/usr/share/keys/pkgbase-{major.ToString(CultureInfo.InvariantCulture)}";
        if (!_host.Files.DirectoryExists(keys))
            throw new JailOperationException("JailPkgBaseKeysMissing", release,
                $"this host has no {keys}, the keys FreeBSD {major}'s packaged base is signed with, so pkg could not verify a single package; nothing was done.",
                $"Copy {keys} from a FreeBSD {major} system (its /usr/share/keys), check its fingerprints against the FreeBSD release announcement, then try again.") { TargetObject = keys };

        string abi = $"FreeBSD:{major.ToString(CultureInfo.InvariantCulture)}:{machineArch}";
        string[] Pkg_(params string[] command) => new[]
        {
            PkgPath, "--rootdir", work, "--repo-conf-dir", repos,
            "-o", "IGNORE_OSVERSION=yes", "-o", "ABI=" + abi,
            "-o", "VERSION_MAJOR=" + major.ToString(CultureInfo.InvariantCulture), "-o", "VERSION_MINOR=" + minor.ToString(CultureInfo.InvariantCulture),
        }.Concat(command).ToArray();

        bool made = false;
        plan.Add("prepare", $"mkdir {work}; cp -a /usr/share/keys/. {work}/usr/share/keys (pkg reads the fingerprints inside --rootdir); write {repos}/FreeBSD-base.conf (url {url}, fingerprints {keys}) and {work}/usr/local/etc/pkg/repos/FreeBSD-base.conf",
            () =>
            {
                if (_host.Files.DirectoryExists(work)) new JailRootRemover(_host, _output).RemoveTree(release, work); // a broken earlier attempt: pkg starts afresh
                made = true;
                _host.Files.CreateDirectory(work + "/usr/share/keys");
                var cp = Pkg(release, new[] { "/bin/cp", "-a", "/usr/share/keys/.", work + "/usr/share/keys" });
                if (cp.ExitCode != 0)
                    throw new JailOperationException("JailReleaseWriteFailed", release, $"copying the host's keys into {work} failed: {cp.FirstErrorLine}.", $"Check the space left under {JailReleaseService.CacheRoot}.") { TargetObject = work };
                string conf = RepositoryConf(url, major);
                _host.Files.CreateDirectory(repos);
                _host.Files.WriteAllTextAtomic(repos + "/FreeBSD-base.conf", conf);
                // What bsdinstall leaves in the new system: its own FreeBSD-base definition, so pkg inside the jail updates its base.
                _host.Files.CreateDirectory(work + "/usr/local/etc/pkg/repos");
                _host.Files.WriteAllTextAtomic(work + "/usr/local/etc/pkg/repos/FreeBSD-base.conf", conf);
            },
            () => { if (made && _host.Files.DirectoryExists(work)) new JailRootRemover(_host, _output).RemoveTree(release, work); },
            $"chflags -R noschg {work}; rm -rf {work}");
        plan.Add("pkg", string.Join(" ", Pkg_("update")), () => Check(release, RunWithProgress(release, Pkg_("update"), "updating the catalogue"), "pkg update", url));
        plan.Add("pkg", string.Join(" ", Pkg_("install", "-U", "-F", "-y", "-r", "FreeBSD-base", JailSet)),
            () => Check(release, RunWithProgress(release, Pkg_("install", "-U", "-F", "-y", "-r", "FreeBSD-base", JailSet), "fetching"), "pkg install -F (fetch)", url));
        plan.Add("pkg", string.Join(" ", Pkg_("install", "-U", "-y", "-r", "FreeBSD-base", JailSet)),
            () => Check(release, RunWithProgress(release, Pkg_("install", "-U", "-y", "-r", "FreeBSD-base", JailSet), "installing"), "pkg install", url));
        plan.Add("record", $"mv {work} {root}; record {JailSet} from {url} as verified in {dir}/{JailReleaseService.RecordFile}",
            () =>
            {
                // mv(1), not an in-process rename, so what the host's tools know of the tree (its file flags) stays with it.
                // -Force: the old root is moved aside first and deleted only once the new one is in place.
                string old = root + ".old";
                bool hadOld = _host.Files.DirectoryExists(root);
                if (hadOld)
                {
                    if (_host.Files.DirectoryExists(old)) new JailRootRemover(_host, _output).RemoveTree(release, old);
                    var aside = Pkg(release, new[] { "/bin/mv", root, old });
                    if (aside.ExitCode != 0)
                        throw new JailOperationException("JailReleaseWriteFailed", release, $"mv {root} {old} failed: {aside.FirstErrorLine}; the saved root is as it was.", $"Check {dir}, then run Save-JailRelease {release} -Source PkgBase -Force again.") { TargetObject = root };
                }
                var mv = Pkg(release, new[] { "/bin/mv", work, root });
                if (mv.ExitCode != 0)
                {
                    if (hadOld) Pkg(release, new[] { "/bin/mv", old, root });
                    throw new JailOperationException("JailReleaseWriteFailed", release, $"mv {work} {root} failed: {mv.FirstErrorLine}; {(hadOld ? "the saved root was put back" : "nothing was saved")}.", $"Check {dir}, then run Save-JailRelease {release} -Source PkgBase -Force again.") { TargetObject = root };
                }
                if (hadOld) new JailRootRemover(_host, _output).RemoveTree(release, old);
                var record = new JailReleaseService.ReleaseRecord { Kind = Kind, Release = release, Architecture = machineArch, Source = url, SavedAt = DateTime.UtcNow };
                record.Verified[JailSet] = "pkg signatures (" + keys + ")";
                record.Sizes[JailSet] = TreeBytes(root);
                _releases.WriteRecord(dir, record);
                _output.Verbose($"{release}: {JailSet} installed into {root} and verified by pkg against {keys}");
            });
        return plan;
    }

    private long TreeBytes(string dir)
    {
        long total = 0;
        foreach (string f in _host.Files.Glob(dir + "/*").Concat(_host.Files.Glob(dir + "/.*")))
        {
            string name = HostPath.GetFileName(f);
            if (name is "." or "..") continue;
            if (_host.Files.DirectoryExists(f) && _host.Files.RealPath(f) == f) total += TreeBytes(f);
            else if (_host.Files.FileExists(f) && _host.Files.RealPath(f) == f)
                using (var s = _host.Files.OpenFile(f, System.IO.FileMode.Open, System.IO.FileAccess.Read)) total += s.Length;
        }
        return total;
    }

    private ProcessResult Pkg(string release, string[] argv)
    {
        try
        {
            return _host.Processes.Run(new ProcessRequest { Arguments = argv, JailName = release, Purpose = "provision", Timeout = TimeSpan.FromMinutes(5) }, _cancel);
        }
        catch (InvalidOperationException ex)
        {
            return new ProcessResult { ExitCode = 127, StandardError = ex.Message };
        }
    }

    /// <summary>pkg's [N/M] counters as Write-Progress while it runs, its lines as -Verbose, both on this thread.</summary>
    private ProcessResult RunWithProgress(string release, string[] argv, string what)
    {
        var progress = new JailProgress(JailReleaseService.ProgressActivity, $"Saving {release} (pkgbase): {what}", what);
        _output.Progress(progress);
        try
        {
            return ProcessPump.RunWithLines(_host.Processes,
                new ProcessRequest { Arguments = argv, JailName = release, Purpose = "provision", Timeout = TimeSpan.FromHours(1) },
                (line, _) =>
                {
                    _output.Verbose($"{release}: pkg: {line}");
                    var c = s_counter.Match(line);
                    if (c.Success && int.TryParse(c.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                        && int.TryParse(c.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int total) && total > 0)
                        _output.Progress(progress with { Status = line, PercentComplete = Math.Min(100, 100 * n / total) });
                }, _cancel);
        }
        finally
        {
            _output.Progress(progress.Complete());
        }
    }

    private static void Check(string release, ProcessResult r, string what, string url)
    {
        if (r.ExitCode == 0) return;
        string said = string.Join(" ", (r.StandardError + "\n" + r.StandardOutput).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).TakeLast(2));
        bool signature = said.Contains("signature", StringComparison.OrdinalIgnoreCase) || said.Contains("fingerprint", StringComparison.OrdinalIgnoreCase) || said.Contains("trusted", StringComparison.OrdinalIgnoreCase);
        throw new JailOperationException(signature ? "JailPkgBaseSignatureInvalid" : "JailPkgBaseFailed", release,
            $"{release}: {what} failed (exit {r.ExitCode}): {(said.Length > 0 ? said : "no message")}; what it installed is taken away and nothing counts as saved.",
            signature
                ? "The repository's signature does not match the host's keys: check /usr/share/keys/pkgbase-* and the repository URL; never install unverified packages into a jail."
                : $"Check the network and the repository ({url}), then run Save-JailRelease -Source PkgBase again.") { TargetObject = url };
    }
}
