using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Internal;
using System.Reflection;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Where the object a command received from the pipeline came from, and where the JailPS objects
/// typed on its command line came from (see <see cref="JailObjectOrigin"/>).
///
/// The pipeline object is read from the engine's CurrentPipelineObject: the object as it was piped,
/// before parameter binding took it apart. PowerShell has no public way for a compiled cmdlet to
/// see it: the property is internal, but it is how delay-bind script blocks ({ $_.Name }) see $_,
/// and a test checks it is there in the pwsh this module is tested with. The first way this was
/// built, hidden parameters that bound ComputerName and PSComputerName by property name, changed
/// which parameter set PowerShell picks (an object with a ComputerName no longer bound -Name by
/// property name), which broke ordinary local pipelines.
/// </summary>
internal static class PipelineOrigin
{
    private static readonly PropertyInfo? s_currentPipelineObject =
        typeof(InternalCommand).GetProperty("CurrentPipelineObject", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);

    /// <summary>The object the command is processing now, as piped; null without pipeline input.</summary>
    public static PSObject? CurrentPipelineObject(Cmdlet cmdlet)
    {
        if (s_currentPipelineObject is null) return null;
        var value = s_currentPipelineObject.GetValue(cmdlet) as PSObject;
        return value is null || value == AutomationNull.Value ? null : value;
    }

    /// <summary>
    /// The refusal of the current pipeline object (or of one of its items, when an array was piped
    /// as one object) when it came from another host; null when it did not, or when nothing was piped.
    /// </summary>
    public static JailOperationException? PipelineRefusal(PSCmdlet cmdlet, JailHost host)
        => CurrentPipelineObject(cmdlet) is { } item ? Refusal(item, host, cmdlet.MyInvocation.MyCommand.Name) : null;

    /// <summary>The refusal of a value typed on the command line (Stop-Jail -InputObject $jailFromBsd2), or null.</summary>
    public static JailOperationException? CommandLineRefusal(PSCmdlet cmdlet, JailHost host, IReadOnlyCollection<string> content)
    {
        foreach (var (parameter, value) in cmdlet.MyInvocation.BoundParameters)
            if (value is not null && !content.Contains(parameter, StringComparer.OrdinalIgnoreCase) &&
                Refusal(value, host, cmdlet.MyInvocation.MyCommand.Name) is { } refusal)
                return refusal;
        return null;
    }

    private static JailOperationException? Refusal(object value, JailHost host, string commandName)
    {
        foreach (var item in Items(value))
        {
            var (computerName, psComputerName, name) = Marks(item);
            if (JailObjectOrigin.Refusal(host, computerName, psComputerName, commandName, name) is { } refusal)
                return refusal;
        }
        return null;
    }

    /// <summary>The object, or the items of a collection piped or typed as one value.</summary>
    private static IEnumerable<PSObject> Items(object value)
    {
        var p = PSObject.AsPSObject(value);
        if (p.BaseObject is IEnumerable e and not string and not IDictionary)
        {
            foreach (object? o in e)
                if (o is not null) yield return PSObject.AsPSObject(o);
            yield break;
        }
        yield return p;
    }

    /// <summary>
    /// An object's marks: ComputerName only from a JailPS object (live or deserialized), whose
    /// ComputerName is its host; PSComputerName from any object remoting brought (a string too).
    /// A property that cannot be read is no mark.
    /// </summary>
    private static (string? ComputerName, string? PSComputerName, string? Name) Marks(PSObject item)
    {
        string? Read(string property)
        {
            try { return item.Properties[property]?.Value?.ToString(); }
            catch (Exception ex) when (ex is ExtendedTypeSystemException or AmbiguousMatchException or InvalidOperationException)
            {
                return null;
            }
        }
        bool isJailPS = item.TypeNames.Any(t => t.StartsWith("JailPS.", StringComparison.Ordinal) || t.StartsWith("Deserialized.JailPS.", StringComparison.Ordinal));
        string? name = item.BaseObject is string s ? s : Read("JailName") ?? Read("Name");
        return (isJailPS ? Read("ComputerName") : null, Read("PSComputerName"), name);
    }
}
