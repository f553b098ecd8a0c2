using System;
using System.IO;
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
public sealed unsafe class SimulatedHost : ILibc, IMountLibc
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
        SimulatedKernel kernel = File.Exists(_stateFile)
            ? SimulatedKernel.LoadState(_stateFile, Options)
            : new SimulatedKernel(Options);
        _savedGeneration = kernel.Generation;
        _stateStamp = File.Exists(_stateFile) ? File.GetLastWriteTimeUtc(_stateFile) : default;
        return kernel;
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
}
