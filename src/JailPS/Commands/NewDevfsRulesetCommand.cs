using System;
using System.Linq;
using System.Management.Automation;
using JailPS.Core.Devfs;

namespace JailPS.Commands;

/// <summary>New-DevfsRuleset: loads rules into a kernel ruleset (devfs rule -s N add ..., one DEVFSIO_RADD per rule).</summary>
[Cmdlet(VerbsCommon.New, "DevfsRuleset", DefaultParameterSetName = ByObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(JailPS.DevfsRuleset))]
public sealed class NewDevfsRulesetCommand : DevfsCmdletBase
{
    private const string ByRuleSet = "ByRule";
    private const string ByObjectSet = "ByObject";

    [Parameter(ParameterSetName = ByRuleSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = ByObjectSet)]
    [ValidateRange(1, 65535)]
    public int Number { get; set; }

    /// <summary>A label for the output; the kernel stores numbers only.</summary>
    [Parameter(ParameterSetName = ByRuleSet, ValueFromPipelineByPropertyName = true)]
    [ValidatePattern("^[A-Za-z_][A-Za-z0-9_]*$")]
    public string? Name { get; set; }

    [Parameter(ParameterSetName = ByRuleSet, Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyCollection]
    public string[] Rule { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = ByObjectSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public JailPS.DevfsRuleset[] InputObject { get; set; } = Array.Empty<JailPS.DevfsRuleset>();

    /// <summary>Replace the rules of a ruleset that already has rules.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessJailRecord()
    {
        if (ParameterSetName == ByObjectSet)
        {
            bool renumber = MyInvocation.BoundParameters.ContainsKey(nameof(Number));
            if (renumber && InputObject.Length > 1)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException("-Number renumbers one ruleset; " + InputObject.Length + " were given."),
                    DevfsRulesetErrorIds.InvalidNumber, ErrorCategory.InvalidArgument, Number));
            }
            foreach (var rs in InputObject)
                Create(renumber ? Number : rs.Number, rs.Name, () => rs.ModelRules, rs);
            return;
        }
        Create(Number, Name, () =>
        {
            var names = Devfs.NumbersByName();
            return Rule.Select(t => Devfs.ParseRule(t, names)).ToArray();
        }, Number);
    }

    private void Create(int number, string? name, Func<Core.Devfs.DevfsRule[]> rules, object target)
    {
        DevfsForItem(target, () =>
        {
            var plan = Devfs.PlanCreate(number, rules(), Force);
            if (RunDevfsPlan(plan, "Create") && PassThru)
            {
                var rs = Devfs.Get(number);
                if (rs != null)
                    WriteObject(ToObject(new Core.Devfs.DevfsRuleset(rs.Number, rs.Name ?? name, rs.Rules), JailPS.DevfsRuleset.KernelSource));
            }
        });
    }
}
