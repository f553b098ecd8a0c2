using System;
using System.Linq;
using System.Management.Automation;
using JailPS.Core.Devfs;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Set-DevfsRuleset: replaces a ruleset's rules (transactionally), or applies a ruleset to a devfs
/// mount (devfs -m MP rule -s N applyset) and, with -Use, makes it the mount's current ruleset.
/// </summary>
[Cmdlet(VerbsCommon.Set, "DevfsRuleset", DefaultParameterSetName = RuleSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(JailPS.DevfsRuleset))]
public sealed class SetDevfsRulesetCommand : DevfsCmdletBase
{
    private const string RuleSet = "Rule";
    private const string MountPointSet = "MountPoint";
    private const string JailSet = "Jail";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int Number { get; set; }

    /// <summary>The new rules, as devfs(8) rule add takes them.</summary>
    [Parameter(ParameterSetName = RuleSet, Mandatory = true, Position = 1)]
    [AllowEmptyCollection]
    public string[] Rule { get; set; } = Array.Empty<string>();

    /// <summary>A devfs mount point (host path) to apply the ruleset to.</summary>
    [Parameter(ParameterSetName = MountPointSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string MountPoint { get; set; } = "";

    /// <summary>Jails whose devfs (PATH/dev) gets the ruleset.</summary>
    [Parameter(ParameterSetName = JailSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [Alias("Jail")]
    [ArgumentCompleter(typeof(JailNameCompleter))]
    public string[] JailName { get; set; } = Array.Empty<string>();

    /// <summary>Also make it the mount's current ruleset (DEVFSIO_SUSE) before applying it.</summary>
    [Parameter(ParameterSetName = MountPointSet)]
    [Parameter(ParameterSetName = JailSet)]
    public SwitchParameter Use { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessJailRecord()
    {
        switch (ParameterSetName)
        {
            case RuleSet:
                DevfsForItem(Number, () =>
                {
                    var names = Devfs.NumbersByName();
                    var rules = Rule.Select(t => Devfs.ParseRule(t, names)).ToArray();
                    Done(RunDevfsPlan(Devfs.PlanReplace(Number, rules), "Update"));
                });
                break;
            case MountPointSet:
                DevfsForItem(MountPoint, () => Apply(HostPath.IsAbsolute(MountPoint) ? Checked(MountPoint) : ImportJailConfigCommand.ToHostPath(this, MountPoint)));
                break;
            default:
                foreach (string name in JailName)
                {
                    var jails = WildcardPattern.ContainsWildcardCharacters(name) ? JailsMatching(name).ToList() : null;
                    if (jails is null)
                    {
                        Jail? j = null;
                        DevfsForItem(name, () => j = Service.Get(name) ?? throw JailService.NotFound(name));
                        if (j is null) continue;
                        jails = new() { j };
                    }
                    foreach (var jail in jails)
                        DevfsForItem(jail.Name, () =>
                        {
                            if (string.IsNullOrEmpty(jail.Path))
                                throw new JailOperationException("JailPathMissing", jail.Name, $"jail \"{jail.Name}\" has no path, so it has no devfs.", "Define its path in jail.conf.");
                            Apply(HostPath.Combine(jail.Path!, "dev"));
                        });
                }
                break;
        }
    }

    private static string Checked(string mountPoint)
    {
        HostPath.CheckText(mountPoint, "-MountPoint");
        return mountPoint;
    }

    private void Apply(string mountPoint) =>
        Done(RunDevfsPlan(Devfs.PlanApply(Number, mountPoint, Use), Use ? "Use" : "Apply"));

    private void Done(bool ran)
    {
        if (ran && PassThru && KernelRuleset(Number) is { } rs)
            WriteObject(rs);
    }
}
