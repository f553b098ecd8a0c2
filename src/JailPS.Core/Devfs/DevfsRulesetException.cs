using System;
using System.Collections.Generic;

namespace JailPS.Core.Devfs;

/// <summary>Stable error ids of <see cref="DevfsRulesetException"/> (kernel rulesets and devfs mounts).</summary>
public static class DevfsRulesetErrorIds
{
    public const string NotFound = "DevfsRulesetNotFound";              // the kernel has no such ruleset (or an included one is missing: ESRCH)
    public const string Exists = "DevfsRulesetExists";                  // New-DevfsRuleset on a number that already has rules
    public const string InUse = "DevfsRulesetInUse";                    // included by another ruleset or a running jail's devfs_ruleset
    public const string InvalidNumber = "DevfsRulesetInvalidNumber";    // not 1..65535
    public const string RuleInvalid = "DevfsRuleInvalid";               // rule text or rule list the kernel would refuse
    public const string MountNotFound = "DevfsMountNotFound";           // no devfs is mounted on the given mount point
    public const string NotMounted = "DevfsNotMounted";                 // the jail has no devfs mounted on PATH/dev
    public const string PermissionDenied = "DevfsPermissionDenied";     // EPERM: not root on the host
    public const string IoctlFailed = "DevfsIoctlFailed";               // any other failure of open/ioctl
    public const string RulesFileNotFound = "DevfsRulesFileNotFound";   // Import-DevfsRules of a missing file
    public const string RulesFileInvalid = "DevfsRulesFileInvalid";     // a devfs.rules file rc.subr could not load
}

/// <summary>
/// A refusal or failure of a devfs ruleset operation. <see cref="Errno"/> is set when the kernel
/// refused a call (<see cref="Request"/> names it: "open", "DEVFSIO_RADD", ...);
/// <see cref="RolledBack"/> lists what a failed plan undid.
/// </summary>
public sealed class DevfsRulesetException : Exception
{
    public DevfsRulesetException(string errorId, string? target, string message, string? recommendedAction = null,
        int? errno = null, string? request = null, Exception? inner = null, IReadOnlyList<string>? rolledBack = null)
        : base(message, inner)
    {
        ErrorId = errorId ?? throw new ArgumentNullException(nameof(errorId));
        Target = target;
        RecommendedAction = recommendedAction;
        Errno = errno;
        Request = request;
        RolledBack = rolledBack ?? Array.Empty<string>();
        if (errno is { } e)
        {
            Data["Errno"] = e;
            Data["Syscall"] = request;
        }
    }

    /// <summary>A stable id (see <see cref="DevfsRulesetErrorIds"/>).</summary>
    public string ErrorId { get; }

    /// <summary>What the error is about: "ruleset 4", a mount point, a jail name, a file.</summary>
    public string? Target { get; }

    public string? RecommendedAction { get; }

    /// <summary>The FreeBSD errno of the refused call, if the kernel refused one.</summary>
    public int? Errno { get; }

    /// <summary>The C name of <see cref="Errno"/> ("ESRCH"), or null.</summary>
    public string? ErrnoName => Errno is { } e ? JailPS.Native.Errno.Name(e) : null;

    /// <summary>The call that failed: "open", "DEVFSIO_RADD", ...</summary>
    public string? Request { get; }

    /// <summary>The undo steps that ran after a failed plan, in the order they ran.</summary>
    public IReadOnlyList<string> RolledBack { get; }

    internal DevfsRulesetException WithRollback(string message, IReadOnlyList<string> rolledBack) =>
        new(ErrorId, Target, message, RecommendedAction, Errno, Request, this, rolledBack);
}
