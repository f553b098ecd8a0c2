using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace JailPS.Core.Config;

/// <summary>
/// One jail after evaluation, as jail(8) sees it: variables substituted, wildcard and own
/// parameters merged in jail(8)'s precedence, one entry per parameter name, in jail(8)'s order
/// (the implied "name" or "jid" first). Variables ($x = ...) are not included.
/// </summary>
public sealed class JailDefinition
{
    public JailDefinition(string name, IReadOnlyList<JailConfParameter> parameters, string? sourceFile = null, int line = 0)
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        if (parameters is null) throw new ArgumentNullException(nameof(parameters));
        var copy = new JailConfParameter[parameters.Count];
        for (int i = 0; i < copy.Length; i++)
            copy[i] = parameters[i] ?? throw new ArgumentException("Parameters cannot be null.", nameof(parameters));
        Parameters = new ReadOnlyCollection<JailConfParameter>(copy);
        SourceFile = sourceFile;
        Line = line;
    }

    /// <summary>The jail's name as written in its block (hierarchical "a.b" for nested blocks).</summary>
    public string Name { get; }

    public IReadOnlyList<JailConfParameter> Parameters { get; }

    /// <summary>Host path of the file holding the jail's own block (null if defined only by API).</summary>
    public string? SourceFile { get; }

    /// <summary>Line of the jail's block name in <see cref="SourceFile"/> (0 if unknown).</summary>
    public int Line { get; }

    /// <summary>The parameter with exactly this name, or null.</summary>
    public JailConfParameter? Get(string name)
    {
        foreach (var p in Parameters)
            if (string.Equals(p.Name, name, StringComparison.Ordinal))
                return p;
        return null;
    }

    /// <summary>
    /// The parameter jail(8) treats as the same one: the exact name or its boolean "no" form
    /// ("persist" finds "nopersist", "allow.mount" finds "allow.nomount"), or null.
    /// </summary>
    public JailConfParameter? Find(string name)
    {
        foreach (var p in Parameters)
            if (JailConfNames.EquivalentNames(p.Name, name))
                return p;
        return null;
    }

    public override string ToString() => Name;
}
