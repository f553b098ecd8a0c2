using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;

namespace JailPS.Commands;

/// <summary>
/// Get-JailMount: what is mounted beneath each jail's root compared with what should be there
/// (the mount ledger, and the definition's mounts while the jail runs), as JailPS.JailMount
/// objects. Anything else under the root is Leaked. One getfsstat read per command.
/// </summary>
[Cmdlet(VerbsCommon.Get, "JailMount", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(JailMount))]
public sealed class GetJailMountCommand : JailCmdletBase
{
    private const string ByNameSet = "ByName";
    private const string ByObjectSet = "ByObject";

    [Parameter(ParameterSetName = ByNameSet, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [Alias("JailName")]
    [ArgumentCompleter(typeof(JailNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ParameterSetName = ByObjectSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Jail[] InputObject { get; set; } = Array.Empty<Jail>();

    /// <summary>Only mounts in these states (Mounted, Missing, Leaked, NotMounted).</summary>
    [Parameter]
    public JailMountState[]? State { get; set; }

    private JailMountService? _mounts;
    private IReadOnlyList<MountEntry>? _table;

    protected override void ProcessRecord()
    {
        _mounts ??= new JailMountService(JailHost);
        try
        {
            _table ??= _mounts.Mounter.ReadTable();
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, null)); // no mount table: nothing useful can follow
        }

        if (ParameterSetName == ByObjectSet)
        {
            foreach (var j in InputObject)
                ForItem(j.Name, () => Emit(Fresh(j)));
            return;
        }
        try
        {
            if (Name is null)
            {
                foreach (var j in Service.GetAll())
                    ForItem(j.Name, () => Emit(j));
                return;
            }
            foreach (var j in JailsNamed(Name))
                ForItem(j.Name, () => Emit(j));
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            // The inventory itself could not be read (broken jail.conf, kernel error), as with Get-Jail.
            ThrowTerminatingError(ErrorRecordFor(ex, null));
        }
    }

    /// <summary>The jail as it is now; a definition that came with the object (Import-JailConfig) is kept.</summary>
    private Jail Fresh(Jail jail)
    {
        var fresh = Service.Get(jail.Name);
        if (fresh is null) return jail;
        if (jail.Definition != null && fresh.Definition is null)
            return Service.ToJail(jail.Name, jail.Definition, fresh.Jid is null ? null : Service.Host.Kernel.GetByJid(fresh.Jid.Value));
        return fresh;
    }

    private void Emit(Jail jail)
    {
        if (jail.Path is null || !JailPS.Core.Host.HostPath.IsAbsolute(jail.Path))
            return; // no root, nothing can be mounted beneath it
        foreach (var m in _mounts!.Inspect(jail.Name, jail.Path, DefinitionMounts(jail), jail.Status == JailState.Running, _table, DefinitionRoot(jail)))
            if (State is null || Array.IndexOf(State, m.Status) >= 0)
                WriteObject(m);
    }

    /// <summary>The path the definition's mount lines are written against (the kernel's path may be its realpath).</summary>
    private static string? DefinitionRoot(Jail jail)
    {
        string? path = jail.Definition?.Get("path")?.Values is { Count: > 0 } v ? v[v.Count - 1] : null;
        return path is not null && JailPS.Core.Host.HostPath.IsAbsolute(path) ? path : null;
    }

    /// <summary>
    /// The definition's mounts in jail(8) order. A definition JailPS cannot read the mounts of (a
    /// missing mount.fstab file, a malformed line) is reported as a warning and the jail's mounts
    /// are listed without it, so nothing that is mounted is hidden.
    /// </summary>
    private IReadOnlyList<MountRequest> DefinitionMounts(Jail jail)
    {
        if (jail.Definition is null) return Array.Empty<MountRequest>();
        try
        {
            return JailMountPlanner.ForSpec(SpecOf(jail)!, JailHost.Files);
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            WriteWarning($"jail {jail.Name}: its definition's mounts cannot be read ({ex.Message}); mounts under {jail.Path} are compared with the mount ledger only.");
            return Array.Empty<MountRequest>();
        }
    }
}
