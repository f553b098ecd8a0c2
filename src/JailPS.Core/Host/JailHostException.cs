using System;

namespace JailPS.Core.Host;

/// <summary>The host cannot be used: not FreeBSD and no simulated host chosen, or a bad simulation directory.</summary>
public sealed class JailHostException : Exception
{
    public JailHostException(string errorId, string message, string? recommendedAction = null) : base(message)
    {
        ErrorId = errorId;
        RecommendedAction = recommendedAction;
    }

    public string ErrorId { get; }
    public string? RecommendedAction { get; }
}
