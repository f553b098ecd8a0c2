using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation.Mounts;

/// <summary>A sandbox directory standing for "/" and a kernel on it, plus raw-memory helpers for the mount seam.</summary>
internal sealed unsafe class Sandbox : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "jailps-mnt-" + Guid.NewGuid().ToString("N"));
    public SimulatedKernel K { get; }

    public Sandbox(uint uid = 0)
    {
        Directory.CreateDirectory(Root);
        foreach (var d in new[] { "dev", "jails/a/dev", "jails/a/tmp", "jails/a/basejail", "jails/a/proc", "usr/ports", "data/src" })
            Directory.CreateDirectory(Path.Combine(Root, d));
        File.WriteAllText(Path.Combine(Root, "jails/a/file"), "x");
        File.WriteAllText(Path.Combine(Root, "usr/ports/Makefile"), "x");
        K = new SimulatedKernel(new SimulatedKernelOptions { RootDirectory = Root, CallerUid = uid });
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    /// <summary>nmount with fstype/fspath first, then the given pairs (null value = valueless option), and an errmsg buffer.</summary>
    public (int Rc, int Errno, string Msg) Mount(string fstype, string fspath, int flags = 0, params (string Name, string? Value)[] opts)
    {
        using var iov = new Iov();
        iov.Str("fstype", fstype).Str("fspath", fspath);
        foreach (var (n, v) in opts)
        {
            if (v is null) iov.Bool(n);
            else iov.Str(n, v);
        }
        iov.ErrMsg(256);
        int rc = K.Nmount(iov.Ptr, iov.Count, flags);
        return (rc, rc == 0 ? 0 : K.LastErrno, iov.ErrMsgText);
    }

    public void MustMount(string fstype, string fspath, params (string Name, string? Value)[] opts)
    {
        var r = Mount(fstype, fspath, 0, opts);
        Assert.True(r.Rc == 0, "nmount failed: " + Errno.Name(r.Errno) + " " + r.Msg);
    }

    public (int Rc, int Errno) Unmount(string path, int flags = 0)
    {
        byte[] b = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = b)
        {
            int rc = K.Unmount(p, flags);
            return (rc, rc == 0 ? 0 : K.LastErrno);
        }
    }

    public int Open(string path, int flags = OpenFlags.ReadOnly | OpenFlags.Directory)
    {
        byte[] b = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = b) return K.Open(p, flags);
    }

    public StatFs[] FsStat()
    {
        int n = K.GetFsStat(null, 0, FsStatMode.NoWait);
        Assert.True(n > 0);
        var buf = new StatFs[n];
        fixed (StatFs* p = buf)
            Assert.Equal(n, K.GetFsStat(p, (long)n * sizeof(StatFs), FsStatMode.NoWait));
        return buf;
    }

    public static string Str(byte* p, int size)
    {
        int n = 0;
        while (n < size && p[n] != 0) n++;
        return Encoding.UTF8.GetString(p, n);
    }

    public static string On(StatFs s) => Str(s.MntOnName, MountLimits.MNameLen);
    public static string From(StatFs s) => Str(s.MntFromName, MountLimits.MNameLen);
    public static string Type(StatFs s) => Str(s.FsTypeName, MountLimits.MfsNameLen);

    // ---- devfs rules as raw structs

    public static DevfsRule Rule(int ruleset, int rule, string? path = null, int bacts = 0, int type = 0, int incset = -1)
    {
        var r = new DevfsRule { Magic = DevfsConstants.Magic, Id = ((uint)ruleset << 16) | (uint)rule };
        if (path is not null)
        {
            r.ICond |= DevfsConditions.PathPattern;
            byte[] b = Encoding.ASCII.GetBytes(path);
            for (int i = 0; i < b.Length; i++) r.PathPattern[i] = b[i];
        }
        if (type != 0)
        {
            r.ICond |= DevfsConditions.DswFlags;
            r.DswFlags = type;
        }
        if (bacts != 0)
        {
            r.IActs |= DevfsActions.BooleanActions;
            r.BActs = bacts;
        }
        if (incset >= 0)
        {
            r.IActs |= DevfsActions.IncludeSet;
            r.IncSet = (ushort)incset;
        }
        return r;
    }

    public (int Rc, int Errno) Ioctl<T>(int fd, ulong req, ref T arg) where T : unmanaged
    {
        fixed (T* p = &arg)
        {
            int rc = K.Ioctl(fd, req, p);
            return (rc, rc == 0 ? 0 : K.LastErrno);
        }
    }

    public void Add(int fd, DevfsRule r)
    {
        var res = Ioctl(fd, DevfsIoctl.RuleAdd, ref r);
        Assert.True(res.Rc == 0, "RADD failed: " + Errno.Name(res.Errno));
    }

    /// <summary>/etc/defaults/devfs.rules rulesets 1-4 (facts §7.6), loaded with RADD as the rc scripts do.</summary>
    public void LoadDefaultRulesets(int fd)
    {
        Add(fd, Rule(1, 0, bacts: DevfsBooleanActions.Hide));
        foreach (var p in new[] { "null", "zero", "crypto", "random", "urandom" })
            Add(fd, Rule(2, 0, p, DevfsBooleanActions.Unhide));
        foreach (var pre in new[] { "pty", "tty" })
            foreach (var c in "pqrsPQRSlmnoLMNO")
                Add(fd, Rule(3, 0, pre + c + "*", DevfsBooleanActions.Unhide));
        foreach (var p in new[] { "ptmx", "pts", "pts/*", "fd", "fd/*", "stdin", "stdout", "stderr" })
            Add(fd, Rule(3, 0, p, DevfsBooleanActions.Unhide));
        Add(fd, Rule(4, 0, incset: 1));
        Add(fd, Rule(4, 0, incset: 2));
        Add(fd, Rule(4, 0, incset: 3));
        Add(fd, Rule(4, 0, "fuse", DevfsBooleanActions.Unhide));
        Add(fd, Rule(4, 0, "zfs", DevfsBooleanActions.Unhide));
    }
}
