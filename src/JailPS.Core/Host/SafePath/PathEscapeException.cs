using System;

namespace JailPS.Core.Host.SafePath;

/// <summary>Why a path beneath a jail root was refused.</summary>
public enum PathEscapeReason
{
    /// <summary>A component is a symbolic link (absolute, relative or a chain: never followed).</summary>
    SymbolicLink,
    /// <summary>A component that must be a directory is something else.</summary>
    NotDirectory,
    /// <summary>A ".." component: refused wherever it appears, even when it would stay inside.</summary>
    DotDot,
    /// <summary>The kernel reported that resolution would leave the root (EXDEV / ENOTCAPABLE).</summary>
    OutsideRoot,
}

/// <summary>
/// A path beneath a jail root would leave the root or pass through something the jail controls
/// (a symbolic link, a non-directory). Nothing was created or written.
/// </summary>
public sealed class PathEscapeException : Exception
{
    public const string Id = "JailPathEscape";

    public PathEscapeException(string root, string relativePath, string component, PathEscapeReason reason, int? errno = null, string? errnoName = null)
        : base(Describe(root, relativePath, component, reason, errnoName))
    {
        Root = root;
        RelativePath = relativePath;
        Component = component;
        Reason = reason;
        Errno = errno;
        ErrnoName = errnoName;
    }

    public string ErrorId => Id;
    /// <summary>The root the path was resolved beneath, as the caller named it.</summary>
    public string Root { get; }
    /// <summary>The path as given, relative to <see cref="Root"/>.</summary>
    public string RelativePath { get; }
    /// <summary>The offending component, as a path prefix relative to the root ("dev", "a/b", "..").</summary>
    public string Component { get; }
    public PathEscapeReason Reason { get; }
    /// <summary>The native errno of the refused call (the running OS's value), or null for a lexical refusal.</summary>
    public int? Errno { get; }
    public string? ErrnoName { get; }

    private static string Describe(string root, string relativePath, string component, PathEscapeReason reason, string? errnoName)
    {
        string why = reason switch
        {
            PathEscapeReason.SymbolicLink => "is a symbolic link, which is never followed beneath a jail root",
            PathEscapeReason.NotDirectory => "is not a directory",
            PathEscapeReason.DotDot => "is '..', which is not allowed beneath a jail root",
            _ => "resolves outside the jail root",
        };
        return $"Refused '{relativePath}' beneath '{root}': '{component}' {why}" + (errnoName is null ? "." : $" ({errnoName}).");
    }
}
