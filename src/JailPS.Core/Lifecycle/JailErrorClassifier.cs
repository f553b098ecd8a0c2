using System;
using JailPS.Core.Config;
using JailPS.Core.Devfs;
using JailPS.Core.Host;
using JailPS.Core.Host.SafePath;
using JailPS.Core.Kernel;
using JailPS.Native;

namespace JailPS.Core.Lifecycle;

/// <summary>
/// The error categories JailPS uses; each has the name of a PowerShell ErrorCategory, which the
/// cmdlets give the ErrorRecord (the engine does not reference PowerShell).
/// </summary>
public enum JailErrorCategory
{
    NotSpecified,
    InvalidArgument,
    InvalidData,
    InvalidOperation,
    InvalidResult,
    InvalidType,
    NotEnabled,
    NotImplemented,
    NotInstalled,
    ObjectNotFound,
    ConnectionError,
    OperationTimeout,
    ParserError,
    PermissionDenied,
    ReadError,
    ResourceBusy,
    ResourceExists,
    ResourceUnavailable,
    SecurityError,
    WriteError,
    LimitsExceeded,
}

/// <summary>What an engine failure is, for the user: its stable id, category, advice and the object it concerns.</summary>
public sealed record JailErrorClass(string ErrorId, JailErrorCategory Category, string? RecommendedAction, object? Target);

/// <summary>
/// The one classification of engine failures (errno included) into stable error ids, categories
/// and advice. The cmdlets turn its answer into an ErrorRecord; nothing above JailPS.Core sees an
/// errno or an ABI constant.
/// </summary>
public static class JailErrorClassifier
{
    /// <param name="callerIsRoot">Whether the caller is root, when the host is known: it decides the advice for permission errors.</param>
    public static JailErrorClass Classify(Exception ex, object? target, bool? callerIsRoot)
    {
        if (ex is null) throw new ArgumentNullException(nameof(ex));
        if (ForDevfs(ex is JailPlanException { InnerException: { } inner } ? inner : ex, target) is { } devfs)
            return devfs;
        Exception cause = ex is JailPlanException plan && plan.InnerException != null ? plan.InnerException : ex;
        string id;
        JailErrorCategory category;
        string? action = null;
        switch (cause)
        {
            case JailOperationException op:
                id = op.ErrorId;
                category = CategoryFor(op.ErrorId);
                action = op.RecommendedAction;
                target = op.TargetObject ?? target;
                break;
            case PathEscapeException pe:
                id = pe.ErrorId;
                category = JailErrorCategory.SecurityError;
                action = "Something inside the jail (a symbolic link, or '..') points outside its root. Inspect the path from the host with `ls -l`; JailPS never follows links beneath a jail root.";
                break;
            case JailParameterException pe:
                id = pe.ErrorId;
                category = pe.ErrorId == "JailParameterReadOnly" ? JailErrorCategory.InvalidOperation : JailErrorCategory.InvalidArgument;
                action = pe.ErrorId == "JailParameterUnknown"
                    ? "Check the spelling: `sysctl -N security.jail.param` lists the kernel's parameters; about_JailPS lists jail(8)'s own (exec.*, depend, ...)."
                    : null;
                break;
            case JailKernelException ke:
                (id, category, action) = ForErrno(ke, callerIsRoot);
                break;
            case JailConfException ce:
                id = ce.ErrorId;
                category = ce.ErrorId switch
                {
                    JailConfErrorIds.NotRegularFile => JailErrorCategory.InvalidType,
                    JailConfErrorIds.ReadError => JailErrorCategory.ReadError,
                    _ => JailErrorCategory.ParserError,
                };
                action = ce.ErrorId == JailConfErrorIds.NotRegularFile ? "Put a regular file there: JailPS reads no FIFO, device or directory as jail.conf."
                    : "Fix the jail.conf file at the position given.";
                target ??= ce.File;
                break;
            case JailHostException he:
                id = he.ErrorId;
                category = JailErrorCategory.ResourceUnavailable;
                action = he.RecommendedAction;
                break;
            case UnauthorizedAccessException:
                id = "JailPermissionDenied";
                category = JailErrorCategory.PermissionDenied;
                action = callerIsRoot is null ? "Run as root; as root, check the file's flags (ls -lo) and whether it is a directory where a file is expected."
                    : callerIsRoot.Value ? RootAccessAdvice : "Run as root.";
                break;
            case System.IO.IOException:
                id = "JailIOError";
                category = JailErrorCategory.WriteError;
                break;
            default:
                id = "JailUnexpectedError";
                category = JailErrorCategory.NotSpecified;
                break;
        }
        // A plan that cannot be undone (a stop) says how to finish it; the cause's own advice comes first.
        if (ex is JailPlanException { NextStep: { } next })
        {
            string finish = next.EndsWith('.') ? next : next + ".";
            action = action is null ? finish : action.Contains(finish, StringComparison.Ordinal) ? action : action + " " + finish;
        }
        return new JailErrorClass(id, category, action, target);
    }

