using System.Text;
using JailPS.Core.Mounts;
using JailPS.Native;

namespace JailPS.Core.Tests.Mounts;

/// <summary>
/// What JailPS hands the kernel for nmount(2), unmount(2) and getfsstat(2), byte for byte, checked
/// against freebsd-abi.md §8: NUL-terminated name/value strings, NULL+0 for valueless options,
/// an errmsg buffer last, even niov; "FSID:v0:v1" with MNT_BYFSID; struct statfs at its offsets.
/// </summary>
public sealed unsafe class MountMarshallingTests
{
    /// <summary>Records each call's raw arguments; answers as told.</summary>
    private sealed class RecordingMountLibc : IMountLibc
    {
        public List<(byte[]? Bytes, nuint Length, bool IsNull)> Iov = new();
        public uint Niov;
        public int Flags;
        public string? UnmountPath;
        public int UnmountFlags;
        public int NmountResult;
        public int Errno;
        public string? ErrmsgToWrite;
        public List<StatFs> Table = new();
        public List<(long Bufsize, int Mode)> GetFsStatCalls = new();

        public int Nmount(IoVec* iov, uint niov, int flags)
        {
            Niov = niov;
            Flags = flags;
            for (int i = 0; i < niov; i++)
            {
                var v = iov[i];
                bool isNull = v.Base == 0;
                Iov.Add((isNull ? null : new ReadOnlySpan<byte>((void*)v.Base, (int)v.Length).ToArray(), v.Length, isNull));
            }
            if (NmountResult != 0 && ErrmsgToWrite != null)
            {
                var buf = iov[niov - 1];
                byte[] m = Encoding.ASCII.GetBytes(ErrmsgToWrite + "\0");
                m.CopyTo(new Span<byte>((void*)buf.Base, (int)buf.Length));
            }
            return NmountResult;
        }

        public int Unmount(byte* path, int flags)
        {
            int n = 0;
            while (path[n] != 0) n++;
            UnmountPath = Encoding.ASCII.GetString(path, n);
            UnmountFlags = flags;
            return 0;
        }

        public int GetFsStat(StatFs* buf, long bufsize, int mode)
        {
            GetFsStatCalls.Add((bufsize, mode));
            if (buf == null) return Table.Count;
            int room = (int)(bufsize / sizeof(StatFs));
            int n = Math.Min(room, Table.Count);
            for (int i = 0; i < n; i++) buf[i] = Table[i];
            return n;
        }

        public int Open(byte* path, int flags) => throw new NotSupportedException();
        public int Close(int fd) => throw new NotSupportedException();
        public int Ioctl(int fd, ulong request, void* arg) => throw new NotSupportedException();
        public int LastErrno => Errno;
    }

    private static byte[] C(string s) => Encoding.UTF8.GetBytes(s + "\0");

    [Fact]
    public void Nmount_gets_name_value_pairs_valueless_options_as_null_and_errmsg_last()
    {
        var libc = new RecordingMountLibc();
        var request = new MountRequest("nullfs", "/usr/jails/basejail", "/usr/jails/web/basejail",
            MountRequest.ParseOptions("ro,noexec"), "mount");
        Assert.Equal(0, JailMounter.CallNmount(libc, request.NmountPairs("/usr/jails/web/basejail"), out _, out _));

        Assert.Equal(14u, libc.Niov);               // 7 pairs: even, and at least 4 (§8.1)
        Assert.Equal(0, libc.Flags);                // options by name, never MNT_* flags
        Assert.Equal(C("fstype"), libc.Iov[0].Bytes);
        Assert.Equal(C("nullfs"), libc.Iov[1].Bytes);
        Assert.Equal(C("fspath"), libc.Iov[2].Bytes);
        Assert.Equal(C("/usr/jails/web/basejail"), libc.Iov[3].Bytes);
        Assert.Equal(C("target"), libc.Iov[4].Bytes);   // the nullfs source name every nullfs reads (§8.1)
        Assert.Equal(C("/usr/jails/basejail"), libc.Iov[5].Bytes);
        Assert.Equal(C("ro"), libc.Iov[6].Bytes);
        Assert.True(libc.Iov[7].IsNull);
        Assert.Equal((nuint)0, libc.Iov[7].Length);
        Assert.Equal(C("noexec"), libc.Iov[8].Bytes);
        Assert.True(libc.Iov[9].IsNull);
        Assert.Equal(C("nocover"), libc.Iov[10].Bytes); // never cover a mount root (MNT_NOCOVER by name: above bit 31)
        Assert.True(libc.Iov[11].IsNull);
        Assert.Equal(C("errmsg"), libc.Iov[12].Bytes);
        Assert.Equal((nuint)JailLimits.ErrMsgLen, libc.Iov[13].Length);
        Assert.Equal(0, libc.Iov[13].Bytes![0]);     // handed over empty
    }

