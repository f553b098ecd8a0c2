using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Linq;

namespace JailPS.Core.Config;

/// <summary>
/// One evaluated jail parameter. <see cref="Values"/> is empty for a bare statement ("persist;",
/// "allow.nomount;"): a boolean true, or false for the "no" form. Pseudo-parameters that jail(8)
/// handles itself (exec.*, mount.*, depend, ... see <see cref="JailConfNames.IsPseudoParameter"/>)
/// are ordinary entries too: the lifecycle decides what to do with them.
/// </summary>
public sealed class JailConfParameter
{
    public JailConfParameter(string name, IReadOnlyList<string> values)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        if (values is null) throw new ArgumentNullException(nameof(values));
        var copy = new string[values.Count];
        for (int i = 0; i < copy.Length; i++)
            copy[i] = values[i] ?? throw new ArgumentException("Parameter values cannot be null.", nameof(values));
        Values = new ReadOnlyCollection<string>(copy);
    }

    private JailConfParameter(string name, string[] ownedValues, bool _)
    {
        Name = name;
        Values = new ReadOnlyCollection<string>(ownedValues);
    }

    /// <summary>The evaluator's result: values it made for this parameter alone and never touches again (no copy).</summary>
    internal static JailConfParameter Owning(string name, string[] values) => new(name, values, false);

    public JailConfParameter(string name, params string[] values)
        : this(name, (IReadOnlyList<string>)(values ?? Array.Empty<string>()))
    {
    }

    /// <summary>The name as written ("persist", "nopersist", "allow.raw_sockets", "exec.start").</summary>
    public string Name { get; }

    /// <summary>The values in order; empty for a bare statement.</summary>
    public IReadOnlyList<string> Values { get; }

    /// <summary>The last value, which is what jail(8) uses for scalar parameters; null when there is none.</summary>
    public string? LastValue => Values.Count == 0 ? null : Values[Values.Count - 1];

    public override string ToString()
        => Values.Count == 0 ? Name : Name + "=" + string.Join(",", Values);

    internal bool SameAs(JailConfParameter other)
        => Name == other.Name && Values.SequenceEqual(other.Values, StringComparer.Ordinal);
}
