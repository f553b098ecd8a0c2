using System.Runtime.InteropServices;

namespace JailPS.Native;

/// <summary>
/// struct statfs, the FreeBSD 12+ "ino64" layout (STATFS_VERSION 0x20140518), from sys/sys/mount.h.
/// LP64 (amd64, arm64): 2344 bytes, 8-byte aligned. getfsstat(2) fills an array of these.
/// Offsets are asserted in tests against the facts sheet (freebsd-abi.md §8.4).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct StatFs
{
    public uint Version;                 // f_version        @0     uint32_t
    public uint Type;                    // f_type           @4     uint32_t
    public ulong Flags;                  // f_flags          @8     uint64_t, MNT_* bits of the mount
    public ulong BSize;                  // f_bsize          @16    uint64_t
    public ulong IoSize;                 // f_iosize         @24    uint64_t
    public ulong Blocks;                 // f_blocks         @32    uint64_t
    public ulong BFree;                  // f_bfree          @40    uint64_t
    public long BAvail;                  // f_bavail         @48    int64_t
    public ulong Files;                  // f_files          @56    uint64_t
    public long FFree;                   // f_ffree          @64    int64_t
    public ulong SyncWrites;             // f_syncwrites     @72    uint64_t
    public ulong AsyncWrites;            // f_asyncwrites    @80    uint64_t
    public ulong SyncReads;              // f_syncreads      @88    uint64_t
    public ulong AsyncReads;             // f_asyncreads     @96    uint64_t
    public uint NVnodeListSize;          // f_nvnodelistsize @104   uint32_t
    public uint Spare0;                  // f_spare0         @108   uint32_t
    public fixed ulong Spare[9];         // f_spare[9]       @112   uint64_t[9]
    public uint NameMax;                 // f_namemax        @184   uint32_t
    public uint Owner;                   // f_owner          @188   uid_t
    public fixed int FsId[2];            // f_fsid           @192   fsid_t = struct { int32_t val[2]; }
    public fixed byte CharSpare[80];     // f_charspare[80]  @200   char
    public fixed byte FsTypeName[MountLimits.MfsNameLen];   // f_fstypename[MFSNAMELEN] @280, NUL-terminated
    public fixed byte MntFromName[MountLimits.MNameLen];    // f_mntfromname[MNAMELEN]  @296, NUL-terminated
    public fixed byte MntOnName[MountLimits.MNameLen];      // f_mntonname[MNAMELEN]    @1320, NUL-terminated
}
