using System;
using System.Collections.Generic;
using System.IO;
using JailPS.Core.Devfs;
using JailPS.Core.Host.SafePath;
using JailPS.Core.Kernel;
using JailPS.Core.Mounts;
using JailPS.Core.Network;
using JailPS.Core.Processes;
using JailPS.Native;

namespace JailPS.Core.Host;

/// <summary>
/// One host JailPS acts on: its kernel (through the libc seam), its processes and its files.
/// The real FreeBSD host, or the simulated host: an explicit opt-in through the
/// JAILPS_SIMULATED_HOST environment variable naming a directory that stands for "/".
/// The simulated host is never chosen silently, on FreeBSD or elsewhere.
/// </summary>
public sealed class JailHost
{
    public const string SimulationVariable = "JAILPS_SIMULATED_HOST";
    public const string DefaultJailConf = "/etc/jail.conf";
    public const string DefaultJailConfDirectory = "/etc/jail.conf.d";

    private static readonly object s_lock = new();
    private static readonly Dictionary<string, JailHost> s_simulated = new(StringComparer.Ordinal);
    private static JailHost? s_real;

    private IBeneathResolver? _resolver;

    private JailHost(ILibc libc, IMountLibc mountLibc, INetLibc netLibc, IDevfsNodeSource? devfsNodes, IProcessRunner processes, IHostFileSystem files, string computerName, SimulatedHost? simulation)
    {
        RctlLibc = (IRctlLibc)(simulation ?? (object)libc);
        CpusetLibc = (ICpusetLibc)(simulation ?? (object)libc);
        Libc = libc;
        MountLibc = mountLibc;
        DevfsNodes = devfsNodes ?? new DevfsDirectoryNodeSource(MountPointsBelow);
        Kernel = new JailKernel(libc);
        NetLibc = netLibc;
        Network = new HostNetwork(netLibc);
        Processes = processes;
        Files = files;
        ComputerName = computerName;
        Simulation = simulation;
        // The simulated host answers names from its own /etc/hosts, never from this machine's resolver.
        NameResolver = simulation is null ? new SystemHostNameResolver() : new HostsFileNameResolver(files);
    }

    public ILibc Libc { get; }

    /// <summary>getaddrinfo(3) for ip_hostname: the system resolver, or the simulated host's /etc/hosts.</summary>
    public IHostNameResolver NameResolver { get; }

    /// <summary>nmount/unmount/getfsstat and the devfs ioctls.</summary>
    public IMountLibc MountLibc { get; }

    /// <summary>What a jail sees in a devfs mount (the kernel model's nodes on the simulated host).</summary>
    public IDevfsNodeSource DevfsNodes { get; }

    /// <summary>
    /// The symlink-safe resolver for paths beneath jail roots. It works on local paths (see
    /// <see cref="IHostFileSystem.ToLocalPath"/>): on the simulated host the jail roots are real
    /// directories under the simulation directory, so the same openat2/openat walk runs for real.
    /// </summary>
    public IBeneathResolver Resolver => _resolver ??= BeneathResolvers.ForCurrentOs();
    public JailKernel Kernel { get; }

    /// <summary>cpuset_getaffinity/cpuset_setaffinity: a jail's CPUs.</summary>
    public ICpusetLibc CpusetLibc { get; }

    /// <summary>The rctl(2) calls: resource limits and usage (RACCT).</summary>
    public IRctlLibc RctlLibc { get; }

    /// <summary>socket, the interface ioctls and getifaddrs.</summary>
    public INetLibc NetLibc { get; }

    /// <summary>The host's interfaces and addresses (getifaddrs and the interface ioctls).</summary>
    public HostNetwork Network { get; }
    public IProcessRunner Processes { get; }
    public IHostFileSystem Files { get; }

    /// <summary>The host's name, or "simulated:DIR".</summary>
    public string ComputerName { get; }

    public SimulatedHost? Simulation { get; }
    public bool IsSimulated => Simulation != null;

    /// <summary>The main jail.conf (jail(8)'s default -f file).</summary>
    public string JailConfPath { get; set; } = DefaultJailConf;

    /// <summary>The directory of per-jail files; New-Jail writes NAME.conf here.</summary>
    public string JailConfDirectory { get; set; } = DefaultJailConfDirectory;

    /// <summary>
    /// The host selected by the environment: the simulated host when JAILPS_SIMULATED_HOST names a
    /// directory, the real kernel on FreeBSD, and otherwise an error that says how to opt in.
    /// </summary>
    public static JailHost FromEnvironment()
    {
        string? simRoot = Environment.GetEnvironmentVariable(SimulationVariable);
        if (!string.IsNullOrWhiteSpace(simRoot))
            return Simulated(simRoot);
        if (OperatingSystem.IsFreeBSD())
            return Real();
        throw new JailHostException("JailHostNotFreeBSD",
            $"JailPS manages FreeBSD jails and this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription}. " +
            "No kernel with jails is available here.",
            $"To test runbooks off-box, opt in to the simulated host: $env:{SimulationVariable} = '/tmp/jailps-host' " +
            "(a directory that stands for the host's /). See about_JailPS_SimulatedHost.");
    }

