using System.Collections.Generic;
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
public sealed class ImportIocageJailCommand : ImportJailCmdletBase
{
    /// <summary>Where iocage's dataset is mounted (its iocroot); by default the first of /iocage and /zroot/iocage that has jails/.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Root { get; set; }

    protected override IReadOnlyList<ImportCandidate> Candidates(JailImportService importer) => importer.IocageJails(Root);

    /// <summary>iocage's name: the kernel's ioc-NAME without its prefix.</summary>
    protected override string ManagerName(ImportCandidate c) => c.Name["ioc-".Length..];

    protected override JailOperationException NotKept(string name)
        => new("JailNotFound", name, $"iocage keeps no jail \"{name}\" under {Root ?? string.Join(" or ", JailImportService.IocageDefaultRoots)}/jails; nothing was imported.",
            "See iocage list, or give -Root (the mountpoint of the pool's iocage dataset).") { TargetObject = name };

    protected override object? Source => Root;
}
