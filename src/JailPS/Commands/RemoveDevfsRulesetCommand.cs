using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;

namespace JailPS.Commands;

/// <summary>Remove-DevfsRuleset: deletes every rule of a ruleset (devfs rule -s N delset).</summary>
[Cmdlet(VerbsCommon.Remove, "DevfsRuleset", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveDevfsRulesetCommand : DevfsCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int[] Number { get; set; } = Array.Empty<int>();

    /// <summary>Remove the rules even when another ruleset includes the ruleset or a running jail uses it.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessJailRecord()
    {
        foreach (int n in Number)
            DevfsForItem(n, () => RunDevfsPlan(Devfs.PlanRemove(n, Force, Force ? null : JailPS.Core.Devfs.DevfsRulesetService.UsersOf(JailHost, n)), "Remove"));
    }

}
