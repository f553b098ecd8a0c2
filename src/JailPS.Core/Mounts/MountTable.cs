using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using JailPS.Core.Kernel;
using JailPS.Native;

namespace JailPS.Core.Mounts;

/// <summary>One entry of the kernel's mount list, as getfsstat(2) reports it to an unjailed caller.</summary>
public sealed record MountEntry(string FsType, string From, string On, ulong Flags, int FsId0, int FsId1)
{
    /// <summary>The unmount(2) argument that names this mount by file system id (with MNT_BYFSID), never by path.</summary>
    public string FsIdText => string.Create(CultureInfo.InvariantCulture, $"FSID:{FsId0}:{FsId1}");

    public bool ReadOnly => (Flags & MountFlags.ReadOnly) != 0;

    /// <summary>True when this mount is on <paramref name="root"/> or anywhere beneath it (global paths).</summary>
    public bool IsAtOrBelow(string root)
    {
        string r = root.Length > 1 ? root.TrimEnd('/') : root;
        return On == r || On.StartsWith(r == "/" ? "/" : r + "/", StringComparison.Ordinal);
    }
}

/// <summary>Reads the mount list with getfsstat(2) (sys/kern/vfs_syscalls.c kern_getfsstat; freebsd-abi.md §8.4).</summary>
public static unsafe class MountTable
{
    /// <summary>
    /// Every mount in mount-list order (oldest first; a mount stacked on another comes after it).
    /// Two getfsstat calls: one for the count, one to fill a buffer with room for a few more in case
    /// mounts appear in between (MNT_NOWAIT, so an unresponsive file system never blocks us).
    /// </summary>
    public static IReadOnlyList<MountEntry> Read(IMountLibc libc)
    {
        for (int attempt = 0; ; attempt++)
        {
            int count = libc.GetFsStat(null, 0, FsStatMode.NoWait);
            if (count < 0)
                throw new JailKernelException("getfsstat", libc.LastErrno, null);
            int room = count + 8;
            var buffer = new StatFs[room];
            int got;
            fixed (StatFs* p = buffer)
                got = libc.GetFsStat(p, (long)room * sizeof(StatFs), FsStatMode.NoWait);
            if (got < 0)
                throw new JailKernelException("getfsstat", libc.LastErrno, null);
            if (got >= room && attempt < 3)
                continue; // the table grew past our room: read it again
            var result = new List<MountEntry>(got);
            for (int i = 0; i < got && i < room; i++)
                result.Add(ToEntry(ref buffer[i]));
            return result;
        }
    }

    /// <summary>The mounts on or beneath <paramref name="root"/> (a global path), in mount-list order.</summary>
    public static List<MountEntry> Below(IReadOnlyList<MountEntry> table, string root)
    {
        var list = new List<MountEntry>();
        foreach (var m in table)
            if (m.IsAtOrBelow(root)) list.Add(m);
        return list;
    }

    private static MountEntry ToEntry(ref StatFs s)
    {
        fixed (StatFs* p = &s)
        {
            return new MountEntry(
                Text(p->FsTypeName, MountLimits.MfsNameLen),
                Text(p->MntFromName, MountLimits.MNameLen),
                Text(p->MntOnName, MountLimits.MNameLen),
                p->Flags, p->FsId[0], p->FsId[1]);
        }
    }

    private static string Text(byte* p, int max)
    {
        int n = 0;
        while (n < max && p[n] != 0) n++;
        return Encoding.UTF8.GetString(p, n);
    }
}
