using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Processes;

namespace JailPS.Core.Provisioning;

/// <summary>
/// New-Jail -Distribution Debian (seeds 000/001): a Debian userland installed with debootstrap
/// through the process seam, run under FreeBSD's Linux ABI. The host must have the ABI loaded
/// (kldstat -q -m linux64elf, the module rc.d/linux loads) and debootstrap installed (pkg install
/// debootstrap); the jail gets the seeds' file systems (linprocfs on /proc, linsysfs on /sys, a
/// tmpfs on /run, devfs with ruleset 4, fdescfs on /dev/fd), the /dev/shm link made by its own
/// exec.start, its hostname and hosts lines written beneath the root, and an exec.start that
/// boots it with Debian's sysv-rc.
/// </summary>
public sealed class LinuxJailBuilder
{
    public const string DebootstrapPath = "/usr/local/sbin/debootstrap";
    public const string KldstatPath = "/sbin/kldstat";
    public const string DistributionVariable = "jailps_distribution";
    public const int ProgressActivity = 0x4a50_0011;

    /// <summary>Debian suites JailPS knows, with their release number (what /etc/debian_version starts with).</summary>
    public static readonly IReadOnlyDictionary<string, int> DebianSuites = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["buster"] = 10, ["bullseye"] = 11, ["bookworm"] = 12, ["trixie"] = 13,
    };

    public const string DefaultDebianMirror = "http://deb.debian.org/debian";

    private readonly JailHost _host;
    private readonly IJailOutput _output;
    private readonly System.Threading.CancellationToken _cancel;

    public LinuxJailBuilder(JailHost host, IJailOutput output, System.Threading.CancellationToken cancel = default)
    {
        _host = host;
        _output = output;
        _cancel = cancel;
    }

    /// <summary>(distribution, suite, Debian architecture) checked: Debian only, a known suite, amd64 or arm64.</summary>
    public static (string Distribution, string Suite, string DebianArch) Check(string jail, string distribution, string? suite, string arch)
    {
        if (!distribution.Equals("Debian", StringComparison.OrdinalIgnoreCase))
            throw new JailOperationException("JailDistributionUnknown", jail,
                $"jail \"{jail}\": JailPS installs Debian jails, not \"{distribution}\"; nothing was done.",
                "Give -Distribution Debian, or install another userland into the root yourself and use New-Jail -Path.") { TargetObject = distribution };
        string s = (suite ?? "bookworm").ToLowerInvariant();
        if (!DebianSuites.ContainsKey(s))
            throw new JailOperationException("JailDistributionUnknown", jail,
                $"jail \"{jail}\": \"{suite}\" is not a Debian suite JailPS knows ({string.Join(", ", DebianSuites.Keys)}); nothing was done.",
                "Give -Suite with one of those code names.") { TargetObject = suite };
        string debArch = arch.ToLowerInvariant() switch
        {
            "amd64" => "amd64",
            "arm64" or "aarch64" => "arm64",
            _ => throw new JailOperationException("JailDistributionUnknown", jail,
                $"jail \"{jail}\": FreeBSD's 64-bit Linux ABI runs amd64 and arm64 Debian, not \"{arch}\"; nothing was done.",
                "Give -Architecture amd64 or aarch64.") { TargetObject = arch },
        };
        return ("debian", s, debArch);
    }

    /// <summary>
    /// The seed's --exclude list adapted to a Linux suite: its kFreeBSD packages (devd, kldutils,
    /// pf, vidcontrol) do not exist there; what cannot work in a jail stays out (dmidecode reads
    /// hardware tables, a DHCP client would fight the host over the jail's address), and so does
    /// systemd's init, which does not run under the Linux ABI: sysvinit-core is installed instead,
    /// for the jail's exec.start (/etc/init.d/rc).
    /// </summary>
    public static IReadOnlyList<string> Excluded(string suite)
        => DebianSuites[suite] >= 13
            ? new[] { "dmidecode", "dhcpcd-base", "systemd-sysv" }
            : new[] { "dmidecode", "isc-dhcp-client", "isc-dhcp-common", "systemd-sysv" };

    public static readonly IReadOnlyList<string> Included = new[] { "sysvinit-core" };

    /// <summary>What the definition of a Debian jail gets (seeds 000/001): the Linux file systems, devfs ruleset 4, fdescfs, and an exec.start that makes /dev/shm and boots sysv-rc.</summary>
    public static IEnumerable<(string Name, string[] Values)> Parameters(string root, string suite, string debArch)
    {
        root = HostPath.Normalize(root);
        yield return ("mount", new[]
        {
            $"linprocfs {root}/proc linprocfs rw 0 0",
            $"linsysfs {root}/sys linsysfs rw 0 0",
            $"tmpfs {root}/run tmpfs rw,mode=755 0 0",
        });
        yield return ("mount.devfs", Array.Empty<string>());
        yield return ("devfs_ruleset", new[] { "4" });
        yield return ("mount.fdescfs", Array.Empty<string>());
        // The jail's own root makes /run/shm and the /dev/shm link (seed: ln -s /run/shm dev/): the host never writes through the jail's /dev.
        yield return ("exec.start", new[] { "/bin/mkdir -p -m 1777 /run/shm", "/bin/ln -sfn /run/shm /dev/shm", "/etc/init.d/rc 2" });
        yield return ("exec.stop", new[] { "/etc/init.d/rc 0" });
        yield return ("$" + DistributionVariable, new[] { $"debian {suite} {debArch}" });
    }

    /// <summary>The Linux ABI and debootstrap are there, or a clear error naming what is missing; checked before anything is done.</summary>
    public void CheckHost(string jail, string debArch)
    {
        var r = _host.Processes.Run(new ProcessRequest { Arguments = new[] { KldstatPath, "-q", "-m", "linux64elf" }, JailName = jail, Purpose = "provision", Timeout = TimeSpan.FromSeconds(30) });
        if (r.ExitCode != 0)
            throw new JailOperationException("JailLinuxAbiNotLoaded", jail,
                $"jail \"{jail}\": the 64-bit Linux ABI (kernel module linux64, module linux64elf) is not loaded, so a Debian jail could not run; nothing was done.",
                "Load it with sysrc linux_enable=YES && service linux start (or kldload linux64), then try again.") { TargetObject = "linux64" };
        // debootstrap --version: the program is there and runs (the simulated host's model answers it too).
        ProcessResult? version = null;
        try { version = _host.Processes.Run(new ProcessRequest { Arguments = new[] { DebootstrapPath, "--version" }, JailName = jail, Purpose = "provision", Timeout = TimeSpan.FromSeconds(30) }); }
        catch (InvalidOperationException) { }
        if (version is not { ExitCode: 0 })
            throw new JailOperationException("JailDebootstrapNotFound", jail,
                $"jail \"{jail}\": {DebootstrapPath} is not installed (or does not run: {version?.FirstErrorLine ?? "it could not be started"}); nothing was done.",
                "Install it with pkg install debootstrap, then try again.") { TargetObject = DebootstrapPath };
    }

    /// <summary>
    /// The debootstrap step (with its undo: the tree taken away again) and the hostname and hosts
    /// files beneath the root. <paramref name="rootIsDataset"/>: the root is a dataset the plan made,
    /// whose own undo destroys it, so this undo only empties it.
    /// </summary>
    public void AddSteps(JailPlan plan, string jail, string root, string suite, string debArch, string? mirror, bool rootIsDataset,
        string? hostname, IReadOnlyList<string> addresses)
    {
        root = HostPath.Normalize(root);
        if (_host.Files.DirectoryExists(root) && (_host.Files.Glob(root + "/*").Count + _host.Files.Glob(root + "/.*").Count) > 0)
            throw new JailOperationException("JailRootNotEmpty", jail,
                $"jail \"{jail}\": {root} already holds files, so debootstrap is not run over them; nothing was done.",
                "Give -Path a new or empty directory.") { TargetObject = root };
        string url = mirror ?? DefaultDebianMirror;
        if (!Regex.IsMatch(url, "^(https?|file)://[^\\s\"']+$", RegexOptions.CultureInvariant))
            throw new JailOperationException("JailDistributionUnknown", jail, $"jail \"{jail}\": \"{url}\" is not a mirror URL (http://, https:// or file://); nothing was done.",
                "Give -Mirror http://deb.debian.org/debian or your local mirror.") { TargetObject = mirror };
        var argv = new[]
        {
            DebootstrapPath, "--arch=" + debArch, "--include=" + string.Join(",", Included), "--exclude=" + string.Join(",", Excluded(suite)),
            suite, root, url,
        };
        var remover = new JailRootRemover(_host, _output);
        bool existed = rootIsDataset || _host.Files.DirectoryExists(root);
        bool ran = false;
        void TakeBack()
        {
            if (existed) remover.EmptyTree(jail, root);
            else remover.RemoveTree(jail, root);
        }
        plan.Add("debootstrap", string.Join(" ", argv) + " (downloads and installs Debian; progress shows what it retrieves)",
            () =>
            {
                ran = true;
                if (!_host.Files.DirectoryExists(root)) _host.Files.CreateDirectory(root);
                var progress = new JailProgress(ProgressActivity, $"debootstrap {suite} into {root}", "starting");
                _output.Progress(progress);
                ProcessResult r;
                try
                {
                    r = ProcessPump.RunWithLines(_host.Processes,
                        new ProcessRequest { Arguments = argv, JailName = jail, Purpose = "provision", Timeout = TimeSpan.FromHours(2) },
                        (line, isError) =>
                        {
                            // debootstrap's "I: Retrieving ...", "I: Extracting ...", "I: Configuring ..." lines are its progress.
                            if (!isError && line.StartsWith("I: ", StringComparison.Ordinal))
                                _output.Progress(progress with { Status = line[3..] });
                            _output.Verbose($"jail {jail}: debootstrap: {line}");
                        }, _cancel);
                }
                catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or System.IO.IOException)
                {
                    // Stopped (Ctrl+C, the pipeline) or not started: what it wrote goes before the plan rolls back.
                    // (TakeBack refuses, with a clear error, while a mount debootstrap made is still beneath the root.)
                    TakeBack();
                    if (existed && !_host.Files.DirectoryExists(root)) _host.Files.CreateDirectory(root);
                    throw;
                }
                finally
                {
                    _output.Progress(progress.Complete());
                }
                if (r.ExitCode != 0)
                {
                    TakeBack();
                    if (existed && !_host.Files.DirectoryExists(root)) _host.Files.CreateDirectory(root);
                    string said = (r.StandardError + r.StandardOutput).Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("E: ", StringComparison.Ordinal)) ?? r.FirstErrorLine ?? "no message";
                    throw new JailOperationException("JailDebootstrapFailed", jail,
                        $"jail \"{jail}\": debootstrap {suite} failed (exit {r.ExitCode}): {said}; what it wrote is taken away.",
                        $"Check the mirror ({url}) and the network; run New-Jail again with -Verbose to see every line debootstrap writes.") { TargetObject = root };
                }
            },
            () => { if (ran) TakeBack(); },
            existed ? $"empty {root} again" : $"chflags -R noschg {root}; rm -rf {root}");
        if (hostname is not null)
        {
            long before = 0;
            plan.Add("hostname", $"write {root}/etc/hostname: {hostname} (beneath the root, no link followed)",
                () =>
                {
                    _host.TruncateBeneathRoot(root, "etc/hostname", 0);
                    before = _host.AppendBeneathRoot(root, "etc/hostname", hostname + "\n");
                });
            if (addresses.Count > 0)
            {
                // An entry may name its interface (em0|192.0.2.11/24): the hosts line gets the bare address.
                string lines = string.Concat(addresses.Select(a => $"{a.Split('|')[^1].Split('/')[0]}\t{hostname} {hostname.Split('.')[0]}\n"));
                long hostsBefore = 0;
                plan.Add("hosts", $"append to {root}/etc/hosts: {lines.Replace("\n", "; ").TrimEnd(' ', ';')} (beneath the root, no link followed)",
                    () => hostsBefore = _host.AppendBeneathRoot(root, "etc/hosts", lines),
                    () => _host.TruncateBeneathRoot(root, "etc/hosts", hostsBefore),
                    $"cut {root}/etc/hosts back");
            }
        }
        WarnAboutLoopbackResolver(jail, root);
    }

    /// <summary>debootstrap copies the host's resolv.conf; one naming a resolver on the host's loopback is one the jail cannot reach (seed 001).</summary>
    private void WarnAboutLoopbackResolver(string jail, string root)
    {
        var loopback = JailRootBuilder.LoopbackResolvers(_host.Files.ReadAllText("/etc/resolv.conf") ?? "");
        if (loopback.Count > 0)
            _output.Warning($"jail \"{jail}\": the host's /etc/resolv.conf names {string.Join(", ", loopback)}, a resolver on the host's loopback that the jail cannot reach, and debootstrap copies it. Write the jail's {root}/etc/resolv.conf with the resolver's unicast address (nameserver 10.1.0.1, say).");
    }
}
