using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Base for cmdlets that act on existing jails: a ByName set (-Name, wildcards, pipeline by value
/// and by property name) and a ByObject set (-InputObject taking JailPS.Jail from Get-Jail or
/// Import-JailConfig).
/// </summary>
public abstract class JailTargetCmdletBase : JailCmdletBase
{
    protected const string ByNameSet = "ByName";
    protected const string ByObjectSet = "ByObject";

    [Parameter(ParameterSetName = ByNameSet, Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [Alias("JailName")]
    [ArgumentCompleter(typeof(JailNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = ByObjectSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(InputObjectJailNameCompleter))]
    public Jail[] InputObject { get; set; } = Array.Empty<Jail>();

    /// <summary>
    /// The jails this record names. A name without wildcards that matches nothing is an error
    /// (JailNotFound); a wildcard that matches nothing is not, as with Get-Process.
    /// </summary>
    protected IEnumerable<Jail> ResolveTargets()
    {
        if (ParameterSetName == ByObjectSet)
        {
            foreach (var j in InputObject)
                yield return j;
            yield break;
        }
        foreach (var j in JailsNamed(Name))
            yield return j;
    }

    /// <summary>The jail as it is in the kernel and jail.conf right now (input objects may be stale).</summary>
    protected Jail Current(Jail jail) => Service.Current(jail);
}
