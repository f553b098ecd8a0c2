using System;
using System.Collections.Generic;
using System.Linq;

namespace JailPS.HelpGen;

/// <summary>One cmdlet page, as read from PlatyPS-layout markdown.</summary>
public sealed class CommandHelp
{
    public const string AllParameterSets = "__AllParameterSets";

    public required string Name { get; init; }
    public required string SourcePath { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<string> Synopsis { get; init; } = Array.Empty<string>();
    public IReadOnlyList<SyntaxSet> Syntax { get; init; } = Array.Empty<SyntaxSet>();
    public IReadOnlyList<string> Aliases { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Description { get; init; } = Array.Empty<string>();
    public IReadOnlyList<ExampleHelp> Examples { get; init; } = Array.Empty<ExampleHelp>();
    public IReadOnlyList<ParameterHelp> Parameters { get; init; } = Array.Empty<ParameterHelp>();
    public bool HasCommonParameters { get; init; }
    public IReadOnlyList<TypeHelp> Inputs { get; init; } = Array.Empty<TypeHelp>();
    public IReadOnlyList<TypeHelp> Outputs { get; init; } = Array.Empty<TypeHelp>();
    public IReadOnlyList<string> Notes { get; init; } = Array.Empty<string>();
    public IReadOnlyList<RelatedLink> RelatedLinks { get; init; } = Array.Empty<RelatedLink>();

    /// <summary>The HelpUri from the front matter, or null when absent or empty.</summary>
    public string? HelpUri =>
        Metadata.TryGetValue("HelpUri", out var uri) && !string.IsNullOrWhiteSpace(uri) ? uri : null;

    public string Verb => Name.Contains('-') ? Name[..Name.IndexOf('-')] : Name;

    public string Noun => Name.Contains('-') ? Name[(Name.IndexOf('-') + 1)..] : string.Empty;

    /// <summary>Parameter set names in syntax order; a single <see cref="AllParameterSets"/> when the page has no named sets.</summary>
    public IReadOnlyList<string> ParameterSetNames
    {
        get
        {
            var names = Syntax.Select(s => s.Name).Where(n => !ParameterSetInfo.IsAll(n)).ToList();
            return names.Count == 0 ? new[] { AllParameterSets } : names;
        }
    }

    /// <summary>Documented parameters that belong to the named set (including those in all sets).</summary>
    public IEnumerable<(ParameterHelp Parameter, ParameterSetInfo Set)> ParametersIn(string setName)
    {
        foreach (var p in Parameters)
        {
            var set = p.ParameterSets.FirstOrDefault(s => string.Equals(s.Name, setName, StringComparison.OrdinalIgnoreCase))
                      ?? p.ParameterSets.FirstOrDefault(s => s.IsAllSets);
            if (set is not null)
            {
                yield return (p, set);
            }
        }
    }
}

public sealed record SyntaxSet(string Name, bool IsDefault, string Text, int Line);

public sealed record ExampleHelp(string Title, string Code, IReadOnlyList<string> Remarks, int Line);

public sealed record TypeHelp(string TypeName, IReadOnlyList<string> Description);

public sealed record RelatedLink(string Text, string? Uri);

public sealed class ParameterHelp
{
    public required string Name { get; init; }
    public required int Line { get; init; }
    public IReadOnlyList<string> Description { get; init; } = Array.Empty<string>();
    public required string Type { get; init; }
    public string DefaultValue { get; init; } = string.Empty;
    public bool SupportsWildcards { get; init; }
    public IReadOnlyList<string> Aliases { get; init; } = Array.Empty<string>();
    public IReadOnlyList<ParameterSetInfo> ParameterSets { get; init; } = Array.Empty<ParameterSetInfo>();
    public bool DontShow { get; init; }
    public IReadOnlyList<string> AcceptedValues { get; init; } = Array.Empty<string>();
    public string HelpMessage { get; init; } = string.Empty;

    public bool IsSwitch =>
        Type.Equals("SwitchParameter", StringComparison.OrdinalIgnoreCase) ||
        Type.EndsWith(".SwitchParameter", StringComparison.OrdinalIgnoreCase) ||
        Type.Equals("switch", StringComparison.OrdinalIgnoreCase);

    public bool IsArray => Type.EndsWith("[]", StringComparison.Ordinal);
}

public sealed class ParameterSetInfo
{
    public required string Name { get; init; }

    /// <summary>Null when the parameter is named (not positional).</summary>
    public int? Position { get; init; }
    public bool IsRequired { get; init; }
    public bool ValueFromPipeline { get; init; }
    public bool ValueFromPipelineByPropertyName { get; init; }
    public bool ValueFromRemainingArguments { get; init; }

    public bool IsAllSets => IsAll(Name);

    /// <summary>PlatyPS writes "(All)"; the engine calls the same thing "__AllParameterSets".</summary>
    public static bool IsAll(string name) =>
        name.Equals("(All)", StringComparison.OrdinalIgnoreCase) ||
        name.Equals(CommandHelp.AllParameterSets, StringComparison.OrdinalIgnoreCase);
}
