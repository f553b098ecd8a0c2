using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using JailPS.Core.Config;

namespace JailPS;

/// <summary>Where a jail is in its life, as the kernel reports it.</summary>
public enum JailState
{
    /// <summary>Defined (jail.conf) but not in the kernel.</summary>
    Stopped,
    /// <summary>Alive in the kernel.</summary>
    Running,
    /// <summary>Removed but still held by the kernel (jls -d).</summary>
    Dying,
}

/// <summary>
/// A jail: its definition (jail.conf) merged with what the kernel reports for it. Type name
/// JailPS.Jail is stable; deserialized copies are Deserialized.JailPS.Jail and keep every property.
/// </summary>
public sealed class Jail
{
    internal Jail(string name, JailState state, int? jid, string? path, string? hostname,
        string[] ipv4, string[] ipv6, bool persist, IDictionary parameters, string[] dependsOn,
        string? configFile, JailDefinition? definition, string computerName, bool isSimulated,
        JailConfException? definitionException = null, string? managedBy = null)
    {
        ManagedBy = managedBy;
        DefinitionException = definitionException;
        Name = name;
        Status = state;
        Jid = jid;
        Path = path;
        Hostname = hostname;
        IPv4Address = ipv4;
        IPv6Address = ipv6;
        Persist = persist;
        Parameters = parameters;
        DependsOn = dependsOn;
        ConfigFile = configFile;
        Definition = definition;
        ComputerName = computerName;
        IsSimulated = isSimulated;
    }

    public string Name { get; }

    /// <summary>
    /// The state's name: Stopped, Running or Dying. A string and not the enum, so ConvertTo-Json,
    /// Export-Csv and remoting write "Running" (ConvertTo-Json writes a CLR enum as a number).
    /// </summary>
    public string State => Status.ToString();

    /// <summary>The state for the engine and the cmdlets (Get-Jail -State takes the enum).</summary>
    internal JailState Status { get; }

    /// <summary>Jail ID while the jail is in the kernel; null when stopped.</summary>
    public int? Jid { get; }

    public string? Path { get; }
    public string? Hostname { get; }
    public string[] IPv4Address { get; }
    public string[] IPv6Address { get; }

    /// <summary>The kernel's persist flag while running; the definition's otherwise.</summary>
    public bool Persist { get; }

    /// <summary>
    /// Parameter values by name: typed values from the kernel while running (bool, int, string,
    /// string[] for addresses), jail.conf values otherwise.
    /// </summary>
    public IDictionary Parameters { get; }

    /// <summary>The jails this one depends on (jail.conf "depend").</summary>
    public string[] DependsOn { get; }

    /// <summary>The jail.conf file that defines the jail; null for a jail that exists only in the kernel.</summary>
    public string? ConfigFile { get; }

    /// <summary>
    /// Who manages the jail: jail.conf (a definition file JailPS reads), ocijail (a podman
    /// container), bastille, iocage, appjail or pot (by where its root is), or null for a jail only
    /// the kernel knows of. Stop-Jail and Remove-Jail leave a jail of another manager alone unless -Force.
    /// </summary>
    public string? ManagedBy { get; }

    /// <summary>True when a jail.conf definition exists for the jail.</summary>
    public bool IsDefined => Definition != null;

    /// <summary>
    /// Why the jail has no usable definition although a file defines it ("FILE:LINE:COL: what is
    /// wrong"): the file does not parse, or the jail's evaluation fails. Null otherwise. Such a jail
    /// cannot be started or changed until the file is fixed; a running one stops with -Force.
    /// </summary>
    public string? DefinitionError => DefinitionException?.Message;

    internal JailConfException? DefinitionException { get; }

    /// <summary>The host the object came from: its host name, or "simulated:DIR" for the simulated host.</summary>
    public string ComputerName { get; }

    /// <summary>True when the object came from the simulated host, never from a real kernel.</summary>
    public bool IsSimulated { get; }

    /// <summary>
    /// The evaluated jail.conf definition that Start-Jail acts on for a piped jail. Internal, so that
    /// ConvertTo-Json, Export-Csv and Format-List show the jail's data and not the evaluator's
    /// object graph (which would overrun ConvertTo-Json's default depth); the cmdlets see it.
    /// </summary>
    internal JailDefinition? Definition { get; }

    public override string ToString() => Name;
}
