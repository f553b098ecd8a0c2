using System;
using System.Management.Automation;

namespace JailPS.Commands;

/// <summary>
/// The Get-* cmdlets that report on jails (Get-JailMount, Get-JailIPAddress,
/// Get-JailNetworkAdapter, Get-JailPortForward): every jail, the jails -Name matches, or Jail
/// objects from the pipeline, each looked up afresh (a definition that came with the object, from
/// Import-JailConfig, is kept). A host table the report compares with is read once, before the
/// first jail (<see cref="ReadHostTables"/>); failing to read it, or the inventory, ends the command.
/// </summary>
public abstract class JailReportCmdletBase : JailCmdletBase
{
    protected const string ByNameSet = "ByName";
    protected const string ByObjectSet = "ByObject";

    [Parameter(ParameterSetName = ByNameSet, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [Alias("JailName")]
    [ArgumentCompleter(typeof(JailNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ParameterSetName = ByObjectSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(InputObjectJailNameCompleter))]
    public Jail[] InputObject { get; set; } = Array.Empty<Jail>();

    private bool _tablesRead;

    /// <summary>Reads what every jail is compared with (getfsstat, getifaddrs), once per command.</summary>
    protected virtual void ReadHostTables() { }

    /// <summary>Writes the report's objects for one jail.</summary>
    protected abstract void Report(Jail jail);

    protected override void ProcessJailRecord()
    {
        try
        {
            if (!_tablesRead) ReadHostTables();
            _tablesRead = true;
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, null)); // no host table: nothing useful can follow
        }
        if (ParameterSetName == ByObjectSet)
        {
            foreach (var j in InputObject)
                ForItem(j.Name, () => Report(Fresh(j)));
            return;
        }
        try
        {
            foreach (var j in Name is null ? Service.GetAll() : JailsNamed(Name))
                ForItem(j.Name, () => Report(j));
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            // The inventory itself could not be read (broken jail.conf, kernel error), as with Get-Jail.
            ThrowTerminatingError(ErrorRecordFor(ex, null));
        }
    }

    /// <summary>The jail as it is now; a definition that came with the object (Import-JailConfig) is kept.</summary>
    protected Jail Fresh(Jail jail)
    {
        var fresh = Service.Get(jail.Name);
        if (fresh is null) return jail;
        if (jail.Definition != null && fresh.Definition is null)
            return Service.ToJail(jail.Name, jail.Definition, fresh.Jid is null ? null : Service.Host.Kernel.GetByJid(fresh.Jid.Value));
        return fresh;
    }
}
