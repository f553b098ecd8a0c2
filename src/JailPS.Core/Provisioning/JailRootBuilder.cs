using System;
using System.Collections.Generic;
using System.Linq;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Processes;

namespace JailPS.Core.Provisioning;

/// <summary>
/// New-Jail -Release: a thick jail root, built from a verified release in the cache as bsdinstall
/// jail builds one — the dists extracted with FreeBSD's own tar through the process seam
/// (`tar -xpf base.txz -C ROOT`: modes, file flags and hard links as the archive has them), then
/// the host's /etc/resolv.conf and /etc/localtime copied in through the beneath-root writer (no link
/// in the new root followed). The undo takes the new root away again with <see cref="JailRootRemover"/>.
/// </summary>
public sealed class JailRootBuilder
{
    public const string TarPath = "/usr/bin/tar";

    private readonly JailHost _host;
    private readonly IJailOutput _output;

    public JailRootBuilder(JailHost host, IJailOutput output)
    {
        _host = host;
        _output = output;
    }

    /// <summary>The dist files of a cached, verified release to extract: base.txz, and lib32.txz when it was saved.</summary>
    public (string Dir, IReadOnlyList<string> Dists) CachedRelease(string jail, string release, string arch)
    {
        string name = JailReleaseService.CheckRelease(release);
        string dir = JailReleaseService.CachePath(name, arch);
        var cached = new JailReleaseService(_host, _output).List().FirstOrDefault(r => r.Path == dir);
        if (cached is null || !cached.Verified || !cached.Distributions.Contains("base.txz"))
            throw new JailOperationException("JailReleaseNotCached", jail,
                $"jail \"{jail}\": {name} ({JailReleaseService.ArchitectureOf(arch).MachineArch}) is not in the release cache with a verified base.txz"
                + (cached is { Verified: false } ? " (a download is unfinished)" : "") + "; nothing was done.",
                $"Run Save-JailRelease {name}{(arch == "amd64" ? "" : " -Architecture " + arch)} first.") { TargetObject = release };
        return (dir, cached.Distributions.Where(d => d is "base.txz" or "lib32.txz").OrderBy(d => d == "base.txz" ? 0 : 1).ToList());
    }

    /// <summary>
    /// The extraction and host-file steps for a new root (the mkdir step comes before them). The
    /// root must be empty: JailPS never extracts over files someone else put there.
    /// </summary>
    public void AddBuildSteps(JailPlan plan, string jail, string root, string release, string arch)
    {
        var (dir, dists) = CachedRelease(jail, release, arch);
        if (_host.Files.DirectoryExists(root) && _host.Files.Glob(HostPath.Combine(root, "*")).Count > 0)
            throw new JailOperationException("JailRootNotEmpty", jail,
                $"jail \"{jail}\": {root} already holds files, so the release is not extracted over them; nothing was done.",
                "Give New-Jail -Path a new or empty directory, or leave -Release out to use the root as it is.") { TargetObject = root };
        var remover = new JailRootRemover(_host, _output);
        bool extracted = false;
        bool existed = _host.Files.DirectoryExists(root); // an empty root the admin made stays, empty
        foreach (string dist in dists)
        {
            string archive = $"{dir}/{dist}";
            plan.Add("extract", $"tar -xpf {archive} -C {root}",
                () =>
                {
                    extracted = true;
                    var r = _host.Processes.Run(new ProcessRequest
                    {
                        Arguments = new[] { TarPath, "-xpf", archive, "-C", root },
                        JailName = jail,
                        Purpose = "provision",
                        Timeout = TimeSpan.FromMinutes(30),
                    });
                    if (r.ExitCode != 0)
                    {
                        // A failed step is not undone by the plan runner: what tar wrote before it
                        // failed is taken away here, so the rollback finds the root as it was.
                        remover.RemoveTree(jail, root);
                        if (existed || dist != dists[0]) _host.Files.CreateDirectory(root);
                        throw new JailOperationException("JailRootExtractFailed", jail,
                            $"jail \"{jail}\": tar -xpf {archive} -C {root} failed (exit {r.ExitCode}): {FirstLine(r.StandardError) ?? "no message"}.",
                            $"Check the space left under {root} and the cache (Get-JailRelease); Save-JailRelease {release} -Force fetches it again.") { TargetObject = archive };
                    }
                },
                // One undo for the whole tree, on the first extraction: later ones only add to it.
                dist == dists[0] ? () =>
                {
                    if (!extracted) return;
                    remover.RemoveTree(jail, root);
                    if (existed) _host.Files.CreateDirectory(root);
                } : null,
                dist == dists[0] ? $"chflags -R noschg {root}; rm -rf {root} (only what this command extracted: the root was empty)" : null);
        }
        foreach (string file in new[] { "etc/resolv.conf", "etc/localtime" })
            AddHostFileCopy(plan, jail, root, file);
    }

