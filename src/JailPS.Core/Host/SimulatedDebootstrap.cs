using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace JailPS.Core.Host;

/// <summary>
/// The simulated host's /usr/local/sbin/debootstrap and /sbin/kldstat -q -m, for New-Jail
/// -Distribution Debian. The simulated host has debootstrap installed (--version answers);
/// debootstrap downloads nothing: for a suite it knows it writes a small
/// Debian tree into the target inside the simulated host's directory (the directories Linux
/// programs and the jail's mounts need, /etc/debian_version, /etc/os-release, /etc/hosts, the
/// host's resolv.conf as debootstrap copies it, /etc/init.d/rc and /sbin/init when sysvinit-core
/// is included, and var/lib/dpkg/status listing the packages it would have installed: the base
/// set, with --include added and --exclude taken out), printing debootstrap's "I:" lines. An
/// unknown suite fails as debootstrap does without its script. kldstat answers for the kernel
/// model's modules and for the Linux ABI (linuxelf, linux64elf), which the simulated host has
/// loaded: its linprocfs and linsysfs mount.
/// </summary>
internal static class SimulatedDebootstrap
{
    private static readonly Dictionary<string, string> s_versions = new(StringComparer.Ordinal)
    {
        ["buster"] = "10.13", ["bullseye"] = "11.11", ["bookworm"] = "12.12", ["trixie"] = "13.2",
    };

    /// <summary>A small stand-in for the required and important packages of a suite.</summary>
    private static IEnumerable<string> BasePackages(string suite)
    {
        var list = new List<string> { "base-files", "base-passwd", "bash", "coreutils", "dash", "debianutils", "dpkg", "init", "libc6", "mount", "util-linux", "apt", "systemd-sysv", "dmidecode", "ifupdown" };
        list.AddRange(suite == "trixie" ? new[] { "dhcpcd-base" } : new[] { "isc-dhcp-client", "isc-dhcp-common" });
        return list;
    }

    public static (int Exit, string Out, string Err) Kldstat(SimulatedHost host, IReadOnlyList<string> argv)
    {
        string? module = null;
        bool quiet = false;
        for (int i = 1; i < argv.Count; i++)
        {
            if (argv[i] == "-q") quiet = true;
            else if (argv[i] == "-m" && i + 1 < argv.Count) module = argv[++i];
            else return (1, "", "kldstat: the simulated host models only kldstat -q -m MODULE\n");
        }
        if (module is null || !quiet) return (1, "", "kldstat: the simulated host models only kldstat -q -m MODULE\n");
        bool loaded = module is "linuxelf" or "linux64elf" || host.Options.LoadedModules.Contains(module);
        return (loaded ? 0 : 1, "", "");
    }

    public static (int Exit, string Out, string Err) Run(SimulatedHost host, IReadOnlyList<string> argv)
    {
        if (argv.Count == 2 && argv[1] == "--version") return (0, "debootstrap 1.0.134 (simulated)\n", "");
        string arch = "amd64";
        var include = new List<string>();
        var exclude = new List<string>();
        var operands = new List<string>();
        foreach (string a in argv.Skip(1))
        {
            if (a.StartsWith("--arch=", StringComparison.Ordinal)) arch = a["--arch=".Length..];
            else if (a.StartsWith("--include=", StringComparison.Ordinal)) include.AddRange(a["--include=".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries));
            else if (a.StartsWith("--exclude=", StringComparison.Ordinal)) exclude.AddRange(a["--exclude=".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries));
            else if (a.StartsWith("--variant=", StringComparison.Ordinal) || a == "--no-check-gpg") { }
            else if (a.StartsWith('-')) return (1, "", $"E: the simulated host does not model debootstrap option {a}\n");
            else operands.Add(a);
        }
        if (operands.Count < 2) return (1, "", "E: You must specify a suite and a target.\n");
        string suite = operands[0], target = operands[1];
        if (!s_versions.TryGetValue(suite, out string? version))
            return (1, "", $"E: No such script: /usr/local/share/debootstrap/scripts/{suite}\n");
        var files = new RootedFileSystem(host.Root);
        string hostTarget = files.RealPath(target);
        if (hostTarget != HostPath.Normalize(target))
            return (1, "", $"E: the target {target} leads through a symbolic link; the simulated debootstrap does not follow it\n");
        files.CreateDirectory(hostTarget);
        string local = files.ToLocalPath(hostTarget);
        var packages = BasePackages(suite).Concat(include).Where(p => !exclude.Contains(p)).Distinct().ToList();
        var output = new StringBuilder();
        output.Append($"I: Target architecture can be executed\nI: Retrieving InRelease\nI: Checking Release signature\nI: Valid Release signature (key id 4CB50190207B4758A3F73A796ED0E7B82643E131)\nI: Retrieving Packages\nI: Validating Packages\nI: Resolving dependencies of required packages...\nI: Resolving dependencies of base packages...\nI: Checking component main on {(operands.Count > 2 ? operands[2] : "http://deb.debian.org/debian")}...\n");
        foreach (string p in packages) output.Append("I: Retrieving ").Append(p).Append('\n');
        foreach (string p in packages) output.Append("I: Extracting ").Append(p).Append("...\n");

        foreach (string d in new[] { "bin", "sbin", "dev", "proc", "sys", "run", "root", "home", "usr/bin", "usr/lib", "var/lib/dpkg", "etc/apt" })
            Directory.CreateDirectory(Path.Combine(local, d));
        Directory.CreateDirectory(Path.Combine(local, "tmp"));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(local, "tmp"), (UnixFileMode)Convert.ToInt32("1777", 8));
        File.WriteAllText(Path.Combine(local, "bin", "sh"), "#!simulated dash\n");
        File.WriteAllText(Path.Combine(local, "etc", "debian_version"), version + "\n");
        File.WriteAllText(Path.Combine(local, "etc", "os-release"),
            $"PRETTY_NAME=\"Debian GNU/Linux {version.Split('.')[0]} ({suite})\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"{version.Split('.')[0]}\"\nVERSION_CODENAME={suite}\nID=debian\n");
        File.WriteAllText(Path.Combine(local, "etc", "hosts"), "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n");
        File.WriteAllText(Path.Combine(local, "etc", "hostname"), "debian\n");
        File.WriteAllText(Path.Combine(local, "etc", "apt", "sources.list"), $"deb {(operands.Count > 2 ? operands[2] : "http://deb.debian.org/debian")} {suite} main\n");
        // debootstrap copies the host's resolv.conf into the target.
        string hostResolv = files.ToLocalPath("/etc/resolv.conf");
        if (File.Exists(hostResolv) && new FileInfo(hostResolv).LinkTarget is null)
            File.Copy(hostResolv, Path.Combine(local, "etc", "resolv.conf"));
        if (packages.Contains("sysvinit-core"))
        {
            Directory.CreateDirectory(Path.Combine(local, "etc", "init.d"));
            File.WriteAllText(Path.Combine(local, "etc", "init.d", "rc"), "#!/bin/sh\n# sysv-rc (simulated)\n");
            File.WriteAllText(Path.Combine(local, "sbin", "init"), "#!simulated sysvinit\n");
        }
        var status = new StringBuilder();
        foreach (string p in packages)
            status.Append("Package: ").Append(p).Append("\nStatus: install ok installed\nArchitecture: ").Append(arch).Append("\n\n");
        File.WriteAllText(Path.Combine(local, "var", "lib", "dpkg", "status"), status.ToString());
        output.Append("I: Configuring required packages...\nI: Base system installed successfully.\n");
        return (0, output.ToString(), "");
    }
}
