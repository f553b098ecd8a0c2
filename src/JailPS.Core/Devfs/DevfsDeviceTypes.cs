using System;
using JailPS.Native;

namespace JailPS.Core.Devfs;

/// <summary>
/// Device switch flags a rule's <c>type</c> condition matches (dr_dswflags; D_* from sys/sys/conf.h).
/// The kernel matches when the node's cdevsw d_flags share at least one bit with the rule's flags.
/// </summary>
[Flags]
public enum DevfsDeviceTypes
{
    None = 0,
    Tape = DeviceTypes.Tape,   // D_TAPE 0x0001, keyword "tape"
    Disk = DeviceTypes.Disk,   // D_DISK 0x0002, keyword "disk"
    Tty = DeviceTypes.Tty,     // D_TTY  0x0004, keyword "tty"
    Mem = DeviceTypes.Mem,     // D_MEM  0x0008, keyword "mem"
}

/// <summary>
/// Resolves user and group names for rule text. devfs(8) tries getpwnam/getgrnam first and falls back
/// to a decimal number (sbin/devfs/rule.c); Core has no passwd access, so the caller supplies the lookups.
/// The reverse lookups are used when formatting like <c>devfs rule show</c> (getpwuid/getgrgid).
/// </summary>
public sealed class DevfsNameResolver
{
    public DevfsNameResolver(
        Func<string, uint?>? userId = null,
        Func<string, uint?>? groupId = null,
        Func<uint, string?>? userName = null,
        Func<uint, string?>? groupName = null)
    {
        UserId = userId;
        GroupId = groupId;
        UserName = userName;
        GroupName = groupName;
    }

    /// <summary>User name to uid; null when unknown.</summary>
    public Func<string, uint?>? UserId { get; }

    /// <summary>Group name to gid; null when unknown.</summary>
    public Func<string, uint?>? GroupId { get; }

    /// <summary>uid to user name; null when unknown.</summary>
    public Func<uint, string?>? UserName { get; }

    /// <summary>gid to group name; null when unknown.</summary>
    public Func<uint, string?>? GroupName { get; }
}
