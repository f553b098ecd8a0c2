using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS
{

/// <summary>What Wait-Jail waits for.</summary>
public enum JailWaitCondition
{
    /// <summary>The jail is alive in the kernel.</summary>
    Running,
    /// <summary>The jail is gone from the kernel (or dying, which jls no longer lists).</summary>
    Stopped,
}

}

namespace JailPS.Commands
{

/// <summary>
/// Wait-Jail: waits until jails are running or stopped. A literal name need not exist yet (a jail
/// another tool is about to create can be waited for); wildcards match the jails there are now.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "Jail", DefaultParameterSetName = ByObjectSet)]
[OutputType(typeof(Jail))]
public sealed class WaitJailCommand : JailTargetCmdletBase
{
    private DateTime _deadline = DateTime.MaxValue;

    [Parameter]
    public JailWaitCondition For { get; set; } = JailWaitCondition.Running;

    /// <summary>Seconds to wait in all; -1 (the default) waits until Ctrl+C.</summary>
    [Parameter]
    [ValidateRange(-1, 31_536_000)]
    public int Timeout { get; set; } = -1;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (Timeout >= 0) _deadline = DateTime.UtcNow.AddSeconds(Timeout);
    }

    protected override void ProcessJailRecord()
    {
        if (ParameterSetName == ByNameSet)
        {
            foreach (string name in Name)
            {
                if (WildcardPattern.ContainsWildcardCharacters(name))
                    foreach (var j in JailsMatching(name)) Wait(j.Name);
                else
                    Wait(name);
            }
            return;
        }
        foreach (var target in ResolveTargets())
            Wait(target.Name);
    }

    private void Wait(string name) => ForItem(name, () =>
    {
        TimeSpan? left = Timeout < 0 ? null : _deadline - DateTime.UtcNow;
        if (left is { } l && l < TimeSpan.Zero) left = TimeSpan.Zero;
        var state = For == JailWaitCondition.Running ? JailState.Running : JailState.Stopped;
        var jail = Service.WaitFor(name, state, left, Cancellation);
        if (PassThru) WriteObject(jail);
    });
}
}
