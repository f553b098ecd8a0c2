using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using JailPS.HelpGen;
using Xunit;

namespace JailPS.Module.Tests.Help;

/// <summary>
/// docs/*.md must match the cmdlets the module really exports. Each theory runs once per
/// exported cmdlet (see <see cref="CmdletCatalog"/>), so a new cmdlet without a page, or a
/// parameter added or renamed without updating its page, fails here.
/// </summary>
public sealed class HelpConsistencyTests
{
    public static IEnumerable<object[]> Cmdlets => CmdletCatalog.CmdletNames;

    [Fact]
    public void ModuleExportsAtLeastOneCmdlet()
    {
        Assert.True(CmdletCatalog.LoadError is null, "The JailPS module could not be loaded: " + CmdletCatalog.LoadError);
        Assert.True(CmdletCatalog.Cmdlets.Count > 0, $"Get-Command -Module JailPS found no cmdlets in {RepoPaths.ModuleManifest}.");
    }

    [SkippableTheory]
    [MemberData(nameof(Cmdlets))]
    public void CmdletHasAWellFormedHelpPage(string cmdlet)
    {
        CmdletCatalog.Get(cmdlet);
        var page = CmdletCatalog.Page(cmdlet, required: true);
        Assert.Equal(cmdlet, page.Name);
    }

    [SkippableTheory]
    [MemberData(nameof(Cmdlets))]
    public void EveryParameterIsDocumentedAndEveryDocumentedParameterExists(string cmdlet)
    {
        var shape = CmdletCatalog.Get(cmdlet);
        var page = CmdletCatalog.Page(cmdlet);
        var actual = shape.ParameterNames.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var documented = page.Parameters.Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);

        var undocumented = actual.Where(p => !documented.Contains(p)).OrderBy(p => p).ToList();
        var stale = documented.Where(p => !actual.Contains(p)).OrderBy(p => p).ToList();
        var problems = new List<string>();
        if (undocumented.Count > 0)
        {
            problems.Add($"not documented in docs/{cmdlet}.md: {string.Join(", ", undocumented.Select(p => "-" + p))}");
        }

        if (stale.Count > 0)
        {
            problems.Add($"documented but not parameters of {cmdlet}: {string.Join(", ", stale.Select(p => "-" + p))}");
        }

