using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using JailPS.Core.Devfs;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// What the devfs cmdlets share: the ruleset service on this host, running a ruleset plan behind
/// ShouldProcess (so -WhatIf prints the exact ioctls), and the mapping of devfs errors to ErrorRecords.
/// </summary>
public abstract class DevfsCmdletBase : JailCmdletBase
{
    private DevfsRulesetService? _devfs;

    protected DevfsRulesetService Devfs => _devfs ??= new DevfsRulesetService(JailHost);

    /// <summary>The kernel's ruleset as a pipeline object (null when the kernel does not have it).</summary>
    protected JailPS.DevfsRuleset? KernelRuleset(int number)
    {
        var rs = Devfs.Get(number);
        return rs is null ? null : ToObject(rs, JailPS.DevfsRuleset.KernelSource);
    }

    protected JailPS.DevfsRuleset ToObject(Core.Devfs.DevfsRuleset model, string source) =>
        new(model, source, JailHost.ComputerName, JailHost.IsSimulated);

    /// <summary>Asks ShouldProcess with every step of the plan (for -WhatIf and -Confirm alike), then runs it under the ruleset's lock with rollback.</summary>
    protected bool RunDevfsPlan(JailPlan plan, string action)
    {
        var lines = new List<string> { $"{action} {plan.JailName} on {JailHost.ComputerName}:" };
        foreach (var l in plan.Describe()) lines.Add("  " + l);
        foreach (var n in plan.Notes) lines.Add("  note: " + n);
        if (plan.Steps.Count == 0) lines.Add("  (no ioctl: nothing to change)");
        string description = string.Join(Environment.NewLine, lines);
        // -Confirm asks with the whole plan too, as -WhatIf shows it; -Verbose gets one line, since
        // each step reports itself as it runs.
        string summary = $"{action} {plan.JailName} on {JailHost.ComputerName}: {plan.Steps.Count} step{(plan.Steps.Count == 1 ? "" : "s")}";
        if (!ShouldProcess(WhatIfMode ? description : summary, description + Environment.NewLine + $"{action} {plan.JailName}?", "Confirm"))
            return false;
        using (JailLock.Acquire(JailHost.Files, plan.JailName.Replace(' ', '-'), TimeSpan.FromSeconds(30), Cancellation))
            Devfs.Execute(plan, this);
        foreach (var note in plan.Notes)
            WriteWarning(note);
        return true;
    }

    /// <summary>Runs work for one item; devfs and engine failures become that item's non-terminating error.</summary>
    protected void DevfsForItem(object? target, Action action)
    {
        try
        {
            action();
        }
        catch (DevfsRulesetException ex)
        {
            WriteError(DevfsError(ex, target));
        }
        catch (DevfsRuleException ex)
        {
            WriteError(DevfsError(ex, target));
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            WriteJailError(ex, target);
        }
    }

    /// <summary>An ErrorRecord with the devfs error's stable id and category (see JailCmdletBase.ToErrorRecord).</summary>
    protected ErrorRecord DevfsError(Exception ex, object? target) => ErrorRecordFor(ex, target);

    protected static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);
}
