using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using JailPS.HelpGen;

namespace JailPS.Module.Tests.Help;

/// <summary>One parameter as one parameter set of the real cmdlet declares it.</summary>
public sealed record ParameterShape(
    string Name,
    string TypeFullName,
    string TypeName,
    bool IsSwitch,
    bool IsMandatory,
    int? Position,
    bool ValueFromPipeline,
    bool ValueFromPipelineByPropertyName,
    bool ValueFromRemainingArguments,
    IReadOnlyList<string> Aliases);

public sealed record ParameterSetShape(string Name, bool IsDefault, IReadOnlyList<ParameterShape> Parameters)
{
    public bool Has(string parameter) => Parameters.Any(p => p.Name.Equals(parameter, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A cmdlet exported by the module, as Get-Command reports it (common parameters left out).</summary>
public sealed record CmdletShape(string Name, IReadOnlyList<ParameterSetShape> ParameterSets)
{
    public const string AllSets = "__AllParameterSets";

    public IEnumerable<string> ParameterNames =>
        ParameterSets.SelectMany(s => s.Parameters).Select(p => p.Name).Distinct(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// The cmdlets the built module exports, read once per test run, and their docs pages.
/// The theories are data-driven over this list, so they grow with the module.
/// </summary>
public static class CmdletCatalog
{
    /// <summary>Theory data row standing for "the module exports nothing": those theories skip, and ModuleExportsAtLeastOneCmdlet fails.</summary>
    public const string NoCmdlets = "(module exports no cmdlets)";

    /// <summary>Prefix of a row standing for "the module could not be loaded": those theories fail with the reason.</summary>
    public const string LoadFailure = "(module failed to load) ";

    private static readonly Lazy<(IReadOnlyList<CmdletShape> Cmdlets, string? Error)> Data = new(Load);

    public static IReadOnlyList<CmdletShape> Cmdlets => Data.Value.Cmdlets;

    public static string? LoadError => Data.Value.Error;

    public static IEnumerable<object[]> CmdletNames
    {
        get
        {
            if (LoadError is { } error)
            {
                return new[] { new object[] { LoadFailure + error } };
            }

            return Cmdlets.Count == 0
                ? new[] { new object[] { NoCmdlets } }
                : Cmdlets.Select(c => new object[] { c.Name });
        }
    }

    public static CmdletShape Get(string name)
    {
        if (name.StartsWith(LoadFailure, StringComparison.Ordinal))
        {
            throw new Xunit.Sdk.XunitException("The JailPS module could not be loaded: " + name[LoadFailure.Length..]);
        }

        Xunit.Skip.If(name == NoCmdlets, "The module exports no cmdlets yet; ModuleExportsAtLeastOneCmdlet reports that.");
        return Cmdlets.Single(c => c.Name == name);
    }

    public static string PagePath(string cmdlet) => Path.Combine(RepoPaths.Docs, cmdlet + ".md");

    /// <summary>
    /// Reads the cmdlet's docs page. A missing or malformed page fails the test with the generator's
    /// own message when <paramref name="required"/>; otherwise the test is skipped, so that each
    /// missing page is reported once (by CmdletHasAWellFormedHelpPage), not once per check.
    /// </summary>
    public static CommandHelp Page(string cmdlet, bool required = false)
    {
        var path = PagePath(cmdlet);
        if (!required)
        {
            Xunit.Skip.IfNot(File.Exists(path), $"docs/{cmdlet}.md does not exist; CmdletHasAWellFormedHelpPage reports it.");
            try
            {
                return HelpPageReader.Read(path);
            }
            catch (HelpPageException ex)
            {
                throw new Xunit.SkipException($"docs/{cmdlet}.md is malformed ({ex.Message}); CmdletHasAWellFormedHelpPage reports it.");
            }
        }

        if (!File.Exists(path))
        {
            throw new Xunit.Sdk.XunitException(
                $"{cmdlet} has no help page: create docs/{cmdlet}.md in the PlatyPS 1.x layout (see tools/HelpGen/samples/ for two complete pages).");
        }

        try
        {
            return HelpPageReader.Read(path);
        }
        catch (HelpPageException ex)
        {
            throw new Xunit.Sdk.XunitException("The help page is malformed: " + ex.Describe());
        }
    }

    public static bool IsCommonParameter(string name) =>
        Cmdlet.CommonParameters.Contains(name);

    private static (IReadOnlyList<CmdletShape>, string?) Load()
    {
        try
        {
            using var session = new ModuleSession(simulatedHost: true);
            var result = session.Run("""
                Get-Command -Module JailPS -CommandType Cmdlet | ForEach-Object {
                    $cmdlet = $_
                    [pscustomobject]@{
                        Name = $cmdlet.Name
                        Sets = @($cmdlet.ParameterSets | ForEach-Object {
                            [pscustomobject]@{
                                Name = $_.Name
                                IsDefault = $_.IsDefault
                                Parameters = @($_.Parameters | ForEach-Object {
                                    [pscustomobject]@{
                                        Name = $_.Name
                                        Type = $_.ParameterType
                                        IsMandatory = $_.IsMandatory
                                        Position = $_.Position
                                        ValueFromPipeline = $_.ValueFromPipeline
                                        ValueFromPipelineByPropertyName = $_.ValueFromPipelineByPropertyName
                                        ValueFromRemainingArguments = $_.ValueFromRemainingArguments
                                        Aliases = @($_.Aliases)
                                    }
                                })
                            }
                        })
                    }
                }
                """);
            if (result.HadErrors)
            {
                return (Array.Empty<CmdletShape>(), result.ToString());
            }

            var cmdlets = result.Output.Select(ToShape).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            return (cmdlets, null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or RuntimeException or IOException)
        {
            return (Array.Empty<CmdletShape>(), ex.Message);
        }
    }

    private static CmdletShape ToShape(PSObject o)
    {
        var sets = ((IEnumerable<object>)Unwrap(o.Properties["Sets"].Value)).Cast<PSObject>().Select(s =>
        {
            var parameters = ((IEnumerable<object>)Unwrap(s.Properties["Parameters"].Value)).Cast<PSObject>()
                .Select(p =>
                {
                    var type = (Type)Unwrap(p.Properties["Type"].Value);
                    var position = (int)Unwrap(p.Properties["Position"].Value);
                    return new ParameterShape(
                        (string)Unwrap(p.Properties["Name"].Value),
                        DisplayName(type),
                        type.Name,
                        type == typeof(SwitchParameter),
                        (bool)Unwrap(p.Properties["IsMandatory"].Value),
                        position == int.MinValue ? null : position,
                        (bool)Unwrap(p.Properties["ValueFromPipeline"].Value),
                        (bool)Unwrap(p.Properties["ValueFromPipelineByPropertyName"].Value),
                        (bool)Unwrap(p.Properties["ValueFromRemainingArguments"].Value),
                        ((IEnumerable<object>)Unwrap(p.Properties["Aliases"].Value)).Select(a => Unwrap(a).ToString()!).ToList());
                })
                .Where(p => !IsCommonParameter(p.Name))
                .ToList();
            return new ParameterSetShape((string)Unwrap(s.Properties["Name"].Value), (bool)Unwrap(s.Properties["IsDefault"].Value), parameters);
        }).ToList();
        return new CmdletShape((string)Unwrap(o.Properties["Name"].Value), sets);
    }

    private static object Unwrap(object? value) => value is PSObject p ? p.BaseObject : value!;

    /// <summary>
    /// A type's name as PlatyPS writes it: the full name, with generic arguments spelled out
    /// without assembly details ("System.Nullable`1[System.Int32]").
    /// </summary>
    internal static string DisplayName(Type type)
    {
        if (!type.IsGenericType || type.IsGenericTypeDefinition)
            return type.FullName ?? type.Name;
        var args = type.GetGenericArguments().Select(DisplayName);
        return type.GetGenericTypeDefinition().FullName + "[" + string.Join(",", args) + "]";
    }
}
