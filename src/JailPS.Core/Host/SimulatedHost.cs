using System;
using System.IO;
using System.Threading;
using JailPS.Core.Devfs;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Host;

/// <summary>
/// The simulated host: a directory that stands for "/", a <see cref="SimulatedKernel"/> whose state
/// lives in DIR/.simulation/kernel.json (so separate pwsh processes see the same jails), and a
/// process runner that records every command and answers from a responder instead of running it.
/// It implements the libc seams (ILibc, IMountLibc) by forwarding to the current kernel, so reloading the state file
/// never invalidates a JailKernel built on it.
/// </summary>
public sealed unsafe class SimulatedHost : ILibc, IMountLibc, INetLibc, IRctlLibc, ICpusetLibc, IDevfsNodeSource
{
    public const string StateFolderName = ".simulation";

    private readonly string _stateFile;
    private readonly string _lockFile;
    private readonly object _gate = new();
    private SimulatedKernel _kernel;
    private long _savedGeneration = -1;
    private (DateTime Time, long Length) _stateStamp;

    public SimulatedHost(string root)
    {
        Root = root;
        StateDirectory = Path.Combine(root, StateFolderName);
        Directory.CreateDirectory(StateDirectory);
        _stateFile = Path.Combine(StateDirectory, "kernel.json");
        _lockFile = Path.Combine(StateDirectory, "kernel.lock");
        // The release the host imitates is chosen when it is made (ReleaseFileName) and kept for good.
        string releaseFile = Path.Combine(StateDirectory, ReleaseFileName);
        string release = File.Exists(releaseFile) ? File.ReadAllText(releaseFile).Trim() : DefaultRelease;
        Options = SimulatedKernelOptions.ForRelease(release) with { RootDirectory = root };
        Release = release;
        using (StateLock())
        {
            _kernel = Load();
            // A new host boots and writes its state at once, so every process sees the same boot.
            if (!File.Exists(_stateFile)) SaveLocked();
        }
        Processes = new SimulatedProcessRunner(this);
    }

    /// <summary>.simulation/release: the FreeBSD release the host imitates ("14.3" when absent).</summary>
    public const string ReleaseFileName = "release";

    /// <summary>The release a host imitates unless it was made for another.</summary>
    public const string DefaultRelease = "14.3";

    /// <summary>The FreeBSD release the simulated kernel imitates: "14.3" or "15.0".</summary>
    public string Release { get; }

    public string Root { get; }
    public string StateDirectory { get; }
    public SimulatedKernelOptions Options { get; }
    public SimulatedProcessRunner Processes { get; }

    /// <summary>
    /// The kernel as it is now: reloaded first when another process changed the state file. Use
    /// <see cref="Transact{T}"/> to change it, so the change is durable at once and never lost to
    /// another process's change made at the same time.
    /// </summary>
    public SimulatedKernel Kernel
    {
        get
        {
            lock (_gate)
            {
                RefreshLocked();
                return _kernel;
            }
        }
    }

    /// <summary>
    /// Runs one kernel operation the way a kernel runs a system call against shared state: under
    /// an exclusive lock shared with every process using this directory (flock on
    /// .simulation/kernel.lock), on the state as the last process left it, and saved before the
    /// lock is released when it changed anything. So a kill -9 between two calls leaves exactly
    /// the state FreeBSD would have after the last completed call, and two processes starting
    /// different jails both keep their jail.
    /// </summary>
    public T Transact<T>(Func<SimulatedKernel, T> operation)
    {
        lock (_gate)
        {
            using (StateLock())
            {
                RefreshLocked();
                try
                {
                    return operation(_kernel);
                }
                finally
                {
                    if (_kernel.Generation != _savedGeneration)
                        SaveLocked();
                }
            }
        }
    }

    // Another process waits here as a caller of a system call waits for the kernel's own lock.
    private FileStream StateLock() => HostFlock.Acquire(_lockFile, TimeSpan.FromSeconds(6), TimeSpan.FromMilliseconds(2));

    private SimulatedKernel Load()
    {
        SimulatedKernel kernel;
        if (File.Exists(_stateFile))
        {
            kernel = SimulatedKernel.LoadState(_stateFile, Options);
        }
        else
        {
            kernel = new SimulatedKernel(Options);
            Boot(kernel);
        }
        _savedGeneration = kernel.Generation;
        _stateStamp = Stamp();
        return kernel;
    }

    private (DateTime, long) Stamp()
    {
        var info = new FileInfo(_stateFile);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (default, -1);
    }

