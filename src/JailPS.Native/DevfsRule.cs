using System.Runtime.InteropServices;

namespace JailPS.Native;

/// <summary>
/// struct devfs_rule from sys/fs/devfs/devfs.h: shared verbatim between kernel and userland,
/// no pointers, 4-byte aligned, 236 bytes on every architecture. The argument of DEVFSIO_RADD,
/// DEVFSIO_RAPPLY and DEVFSIO_RGETNEXT. Offsets are asserted in tests against the facts sheet
/// (freebsd-abi.md §7.3).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct DevfsRule
{
    public uint Magic;                   // dr_magic     @0    uint32_t, must be DevfsConstants.Magic
    public uint Id;                      // dr_id        @4    devfs_rid (uint32_t): ruleset << 16 | rule
    public int ICond;                    // dr_icond     @8    int, DevfsConditions bits
    public int DswFlags;                 // dr_dswflags  @12   int, DeviceTypes bits
    public fixed byte PathPattern[DevfsConstants.MaxPatternLength]; // dr_pathptrn @16, NUL-terminated glob
    public int IActs;                    // dr_iacts     @216  int, DevfsActions bits
    public int BActs;                    // dr_bacts     @220  int, DevfsBooleanActions bits
    public uint Uid;                     // dr_uid       @224  uid_t
    public uint Gid;                     // dr_gid       @228  gid_t
    public ushort Mode;                  // dr_mode      @232  mode_t (uint16_t)
    public ushort IncSet;                // dr_incset    @234  devfs_rsnum (uint16_t)
}