    [Fact]
    public void Devfs_gets_from_and_a_decimal_ruleset_string()
    {
        var libc = new RecordingMountLibc();
        var request = new MountRequest("devfs", "devfs", "/j/dev", new[] { new MountOption("ruleset", "4") }, "mount.devfs");
        JailMounter.CallNmount(libc, request.NmountPairs("/j/dev"), out _, out _);
        Assert.Equal(new[] { C("fstype"), C("devfs"), C("fspath"), C("/j/dev"), C("from"), C("devfs"), C("ruleset"), C("4"), C("nocover"), null, C("errmsg") },
            libc.Iov.Take(11).Select(i => i.Bytes));
    }

    [Fact]
    public void A_failed_nmount_returns_the_kernels_errmsg_and_errno()
    {
        var libc = new RecordingMountLibc { NmountResult = -1, Errno = Errno.EINVAL, ErrmsgToWrite = "Invalid fstype" };
        var pairs = new MountRequest("nosuchfs", "x", "/j/x", Array.Empty<MountOption>(), "t").NmountPairs("/j/x");
        Assert.Equal(-1, JailMounter.CallNmount(libc, pairs, out int errno, out string? errmsg));
        Assert.Equal(Errno.EINVAL, errno);
        Assert.Equal("Invalid fstype", errmsg);
    }

    [Fact]
    public void Getfsstat_is_read_with_MNT_NOWAIT_and_decoded_at_the_facts_offsets()
    {
        var libc = new RecordingMountLibc();
        var s = new StatFs { Flags = MountFlags.ReadOnly | MountFlags.Local };
        s.FsId[0] = -16777001;
        s.FsId[1] = 0x29;
        Encoding.ASCII.GetBytes("nullfs\0").CopyTo(new Span<byte>(s.FsTypeName, 16));
        Encoding.ASCII.GetBytes("/usr/jails/basejail\0").CopyTo(new Span<byte>(s.MntFromName, 1024));
        Encoding.ASCII.GetBytes("/usr/jails/web/basejail\0").CopyTo(new Span<byte>(s.MntOnName, 1024));
        libc.Table.Add(s);

        var entry = Assert.Single(MountTable.Read(libc));
        Assert.Equal(new MountEntry("nullfs", "/usr/jails/basejail", "/usr/jails/web/basejail", MountFlags.ReadOnly | MountFlags.Local, -16777001, 0x29), entry);
        Assert.True(entry.ReadOnly);
        Assert.Equal("FSID:-16777001:41", entry.FsIdText);
        // First a count (NULL, 0), then a fill with room for more, in bytes of 2344-byte entries.
        Assert.Equal((0L, FsStatMode.NoWait), libc.GetFsStatCalls[0]);
        Assert.Equal(FsStatMode.NoWait, libc.GetFsStatCalls[1].Mode);
        Assert.Equal(0, libc.GetFsStatCalls[1].Bufsize % 2344);
        Assert.Equal(2, FsStatMode.NoWait);
    }
}
