namespace JailPS.Native;

/// <summary>Magic number and sizes of struct devfs_rule, from sys/fs/devfs/devfs.h.</summary>
public static class DevfsConstants
{
    public const uint Magic = 0xdb0a087a;       // DEVFS_MAGIC (dr_magic; anything else: ERPCMISMATCH), sys/fs/devfs/devfs.h
    public const int MaxPatternLength = 200;    // DEVFS_MAXPTRNLEN (dr_pathptrn size incl. NUL), sys/fs/devfs/devfs.h
}

/// <summary>dr_icond bits: which conditions of a devfs rule apply, from sys/fs/devfs/devfs.h.</summary>
public static class DevfsConditions
{
    public const int DswFlags = 0x001;          // DRC_DSWFLAGS (match dr_dswflags), sys/fs/devfs/devfs.h
    public const int PathPattern = 0x002;       // DRC_PATHPTRN (match dr_pathptrn), sys/fs/devfs/devfs.h
}

/// <summary>dr_iacts bits: which actions of a devfs rule apply, from sys/fs/devfs/devfs.h.</summary>
public static class DevfsActions
{
    public const int BooleanActions = 0x001;    // DRA_BACTS (apply dr_bacts), sys/fs/devfs/devfs.h
    public const int Uid = 0x002;               // DRA_UID, sys/fs/devfs/devfs.h
    public const int Gid = 0x004;               // DRA_GID, sys/fs/devfs/devfs.h
    public const int Mode = 0x008;              // DRA_MODE, sys/fs/devfs/devfs.h
    public const int IncludeSet = 0x010;        // DRA_INCSET (include ruleset dr_incset), sys/fs/devfs/devfs.h
}

/// <summary>dr_bacts bits: boolean (on/off) actions of a devfs rule, from sys/fs/devfs/devfs.h.</summary>
public static class DevfsBooleanActions
{
    public const int Hide = 0x001;              // DRB_HIDE, sys/fs/devfs/devfs.h
    public const int Unhide = 0x002;            // DRB_UNHIDE, sys/fs/devfs/devfs.h
}

/// <summary>Device switch type flags matched by dr_dswflags ("type disk|mem|tape|tty"), from sys/sys/conf.h.</summary>
public static class DeviceTypes
{
    public const int Tape = 0x0001;             // D_TAPE, sys/sys/conf.h
    public const int Disk = 0x0002;             // D_DISK, sys/sys/conf.h
    public const int Tty = 0x0004;              // D_TTY, sys/sys/conf.h
    public const int Mem = 0x0008;              // D_MEM, sys/sys/conf.h
}

/// <summary>
/// DEVFSIO_* ioctl request numbers (group 'D'), from sys/fs/devfs/devfs.h, encoded per
/// sys/sys/ioccom.h with sizeof(struct devfs_rule) = 236, sizeof(devfs_rid) = 4,
/// sizeof(devfs_rsnum) = 2. Issued on a descriptor of a devfs mount's root directory.
/// </summary>
public static class DevfsIoctl
{
    public const ulong RuleAdd = 0xC0EC4400;        // DEVFSIO_RADD     _IOWR('D', 0, struct devfs_rule), sys/fs/devfs/devfs.h
    public const ulong RuleDelete = 0x80044401;     // DEVFSIO_RDEL     _IOW('D', 1, devfs_rid), sys/fs/devfs/devfs.h
    public const ulong RuleApply = 0x80EC4402;      // DEVFSIO_RAPPLY   _IOW('D', 2, struct devfs_rule), sys/fs/devfs/devfs.h
    public const ulong RuleApplyId = 0x80044403;    // DEVFSIO_RAPPLYID _IOW('D', 3, devfs_rid), sys/fs/devfs/devfs.h
    public const ulong RuleGetNext = 0xC0EC4404;    // DEVFSIO_RGETNEXT _IOWR('D', 4, struct devfs_rule), sys/fs/devfs/devfs.h
    public const ulong SetUse = 0x8002440A;         // DEVFSIO_SUSE     _IOW('D', 10, devfs_rsnum), sys/fs/devfs/devfs.h
    public const ulong SetApply = 0x8002440B;       // DEVFSIO_SAPPLY   _IOW('D', 11, devfs_rsnum), sys/fs/devfs/devfs.h
    public const ulong SetGetNext = 0xC002440C;     // DEVFSIO_SGETNEXT _IOWR('D', 12, devfs_rsnum), sys/fs/devfs/devfs.h
}

/// <summary>ioctl request encoding parts, from sys/sys/ioccom.h (for decoding requests, e.g. in the simulated kernel).</summary>
public static class IoctlEncoding
{
    public const int ParmShift = 13;            // IOCPARM_SHIFT (bits of the size field), sys/sys/ioccom.h
    public const uint ParmMask = 0x1fff;        // IOCPARM_MASK = (1 << IOCPARM_SHIFT) - 1, sys/sys/ioccom.h
    public const uint Void = 0x20000000;        // IOC_VOID, sys/sys/ioccom.h
    public const uint Out = 0x40000000;         // IOC_OUT (kernel copies out), sys/sys/ioccom.h
    public const uint In = 0x80000000;          // IOC_IN (kernel copies in), sys/sys/ioccom.h
    public const uint InOut = 0xC0000000;       // IOC_INOUT = IOC_IN | IOC_OUT, sys/sys/ioccom.h
}
