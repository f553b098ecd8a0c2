using System;
using System.Linq;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Import-IocageJail: takes over jails iocage made, without rebuilding them: each jail's
/// config.json (over iocage's defaults.json) becomes /etc/jail.conf.d/ioc-NAME.conf with the
/// parameters iocage passes to jail -c, same root, fstab and dataset; iocage's files are left as they were.
/// </summary>
[Cmdlet(VerbsData.Import, "IocageJail", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Jail))]
public sealed class ImportIocageJailCommand : JailCmdletBase
{
    private const string ByNameSet = "ByName";
    private const string AllSet = "All";

    /// <summary>The iocage jails to import, by iocage's name (the directory under ROOT/jails); wildcards are accepted.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByNameSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Every jail iocage keeps.</summary>
    [Parameter(Mandatory = true, ParameterSetName = AllSet)]
    public SwitchParameter All { get; set; }

    /// <summary>Where iocage's dataset is mounted (its iocroot); by default the first of /iocage and /zroot/iocage that has jails/.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Root { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var importer = new JailImportService(Service);
            var candidates = importer.IocageJails(Root);
            string Short(ImportCandidate c) => c.Name["ioc-".Length..];
            var chosen = All ? candidates.ToList() : candidates.Where(c => Name.Any(n => NamePattern(n).IsMatch(Short(c)))).ToList();
            foreach (string n in Name.Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !candidates.Any(c => Short(c) == n)))
                WriteJailError(new JailOperationException("JailNotFound", n, $"iocage keeps no jail \"{n}\" under {Root ?? string.Join(" or ", JailImportService.IocageDefaultRoots)}/jails; nothing was imported.",
                    "See iocage list, or give -Root (iocage get -p shows the pool; its iocage dataset's mountpoint is the root).") { TargetObject = n }, n);
            foreach (var c in chosen)
                ForItem(c.Name, () =>
                {
                    if (RunPlan(importer.PlanImport(c), "Import"))
                        WriteObject(Service.Refresh(c.Name));
                });
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, Root));
        }
    }
}
