using System;

namespace JailPS.Core.Lifecycle;

/// <summary>
/// A refusal or failure with a stable error id that the cmdlets turn into an ErrorRecord:
/// JailNotFound, JailAlreadyExists, JailNotRunning, JailAlreadyRunning, JailDependencyCycle,
/// JailParameterNotImplemented, JailPathNotAbsolute, JailPathNotFound, JailInvalidName,
/// JailLocked, JailCommandFailed, JailCommandTimedOut, JailConfigReadOnly, JailIsRunning, JailNotDefined,
/// JailConfigMissing, JailPathOutsideSimulatedHost, JailParameterCreateOnly, JailParameterNotLive.
/// </summary>
public sealed class JailOperationException : Exception
{
    public JailOperationException(string errorId, string? jailName, string message, string? recommendedAction = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        JailName = jailName;
        RecommendedAction = recommendedAction;
    }

    public string ErrorId { get; }
    public string? JailName { get; }
    public string? RecommendedAction { get; }

    /// <summary>The object the error is about when it is not the pipeline item (a busy mount, a ruleset).</summary>
    public object? TargetObject { get; init; }
}