    /// <summary>The real FreeBSD host.</summary>
    public static JailHost Real()
    {
        lock (s_lock)
        {
            var libc = new FreeBsdLibc();
            return s_real ??= new JailHost(libc, libc, libc, null, new SystemProcessRunner(), new RootedFileSystem("/"),
                Environment.MachineName, null);
        }
    }

    /// <summary>The simulated host rooted at <paramref name="directory"/> (created when missing); one instance per directory per process.</summary>
    public static JailHost Simulated(string directory)
    {
        if (!Path.IsPathFullyQualified(directory))
            throw new JailHostException("JailHostSimulationPathNotAbsolute",
                $"{SimulationVariable} must be an absolute directory path, not '{directory}'.",
                $"Set {SimulationVariable} to a full path such as /tmp/jailps-host.");
        string root = Path.GetFullPath(directory).TrimEnd('/');
        lock (s_lock)
        {
            if (s_simulated.TryGetValue(root, out var existing))
            {
                existing.Simulation!.Refresh();
                return existing;
            }
            Directory.CreateDirectory(root);
            var files = new RootedFileSystem(root);
            var sim = new SimulatedHost(root);
            var host = new JailHost(sim, sim, sim, sim, sim.Processes, files, SimulatedPrefix + root, sim);
            s_simulated[root] = host;
            return host;
        }
    }

    /// <summary>
    /// This host with another kernel seam in front of its kernel (files, processes and mounts
    /// unchanged). For measurements only: the benchmarks replay recorded jail_get answers through
    /// it, so JailPS's own cost can be told apart from the simulated kernel's.
    /// </summary>
    internal JailHost WithLibc(ILibc libc)
        => new(libc, MountLibc, NetLibc, DevfsNodes, Processes, Files, ComputerName, Simulation)
        { JailConfPath = JailConfPath, JailConfDirectory = JailConfDirectory };

    /// <summary>
    /// Appends to a host file on a jail's behalf (exec.consolelog). A path that lies beneath the
    /// jail's root, as written or once the host's own links before the root are resolved, is
    /// opened with the beneath-root resolver: no link the jail planted is followed, and the
    /// directories must exist. Anywhere else it is a host path (links resolved as the host file
    /// system resolves them). jail(8) opens the log with a plain open(2); JailPS is stricter
    /// beneath a jail root, where the jail's own root user owns every name.
    /// </summary>
    public void AppendOnBehalfOf(string jailRoot, string hostPath, string text)
    {
        string path = HostPath.Normalize(hostPath);
        string rootAsWritten = HostPath.Normalize(jailRoot);
        string rootReal = Files.RealPath(jailRoot);
        string? relative = Beneath(path, rootAsWritten) ?? Beneath(path, rootReal);
        if (relative is null)
        {
            string resolved = HostPath.Combine(Files.RealPath(HostPath.GetDirectoryName(path)), HostPath.GetFileName(path));
            relative = Beneath(resolved, rootReal);
        }
        if (relative is null)
        {
            Files.AppendAllText(path, text);
            return;
        }
        using var root = Resolver.OpenRoot(Files.ToLocalPath(rootReal));
        using var handle = Resolver.OpenFileForWriteBeneath(root, relative, FileMode.OpenOrCreate);
        using var stream = new FileStream(handle, FileAccess.Write);
        stream.Seek(0, SeekOrigin.End);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
    }

    /// <summary>
    /// Appends text to a file beneath a jail root (New-Jail's lines in the jail's /etc/rc.conf),
    /// with the beneath-root resolver: no link the jail planted is followed, the directories must
    /// exist. Returns the file's length before, or -1 when the append created it, for <see cref="TruncateBeneathRoot"/>.
    /// </summary>
    public long AppendBeneathRoot(string jailRoot, string relativePath, string text)
    {
        using var root = Resolver.OpenRoot(Files.ToLocalPath(Files.RealPath(jailRoot)));
        bool existed;
        try
        {
            using var probe = Resolver.OpenFileForWriteBeneath(root, relativePath, FileMode.CreateNew);
            existed = false;
        }
        catch (IOException) when (Files.FileExists(HostPath.Combine(jailRoot, relativePath)))
        {
            existed = true;
        }
        using var handle = Resolver.OpenFileForWriteBeneath(root, relativePath, FileMode.OpenOrCreate);
        using var stream = new FileStream(handle, FileAccess.Write);
        long before = stream.Length;
        stream.Seek(0, SeekOrigin.End);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
        return existed ? before : -1;
    }

    /// <summary>
    /// Opens a directory beneath a jail root with the beneath-root resolver and lets it go: an
    /// IOException when a component on the way is a link (or not a directory), before a command
    /// that resolves the path by name (rm, chflags) is given it.
    /// </summary>
    public void RequireDirectoryBeneathRoot(string jailRoot, string relativeDirectory)
    {
        using var root = Resolver.OpenRoot(Files.ToLocalPath(Files.RealPath(jailRoot)));
        using var dir = Resolver.OpenDirectoryBeneath(root, relativeDirectory);
    }

