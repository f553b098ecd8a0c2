using System;
using System.IO;
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
public sealed unsafe class SimulatedHost : ILibc, IMountLibc, IDevfsNodeSource
{
    public const string StateFolderName = ".simulation";

    private readonly string _stateFile;
    private long _savedGeneration = -1;
    private DateTime _stateStamp;

    public SimulatedHost(string root)
    {
        Root = root;
        StateDirectory = Path.Combine(root, StateFolderName);
        Directory.CreateDirectory(StateDirectory);
        _stateFile = Path.Combine(StateDirectory, "kernel.json");
        Options = new SimulatedKernelOptions { RootDirectory = root };
        Kernel = Load();
        Processes = new SimulatedProcessRunner(this);
    }

    public string Root { get; }
    public string StateDirectory { get; }
    public SimulatedKernelOptions Options { get; }
    public SimulatedKernel Kernel { get; private set; }
    public SimulatedProcessRunner Processes { get; }

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
        // The booted state is what every process would boot into, so it counts as saved: nothing is
        // written until something changes it, and a state another process saves is still picked up.
        _savedGeneration = kernel.Generation;
        _stateStamp = File.Exists(_stateFile) ? File.GetLastWriteTimeUtc(_stateFile) : default;
        return kernel;
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
        DateTime stamp = File.Exists(_stateFile) ? File.GetLastWriteTimeUtc(_stateFile) : default;
        if (stamp != _stateStamp && Kernel.Generation == _savedGeneration)
            Kernel = Load();
    }

    /// <summary>Writes the kernel state when it changed.</summary>
    public void Save()
    {
        if (Kernel.Generation == _savedGeneration)
            return;
        Kernel.SaveState(_stateFile);
        _savedGeneration = Kernel.Generation;
        _stateStamp = File.GetLastWriteTimeUtc(_stateFile);
    }

    // ILibc, forwarded to the current kernel.
    public int JailSet(IoVec* iov, uint niov, int flags) => Kernel.JailSet(iov, niov, flags);
    public int JailGet(IoVec* iov, uint niov, int flags) => Kernel.JailGet(iov, niov, flags);
    public int JailAttach(int jid) => Kernel.JailAttach(jid);
    public int JailRemove(int jid) => Kernel.JailRemove(jid);
    public int Sysctl(int* name, uint namelen, void* oldp, nuint* oldlenp, void* newp, nuint newlen) => Kernel.Sysctl(name, namelen, oldp, oldlenp, newp, newlen);
    public int SysctlByName(byte* name, void* oldp, nuint* oldlenp, void* newp, nuint newlen) => Kernel.SysctlByName(name, oldp, oldlenp, newp, newlen);
    public uint GetEuid() => Kernel.GetEuid();

    // IMountLibc, forwarded to the current kernel.
    public int Nmount(IoVec* iov, uint niov, int flags) => Kernel.Nmount(iov, niov, flags);
    public int Unmount(byte* path, int flags) => Kernel.Unmount(path, flags);
    public int GetFsStat(StatFs* buf, long bufsize, int mode) => Kernel.GetFsStat(buf, bufsize, mode);
    public int Open(byte* path, int flags) => Kernel.Open(path, flags);
    public int Close(int fd) => Kernel.Close(fd);
    public int Ioctl(int fd, ulong request, void* arg) => Kernel.Ioctl(fd, request, arg);
    public int LastErrno => Kernel.LastErrno;

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
