namespace JailPS.Native;

/// <summary>
/// MNT_* flags from sys/sys/mount.h. They are uint64_t in the kernel (mnt_flag, statfs.f_flags);
/// nmount(2) and unmount(2) take an int, so only the low 32 bits can be passed as flags (bits
/// above 31 only through their nmount option names). Values above 0x7fffffff need an unchecked
/// cast to int.
/// </summary>
public static class MountFlags
{
    public const ulong ReadOnly = 0x0000000000000001;       // MNT_RDONLY, sys/sys/mount.h
    public const ulong Synchronous = 0x0000000000000002;    // MNT_SYNCHRONOUS, sys/sys/mount.h
    public const ulong NoExec = 0x0000000000000004;         // MNT_NOEXEC, sys/sys/mount.h
    public const ulong NoSuid = 0x0000000000000008;         // MNT_NOSUID, sys/sys/mount.h
    public const ulong Nfs4Acls = 0x0000000000000010;       // MNT_NFS4ACLS, sys/sys/mount.h
    public const ulong Union = 0x0000000000000020;          // MNT_UNION, sys/sys/mount.h
    public const ulong Async = 0x0000000000000040;          // MNT_ASYNC, sys/sys/mount.h
    public const ulong ExReadOnly = 0x0000000000000080;     // MNT_EXRDONLY, sys/sys/mount.h
    public const ulong Exported = 0x0000000000000100;       // MNT_EXPORTED, sys/sys/mount.h
    public const ulong Local = 0x0000000000001000;          // MNT_LOCAL, sys/sys/mount.h
    public const ulong Quota = 0x0000000000002000;          // MNT_QUOTA, sys/sys/mount.h
    public const ulong RootFs = 0x0000000000004000;         // MNT_ROOTFS, sys/sys/mount.h (filtered out of nmount flags)
    public const ulong User = 0x0000000000008000;           // MNT_USER, sys/sys/mount.h
    public const ulong Update = 0x0000000000010000;         // MNT_UPDATE, sys/sys/mount.h
    public const ulong DelExport = 0x0000000000020000;      // MNT_DELEXPORT, sys/sys/mount.h
    public const ulong Reload = 0x0000000000040000;         // MNT_RELOAD, sys/sys/mount.h
    public const ulong Force = 0x0000000000080000;          // MNT_FORCE, sys/sys/mount.h (unmount even if busy)
    public const ulong SuidDir = 0x0000000000100000;        // MNT_SUIDDIR, sys/sys/mount.h
    public const ulong SoftDep = 0x0000000000200000;        // MNT_SOFTDEP, sys/sys/mount.h
    public const ulong NoSymFollow = 0x0000000000400000;    // MNT_NOSYMFOLLOW, sys/sys/mount.h
    public const ulong Ignore = 0x0000000000800000;         // MNT_IGNORE, sys/sys/mount.h
    public const ulong Snapshot = 0x0000000001000000;       // MNT_SNAPSHOT, sys/sys/mount.h
    public const ulong GJournal = 0x0000000002000000;       // MNT_GJOURNAL, sys/sys/mount.h
    public const ulong MultiLabel = 0x0000000004000000;     // MNT_MULTILABEL (mount), sys/sys/mount.h
    public const ulong NonBusy = 0x0000000004000000;        // MNT_NONBUSY (unmount: EBUSY if files open), sys/sys/mount.h
    public const ulong Acls = 0x0000000008000000;           // MNT_ACLS (mount), sys/sys/mount.h
    public const ulong ByFsId = 0x0000000008000000;         // MNT_BYFSID (unmount: path is "FSID:val0:val1"), sys/sys/mount.h
    public const ulong NoAtime = 0x0000000010000000;        // MNT_NOATIME, sys/sys/mount.h
    public const ulong ExPublic = 0x0000000020000000;       // MNT_EXPUBLIC, sys/sys/mount.h
    public const ulong NoClusterR = 0x0000000040000000;     // MNT_NOCLUSTERR, sys/sys/mount.h
    public const ulong NoClusterW = 0x0000000080000000;     // MNT_NOCLUSTERW, sys/sys/mount.h
    public const ulong Suj = 0x0000000100000000;            // MNT_SUJ, sys/sys/mount.h
    public const ulong AutoMounted = 0x0000000200000000;    // MNT_AUTOMOUNTED, sys/sys/mount.h (nmount option only)
    public const ulong Verified = 0x0000000400000000;       // MNT_VERIFIED, sys/sys/mount.h
    public const ulong Untrusted = 0x0000000800000000;      // MNT_UNTRUSTED, sys/sys/mount.h
    public const ulong NoCover = 0x0000001000000000;        // MNT_NOCOVER, sys/sys/mount.h (nmount option only)
    public const ulong EmptyDir = 0x0000002000000000;       // MNT_EMPTYDIR, sys/sys/mount.h (nmount option only)
    public const ulong Recurse = 0x0000100000000000;        // MNT_RECURSE, sys/sys/mount.h
    public const ulong Deferred = 0x0000200000000000;       // MNT_DEFERRED, sys/sys/mount.h
}

/// <summary>The mode argument of getfsstat(2) ("waitfor" flags), from sys/sys/mount.h.</summary>
public static class FsStatMode
{
    public const int Wait = 1;          // MNT_WAIT, sys/sys/mount.h
    public const int NoWait = 2;        // MNT_NOWAIT, sys/sys/mount.h (does not block on unresponsive file systems)
}

/// <summary>Sizes around struct statfs and nmount(2), from sys/sys/mount.h.</summary>
public static class MountLimits
{
    public const int MfsNameLen = 16;               // MFSNAMELEN incl. NUL (f_fstypename, fstype), sys/sys/mount.h
    public const int MNameLen = 1024;               // MNAMELEN incl. NUL (f_mntfromname, f_mntonname, fspath), sys/sys/mount.h
    public const uint StatFsVersion = 0x20140518;   // STATFS_VERSION (ino64 layout, f_version), sys/sys/mount.h
}
