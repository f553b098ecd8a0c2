using System;
using System.Collections.Generic;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>
/// How the simulated FreeBSD host looks: its release, the caller's uid, the loaded kernel modules
/// and the sandbox directory that stands for "/".
/// </summary>
public sealed record SimulatedKernelOptions
{
    /// <summary>
    /// Jail-aware modules loaded by default: the file systems that register an
    /// <c>allow.mount.&lt;fs&gt;</c> parameter and the SysV IPC modules that register the
    /// <c>sysvmsg</c>/<c>sysvsem</c>/<c>sysvshm</c> jailsys parameters.
    /// </summary>
    public static IReadOnlyList<string> DefaultModules { get; } = new[]
    {
        "devfs", "fdescfs", "nullfs", "procfs", "tmpfs", "zfs", "sysvmsg", "sysvsem", "sysvshm",
    };

    /// <summary>
    /// The first __FreeBSD_version of the 15 branch: a release at or above it has what the model
    /// imitates of FreeBSD 15 (jail metadata: meta and env). Only the branch matters to the model;
    /// 15.0-RELEASE's own osreldate is not in our facts, so the 15.0 preset uses this value.
    /// </summary>
    public const int FreeBsd15RelDate = 1500000;

    /// <summary>The FreeBSD release the model imitates, by name ("14.3" or "15.0"): its osrelease and osreldate.</summary>
    public static SimulatedKernelOptions ForRelease(string release) => release switch
    {
        "14.3" => new SimulatedKernelOptions { OsRelease = "14.3-RELEASE", OsRelDate = 1403000 },
        "15.0" => new SimulatedKernelOptions { OsRelease = "15.0-RELEASE", OsRelDate = FreeBsd15RelDate },
        _ => throw new ArgumentException($"The simulated kernel imitates FreeBSD 14.3 and 15.0, not \"{release}\".", nameof(release)),
    };

    /// <summary>kern.osrelease of the host, and the default osrelease of new jails.</summary>
    public string OsRelease { get; init; } = "14.3-RELEASE";

    /// <summary>kern.osreldate of the host, and the default osreldate of new jails.</summary>
    public int OsRelDate { get; init; } = 1403000;

    /// <summary>
    /// Whether RACCT is on (loader.conf kern.racct.enable=1; GENERIC has it off by default). The
    /// simulated host has it on, so runbooks can try limits; off, every rctl call is ENOSYS.
    /// </summary>
    public bool RacctEnabled { get; init; } = true;

    /// <summary>The host's CPUs (0 .. Cpus-1): what a new jail's root cpuset holds.</summary>
    public int Cpus { get; init; } = 4;

    /// <summary>kern.hostname of the host (prison0's host.hostname).</summary>
    public string Hostname { get; init; } = "simulated-host";

    /// <summary>Effective uid of the calling process; anything but 0 lacks PRIV_JAIL_*.</summary>
    public uint CallerUid { get; init; }

    /// <summary>
    /// The interfaces the host boots with: lo0 (127.0.0.1/8, ::1/128; flags 0x8049 = UP, LOOPBACK,
    /// RUNNING, MULTICAST as ifconfig prints them) and em0 on documentation networks (192.0.2.2/24,
    /// 2001:db8::2/64; flags 0x8843 = UP, BROADCAST, RUNNING, SIMPLEX, MULTICAST).
    /// </summary>
    public static IReadOnlyList<SimulatedInterface> DefaultInterfaces { get; } = new[]
    {
        new SimulatedInterface("lo0", "lo", 0x8049, new[] { "127.0.0.1/8", "::1/128" }),
        new SimulatedInterface("em0", "em", 0x8843, new[] { "192.0.2.2/24", "2001:db8::2/64" }),
    };

    /// <summary>The host's interfaces at boot; see <see cref="DefaultInterfaces"/>.</summary>
    public IReadOnlyList<SimulatedInterface> Interfaces { get; init; } = DefaultInterfaces;

    /// <summary>security.jail.jail_max_af_ips.</summary>
    public uint MaxAfIps { get; init; } = (uint)JailLimits.DefaultMaxAfIps;

    /// <summary>
    /// Loaded jail-aware modules. "sysvmsg", "sysvsem" and "sysvshm" add their jailsys parameter;
    /// any other name is taken as a file system registered with VFCF_JAIL and adds
    /// <c>allow.mount.&lt;name&gt;</c>. A parameter of a module not listed here is unknown to the kernel.
    /// </summary>
    public IReadOnlyList<string> LoadedModules { get; init; } = DefaultModules;

    /// <summary>
    /// Local directory that stands for the simulated host's "/". Jail paths are looked up under it
    /// with chroot semantics. Null skips the existence check (paths are then only normalised).
    /// </summary>
    public string? RootDirectory { get; init; }

    internal SimulatedKernelOptions Validate()
    {
        if (OsRelease is null || OsRelease.Length == 0 || OsRelease.Length >= JailLimits.OsReleaseLen)
            throw new ArgumentException("OsRelease must be 1-31 characters.", nameof(OsRelease));
        if (Hostname is null || Hostname.Length >= JailLimits.MaxHostNameLen)
            throw new ArgumentException("Hostname must be shorter than MAXHOSTNAMELEN.", nameof(Hostname));
        if (LoadedModules is null)
            throw new ArgumentException("LoadedModules must not be null.", nameof(LoadedModules));
        foreach (var m in LoadedModules)
        {
            if (string.IsNullOrEmpty(m) || m.IndexOf('.') >= 0 || m.IndexOf('\0') >= 0)
                throw new ArgumentException("Invalid module name: '" + m + "'.", nameof(LoadedModules));
        }
        return this;
    }
}
