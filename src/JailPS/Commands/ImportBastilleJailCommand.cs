using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Import-BastilleJail: takes over jails Bastille made, without rebuilding them: each jail's block
/// from BASTILLE/jails/NAME/jail.conf is written to /etc/jail.conf.d/NAME.conf (and its rctl.conf to
/// /etc/rctl.conf), same root, fstab and dataset; Bastille's files are left as they were, and a
/// running jail goes on running.
/// </summary>
[Cmdlet(VerbsData.Import, "BastilleJail", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Jail))]
public sealed class ImportBastilleJailCommand : ImportJailCmdletBase
{
    /// <summary>Bastille's prefix (bastille_prefix in bastille.conf), /usr/local/bastille by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Prefix { get; set; } = JailImportService.BastilleDefaultPrefix;

    protected override IReadOnlyList<ImportCandidate> Candidates(JailImportService importer) => importer.BastilleJails(Prefix);

    protected override string ManagerName(ImportCandidate c) => c.Name;

    protected override JailOperationException NotKept(string name)
        => new("JailNotFound", name, $"Bastille keeps no jail \"{name}\" under {Prefix}/jails; nothing was imported.", $"See ls {Prefix}/jails, or give -Prefix.") { TargetObject = name };

    protected override object? Source => Prefix;
}
