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

    protected override void ProcessRecord()
    {
        foreach (int n in Number)
            DevfsForItem(n, () => RunDevfsPlan(Devfs.PlanRemove(n, Force, Force ? null : JailsUsing(n)), "Remove"));
    }

    /// <summary>Running jails whose devfs_ruleset parameter is the ruleset, and devfs mounts JailPS made with it (the mount ledger).</summary>
    private IEnumerable<string> JailsUsing(int number)
    {
        var users = new List<string>();
        foreach (var rec in JailHost.Kernel.List())
            if (rec["devfs_ruleset"] is { } v && Convert.ToInt64(v, CultureInfo.InvariantCulture) == number)
                users.Add($"jail {rec.Name} (jid {rec.Jid}) has devfs_ruleset={number}");
        var ledger = new JailPS.Core.Mounts.MountLedger(JailHost.Files);
        var mounted = new HashSet<string>(JailPS.Core.Mounts.MountTable.Read(JailHost.MountLibc).Select(m => m.FsIdText), StringComparer.Ordinal);
        string option = "ruleset=" + number.ToString(CultureInfo.InvariantCulture);
        foreach (var (jail, entries) in ledger.ReadAll())
        {
            foreach (var e in entries)
                if (e.FsType == "devfs" && mounted.Contains(e.FsId) && Array.IndexOf(e.Options.Split(','), option) >= 0)
                    users.Add($"the devfs on {e.MountPoint} (jail {jail}) was mounted with {option}");
        }
        return users;
    }
}
