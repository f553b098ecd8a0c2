using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using JailPS.Core.Devfs;

namespace JailPS.Commands;

/// <summary>Get-DevfsRuleset: the kernel's devfs rulesets (devfs rule showsets / show) as JailPS.DevfsRuleset objects.</summary>
[Cmdlet(VerbsCommon.Get, "DevfsRuleset")]
[OutputType(typeof(JailPS.DevfsRuleset))]
public sealed class GetDevfsRulesetCommand : DevfsCmdletBase
{
    private IReadOnlyList<Core.Devfs.DevfsRuleset>? _all;

    /// <summary>Ruleset numbers; all rulesets when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int[]? Number { get; set; }

    /// <summary>Ruleset names from devfs.rules files (wildcards).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessJailRecord()
    {
        try
        {
            if (_all is null)
            {
                var warnings = new List<string>();
                _all = Devfs.GetAll(warnings);
                foreach (var w in warnings) WriteWarning(w);
            }
        }
        catch (DevfsRulesetException ex)
        {
            ThrowTerminatingError(DevfsError(ex, null)); // the kernel's rulesets cannot be read at all
        }

        IEnumerable<Core.Devfs.DevfsRuleset> selected = _all!;
        if (Number != null)
        {
            foreach (int n in Number)
                if (!_all!.Any(r => r.Number == n))
                    WriteError(DevfsError(new DevfsRulesetException(DevfsRulesetErrorIds.NotFound, "devfs ruleset " + Num(n),
                        $"devfs ruleset {n} does not exist in the kernel.", "List the kernel's rulesets with Get-DevfsRuleset."), n));
            selected = selected.Where(r => Number.Contains(r.Number));
        }
        if (Name != null)
        {
            var patterns = new List<WildcardPattern>();
            foreach (string n in Name)
                if (TryNamePattern(n, out var p))
                    patterns.Add(p);
            foreach (string n in Name)
                if (!WildcardPattern.ContainsWildcardCharacters(n) && !selected.Any(r => r.Name != null && string.Equals(r.Name, n, StringComparison.OrdinalIgnoreCase)))
                    WriteError(DevfsError(new DevfsRulesetException(DevfsRulesetErrorIds.NotFound, n,
                        $"no devfs ruleset in the kernel is named \"{n}\" by /etc/defaults/devfs.rules or /etc/devfs.rules.",
                        "Names come from devfs.rules files; list them with Import-DevfsRules, or select rulesets by -Number."), n));
            selected = selected.Where(r => r.Name != null && patterns.Any(p => p.IsMatch(r.Name)));
        }
        foreach (var rs in selected)
            WriteObject(ToObject(rs, JailPS.DevfsRuleset.KernelSource));
    }
}