    /// <summary>
    /// Advice for a root caller whose file access was refused: root passes every permission check,
    /// so what refuses it is a file flag (schg/uchg: chflags(1)), a directory where a file is
    /// expected (.NET reports EISDIR as access denied), or a read-only file system.
    /// </summary>
    private const string RootAccessAdvice = "You are root, so this is not a matter of privileges: check the path's file flags (ls -lo shows schg or uchg; chflags noschg clears them), "
        + "whether it is a directory where a file is expected, and whether its file system is mounted read-only (mount -p).";

    /// <summary>A devfs error's stable id and category; null for other exceptions.</summary>
    private static JailErrorClass? ForDevfs(Exception ex, object? target)
    {
        string id;
        JailErrorCategory category;
        string? action = null;
        switch (ex)
        {
            case DevfsRulesetException d:
                id = d.ErrorId;
                action = d.RecommendedAction;
                category = d.ErrorId switch
                {
                    DevfsRulesetErrorIds.NotFound or DevfsRulesetErrorIds.MountNotFound or DevfsRulesetErrorIds.RulesFileNotFound => JailErrorCategory.ObjectNotFound,
                    DevfsRulesetErrorIds.NotMounted => JailErrorCategory.ResourceUnavailable,
                    DevfsRulesetErrorIds.Exists => JailErrorCategory.ResourceExists,
                    DevfsRulesetErrorIds.InUse => JailErrorCategory.ResourceBusy,
                    DevfsRulesetErrorIds.InvalidNumber or DevfsRulesetErrorIds.RuleInvalid => JailErrorCategory.InvalidArgument,
                    DevfsRulesetErrorIds.PermissionDenied => JailErrorCategory.PermissionDenied,
                    DevfsRulesetErrorIds.RulesFileInvalid => JailErrorCategory.ParserError,
                    _ => JailErrorCategory.InvalidOperation,
                };
                break;
            case DevfsRuleException:
                id = DevfsRulesetErrorIds.RuleInvalid;
                category = JailErrorCategory.InvalidArgument;
                break;
            default:
                return null;
        }
        return new JailErrorClass(id, category, action, target);
    }

    private static (string, JailErrorCategory, string?) ForErrno(JailKernelException ke, bool? callerIsRoot) => ke.Errno switch
    {
        Errno.EPERM => ("JailPermissionDenied", JailErrorCategory.PermissionDenied, callerIsRoot == true
            ? "You are root, so no privilege is missing on the host: inside a jail, creating and changing jails needs children.max on that jail; see the kernel's message."
            : "Run as root on the host (jails cannot be managed from inside a jail without children.max)."),
        Errno.ENOENT => ("JailKernelENOENT", JailErrorCategory.ObjectNotFound, null),
        Errno.EEXIST => ("JailKernelEEXIST", JailErrorCategory.ResourceExists, null),
        Errno.EINVAL => ("JailKernelEINVAL", JailErrorCategory.InvalidArgument, null),
        Errno.EBUSY => ("JailKernelEBUSY", JailErrorCategory.ResourceBusy, null),
        Errno.EAGAIN => ("JailKernelEAGAIN", JailErrorCategory.ResourceUnavailable, "Try again once dying jails are gone."),
        Errno.EADDRINUSE => ("JailKernelEADDRINUSE", JailErrorCategory.ResourceExists, "Another jail already uses that address."),
        Errno.ENAMETOOLONG => ("JailKernelENAMETOOLONG", JailErrorCategory.InvalidArgument, null),
        Errno.ENOTDIR => ("JailKernelENOTDIR", JailErrorCategory.InvalidArgument, null),
        _ => ("JailKernel" + ke.ErrnoName.Replace(" ", ""), JailErrorCategory.NotSpecified, null),
    };

