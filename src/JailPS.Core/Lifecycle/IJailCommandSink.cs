using System;
using System.IO;
using JailPS.Core.Config;
using JailPS.Core.Devfs;
using JailPS.Core.Host;
using JailPS.Core.Host.SafePath;
using JailPS.Core.Kernel;

namespace JailPS.Core.Lifecycle;

/// <summary>
/// What a command hands the engine when the engine runs plans for it: ShouldProcess (-WhatIf,
/// -Confirm) and where per-jail errors and output go. The cmdlets implement it, so the engine
/// never sees PowerShell.
/// </summary>
public interface IJailCommandSink : IJailOutput
{
    /// <summary>True under -WhatIf: plans are only shown, and the engine goes on as if each one had run.</summary>
    bool WhatIf { get; }

    /// <summary>
    /// ShouldProcess: the plan as text (what -WhatIf prints), a one-line summary (what -Verbose
    /// prints before the steps report themselves one by one, so no step is shown twice) and the
    /// question -Confirm asks. False when declined or under -WhatIf.
    /// </summary>
    bool ShouldProcess(string description, string summary, string question);

    /// <summary>
    /// A non-terminating error for one jail. It may throw (under -ErrorAction Stop, or when the
    /// pipeline stops); the engine lets that through and does nothing more.
    /// </summary>
    void WriteError(Exception error, object? target);

    /// <summary>An output object: a jail for -PassThru, a mount found left behind.</summary>
    void WriteObject(object item);
}

/// <summary>Which exceptions are the engine's reports about one item, as opposed to bugs or a stopping pipeline.</summary>
public static class EngineErrors
{
    /// <summary>True for failures the engine reports with a stable id (they become that item's error).</summary>
    public static bool IsEngineError(Exception ex) => ex is JailOperationException or JailParameterException
        or PathEscapeException or DevfsRulesetException or DevfsRuleException or JailKernelException or JailPlanException
        or JailConfException or JailHostException or IOException or UnauthorizedAccessException;
}
