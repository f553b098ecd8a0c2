namespace JailPS.Native;

/// <summary>Flags of jail_set(2) / jail_get(2), from sys/sys/jail.h.</summary>
public static class JailFlags
{
    public const int Create = 0x01;     // JAIL_CREATE, sys/sys/jail.h
    public const int Update = 0x02;     // JAIL_UPDATE, sys/sys/jail.h
    public const int Attach = 0x04;     // JAIL_ATTACH, sys/sys/jail.h
    public const int Dying = 0x08;      // JAIL_DYING, sys/sys/jail.h
    public const int UseDesc = 0x10;    // JAIL_USE_DESC, sys/sys/jail.h (FreeBSD 15)
    public const int AtDesc = 0x20;     // JAIL_AT_DESC, sys/sys/jail.h (FreeBSD 15)
    public const int GetDesc = 0x40;    // JAIL_GET_DESC, sys/sys/jail.h (FreeBSD 15)
    public const int OwnDesc = 0x80;    // JAIL_OWN_DESC, sys/sys/jail.h (FreeBSD 15)
    public const int SetMask14 = 0x0f;  // JAIL_SET_MASK up to FreeBSD 14, sys/sys/jail.h
    public const int GetMask14 = 0x08;  // JAIL_GET_MASK up to FreeBSD 14, sys/sys/jail.h
}

/// <summary>Values of "jailsys" parameters (host, vnet, ip4, ip6, sysv*, linux), sys/sys/jail.h.</summary>
public static class JailSysValues
{
    public const int Disable = 0;       // JAIL_SYS_DISABLE, sys/sys/jail.h
    public const int New = 1;           // JAIL_SYS_NEW, sys/sys/jail.h
    public const int Inherit = 2;       // JAIL_SYS_INHERIT, sys/sys/jail.h
}

/// <summary>Sizes and limits around jails.</summary>
public static class JailLimits
{
    public const int JailMax = 999999;          // JAIL_MAX, sys/sys/jail.h
    public const int HostUuidLen = 64;          // HOSTUUIDLEN incl. NUL, sys/sys/jail.h
    public const int OsReleaseLen = 32;         // OSRELEASELEN incl. NUL, sys/sys/jail.h
    public const int MaxHostNameLen = 256;      // MAXHOSTNAMELEN incl. NUL, sys/sys/param.h
    public const int MaxPathLen = 1024;         // MAXPATHLEN incl. NUL, sys/sys/param.h
    public const int ErrMsgLen = 1024;          // JAIL_ERRMSGLEN, lib/libjail/jail.h
    public const int UioMaxIov = 1024;          // UIO_MAXIOV, sys/sys/uio.h (copyinuio limit)
    public const int MountArgSizeMax = 65536;   // VFS_MOUNTARG_SIZE_MAX, sys/kern/vfs_mount.c
    public const int DefaultMaxAfIps = 255;     // security.jail.jail_max_af_ips default, sys/kern/kern_jail.c
    public const int InAddrSize = 4;            // sizeof(struct in_addr), sys/netinet/in.h
    public const int In6AddrSize = 16;          // sizeof(struct in6_addr), sys/netinet6/in6.h
}

/// <summary>sysctl(3) MIB constants and OID kinds, from sys/sys/sysctl.h.</summary>
public static class SysctlConstants
{
    public const int CtlSysctl = 0;             // CTL_SYSCTL, sys/sys/sysctl.h
    public const int CtlSysctlName = 1;         // CTL_SYSCTL_NAME: OID -> name, sys/sys/sysctl.h
    public const int CtlSysctlNext = 2;         // CTL_SYSCTL_NEXT: next leaf OID, sys/sys/sysctl.h
    public const int CtlSysctlName2Oid = 3;     // CTL_SYSCTL_NAME2OID: name -> OID, sys/sys/sysctl.h
    public const int CtlSysctlOidFmt = 4;       // CTL_SYSCTL_OIDFMT: OID -> kind + format, sys/sys/sysctl.h
    public const int CtlMaxName = 24;           // CTL_MAXNAME, sys/sys/sysctl.h

    public const uint CtlTypeMask = 0xf;        // CTLTYPE, sys/sys/sysctl.h
    public const uint CtlTypeNode = 1;          // CTLTYPE_NODE, sys/sys/sysctl.h
    public const uint CtlTypeInt = 2;           // CTLTYPE_INT, sys/sys/sysctl.h
    public const uint CtlTypeString = 3;        // CTLTYPE_STRING, sys/sys/sysctl.h
    public const uint CtlTypeS64 = 4;           // CTLTYPE_S64, sys/sys/sysctl.h
    public const uint CtlTypeOpaque = 5;        // CTLTYPE_OPAQUE (= CTLTYPE_STRUCT), sys/sys/sysctl.h
    public const uint CtlTypeUInt = 6;          // CTLTYPE_UINT, sys/sys/sysctl.h
    public const uint CtlTypeLong = 7;          // CTLTYPE_LONG, sys/sys/sysctl.h
    public const uint CtlTypeULong = 8;         // CTLTYPE_ULONG, sys/sys/sysctl.h
    public const uint CtlTypeU64 = 9;           // CTLTYPE_U64, sys/sys/sysctl.h

    public const uint CtlFlagRd = 0x80000000;   // CTLFLAG_RD, sys/sys/sysctl.h
    public const uint CtlFlagWr = 0x40000000;   // CTLFLAG_WR, sys/sys/sysctl.h
    public const uint CtlFlagTun = 0x00080000;  // CTLFLAG_TUN, sys/sys/sysctl.h (RD|TUN = create-only jail param)
}
