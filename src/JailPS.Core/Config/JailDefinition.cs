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
    public JailDefinition(string name, IReadOnlyList<JailConfParameter> parameters, string? sourceFile = null, int line = 0,
        IReadOnlyList<JailConfException>? warnings = null)
        : this(name ?? throw new ArgumentNullException(nameof(name)), CopyOf(parameters), sourceFile, line, warnings, owned: true)
    {
    }

    private static JailConfParameter[] CopyOf(IReadOnlyList<JailConfParameter> parameters)
    {
        if (parameters is null) throw new ArgumentNullException(nameof(parameters));
        var copy = new JailConfParameter[parameters.Count];
        for (int i = 0; i < copy.Length; i++)
            copy[i] = parameters[i] ?? throw new ArgumentException("Parameters cannot be null.", nameof(parameters));
        return copy;
    }

    /// <summary>The evaluator's result: an array it made for this jail alone and never touches again (no copy).</summary>
    internal static JailDefinition Owning(string name, JailConfParameter[] parameters, string? sourceFile, int line,
        IReadOnlyList<JailConfException>? warnings, IReadOnlyDictionary<string, string>? variables = null)
        => new(name, parameters, sourceFile, line, warnings, owned: true) { Variables = variables ?? s_noVariables };

    private static readonly IReadOnlyDictionary<string, string> s_noVariables = new Dictionary<string, string>();

    private JailDefinition(string name, JailConfParameter[] copy, string? sourceFile, int line,
        IReadOnlyList<JailConfException>? warnings, bool owned)
    {
        _ = owned;
        Warnings = warnings is null || warnings.Count == 0 ? Array.Empty<JailConfException>() : new ReadOnlyCollection<JailConfException>(new List<JailConfException>(warnings));
        Name = name;
        Parameters = new ReadOnlyCollection<JailConfParameter>(copy);
        BlockName = name;
        // The kernel names the jail after its name parameter; only a numeric block can set one
        // of its own ("5309 { name = basejail; }": jid 5309, name basejail; config.c load_config).
        for (int i = copy.Length - 1; i >= 0; i--)
            if (copy[i].Name == "name" && copy[i].Values.Count > 0)
            {
                Name = copy[i].Values[^1];
                break;
            }
        SourceFile = sourceFile;
        Line = line;
    }

    /// <summary>
    /// The jail's name, as the kernel will know it: the value of its name parameter, which is the
    /// block name (hierarchical "a.b" for nested blocks) unless a numeric block sets another.
    /// </summary>
    public string Name { get; }

    /// <summary>
    /// The name of the jail's block as written ("5309" for "5309 { name = basejail; }"): what
    /// jail(8) calls the jail in its messages, what depend and wildcards refer to, and the block
    /// JailPS edits.
    /// </summary>
    public string BlockName { get; }

    public IReadOnlyList<JailConfParameter> Parameters { get; }

    /// <summary>
    /// The jail's variables ($name = value;) after substitution, by name without the '$', each its
    /// last value (several values joined with ", "). jail(8) only substitutes them; JailPS keeps its
    /// own settings that jail(8) has no parameter for in variables named jailps_* (VNET epairs), so
    /// the file stays one jail(8) reads.
    /// </summary>
    public IReadOnlyDictionary<string, string> Variables { get; private init; } = s_noVariables;

    /// <summary>Host path of the file holding the jail's own block (null if defined only by API).</summary>
    public string? SourceFile { get; }

    /// <summary>Line of the jail's block name in <see cref="SourceFile"/> (0 if unknown).</summary>
    public int Line { get; }

    /// <summary>
    /// What jail(8) warns about when it evaluates this jail (usr.sbin/jail/config.c: a variable not
    /// found, a variable loop, an array substituted inline, a variable named like a parameter, a
    /// redefined name or jid), each with its position. jail(8) marks such a jail failed: `jail -e`
    /// still shows it with these values, `jail -c` and `jail -r` refuse it. Empty for a good jail.
    /// </summary>
    public IReadOnlyList<JailConfException> Warnings { get; }

    /// <summary>True when jail(8) would mark the jail failed (<see cref="Warnings"/> is not empty).</summary>
    public bool IsFailed => Warnings.Count > 0;

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
