using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Xml.Linq;
using JailPS.HelpGen;
using Xunit;

namespace JailPS.Module.Tests.HelpGen;

/// <summary>tools/HelpGen: reading PlatyPS 1.x pages, rejecting malformed ones, and writing MAML that Get-Help reads.</summary>
public sealed class HelpGenTests : IDisposable
{
    private static readonly XNamespace Maml = MamlWriter.Maml;
    private static readonly XNamespace Command = MamlWriter.Command;
    private static readonly XNamespace Dev = MamlWriter.Dev;

    private readonly string _temp = Path.Combine(Path.GetTempPath(), "jailps-helpgen-" + Guid.NewGuid().ToString("N")[..12]);

    public HelpGenTests()
    {
        Directory.CreateDirectory(_temp);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_temp, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Sample(string name) => Path.Combine(RepoPaths.HelpGenSamples, name + ".md");

    [Fact]
    public void ReadsEverySectionOfAPage()
    {
        var help = HelpPageReader.Read(Sample("Get-SampleItem"));

        Assert.Equal("Get-SampleItem", help.Name);
        Assert.Equal("Get", help.Verb);
        Assert.Equal("SampleItem", help.Noun);
        Assert.Equal("Gets sample items by name or by number.", Assert.Single(help.Synopsis));
        Assert.Equal(new[] { "Name", "Id" }, help.ParameterSetNames);
        Assert.True(help.Syntax[0].IsDefault);
        Assert.Equal("https://example.invalid/help/Get-SampleItem", help.HelpUri);

        // Soft-wrapped lines join into one paragraph; list items keep their line breaks.
        Assert.Equal(3, help.Description.Count);
        Assert.DoesNotContain('\n', help.Description[0]);
        Assert.Equal("- by name, with wildcards;\n- by number.", help.Description[2]);

        Assert.Equal(2, help.Examples.Count);
        Assert.Equal("Example 2: Get items by number", help.Examples[1].Title);
        Assert.Equal("Get-SampleItem -Id 1, 2", help.Examples[1].Code);
        Assert.Contains(help.Examples[1].Remarks, r => r.Contains("alpha  1", StringComparison.Ordinal));

        Assert.Equal(new[] { "Detailed", "Id", "Name" }, help.Parameters.Select(p => p.Name));
        var name = help.Parameters.Single(p => p.Name == "Name");
        Assert.True(name.SupportsWildcards);
        Assert.Equal("*", name.DefaultValue);
        var nameSet = Assert.Single(name.ParameterSets);
        Assert.Equal(0, nameSet.Position);
        Assert.True(nameSet.ValueFromPipeline);
        Assert.True(nameSet.ValueFromPipelineByPropertyName);
        Assert.Equal(new[] { "Number" }, help.Parameters.Single(p => p.Name == "Id").Aliases);
        Assert.True(help.Parameters.Single(p => p.Name == "Detailed").IsSwitch);
        Assert.True(help.HasCommonParameters);

        Assert.Equal("System.String", Assert.Single(help.Inputs).TypeName);
        Assert.Equal("System.Management.Automation.PSObject", Assert.Single(help.Outputs).TypeName);
        Assert.Equal(2, help.RelatedLinks.Count);
    }

    [Fact]
    public void WritesMamlWithSyntaxGeneratedFromTheParameters()
    {
        var output = Path.Combine(_temp, "out.xml");
        var exit = Program.Generate(Program.FindCommandPages(RepoPaths.HelpGenSamples), output, TextWriter.Null, TextWriter.Null);
        Assert.Equal(0, exit);

        var doc = XDocument.Load(output);
        Assert.Equal("helpItems", doc.Root!.Name.LocalName);
        Assert.Equal("maml", doc.Root.Attribute("schema")?.Value);
        var commands = doc.Root.Elements(Command + "command").ToList();
        Assert.Equal(new[] { "Get-SampleItem", "Set-SampleItem" }, commands.Select(c => c.Element(Command + "details")!.Element(Command + "name")!.Value));

        var get = commands[0];
        var syntaxItems = get.Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToList();
        Assert.Equal(2, syntaxItems.Count);
        var idItem = syntaxItems[1];
        var id = idItem.Elements(Command + "parameter").First();
        Assert.Equal("Id", id.Element(Maml + "name")!.Value);
        Assert.Equal("true", id.Attribute("required")!.Value);
        Assert.Equal("True (ByPropertyName)", id.Attribute("pipelineInput")!.Value);
        Assert.Equal("Int32[]", id.Element(Command + "parameterValue")!.Value);

        // A switch has no value in a syntax line, but shows its type in the parameter list.
        var detailedInSyntax = syntaxItems[0].Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == "Detailed");
        Assert.Null(detailedInSyntax.Element(Command + "parameterValue"));
        var detailed = get.Element(Command + "parameters")!.Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == "Detailed");
        Assert.Equal("SwitchParameter", detailed.Element(Command + "parameterValue")!.Value);

        var examples = get.Element(Command + "examples")!.Elements(Command + "example").ToList();
        Assert.Equal("Get-SampleItem", examples[0].Element(Dev + "code")!.Value);
        Assert.Contains("Example 1: Get every item", examples[0].Element(Maml + "title")!.Value, StringComparison.Ordinal);

