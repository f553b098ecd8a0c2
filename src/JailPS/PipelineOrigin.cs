using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Which of a command's parameters the current pipeline item bound, and where that item came from.
/// PowerShell does not say which parameters an item bound (BoundParameters keeps the keys of earlier
/// items), but it puts every pipeline parameter back to its default before it binds the next item:
/// so a pipeline parameter that is not on the command line and holds something other than its
/// default was bound by this item.
/// </summary>
internal sealed class PipelineOrigin
{
    private const string ComputerNameParameter = nameof(JailCmdletBase.PipedComputerName);
    private const string PSComputerNameParameter = nameof(JailCmdletBase.PipedPSComputerName);

    private static readonly ConcurrentDictionary<Type, PipelineParameter[]> s_parameters = new();

    private readonly JailCmdletBase _cmdlet;
    private readonly PipelineParameter[] _parameters;
    private readonly PipelineParameter[] _fromPipeline;

    public PipelineOrigin(JailCmdletBase cmdlet, IEnumerable<string> commandLine)
    {
        _cmdlet = cmdlet;
        var typed = new HashSet<string>(commandLine, StringComparer.OrdinalIgnoreCase);
        // A parameter on the command line cannot come from the pipeline; one that is and still
        // differs from its default is the user's own.
        _parameters = ParametersOf(cmdlet.GetType());
        _fromPipeline = _parameters.Where(p => !typed.Contains(p.Property.Name)).ToArray();
    }

    /// <summary>The hidden origin parameter (or alias) if the user typed one, such as -ComputerName.</summary>
    public static string? NamedByHand(IEnumerable<string> commandLine)
    {
        foreach (string name in commandLine)
            if (name.Equals(ComputerNameParameter, StringComparison.OrdinalIgnoreCase) || name.Equals(PSComputerNameParameter, StringComparison.OrdinalIgnoreCase))
                return name.Equals(ComputerNameParameter, StringComparison.OrdinalIgnoreCase) ? "ComputerName" : "PSComputerName";
        return null;
    }

    /// <summary>
    /// The refusal of the current item when it came from another host and supplied what the command
    /// acts on; null otherwise. An item that bound only the origin marks (every target named on the
    /// command line) is the user naming the jail again, and is not refused.
    /// </summary>
    public JailOperationException? Refusal(JailHost host)
    {
        string commandName = _cmdlet.MyInvocation.MyCommand.Name;
        string? computerName = null, psComputerName = null, target = null;
        bool suppliedTarget = false;
        foreach (var p in _fromPipeline)
        {
            object? value = p.Property.GetValue(_cmdlet);
            if (p.IsDefault(value))
                continue;
            switch (p.Property.Name)
            {
                case ComputerNameParameter: computerName = value as string; continue;
                case PSComputerNameParameter: psComputerName = value as string; continue;
            }
            suppliedTarget = true;
            target ??= TargetText(value);
        }
        // A typed JailPS object (a Jail bound to -InputObject, piped or typed) carries its own
        // ComputerName, and is never "named again": only -Name is.
        foreach (var p in _parameters)
        {
            if (p.Property.Name is ComputerNameParameter or PSComputerNameParameter)
                continue;
            object? value = p.Property.GetValue(_cmdlet);
            if (p.IsDefault(value))
                continue;
            foreach (object item in Items(value!))
                if (ComputerNameOf(item) is { } own &&
                    JailObjectOrigin.Refusal(host, own, psComputerName, commandName, NameOf(item)) is { } itemRefusal)
                    return itemRefusal;
        }
        return suppliedTarget ? JailObjectOrigin.Refusal(host, computerName, psComputerName, commandName, target) : null;
    }

    private static IEnumerable<object> Items(object value) => value is IEnumerable e and not string
        ? e.Cast<object?>().Where(o => o is not null)!
        : new[] { value };

    private static string? TargetText(object value)
    {
        var names = Items(value).Select(o => NameOf(o) ?? (o is PSObject p ? p.BaseObject : o).ToString()).Where(n => !string.IsNullOrEmpty(n)).ToList();
        return names.Count == 0 ? null : string.Join(", ", names);
    }

    private static string? NameOf(object item) => StringProperty(item, "Name") ?? StringProperty(item, "JailName");

    private static string? ComputerNameOf(object item) => StringProperty(item, "ComputerName");

    private static string? StringProperty(object item, string name)
    {
        object target = item is PSObject p ? p.BaseObject : item;
        if (target is string || target.GetType().IsPrimitive)
            return null;
        return target.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.Instance)?.GetValue(target) as string;
    }

    private static PipelineParameter[] ParametersOf(Type type) => s_parameters.GetOrAdd(type, t =>
    {
        // A fresh instance holds each parameter's default, the value PowerShell puts back between items.
        object fresh = Activator.CreateInstance(t)!;
        try
        {
            return t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.GetCustomAttributes<ParameterAttribute>().Any(a => a.ValueFromPipeline || a.ValueFromPipelineByPropertyName))
                .Select(p => new PipelineParameter(p, p.GetValue(fresh)))
                .ToArray();
        }
        finally
        {
            (fresh as IDisposable)?.Dispose();
        }
    });

    private sealed record PipelineParameter(PropertyInfo Property, object? Default)
    {
        public bool IsDefault(object? value) => value switch
        {
            null => true,
            ICollection c when c.Count == 0 => true,
            _ => Equals(value, Default),
        };
    }
}