    /// <summary>
    /// What a booted FreeBSD host has that a bare kernel lacks: /etc/defaults/devfs.rules (installed
    /// from sbin/devfs/devfs.rules; written when missing) and its rulesets 1-5 loaded into the kernel
    /// as the boot-time devfs rc script does (devfs rule -s N delset, then one DEVFSIO_RADD per rule,
    /// through the mount seam on /dev). The syscall counters start from zero afterwards.
    /// </summary>
    private void Boot(SimulatedKernel kernel)
    {
        string defaults = Path.Combine(Root, "etc", "defaults", "devfs.rules");
        if (!File.Exists(defaults))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(defaults)!);
            File.WriteAllText(defaults, DevfsRulesFile.Write(DevfsDefaults.Rulesets, Array.Empty<DevfsRuleset>()));
        }
        var devfs = new DevfsRulesetService(kernel);
        foreach (DevfsRuleset rs in DevfsDefaults.Rulesets)
            devfs.Replace(rs.Number, rs.Rules);
        kernel.ResetCounts();
    }

    /// <summary>Reloads the kernel state when another process saved it since this one last did.</summary>
    public void Refresh()
    {
        lock (_gate)
            RefreshLocked();
    }

    private void RefreshLocked()
    {
        // Unsaved changes are this process's own (a test driving the kernel object directly):
        // they are never thrown away for another process's state.
        if (Stamp() != _stateStamp && _kernel.Generation == _savedGeneration)
        {
            var previous = _kernel;
            _kernel = Load();
            _kernel.AdoptProcessState(previous);
        }
    }

    /// <summary>Writes the kernel state when it changed outside <see cref="Transact{T}"/> (tests that drive the kernel object directly).</summary>
    public void Save()
    {
        lock (_gate)
        {
            if (_kernel.Generation == _savedGeneration)
                return;
            using (StateLock())
                SaveLocked();
        }
    }

    private void SaveLocked()
    {
        _kernel.SaveState(_stateFile);
        _savedGeneration = _kernel.Generation;
        _stateStamp = Stamp();
    }

    // ILibc, forwarded to the current kernel as one transaction per system call.
    public int JailSet(IoVec* iov, uint niov, int flags) => Transact(k => k.JailSet(iov, niov, flags));
    public int JailGet(IoVec* iov, uint niov, int flags) => Kernel.JailGet(iov, niov, flags);
    public int JailAttach(int jid) => Transact(k => k.JailAttach(jid));
    public int JailRemove(int jid) => Transact(k => k.JailRemove(jid));
    public int JailAttachJd(int fd) => Transact(k => k.JailAttachJd(fd));
    public int JailRemoveJd(int fd) => Transact(k => k.JailRemoveJd(fd));
    public int Sysctl(int* name, uint namelen, void* oldp, nuint* oldlenp, void* newp, nuint newlen) =>
        newp == null ? Kernel.Sysctl(name, namelen, oldp, oldlenp, newp, newlen) : Transact(k => k.Sysctl(name, namelen, oldp, oldlenp, newp, newlen));
    public int SysctlByName(byte* name, void* oldp, nuint* oldlenp, void* newp, nuint newlen) =>
        newp == null ? Kernel.SysctlByName(name, oldp, oldlenp, newp, newlen) : Transact(k => k.SysctlByName(name, oldp, oldlenp, newp, newlen));
    public uint GetEuid() => Kernel.GetEuid();

    // IMountLibc, forwarded the same way.
    public int Nmount(IoVec* iov, uint niov, int flags) => Transact(k => k.Nmount(iov, niov, flags));
    public int Unmount(byte* path, int flags) => Transact(k => k.Unmount(path, flags));
    public int GetFsStat(StatFs* buf, long bufsize, int mode) => Kernel.GetFsStat(buf, bufsize, mode);
    public int Open(byte* path, int flags) => Kernel.Open(path, flags);
    // Closing an owning jail descriptor removes its jail, so close is a transaction too.
    public int Close(int fd) => Transact(k => k.Close(fd));
    public int Ioctl(int fd, ulong request, void* arg) => Transact(k => k.Ioctl(fd, request, arg));

    // INetLibc: a socket is process state (not saved); the interface table is read like jail_get.
    public int Socket(int domain, int type, int protocol) => Kernel.Socket(domain, type, protocol);
    public int GetIfAddrs(IfAddrs** list) => Kernel.GetIfAddrs(list);
    public void FreeIfAddrs(IfAddrs* list) => Kernel.FreeIfAddrs(list);
    public int LastErrno => Kernel.LastErrno;

    // IRctlLibc: rules are kernel state (saved); usage and rule lists are read like jail_get.
    public int RctlGetRacct(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen) => Kernel.RctlGetRacct(inbuf, inbuflen, outbuf, outbuflen);
    public int RctlGetRules(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen) => Kernel.RctlGetRules(inbuf, inbuflen, outbuf, outbuflen);
    public int RctlAddRule(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen) => Transact(k => k.RctlAddRule(inbuf, inbuflen, outbuf, outbuflen));
    public int CpusetGetAffinity(int level, int which, long id, nuint size, byte* mask) => Kernel.CpusetGetAffinity(level, which, id, size, mask);
    public int CpusetSetAffinity(int level, int which, long id, nuint size, byte* mask) => Transact(k => k.CpusetSetAffinity(level, which, id, size, mask));
    public int RctlRemoveRule(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen) => Transact(k => k.RctlRemoveRule(inbuf, inbuflen, outbuf, outbuflen));

    /// <summary>The kernel model's devfs nodes that are not hidden (what the jail would list).</summary>
    /// <remarks>
    /// As on the real host (<see cref="JailPS.Core.Devfs.DevfsDirectoryNodeSource"/>), nothing below another
    /// file system mounted inside the devfs (fdescfs on fd) is listed: those are not devfs nodes.
    /// </remarks>
    public System.Collections.Generic.IReadOnlyList<string> VisibleNodes(string devfsMountPoint)
    {
        string root = devfsMountPoint.TrimEnd('/');
        var covered = new System.Collections.Generic.List<string>();
        foreach (var m in Kernel.Mounts)
            if (m.MountedOn.StartsWith(root + "/", StringComparison.Ordinal))
                covered.Add(m.MountedOn.Substring(root.Length + 1) + "/");
        var nodes = new System.Collections.Generic.List<string>();
        foreach (string node in Kernel.DevfsVisibleNodes(devfsMountPoint))
        {
            bool below = false;
            foreach (string c in covered) below |= node.StartsWith(c, StringComparison.Ordinal);
            if (!below) nodes.Add(node);
        }
        return nodes;
    }
}