    /// <summary>Writes a new file beneath a jail root (a copy of the host's /etc/localtime), with the beneath-root resolver; an existing file is refused.</summary>
    public void WriteBytesBeneathRoot(string jailRoot, string relativePath, byte[] content)
    {
        using var root = Resolver.OpenRoot(Files.ToLocalPath(Files.RealPath(jailRoot)));
        using var handle = Resolver.OpenFileForWriteBeneath(root, relativePath, FileMode.CreateNew);
        using var stream = new FileStream(handle, FileAccess.Write);
        stream.Write(content);
    }

    /// <summary>
    /// Reads a file beneath a jail root (its /bin/freebsd-version), with the beneath-root resolver:
    /// no link the jail planted is followed; null when the file is not there. At most
    /// <paramref name="maxBytes"/> are read (a jail's file is not trusted to be small).
    /// </summary>
    public string? ReadTextBeneathRoot(string jailRoot, string relativePath, int maxBytes = 1 << 20)
    {
        using var root = Resolver.OpenRoot(Files.ToLocalPath(Files.RealPath(jailRoot)));
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = Resolver.OpenFileForReadBeneath(root, relativePath);
        }
        catch (IOException) when (!Files.FileExists(HostPath.Combine(jailRoot, relativePath)))
        {
            return null;
        }
        using (handle)
        using (var stream = new FileStream(handle, FileAccess.Read))
        {
            var buffer = new byte[maxBytes];
            int total = 0, n;
            while (total < maxBytes && (n = stream.Read(buffer, total, maxBytes - total)) > 0) total += n;
            return System.Text.Encoding.UTF8.GetString(buffer, 0, total);
        }
    }

    /// <summary>Undoes <see cref="AppendBeneathRoot"/>: cuts the file back to its length before (a file the append created is left empty).</summary>
    public void TruncateBeneathRoot(string jailRoot, string relativePath, long length)
    {
        using var root = Resolver.OpenRoot(Files.ToLocalPath(Files.RealPath(jailRoot)));
        using var handle = Resolver.OpenFileForWriteBeneath(root, relativePath, FileMode.OpenOrCreate);
        using var stream = new FileStream(handle, FileAccess.Write);
        stream.SetLength(System.Math.Max(0, length));
    }

    private static string? Beneath(string path, string root)
        => root == "/" ? null : path.StartsWith(root + "/", StringComparison.Ordinal) ? path.Substring(root.Length) : null;

    /// <summary>Drops the cached instance for a simulated host whose directory is being deleted.</summary>
    public static void ForgetSimulated(string directory)
    {
        string root = Path.GetFullPath(directory).TrimEnd('/');
        lock (s_lock)
            s_simulated.Remove(root);
    }

    private ISet<string> MountPointsBelow(string directory)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in MountTable.Read(MountLibc))
            if (m.On.StartsWith(directory + "/", StringComparison.Ordinal)) set.Add(m.On);
        return set;
    }

    /// <summary>True when the host's libc says the caller is root (geteuid() == 0; the simulated kernel's caller uid on the simulated host).</summary>
    public bool CallerIsRoot => Libc.GetEuid() == 0;

    /// <summary>
    /// Text as the user should read it: on the simulated host every local path under its directory
    /// ("/tmp/sim/usr/jails/web") is written as the host path it stands for ("/usr/jails/web"), as
    /// the user wrote it. .NET's I/O errors and the beneath-root resolver name local paths. The real
    /// host's local paths are its host paths, so there the text is returned as it is.
    /// </summary>
    public string HostText(string text)
    {
        if (!IsSimulated || string.IsNullOrEmpty(text)) return text;
        string root = Files.ToLocalPath("/").TrimEnd('/');
        if (root.Length == 0 || text.IndexOf(root, StringComparison.Ordinal) < 0) return text;
        var sb = new System.Text.StringBuilder(text.Length);
        int i = 0;
        while (true)
        {
            int k = text.IndexOf(root, i, StringComparison.Ordinal);
            if (k < 0) break;
            int end = k + root.Length;
            sb.Append(text, i, k - i);
            if (k >= SimulatedPrefix.Length && string.CompareOrdinal(text, k - SimulatedPrefix.Length, SimulatedPrefix, 0, SimulatedPrefix.Length) == 0)
                sb.Append(root); // the host's name, "simulated:DIR", names the directory on purpose
            else if (end < text.Length && text[end] == '/')
            {
                // root + "/usr/jails/web" is the host path "/usr/jails/web": drop the root, keep the rest.
            }
            else if (end == text.Length || !IsPathNameChar(text[end]))
                sb.Append('/'); // the root itself stands for "/"
            else
                sb.Append(root); // only a prefix of a longer name (/tmp/sim2): not the root
            i = end;
        }
        sb.Append(text, i, text.Length - i);
        return sb.ToString();
    }

    private const string SimulatedPrefix = "simulated:";

    private static bool IsPathNameChar(char c) => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '+' or '~';

    /// <summary>Makes the host's state durable after a command (the simulated kernel's state file); a no-op on FreeBSD.</summary>
    public void Commit() => Simulation?.Save();
}