    private static JailErrorCategory CategoryFor(string id) => id switch
    {
        "JailNotFound" or "JailDependencyNotFound" or "JailPathNotFound" or "JailConfigMissing" => JailErrorCategory.ObjectNotFound,
        "JailAlreadyExists" or "JailConfigExists" => JailErrorCategory.ResourceExists,
        "JailConfigIsDirectory" or "JailPathOutsideSimulatedHost" => JailErrorCategory.InvalidArgument,
        "JailParameterNotImplemented" => JailErrorCategory.NotImplemented,
        "JailMountBusy" or "JailMountPointBusy" => JailErrorCategory.ResourceBusy,
        "JailMountPointMissing" or "JailMountFstabMissing" or "DevfsRulesetMissing" or "DevfsNotMounted" => JailErrorCategory.ObjectNotFound,
        "JailMountOutsideRoot" or "JailMountInvalid" or "JailMountOptionNotAllowed" => JailErrorCategory.InvalidArgument,
        "JailMountsPresent" => JailErrorCategory.ResourceBusy,
        "JailInvalidName" or "JailPathNotAbsolute" or "JailPathMissing" or "JailNameContainsWildcard" => JailErrorCategory.InvalidArgument,
        "JailNameWildcardInvalid" or "JailPathInvalid" => JailErrorCategory.InvalidArgument,
        "JailObjectFromOtherHost" => JailErrorCategory.InvalidArgument,
        "JailLocked" => JailErrorCategory.ResourceBusy,
        "JailJidFileFailed" => JailErrorCategory.WriteError,
        "JailSimulatedHostNotFound" or "JailSimulatedHostNotSelected" => JailErrorCategory.ObjectNotFound,
        "JailSimulatedHostNotEmpty" => JailErrorCategory.ResourceExists,
        "JailSimulatedHostPathNotAbsolute" or "JailSimulatedHostPathInvalid" or "JailSimulatedReleaseUnknown" => JailErrorCategory.InvalidArgument,
        "JailSimulationResponsesInvalid" or "JailSimulationLogInvalid" => JailErrorCategory.InvalidData,
        "JailCommandTimedOut" or "JailWaitTimeout" => JailErrorCategory.OperationTimeout,
        "JailPwshNotFound" => JailErrorCategory.NotInstalled,
        "JailNoTerminal" => JailErrorCategory.ResourceUnavailable,
        "JailCommandEmpty" or "JailCommandInvalidEnvironment" => JailErrorCategory.InvalidArgument,
        "JailCommandFailed" => JailErrorCategory.InvalidResult,
        // Mount-JailFileSystem, Dismount-JailFileSystem, Get-JailMount
        "JailMountNotFound" => JailErrorCategory.ObjectNotFound,
        "JailMountSourceMissing" => JailErrorCategory.InvalidArgument,
        "JailMountFailed" or "JailUnmountFailed" => JailErrorCategory.InvalidOperation,
        // IP aliases
        "JailInterfaceNotFound" => JailErrorCategory.ObjectNotFound,
        "JailAddressInUse" => JailErrorCategory.ResourceExists,
        "JailHostnameUnresolved" => JailErrorCategory.ObjectNotFound,
        "JailIPAddressOptionUnsupported" => JailErrorCategory.NotImplemented,
        "JailAliasFailed" => JailErrorCategory.InvalidOperation,
        // VNET
        "JailVnetInvalid" => JailErrorCategory.InvalidData,
        "JailInterfaceInUse" => JailErrorCategory.ResourceExists,
        "JailVnetNamesExhausted" => JailErrorCategory.ResourceUnavailable,
        "JailPortForwardInvalid" => JailErrorCategory.InvalidArgument,
        "JailPortForwardExists" => JailErrorCategory.ResourceExists,
        "JailPortForwardInUse" => JailErrorCategory.ResourceExists,
        "JailPortForwardNotFound" => JailErrorCategory.ObjectNotFound,
        "JailPfAnchorInvalid" => JailErrorCategory.InvalidArgument,
        "JailPfUnavailable" => JailErrorCategory.ResourceUnavailable,
        "JailPfLoadFailed" => JailErrorCategory.InvalidOperation,
        "JailPfFlushFailed" => JailErrorCategory.InvalidOperation,
        "JailReleaseInvalid" => JailErrorCategory.InvalidArgument,
        "JailReleaseManifestInvalid" => JailErrorCategory.InvalidData,
        "JailReleaseDistributionNotFound" => JailErrorCategory.ObjectNotFound,
        "JailReleaseNotFound" => JailErrorCategory.ObjectNotFound,
        "JailReleaseDownloadFailed" => JailErrorCategory.ConnectionError,
        "JailReleaseChecksumMismatch" => JailErrorCategory.InvalidData,
        "JailReleaseNotCached" => JailErrorCategory.ObjectNotFound,
        "JailReleaseWriteFailed" => JailErrorCategory.WriteError,
        "JailReleaseRequired" => JailErrorCategory.InvalidArgument,
        "JailPathRequired" => JailErrorCategory.InvalidArgument,
        "JailRootNotEmpty" => JailErrorCategory.ResourceExists,
        "JailRootExtractFailed" => JailErrorCategory.WriteError,
        "JailRootRefused" => JailErrorCategory.InvalidOperation,
        "JailRootShared" => JailErrorCategory.ResourceBusy,
        "JailRootBusy" => JailErrorCategory.ResourceBusy,
        "JailRootDeleteFailed" => JailErrorCategory.WriteError,
        "JailBaseJailIncomplete" => JailErrorCategory.InvalidData,
        "JailBaseJailNotFound" => JailErrorCategory.ObjectNotFound,
        "JailReleaseUpdateFailed" => JailErrorCategory.InvalidOperation,
        // ZFS
        "JailZfsFailed" => JailErrorCategory.InvalidOperation,
        "JailZfsTimedOut" => JailErrorCategory.OperationTimeout,
        "JailZfsOutputInvalid" => JailErrorCategory.InvalidData,
        "JailDatasetExists" => JailErrorCategory.ResourceExists,
        "JailDatasetNotMounted" => JailErrorCategory.InvalidResult,
        "JailDatasetNotJailed" => JailErrorCategory.InvalidArgument,
        "JailDatasetNotFound" => JailErrorCategory.ObjectNotFound,
        "JailSnapshotNotFound" => JailErrorCategory.ObjectNotFound,
        "JailSnapshotExists" => JailErrorCategory.ResourceExists,
        "JailSnapshotInvalid" => JailErrorCategory.InvalidArgument,
        "JailParameterInvalidValue" => JailErrorCategory.InvalidArgument,
        "JailIsRunning" => JailErrorCategory.ResourceBusy,
        "JailIsThin" => JailErrorCategory.InvalidOperation,
        "JailIsThick" => JailErrorCategory.InvalidOperation,
        "JailReleaseIsPkgBase" => JailErrorCategory.InvalidOperation,
        "JailDatasetNameInvalid" => JailErrorCategory.InvalidArgument,
        // OCI images
        "JailImageReferenceInvalid" or "JailImageInvalid" => JailErrorCategory.InvalidArgument,
        "JailImageNotFound" or "JailImageNotCached" or "JailImagePlatformNotFound" => JailErrorCategory.ObjectNotFound,
        "JailImageManifestInvalid" or "JailImageLayoutInvalid" or "JailImageLayerCorrupt" => JailErrorCategory.InvalidData,
        "JailImageDigestMismatch" or "JailImageChecksumMismatch" => JailErrorCategory.InvalidData,
        "JailImageLayerPathOutside" or "JailImageLayerLinkOutside" or "JailImageLayerThroughLink" or "JailImageLayerDeviceNode" => JailErrorCategory.SecurityError,
        "JailImageLayerHeaderTooLarge" or "JailImageLayerLinkInvalid" or "JailImageLayerWhiteoutInvalid" => JailErrorCategory.InvalidData,
        "JailImageLayerTooLarge" => JailErrorCategory.LimitsExceeded,
        "JailImageLayerTypeUnsupported" or "JailImageLayerEntryUnsupported" => JailErrorCategory.NotImplemented,
        "JailImageDownloadFailed" => JailErrorCategory.ConnectionError,
        "JailImageUnauthorized" => JailErrorCategory.PermissionDenied,
        "JailImageAuthFileInvalid" => JailErrorCategory.InvalidData,
        "JailImageWriteFailed" => JailErrorCategory.WriteError,
        "JailImageInUse" => JailErrorCategory.ResourceBusy,
        "JailManagedElsewhere" => JailErrorCategory.PermissionDenied,
        // rctl
        "JailRacctDisabled" => JailErrorCategory.NotEnabled,
        "JailLimitInvalid" => JailErrorCategory.InvalidArgument,
        "JailLimitNotSupported" => JailErrorCategory.NotImplemented,
        "JailLimitNotFound" => JailErrorCategory.ObjectNotFound,
        "JailCpuSetInvalid" => JailErrorCategory.InvalidArgument,
        "JailImportInvalid" => JailErrorCategory.InvalidData,
        "JailDistributionUnknown" => JailErrorCategory.InvalidArgument,
        "JailDistributionConflict" => JailErrorCategory.InvalidArgument,
        "JailLinuxAbiNotLoaded" => JailErrorCategory.NotEnabled,
        "JailDebootstrapNotFound" => JailErrorCategory.NotInstalled,
        "JailDebootstrapFailed" => JailErrorCategory.InvalidResult,
        "JailPkgNotFound" => JailErrorCategory.NotInstalled,
        "JailPkgBaseKeysMissing" => JailErrorCategory.ObjectNotFound,
        "JailPkgBaseFailed" => JailErrorCategory.InvalidResult,
        "JailPkgBaseSignatureInvalid" => JailErrorCategory.SecurityError,
        "JailReleaseUnknown" => JailErrorCategory.InvalidData,
        "JailSimulatedDatasetInvalid" => JailErrorCategory.InvalidArgument,
        // Add-JailIPAddress, Remove-JailIPAddress
        "JailIPAddressExists" => JailErrorCategory.ResourceExists,
        "JailIPAddressNotFound" => JailErrorCategory.ObjectNotFound,
        "JailIPAddressInvalid" => JailErrorCategory.InvalidArgument,
        _ => JailErrorCategory.InvalidOperation,
    };
}