    /// <summary>bsdinstall jail copies the host's resolv.conf and localtime; a resolver on the host's loopback is one the jail cannot reach (seed 001).</summary>
    private void AddHostFileCopy(JailPlan plan, string jail, string root, string file)
    {
        string hostFile = "/" + file;
        if (!_host.Files.FileExists(hostFile)) return;
        if (file == "etc/localtime")
        {
            plan.Add("host file", $"copy {hostFile} to {root}/{file} (beneath the root, no link followed)",
                () => CopyBeneath(root, file, _host.Files.OpenFile(hostFile, System.IO.FileMode.Open, System.IO.FileAccess.Read)));
            return;
        }
        string text = _host.Files.ReadAllText(hostFile) ?? "";
        var loopback = text.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("nameserver", StringComparison.Ordinal))
            .Select(l => l["nameserver".Length..].Trim()).Where(a => a.StartsWith("127.", StringComparison.Ordinal) || a == "::1").ToList();
        if (loopback.Count > 0)
            _output.Warning($"jail \"{jail}\": the host's /etc/resolv.conf names {string.Join(", ", loopback)}, a resolver on the host's loopback that the jail cannot reach; it is copied as it is. Write the jail's {root}/etc/resolv.conf with the resolver's unicast address (nameserver 10.1.0.1, say).");
        plan.Add("host file", $"copy {hostFile} to {root}/{file} (beneath the root, no link followed)",
            () => _host.AppendBeneathRoot(root, file, text));
    }

    private void CopyBeneath(string root, string file, System.IO.Stream source)
    {
        using (source)
        {
            using var buffer = new System.IO.MemoryStream();
            source.CopyTo(buffer);
            _host.WriteBytesBeneathRoot(root, file, buffer.ToArray());
        }
    }

    private static string? FirstLine(string text) => text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
}

/// <summary>
/// Takes a jail root away: refused while anything is mounted beneath it (getfsstat), then
/// `chflags -R noschg ROOT` (base.txz installs libc and others schg, which rm cannot remove:
/// Bastille #570) and `rm -rf ROOT`, neither of which follows a link out of the root.
/// </summary>
public sealed class JailRootRemover
{
    private readonly JailHost _host;
    private readonly IJailOutput _output;

    public JailRootRemover(JailHost host, IJailOutput output)
    {
        _host = host;
        _output = output;
    }

    public void RemoveTree(string jail, string root)
    {
        string r = HostPath.Normalize(root);
        if (!HostPath.IsAbsolute(r) || r == "/" || r.Split('/', StringSplitOptions.RemoveEmptyEntries).Length < 2)
            throw new JailOperationException("JailRootRefused", jail, $"jail \"{jail}\": {root} is not a directory JailPS will delete (the root or a top-level directory).") { TargetObject = root };
        var mounted = new JailMountService(_host).Mounter.ReadTable().Where(m => m.IsAtOrBelow(r)).ToList();
        if (mounted.Count > 0)
            throw new JailOperationException("JailRootBusy", jail,
                $"jail \"{jail}\": {string.Join(", ", mounted.Select(m => m.On))} is mounted beneath {r}, so nothing under it is deleted.",
                $"Unmount it (Dismount-JailFileSystem, or Stop-Jail {jail}), then try again.") { TargetObject = r };
        foreach (var argv in new[] { new[] { "/bin/chflags", "-R", "noschg", r }, new[] { "/bin/rm", "-rf", r } })
        {
            var result = _host.Processes.Run(new ProcessRequest { Arguments = argv, JailName = jail, Purpose = "provision", Timeout = TimeSpan.FromMinutes(10) });
            if (result.ExitCode != 0)
                throw new JailOperationException("JailRootDeleteFailed", jail,
                    $"jail \"{jail}\": {string.Join(" ", argv)} failed (exit {result.ExitCode}): {result.StandardError.Trim()}; {r} is partly deleted.",
                    $"Run chflags -R noschg {r} and rm -rf {r} by hand (with kern.securelevel at 0 or below).") { TargetObject = r };
        }
        _output.Verbose($"jail {jail}: deleted {r}");
    }
}