        var common = page.Parameters.Where(p => CmdletCatalog.IsCommonParameter(p.Name)).Select(p => "-" + p.Name).ToList();
        if (common.Count > 0)
        {
            problems.Add($"common parameters are covered by '### CommonParameters', not documented one by one: {string.Join(", ", common)}");
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [SkippableTheory]
    [MemberData(nameof(Cmdlets))]
    public void DocumentedParameterSetsAndMetadataMatchTheCmdlet(string cmdlet)
    {
        var shape = CmdletCatalog.Get(cmdlet);
        var page = CmdletCatalog.Page(cmdlet);
        var problems = new List<string>();

        var realSets = shape.ParameterSets.Select(s => s.Name).ToList();
        var docSets = page.ParameterSetNames.ToList();
        if (!SameSets(realSets, docSets))
        {
            problems.Add($"## SYNTAX lists sets [{string.Join(", ", docSets)}] but the cmdlet has [{string.Join(", ", realSets)}]");
        }
        else if (realSets.Count > 1)
        {
            var realDefault = shape.ParameterSets.FirstOrDefault(s => s.IsDefault)?.Name;
            var docDefault = page.Syntax.FirstOrDefault(s => s.IsDefault)?.Name;
            if (realDefault is not null && !string.Equals(realDefault, docDefault, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"the default parameter set is '{realDefault}'; mark it '### {realDefault} (Default)' under ## SYNTAX (docs say '{docDefault ?? "none"}')");
            }
        }

        foreach (var doc in page.Parameters)
        {
            var inSets = shape.ParameterSets
                .Select(s => (Set: s, Parameter: s.Parameters.FirstOrDefault(p => p.Name.Equals(doc.Name, StringComparison.OrdinalIgnoreCase))))
                .Where(x => x.Parameter is not null)
                .ToList();
            if (inSets.Count == 0)
            {
                continue; // reported by EveryParameterIsDocumentedAndEveryDocumentedParameterExists
            }

            var real = inSets[0].Parameter!;
            if (!TypeMatches(doc.Type, real))
            {
                problems.Add($"-{doc.Name}: Type is {real.TypeFullName}, docs say {doc.Type}");
            }

            var realAliases = real.Aliases.OrderBy(a => a, StringComparer.OrdinalIgnoreCase).ToList();
            var docAliases = doc.Aliases.OrderBy(a => a, StringComparer.OrdinalIgnoreCase).ToList();
            if (!realAliases.SequenceEqual(docAliases, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"-{doc.Name}: Aliases are [{string.Join(", ", realAliases)}], docs say [{string.Join(", ", docAliases)}]");
            }

            var inAllSets = inSets.Count == shape.ParameterSets.Count;
            var docAll = doc.ParameterSets.Any(s => s.IsAllSets);
            if (docAll && !inAllSets)
            {
                problems.Add($"-{doc.Name}: docs say (All) sets, the cmdlet has it only in [{string.Join(", ", inSets.Select(x => x.Set.Name))}]");
                continue;
            }

            foreach (var (set, parameter) in inSets)
            {
                var docSet = doc.ParameterSets.FirstOrDefault(s => s.Name.Equals(set.Name, StringComparison.OrdinalIgnoreCase))
                             ?? doc.ParameterSets.FirstOrDefault(s => s.IsAllSets);
                if (docSet is null)
                {
                    problems.Add($"-{doc.Name}: is in parameter set '{set.Name}', which its ParameterSets list leaves out");
                    continue;
                }

                var where = docSet.IsAllSets ? "(All)" : set.Name;
                Compare(problems, doc.Name, where, "IsRequired", parameter!.IsMandatory, docSet.IsRequired);
                Compare(problems, doc.Name, where, "ValueFromPipeline", parameter.ValueFromPipeline, docSet.ValueFromPipeline);
                Compare(problems, doc.Name, where, "ValueFromPipelineByPropertyName", parameter.ValueFromPipelineByPropertyName, docSet.ValueFromPipelineByPropertyName);
                Compare(problems, doc.Name, where, "ValueFromRemainingArguments", parameter.ValueFromRemainingArguments, docSet.ValueFromRemainingArguments);
                if (parameter.Position != docSet.Position)
                {
                    problems.Add($"-{doc.Name} in {where}: Position is {parameter.Position?.ToString() ?? "Named"}, docs say {docSet.Position?.ToString() ?? "Named"}");
                }
            }

            foreach (var docSet in doc.ParameterSets.Where(s => !s.IsAllSets))
            {
                if (!inSets.Any(x => x.Set.Name.Equals(docSet.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    problems.Add($"-{doc.Name}: docs put it in parameter set '{docSet.Name}', the cmdlet does not");
                }
            }
        }

        Assert.True(problems.Count == 0, $"docs/{cmdlet}.md disagrees with the cmdlet:\n" + string.Join("\n", problems));
    }

    [SkippableTheory]
    [MemberData(nameof(Cmdlets))]
    public void EveryParameterSetHasAnExample(string cmdlet)
    {
        var shape = CmdletCatalog.Get(cmdlet);
        var page = CmdletCatalog.Page(cmdlet);
        using var session = new ModuleSession();
        var covered = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var notes = new List<string>();
        foreach (var example in page.Examples)
        {
            foreach (var usage in ExampleUsages(session, cmdlet, example.Code))
            {
                var sets = ExampleCoverage.SetsUsedBy(shape, usage.Bound, usage.Piped);
                covered.UnionWith(sets);
                notes.Add($"  '{example.Title}': binds [{string.Join(", ", usage.Bound.Select(b => "-" + b))}]{(usage.Piped ? " + pipeline input" : string.Empty)} -> [{string.Join(", ", sets)}]");
            }
        }

        var missing = shape.ParameterSets.Select(s => s.Name).Where(s => !covered.Contains(s)).ToList();
        Assert.True(
            missing.Count == 0,
            $"docs/{cmdlet}.md has no example for parameter set(s) [{string.Join(", ", missing)}]. How the examples bind:\n" +
            (notes.Count == 0 ? $"  (no example calls {cmdlet})" : string.Join("\n", notes)));
    }

    [SkippableTheory]
    [MemberData(nameof(Cmdlets))]
    public void GetHelpExamplesComeFromTheGeneratedMaml(string cmdlet)
    {
        CmdletCatalog.Get(cmdlet);
        var page = CmdletCatalog.Page(cmdlet);
        using var session = new ModuleSession();
        session.SetVariable("__jailpsHelpTarget", cmdlet);
        var result = session.Run("""
            $help = Get-Help -Name $__jailpsHelpTarget -Examples -ErrorAction Stop
            [pscustomobject]@{
                TypeNames = @($help.PSObject.TypeNames)
                Codes = @($help.examples.example | ForEach-Object { [string]$_.code })
                Titles = @($help.examples.example | ForEach-Object { [string]$_.title })
            }
            """).EnsureSuccess();

        var help = Assert.Single(result.Output);
        var typeNames = Strings(help.Properties["TypeNames"].Value);
        Assert.True(
            typeNames.Any(t => t.StartsWith("MamlCommandHelpInfo", StringComparison.Ordinal)),
            $"Get-Help {cmdlet} did not come from en-US/JailPS.dll-Help.xml (type names: {string.Join(", ", typeNames)}).");

        var codes = Strings(help.Properties["Codes"].Value);
        var titles = Strings(help.Properties["Titles"].Value);
        Assert.Equal(page.Examples.Count, codes.Count);
        for (var i = 0; i < page.Examples.Count; i++)
        {
            Assert.Equal(Normalize(page.Examples[i].Code), Normalize(codes[i]));
            Assert.Contains(page.Examples[i].Title, titles[i], StringComparison.Ordinal);
        }
    }

    private static bool SameSets(IReadOnlyList<string> real, IReadOnlyList<string> docs)
    {
        static IEnumerable<string> Norm(IEnumerable<string> names) =>
            names.Select(n => ParameterSetInfo.IsAll(n) ? CmdletShape.AllSets : n).OrderBy(n => n, StringComparer.OrdinalIgnoreCase);

        return Norm(real).SequenceEqual(Norm(docs), StringComparer.OrdinalIgnoreCase);
    }

    private static bool TypeMatches(string documented, ParameterShape real)
    {
        var doc = documented.Trim();
        return doc.Equals(real.TypeFullName, StringComparison.OrdinalIgnoreCase) ||
               doc.Equals(real.TypeName, StringComparison.OrdinalIgnoreCase) ||
               (real.IsSwitch && doc.Equals("switch", StringComparison.OrdinalIgnoreCase));
    }

    private static void Compare(List<string> problems, string parameter, string set, string what, bool real, bool documented)
    {
        if (real != documented)
        {
            problems.Add($"-{parameter} in {set}: {what} is {real.ToString().ToLowerInvariant()}, docs say {documented.ToString().ToLowerInvariant()}");
        }
    }

    private static IReadOnlyList<string> Strings(object? value) => PSValue.Strings(value);

    private static string Normalize(string code) =>
        string.Join("\n", code.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd())).Trim();

    private sealed record Usage(IReadOnlyList<string> Bound, bool Piped);

    /// <summary>Every call of <paramref name="cmdlet"/> in the example, bound statically by the engine (aliases, prefixes and positions resolved).</summary>
    private static IEnumerable<Usage> ExampleUsages(ModuleSession session, string cmdlet, string code)
    {
        session.SetVariable("__jailpsExampleCode", code);
        session.SetVariable("__jailpsExampleCommand", cmdlet);
        var result = session.Run("""
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($__jailpsExampleCode, [ref]$null, [ref]$null)
            $calls = $ast.FindAll({
                param($node)
                $node -is [System.Management.Automation.Language.CommandAst] -and
                    ($node.GetCommandName() -replace '^.*\\', '') -eq $__jailpsExampleCommand
            }, $true)
            foreach ($call in $calls) {
                $binding = [System.Management.Automation.Language.StaticParameterBinder]::BindCommand($call, $true)
                $pipeline = $call.Parent -as [System.Management.Automation.Language.PipelineAst]
                [pscustomobject]@{
                    Bound = @($binding.BoundParameters.Keys)
                    Piped = $null -ne $pipeline -and $pipeline.PipelineElements.IndexOf($call) -gt 0
                }
            }
            """);
        foreach (var o in result.Output)
        {
            var bound = Strings(o.Properties["Bound"].Value).Where(b => !CmdletCatalog.IsCommonParameter(b)).ToList();
            yield return new Usage(bound, o.Properties["Piped"].Value is true or PSObject { BaseObject: true });
        }
    }
}

/// <summary>Which parameter sets a call exercises, judged from the parameters it binds.</summary>
public static class ExampleCoverage
{
    public static IReadOnlyList<string> SetsUsedBy(CmdletShape cmdlet, IReadOnlyList<string> bound, bool piped)
    {
        // Sets the call can run in: every bound parameter belongs to the set, and every mandatory
        // parameter of the set is bound (or can come from the pipeline).
        var candidates = cmdlet.ParameterSets.Where(set =>
                bound.All(set.Has) &&
                set.Parameters.Where(p => p.IsMandatory).All(p =>
                    bound.Contains(p.Name, StringComparer.OrdinalIgnoreCase) ||
                    (piped && (p.ValueFromPipeline || p.ValueFromPipelineByPropertyName))))
            .ToList();
        if (candidates.Count <= 1)
        {
            return candidates.Select(s => s.Name).ToList();
        }

        // Several sets fit. Piped input binds by value first, so the sets with an unbound
        // ValueFromPipeline parameter (typically -InputObject) are the ones a pipeline exercises.
        if (piped)
        {
            var byValue = candidates
                .Where(set => set.Parameters.Any(p => p.ValueFromPipeline && !bound.Contains(p.Name, StringComparer.OrdinalIgnoreCase)))
                .ToList();
            if (byValue.Count > 0)
            {
                return byValue.Select(s => s.Name).ToList();
            }
        }

        // Nothing tells them apart: the engine picks the default set.
        var fallback = candidates.FirstOrDefault(s => s.IsDefault);
        return fallback is not null ? new[] { fallback.Name } : candidates.Select(s => s.Name).ToList();
    }
}
