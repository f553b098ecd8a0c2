using System.Runtime.InteropServices;

namespace JailPS.Native;

/// <summary>
/// struct stat, the FreeBSD 12+ "ino64" layout, from sys/sys/stat.h (read at freebsd-src
/// @2d614aa2 through the fel1x-developer/freebsd-src mirror; the stored freebsd/freebsd-src copy
/// is a pre-ino64 snapshot). LP64 (amd64, arm64): 224 bytes. fstat(2) fills it. Offsets are
/// asserted in tests against tests/JailPS.Core.Tests/Facts/stat-facts.md.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct Stat
{
    public ulong Dev;            // st_dev       @0    dev_t (__uint64_t)
    public ulong Ino;            // st_ino       @8    ino_t (__uint64_t)
    public ulong NLink;          // st_nlink     @16   nlink_t (__uint64_t)
    public ushort Mode;          // st_mode      @24   mode_t (__uint16_t)
    public short Padding0;       // st_padding0  @26   __int16_t
    public uint Uid;             // st_uid       @28   uid_t (__uint32_t)
    public uint Gid;             // st_gid       @32   gid_t (__uint32_t)
    public int Padding1;         // st_padding1  @36   __int32_t
    public ulong RDev;           // st_rdev      @40   dev_t
    public fixed long ATim[2];   // st_atim      @48   struct timespec { time_t; long; }
    public fixed long MTim[2];   // st_mtim      @64
    public fixed long CTim[2];   // st_ctim      @80
    public fixed long BirthTim[2]; // st_birthtim @96
    public long Size;            // st_size      @112  off_t (__int64_t)
    public long Blocks;          // st_blocks    @120  blkcnt_t (__int64_t)
    public int BlkSize;          // st_blksize   @128  blksize_t (__int32_t)
    public uint Flags;           // st_flags     @132  fflags_t (__uint32_t)
    public ulong Gen;            // st_gen       @136  __uint64_t
    public fixed ulong Spare[10]; // st_spare[10] @144 __uint64_t
}

/// <summary>
/// The file type bits of st_mode (S_IFMT and the S_IF* types), from sys/sys/stat.h; asserted in
/// tests against Facts/stat-facts.md. Linux uses the same values, so the simulated host shares them.
/// </summary>
public static class StatMode
{
    public const int TypeMask = 0xF000;         // S_IFMT   0170000, sys/sys/stat.h
    public const int Fifo = 0x1000;             // S_IFIFO  0010000
    public const int CharacterDevice = 0x2000;  // S_IFCHR  0020000
    public const int Directory = 0x4000;        // S_IFDIR  0040000
    public const int BlockDevice = 0x6000;      // S_IFBLK  0060000
    public const int Regular = 0x8000;          // S_IFREG  0100000
    public const int SymbolicLink = 0xA000;     // S_IFLNK  0120000
    public const int Socket = 0xC000;           // S_IFSOCK 0140000
}

/// <summary>
/// The kernel seam for a file's owner and link count (what the one host file writer keeps when it
/// rewrites a file): fstat(2) and fchown(2) on a descriptor. <see cref="FreeBsdLibc"/> implements it.
/// </summary>
public unsafe interface IStatLibc
{
    /// <summary>int fstat(int fd, struct stat *sb) — sys/sys/stat.h.</summary>
    int FStat(int fd, Stat* buf);

    /// <summary>int fchown(int fd, uid_t owner, gid_t group) — unistd.h; uid_t/gid_t are __uint32_t (sys/sys/_types.h).</summary>
    int FChown(int fd, uint owner, uint group);

    /// <summary>errno left by the last failed call on this thread.</summary>
    int LastErrno { get; }
}
