using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace JailPS.Core.Host;

/// <summary>
/// The simulated host's /usr/sbin/pkg, for Save-JailRelease -PkgBase: `pkg -N`, and
/// `pkg --rootdir ROOT --repo-conf-dir DIR [-o KEY=VALUE]... update | install -U [-F] -y -r
/// FreeBSD-base FreeBSD-set-minimal-jail`. It downloads nothing. It reads the repository
/// definitions in DIR (FreeBSD-base must be enabled), requires the fingerprints directory they
/// name inside ROOT (pkg reads it there), needs `update` before `install`, and installs a small
/// FreeBSD userland for the release VERSION_MAJOR.VERSION_MINOR into ROOT (bin/freebsd-version,
/// etc/rc, lib/libc.so.7 and var/empty with schg, ...), printing pkg's [N/M] lines. Inside the
/// simulated host's directory only; no link is followed.
/// </summary>
internal static class SimulatedPkg
{
    private static readonly string[] s_setPackages = { "FreeBSD-runtime", "FreeBSD-rc", "FreeBSD-libc", "FreeBSD-utilities", "FreeBSD-pkg-bootstrap" };

    public static (int Exit, string Out, string Err) Run(SimulatedHost host, IReadOnlyList<string> argv)
    {
        string? root = null, repos = null;
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        int i = 1;
        for (; i < argv.Count && argv[i].StartsWith('-'); i++)
        {
            switch (argv[i])
            {
                case "-N": return (0, "pkg: 1 packages installed\n", "");
                case "--rootdir" or "-r" when i + 1 < argv.Count: root = argv[++i]; break;
                case "--repo-conf-dir" or "-R" when i + 1 < argv.Count: repos = argv[++i]; break;
                case "-o" when i + 1 < argv.Count:
                    string kv = argv[++i];
                    int eq = kv.IndexOf('=');
                    if (eq <= 0) return (1, "", $"pkg: Bad -o option: {kv}\n");
                    options[kv[..eq]] = kv[(eq + 1)..];
                    break;
                default: return Unsupported(argv);
            }
        }
        if (i >= argv.Count || root is null || repos is null) return Unsupported(argv);
        string command = argv[i];
        var args = argv.Skip(i + 1).ToList();
        var files = new RootedFileSystem(host.Root);
        string hostRoot = files.RealPath(root);
        if (hostRoot != HostPath.Normalize(root)) return (1, "", $"pkg: {root} leads through a symbolic link; the simulated pkg does not follow it\n");
        string localRoot = files.ToLocalPath(hostRoot);
        if (!Directory.Exists(localRoot)) return (1, "", $"pkg: Unable to open rootdir {root}: No such file or directory\n");

        // The repository definitions: FreeBSD-base, enabled, with its fingerprints directory inside the root.
        string localRepos = files.ToLocalPath(files.RealPath(repos));
        string conf = Directory.Exists(localRepos) ? string.Concat(Directory.GetFiles(localRepos, "*.conf").Order(StringComparer.Ordinal).Select(File.ReadAllText)) : "";
        // The block ends at a '}' alone on its line: ${ABI} in its url has braces of its own.
        var block = Regex.Match(conf, "FreeBSD-base\\s*:\\s*\\{(?<body>.*?)\\n\\}", RegexOptions.CultureInvariant | RegexOptions.Singleline);
        if (!block.Success || !Regex.IsMatch(block.Groups["body"].Value, "enabled\\s*:\\s*yes", RegexOptions.CultureInvariant))
            return (1, "", "pkg: No active remote repositories configured.\n");
        string fingerprints = Regex.Match(block.Groups["body"].Value, "fingerprints\\s*:\\s*\"(?<p>[^\"]+)\"", RegexOptions.CultureInvariant).Groups["p"].Value;
        if (fingerprints.Length == 0 || !Directory.Exists(Path.Combine(localRoot, fingerprints.TrimStart('/'))))
            return (1, "", $"pkg: Error opening the trusted directory {HostPath.Combine(hostRoot, fingerprints.TrimStart('/'))}/trusted\npkg: No trusted public keys found\n");

        string catalogue = Path.Combine(localRoot, "var", "db", "pkg", "repos", "FreeBSD-base");
        var output = new StringBuilder();
        if (command == "update")
        {
            Directory.CreateDirectory(catalogue);
            File.WriteAllText(Path.Combine(catalogue, "db"), "simulated catalogue\n");
            output.Append("Updating FreeBSD-base repository catalogue...\nFetching meta.conf: 100%\nFetching data: 100%\nProcessing entries: 100%\nFreeBSD-base repository update completed. 512 packages processed.\nAll repositories are up to date.\n");
            return (0, output.ToString(), "");
        }
        if (command != "install") return Unsupported(argv);
        bool fetchOnly = args.Contains("-F");
        var names = args.Where(a => !a.StartsWith('-')).ToList();
        int r = args.IndexOf("-r");
        if (r >= 0 && r + 1 < args.Count) names.Remove(args[r + 1]);
        if (!File.Exists(Path.Combine(catalogue, "db")))
            return (1, "", "pkg: Repository FreeBSD-base cannot be opened. 'pkg update' required\n");
        foreach (string n in names)
            if (n != "FreeBSD-set-minimal-jail")
                return (1, "", $"pkg: No packages available to install matching '{n}' have been found in the repositories\n");
        string major = options.GetValueOrDefault("VERSION_MAJOR", "15"), minor = options.GetValueOrDefault("VERSION_MINOR", "0");
        string version = $"{major}.{minor}";
        var packages = s_setPackages.Concat(names).ToList();
        for (int n = 0; n < packages.Count; n++)
            output.Append($"[{n + 1}/{packages.Count}] {(fetchOnly ? "Fetching" : "Installing")} {packages[n]}-{version}{(fetchOnly ? ".pkg: 100%" : "...")}\n");
        if (fetchOnly) return (0, output.ToString(), "");

        foreach (string d in new[] { "bin", "dev", "etc", "lib", "root", "sbin", "usr/bin", "usr/lib", "usr/share", "var/empty", "var/db/pkg" })
            Directory.CreateDirectory(Path.Combine(localRoot, d));
        Directory.CreateDirectory(Path.Combine(localRoot, "tmp"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(localRoot, "tmp"), (UnixFileMode)Convert.ToInt32("1777", 8));
            File.SetUnixFileMode(Path.Combine(localRoot, "var", "empty"), (UnixFileMode)Convert.ToInt32("0555", 8));
        }
        File.WriteAllText(Path.Combine(localRoot, "bin", "sh"), "#!simulated sh\n");
        File.WriteAllText(Path.Combine(localRoot, "bin", "freebsd-version"), $"#!/bin/sh\nUSERLAND_VERSION=\"{version}-RELEASE\"\n");
        File.WriteAllText(Path.Combine(localRoot, "etc", "rc"), "#!/bin/sh\n# simulated rc\n");
        File.WriteAllText(Path.Combine(localRoot, "etc", "motd"), $"FreeBSD {version}-RELEASE (pkgbase, simulated)\n");
        File.WriteAllText(Path.Combine(localRoot, "root", ".cshrc"), "# simulated .cshrc\n");
        File.WriteAllText(Path.Combine(localRoot, "lib", "libc.so.7"), "simulated libc\n");
        File.WriteAllText(Path.Combine(localRoot, "var", "db", "pkg", "local.sqlite"), string.Concat(packages.Select(p => $"{p}-{version}\n")));
        // pkg installs libc and var/empty schg, as the dist files have them.
        host.Transact(k =>
        {
            k.SetImmutable(HostPath.Combine(hostRoot, "lib/libc.so.7"), true);
            k.SetImmutable(HostPath.Combine(hostRoot, "var/empty"), true);
            return 0;
        });
        output.Append($"Checking integrity... done (0 conflicting)\nThe following {packages.Count} package(s) will be affected (of 0 checked):\n");
        return (0, output.ToString(), "");
    }

    private static (int, string, string) Unsupported(IReadOnlyList<string> argv)
        => (1, "", "pkg: the simulated host models pkg -N and pkg --rootdir R --repo-conf-dir D [-o K=V]... update|install, not: " + string.Join(" ", argv) + "\n");
}
