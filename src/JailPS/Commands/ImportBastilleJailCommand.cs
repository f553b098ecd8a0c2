using System;
using System.Linq;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Import-BastilleJail: takes over jails Bastille made, without rebuilding them: each jail's block
/// from BASTILLE/jails/NAME/jail.conf is written to /etc/jail.conf.d/NAME.conf, same root, fstab and
/// dataset; Bastille's files are left as they were, and a running jail goes on running.
/// </summary>
[Cmdlet(VerbsData.Import, "BastilleJail", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Jail))]
public sealed class ImportBastilleJailCommand : JailCmdletBase
{
    private const string ByNameSet = "ByName";
    private const string AllSet = "All";

    /// <summary>The Bastille jails to import (their directory names under BASTILLE/jails); wildcards are accepted.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByNameSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Every jail Bastille keeps.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    /// <summary>Bastille's prefix (bastille_prefix in bastille.conf), /usr/local/bastille by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Prefix { get; set; } = JailImportService.BastilleDefaultPrefix;

    protected override void ProcessRecord()
    {
        try
        {
            var importer = new JailImportService(Service);
            var candidates = importer.BastilleJails(Prefix);
            var chosen = All ? candidates.ToList() : candidates.Where(c => Name.Any(n => NamePattern(n).IsMatch(c.Name))).ToList();
            foreach (string n in Name.Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !candidates.Any(c => c.Name == n)))
                WriteJailError(new JailOperationException("JailNotFound", n, $"Bastille keeps no jail \"{n}\" under {Prefix}/jails; nothing was imported.",
                    $"See ls {Prefix}/jails, or give -Prefix.") { TargetObject = n }, n);
            foreach (var c in chosen)
                ForItem(c.Name, () =>
                {
                    if (RunPlan(importer.PlanImport(c), "Import"))
                        WriteObject(Service.Refresh(c.Name));
                });
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, Prefix));
        }
    }
}
