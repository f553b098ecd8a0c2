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
public sealed class GetJailMountCommand : JailReportCmdletBase
{
    /// <summary>Only mounts in these states (Mounted, Missing, Leaked, NotMounted).</summary>
    [Parameter]
    public JailMountState[]? State { get; set; }

    private JailMountService? _mounts;
    private IReadOnlyList<MountEntry>? _table;

    protected override void ReadHostTables()
    {
        _mounts = new JailMountService(JailHost);
        _table = _mounts.Mounter.ReadTable();
    }

    protected override void Report(Jail jail)
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
