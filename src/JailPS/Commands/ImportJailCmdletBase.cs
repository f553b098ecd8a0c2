using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Import-BastilleJail and Import-IocageJail: the jails a manager keeps (by its own names, with
/// wildcards, or -All), each imported with its own plan and error, the imported jail written.
/// </summary>
public abstract class ImportJailCmdletBase : JailCmdletBase
{
    protected const string ByNameSet = "ByName";
    protected const string AllSet = "All";

    /// <summary>The jails to import, by the manager's own names; wildcards are accepted.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByNameSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Every jail the manager keeps.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    /// <summary>The jails the manager keeps, read from its files.</summary>
    protected abstract IReadOnlyList<ImportCandidate> Candidates(JailImportService importer);

    /// <summary>The manager's own name of a candidate (what -Name matches).</summary>
    protected abstract string ManagerName(ImportCandidate c);

    /// <summary>The error for a plain name the manager does not keep.</summary>
    protected abstract JailOperationException NotKept(string name);

    /// <summary>What a failure to read the manager's files is reported against.</summary>
    protected abstract object? Source { get; }

    protected override void ProcessJailRecord()
    {
        try
        {
            var importer = new JailImportService(Service);
            var candidates = Candidates(importer);
            var chosen = All ? candidates.ToList() : candidates.Where(c => Name.Any(n => NamePattern(n).IsMatch(ManagerName(c)))).ToList();
            foreach (string n in Name.Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !candidates.Any(c => ManagerName(c) == n)))
                WriteJailError(NotKept(n), n);
            foreach (var c in chosen)
                ForItem(c.Name, () =>
                {
                    if (RunPlan(importer.PlanImport(c), "Import"))
                        WriteObject(Service.Refresh(c.Name));
                });
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, Source));
        }
    }
}