        // The online link comes first; relative links to other pages keep their text but no uri.
        var links = get.Element(Command + "relatedLinks")!.Elements(Maml + "navigationLink").ToList();
        Assert.Equal("https://example.invalid/help/Get-SampleItem", links[0].Element(Maml + "uri")!.Value);
        Assert.Equal("Set-SampleItem", links[1].Element(Maml + "linkText")!.Value);
        Assert.Equal(string.Empty, links[1].Element(Maml + "uri")!.Value);

        var mode = commands[1].Element(Command + "syntax")!.Descendants(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == "Mode");
        Assert.Equal(new[] { "ReadOnly", "ReadWrite" }, mode.Element(Command + "parameterValueGroup")!.Elements(Command + "parameterValue").Select(v => v.Value));
    }

    [Fact]
    public void GetHelpReadsTheGeneratedMaml()
    {
        // A script module whose functions point at the generated file, so the engine's own help
        // system reads it without needing the JailPS binary module.
        var moduleDir = Path.Combine(_temp, "SampleModule");
        Directory.CreateDirectory(Path.Combine(moduleDir, "en-US"));
        var helpFile = Path.Combine(moduleDir, "en-US", "SampleModule-Help.xml");
        Assert.Equal(0, Program.Generate(Program.FindCommandPages(RepoPaths.HelpGenSamples), helpFile, TextWriter.Null, TextWriter.Null));
        File.WriteAllText(Path.Combine(moduleDir, "SampleModule.psm1"), """
            function Get-SampleItem {
                # .ExternalHelp SampleModule-Help.xml
                [CmdletBinding(DefaultParameterSetName = 'Name')]
                param(
                    [Parameter(ParameterSetName = 'Name', Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
                    [SupportsWildcards()]
                    [string[]] $Name = '*',
                    [Parameter(ParameterSetName = 'Id', Mandatory, ValueFromPipelineByPropertyName)]
                    [Alias('Number')]
                    [int[]] $Id,
                    [switch] $Detailed
                )
            }

            function Set-SampleItem {
                # .ExternalHelp SampleModule-Help.xml
                [CmdletBinding(SupportsShouldProcess)]
                param(
                    [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)] [string] $Name,
                    [Parameter(Mandatory)] [ValidateSet('ReadOnly', 'ReadWrite')] [string] $Mode,
                    [switch] $PassThru
                )
            }
            """);

        using var session = new ModuleSession(simulatedHost: false, importModule: false);
        session.SetVariable("__sampleModule", Path.Combine(moduleDir, "SampleModule.psm1"));
        var result = session.Run("""
            Import-Module $__sampleModule -ErrorAction Stop
            $h = Get-Help Get-SampleItem -Full
            [pscustomobject]@{
                Synopsis = [string]$h.Synopsis
                Description = @($h.description | ForEach-Object { $_.Text }) -join "`n"
                Parameters = @($h.parameters.parameter | ForEach-Object { $_.name })
                Examples = @($h.examples.example | ForEach-Object { $_.code })
                TypeNames = @($h.PSObject.TypeNames)
            }
            Get-Help Set-SampleItem -Full | Out-Default
            """).EnsureSuccess();

        var help = result.Output[0];
        Assert.Equal("Gets sample items by name or by number.", PSValue.Property(help, "Synopsis"));
        Assert.Contains("soft-wrapped in the markdown", (string)PSValue.Property(help, "Description")!, StringComparison.Ordinal);
        Assert.Equal(new[] { "Detailed", "Id", "Name" }, PSValue.Strings(PSValue.Property(help, "Parameters")));
        Assert.Equal(2, PSValue.Strings(PSValue.Property(help, "Examples")).Count);
        Assert.Contains(PSValue.Strings(PSValue.Property(help, "TypeNames")), t => t.StartsWith("MamlCommandHelpInfo", StringComparison.Ordinal));

        // The rendered page, as a user sees it.
        Assert.Contains("Set-SampleItem [-Name] <String> -Mode {ReadOnly | ReadWrite} [-PassThru] [-WhatIf] [-Confirm]", result.HostText, StringComparison.Ordinal);
        Assert.Contains("Changes the mode of a sample item.", result.HostText, StringComparison.Ordinal);
        Assert.Contains("Set-SampleItem alpha -Mode ReadOnly -PassThru", result.HostText, StringComparison.Ordinal);
    }

    public static IEnumerable<object[]> Malformations => new[]
    {
        new object[] { "no front matter", (Func<string, string>)(p => p[(p.IndexOf("\n# ", StringComparison.Ordinal) + 1)..]), "YAML front matter" },
        new object[] { "lower-case section", (Func<string, string>)(p => p.Replace("## DESCRIPTION", "## Description", StringComparison.Ordinal)), "upper case" },
        new object[] { "missing section", (Func<string, string>)(p => p.Replace("## NOTES\n", string.Empty, StringComparison.Ordinal)), "missing section '## NOTES'" },
        new object[] { "unknown section", (Func<string, string>)(p => p.Replace("## NOTES", "## REMARKS", StringComparison.Ordinal)), "unknown section" },
        new object[] { "sections out of order", (Func<string, string>)(p => SwapSynopsisAndSyntax(p)), "out of order" },
        new object[] { "unknown yaml key", (Func<string, string>)(p => p.Replace("DontShow: false", "Required: false", StringComparison.Ordinal)), "unknown key 'Required'" },
        new object[] { "bad boolean", (Func<string, string>)(p => p.Replace("IsRequired: true", "IsRequired: yes", StringComparison.Ordinal)), "must be true or false" },
        new object[] { "no yaml block", (Func<string, string>)(p => p.Replace("```yaml\nType: System.Int32[]", "```\nType: System.Int32[]", StringComparison.Ordinal)), "exactly one ```yaml block" },
        new object[] { "unclosed fence", (Func<string, string>)(p => p + "\n```powershell\nGet-SampleItem\n"), "never closed" },
        new object[] { "template placeholder", (Func<string, string>)(p => p.Replace("Sample items are not real.", "{{ Fill in the notes }}", StringComparison.Ordinal)), "placeholder" },
        new object[] { "set not in syntax", (Func<string, string>)(p => p.Replace("- Name: Id\n", "- Name: ById\n", StringComparison.Ordinal)), "parameter set 'ById'" },
        new object[] { "example without code", (Func<string, string>)(p => p.Replace("```powershell\nGet-SampleItem\n```\n", string.Empty, StringComparison.Ordinal)), "no code fence" },
        new object[] { "title mismatch", (Func<string, string>)(p => p.Replace("# Get-SampleItem\n", "# Get-SampleThing\n", StringComparison.Ordinal)), "must match" },
        new object[] { "bad related link", (Func<string, string>)(p => p.Replace("- [Set-SampleItem](Set-SampleItem.md)", "see Set-SampleItem", StringComparison.Ordinal)), "RELATED LINKS" },
    };

    [Theory]
    [MemberData(nameof(Malformations))]
    public void RejectsMalformedPagesWithFileAndLine(string what, Func<string, string> breakPage, string expected)
    {
        var original = File.ReadAllText(Sample("Get-SampleItem")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var broken = breakPage(original);
        Assert.NotEqual(original, broken); // the mutation must apply, or the test proves nothing
        var path = Path.Combine(_temp, "Get-SampleItem.md");
        File.WriteAllText(path, broken);

        var ex = Assert.Throws<HelpPageException>(() => HelpPageReader.Read(path));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith(path, ex.Describe(), StringComparison.Ordinal);
        Assert.Contains("error JPSHELP001", ex.Describe(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void GenerateReportsEveryMalformedPageAndWritesNothing()
    {
        var docs = Path.Combine(_temp, "docs");
        Directory.CreateDirectory(docs);
        File.Copy(Sample("Set-SampleItem"), Path.Combine(docs, "Set-SampleItem.md"));
        File.WriteAllText(Path.Combine(docs, "Get-SampleItem.md"), File.ReadAllText(Sample("Get-SampleItem")).Replace("## SYNOPSIS", "## Synopsis", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(docs, "Remove-SampleItem.md"), "# Remove-SampleItem\n");
        File.WriteAllText(Path.Combine(docs, "about_Sample.md"), "# about_Sample\n\nNot a cmdlet page, so not read.\n");
        var output = Path.Combine(_temp, "help.xml");
        var errors = new StringWriter();

        var exit = Program.Generate(Program.FindCommandPages(docs), output, TextWriter.Null, errors);

        Assert.Equal(1, exit);
        Assert.False(File.Exists(output));
        var text = errors.ToString();
        Assert.Contains("Get-SampleItem.md(", text, StringComparison.Ordinal);
        Assert.Contains("Remove-SampleItem.md(1): error JPSHELP001", text, StringComparison.Ordinal);
        Assert.DoesNotContain("about_Sample", text, StringComparison.Ordinal);
        Assert.Contains("2 malformed help page(s)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyDocsFolderGivesAnEmptyHelpFile()
    {
        var output = Path.Combine(_temp, "empty.xml");
        Assert.Equal(0, Program.Generate(Array.Empty<string>(), output, TextWriter.Null, TextWriter.Null));
        var doc = XDocument.Load(output);
        Assert.Empty(doc.Root!.Elements());
    }

    [Theory]
    [InlineData("System.String[]", "String[]")]
    [InlineData("System.Collections.Generic.List`1[System.String]", "List`1[System.String]")]
    [InlineData("SwitchParameter", "SwitchParameter")]
    public void ShortTypeNames(string full, string expected) => Assert.Equal(expected, MamlWriter.ShortTypeName(full));

    private static string SwapSynopsisAndSyntax(string page)
    {
        var synopsis = page.IndexOf("## SYNOPSIS", StringComparison.Ordinal);
        var syntax = page.IndexOf("## SYNTAX", StringComparison.Ordinal);
        var aliases = page.IndexOf("## ALIASES", StringComparison.Ordinal);
        return page[..synopsis] + page[syntax..aliases] + page[synopsis..syntax] + page[aliases..];
    }
}
