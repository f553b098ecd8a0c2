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

    /// <summary>
    /// What each malformation does to the sample page, the message it must give, and the text
    /// whose (first) line in the broken page the error must name; null where the line is not the point.
    /// </summary>
    public static IEnumerable<object?[]> Malformations => new[]
    {
        Case("no front matter", p => p[(p.IndexOf("\n# ", StringComparison.Ordinal) + 1)..], "YAML front matter", "# Get-SampleItem"),
        Case("lower-case section", p => p.Replace("## DESCRIPTION", "## Description", StringComparison.Ordinal), "upper case", "## Description"),
        Case("missing section", p => p.Replace("## NOTES\n", string.Empty, StringComparison.Ordinal), "missing section '## NOTES'", "# Get-SampleItem"),
        Case("unknown section", p => p.Replace("## NOTES", "## REMARKS", StringComparison.Ordinal), "unknown section", "## REMARKS"),
        Case("sections out of order", SwapSynopsisAndSyntax, "out of order", "## SYNOPSIS"),
        Case("unknown yaml key", p => p.Replace("DontShow: false", "Required: false", StringComparison.Ordinal), "unknown key 'Required'", "Required: false"),
        Case("bad boolean", p => p.Replace("IsRequired: true", "IsRequired: yes", StringComparison.Ordinal), "must be true or false", "  IsRequired: yes"),
        Case("no yaml block", p => p.Replace("```yaml\nType: System.Int32[]", "```\nType: System.Int32[]", StringComparison.Ordinal), "exactly one ```yaml block", "### -Id"),
        Case("unclosed fence", p => p + "\n```powershell\nGet-SampleItem -Unclosed\n", "never closed", "```powershell\nGet-SampleItem -Unclosed"),
        Case("template placeholder", p => p.Replace("Sample items are not real.", "{{ Fill in the notes }}", StringComparison.Ordinal), "placeholder", "{{ Fill in the notes }}"),
        Case("set not in syntax", p => p.Replace("- Name: Id\n", "- Name: ById\n", StringComparison.Ordinal), "parameter set 'ById'", "### -Id"),
        Case("example without code", p => p.Replace("```powershell\nGet-SampleItem\n```\n", string.Empty, StringComparison.Ordinal), "no code fence", "### Example 1"),
        Case("title mismatch", p => p.Replace("# Get-SampleItem\n", "# Get-SampleThing\n", StringComparison.Ordinal), "must match", "# Get-SampleThing"),
        Case("bad related link", p => p.Replace("- [Set-SampleItem](Set-SampleItem.md)", "see Set-SampleItem", StringComparison.Ordinal), "RELATED LINKS", "see Set-SampleItem"),

        // YAML: YamlDotNet's own message, on the line YAML says, behind the parameter's name.
        Case("yaml syntax", p => p.Replace("DefaultValue: '*'", "DefaultValue: '*", StringComparison.Ordinal), "parameter -Name: ", "DefaultValue: '*"),
        Case("yaml tab indentation", p => p.Replace("  IsRequired: true", "\tIsRequired: true", StringComparison.Ordinal), "parameter -Id: ", null),
        Case("yaml key twice in another case", p => p.Replace("Type: System.Int32[]\n", "Type: System.Int32[]\ntype: System.Int64[]\n", StringComparison.Ordinal), "duplicate key 'type'", "type: System.Int64[]"),
        Case("yaml key twice", p => p.Replace("  IsRequired: true\n", "  IsRequired: true\n  IsRequired: false # again\n", StringComparison.Ordinal), "parameter -Id: ", "  IsRequired: false # again"),
        Case("yaml not a mapping", p => WithIdBlock(p, "- Type: System.Int32[]\n- ParameterSets: []"), "parameter -Id: the block must be a mapping", "- Type: System.Int32[]"),
        Case("yaml second document", p => WithIdBlock(p, "Type: System.Int32[]\nParameterSets:\n- Name: Id\n---\nAgain: x"), "more than one YAML document", "Again: x"),
        Case("yaml set not a mapping", p => p.Replace("- Name: Id\n", "- Id\n- Name: Id\n", StringComparison.Ordinal), "must be a mapping", "- Id\n"),
        Case("yaml bad position", p => p.Replace("Position: 0", "Position: first", StringComparison.Ordinal), "must be Named or a non-negative number", "  Position: first"),
        Case("yaml list of lists", p => p.Replace("Aliases:\n- Number", "Aliases:\n- [Number]", StringComparison.Ordinal), "'Aliases' must be a list of plain values", "- [Number]"),
        Case("front matter syntax", p => p.Replace("Locale: en-US", "Locale: [en-US", StringComparison.Ordinal), "front matter: ", null),
        Case("front matter title", p => p.Replace("title: Get-SampleItem", "title: \"Get-SampleThing\"", StringComparison.Ordinal), "does not match the heading", "title: \"Get-SampleThing\""),
        Case("front matter after a blank line", p => "\n" + p, "must start on the first line", "---"),
        Case("empty front matter", p => "---\n---\n" + p[(p.IndexOf("\n# ", StringComparison.Ordinal) + 1)..], "front matter is empty", "---"),
        Case("unclosed front matter", p => p.Replace("title: Get-SampleItem\n---\n", "title: Get-SampleItem\n", StringComparison.Ordinal), "not closed by a '---' line", "---"),

        // Markdown that Markdig reads differently from what the author meant.
        Case("comment never closed", p => p.Replace("Sample items are not real.", "Sample items are not real.\n\n<!-- an open note", StringComparison.Ordinal), "never closed", "<!-- an open note"),
        Case("inline comment never closed", p => p.Replace("Sample items are not real.", "Sample items <!-- are not real.", StringComparison.Ordinal), "never closed", "Sample items <!--"),
        Case("underlined heading", p => p.Replace("Sample items are not real.", "Sample notes\n---", StringComparison.Ordinal), "underlined with '---' or '==='", "Sample notes"),
        Case("two links in one entry", p => p.Replace("- [Set-SampleItem](Set-SampleItem.md)", "- [Set-SampleItem](Set-SampleItem.md) and [x](x.md)", StringComparison.Ordinal), "RELATED LINKS entries must look like", "- [Set-SampleItem]"),
        Case("image as a link", p => p.Replace("- [Set-SampleItem](Set-SampleItem.md)", "- ![Set-SampleItem](Set-SampleItem.png)", StringComparison.Ordinal), "RELATED LINKS entries must look like", "- ![Set-SampleItem]"),
    };

    private static object?[] Case(string what, Func<string, string> breakPage, string expected, string? lineOf) =>
        new object?[] { what, breakPage, expected, lineOf };

    [Theory]
    [MemberData(nameof(Malformations))]
    public void RejectsMalformedPagesWithFileAndLine(string what, Func<string, string> breakPage, string expected, string? lineOf)
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
        if (lineOf is not null)
        {
            Assert.True(ex.Line == LineOf(broken, lineOf), $"{what}: expected line {LineOf(broken, lineOf)}, got {ex.Describe()}");
        }
    }

    /// <summary>
    /// YAML beyond what PlatyPS writes (flow mappings, comments, block scalars, escapes) means what
    /// it means in YAML. Each variant replaces -Id's block and must read as the sample's own.
    /// </summary>
    public static IEnumerable<object[]> IdBlockSpellings => new[]
    {
        new object[] { "flow collections and quoted scalars", """
            Type: "System.Int32[]"
            DefaultValue: 'None'
            SupportsWildcards: False
            Aliases: [Number]
            ParameterSets: [{Name: Id, Position: Named, IsRequired: true, ValueFromPipeline: false, ValueFromPipelineByPropertyName: true, ValueFromRemainingArguments: false}]
            DontShow: "false"
            AcceptedValues: []
            HelpMessage: ""
            """ },
        new object[] { "comments, indented sequences and left-out defaults", """
            # An editor's note: PlatyPS never writes comments, and YAML ignores them.
            Type: System.Int32[]  # not part of the type name
            Aliases:
              - Number
            ParameterSets:
              - Name: Id
                IsRequired: true
                ValueFromPipelineByPropertyName: true
            """ },
        new object[] { "a single-quoted set name and a null default", """
            Type: 'System.Int32[]'
            DefaultValue: ~
            Aliases: Number
            ParameterSets:
            - {Name: 'Id', Position: null, IsRequired: TRUE, ValueFromPipelineByPropertyName: True}
            HelpMessage: null
            """ },
    };

    [Theory]
    [MemberData(nameof(IdBlockSpellings))]
    public void ReadsEveryYamlSpellingOfAParameterBlock(string what, string yaml)
    {
        var help = ReadWithIdBlock(yaml);

        var id = help.Parameters.Single(p => p.Name == "Id");
        Assert.True(id.Type == "System.Int32[]", what);
        Assert.Equal(new[] { "Number" }, id.Aliases);
        Assert.Empty(id.AcceptedValues);
        Assert.False(id.SupportsWildcards);
        Assert.False(id.DontShow);
        Assert.Equal(string.Empty, id.HelpMessage);
        Assert.True(id.DefaultValue is "" or "None", what);
        var set = Assert.Single(id.ParameterSets);
        Assert.Equal("Id", set.Name);
        Assert.Null(set.Position);
        Assert.True(set.IsRequired);
        Assert.False(set.ValueFromPipeline);
        Assert.True(set.ValueFromPipelineByPropertyName);
        Assert.False(set.ValueFromRemainingArguments);

        // The MAML comes out the same however the block is spelled.
        Assert.Equal(
            MamlWriter.ToDocument(new[] { HelpPageReader.Read(Sample("Get-SampleItem")) }).ToString(),
            MamlWriter.ToDocument(new[] { help }).ToString());
    }

    [Fact]
    public void ReadsMultiLineAndEscapedYamlStrings()
    {
        var help = ReadWithIdBlock("""
            Type: System.Int32[]
            DefaultValue: "1,\t2 \u00e9 \"quoted\""
            Aliases: []
            ParameterSets:
            - Name: Id
              IsRequired: true
              ValueFromPipelineByPropertyName: true
            AcceptedValues:
            - 'it''s one'
            - "two, with a comma"
            HelpMessage: |
              First line,
              second line.
            """);
        var id = help.Parameters.Single(p => p.Name == "Id");
        Assert.Equal("1,\t2 \u00e9 \"quoted\"", id.DefaultValue);
        Assert.Equal(new[] { "it's one", "two, with a comma" }, id.AcceptedValues);
        Assert.Equal("First line,\nsecond line.\n", id.HelpMessage);

        var folded = ReadWithIdBlock("""
            Type: System.Int32[]
            DefaultValue: >-
              folded onto
              one line
            HelpMessage: a plain scalar
              continued on the next line
            ParameterSets:
            - Name: Id
            """).Parameters.Single(p => p.Name == "Id");
        Assert.Equal("folded onto one line", folded.DefaultValue);
        Assert.Equal("a plain scalar continued on the next line", folded.HelpMessage);
    }

    [Fact]
    public void ReadsQuotedAndListValuesInTheFrontMatter()
    {
        var page = File.ReadAllText(Sample("Get-SampleItem")).Replace("\r\n", "\n", StringComparison.Ordinal)
            .Replace("HelpUri: https://example.invalid/help/Get-SampleItem", "HelpUri: \"https://example.invalid/help/Get-SampleItem\"  # online page", StringComparison.Ordinal)
            .Replace("title: Get-SampleItem", "title: 'Get-SampleItem'\nkeywords: [sample, 'item, test']\nauthors:\n- one\n- two", StringComparison.Ordinal);
        var path = Path.Combine(_temp, "Get-SampleItem.md");
        File.WriteAllText(path, page);

        var help = HelpPageReader.Read(path);

        Assert.Equal("https://example.invalid/help/Get-SampleItem", help.HelpUri);
        Assert.Equal("Get-SampleItem", help.Metadata["title"]);
        Assert.Equal("sample, item, test", help.Metadata["keywords"]);
        Assert.Equal("one, two", help.Metadata["Authors"]);
    }

    [Fact]
    public void CommentsAreLeftOutOfTheHelp()
    {
        var help = ReadSampleWith(p => p
            .Replace("\n# Get-SampleItem\n", "\n<!-- generated from the cmdlet; edit the prose only -->\n\n# Get-SampleItem\n", StringComparison.Ordinal)
            .Replace("## NOTES\n", "## NOTES <!-- hidden in a heading -->\n", StringComparison.Ordinal)
            .Replace("Items can be selected:", "<!--\nhidden on\nlines of its own\n-->\n\nItems can be selected:", StringComparison.Ordinal)
            .Replace("Sample items are not real.", "Sample items <!-- hidden inline --> are\nnot real; `<!--` in code is\ncode.", StringComparison.Ordinal));

        Assert.Equal("Sample items  are not real; `<!--` in code is code.", Assert.Single(help.Notes));
        Assert.Equal(3, help.Description.Count);
        Assert.Equal("Items can be selected:", help.Description[1]);
        var maml = MamlWriter.ToDocument(new[] { help }).ToString();
        Assert.DoesNotContain("hidden", maml, StringComparison.Ordinal);
        Assert.DoesNotContain("generated", maml, StringComparison.Ordinal);
    }

    [Fact]
    public void ListsTablesAndQuotesKeepTheirLines()
    {
        var help = ReadSampleWith(p => p.Replace("Sample items are not real.", """
            Name | Kind
            -----|-----
            a    | real
            b    | sample

            > Quoted notes keep
            > their lines.

            1. First step, whose text
               wraps.

               A second paragraph of the step.

               ```
               Get-SampleItem

               Set-SampleItem
               ```
            2. Second step.
            """.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal));

        Assert.Equal(
            new[]
            {
                "Name | Kind\n-----|-----\na    | real\nb    | sample",
                "> Quoted notes keep\n> their lines.",
                "1. First step, whose text\n   wraps.",
                "   A second paragraph of the step.",
                "   Get-SampleItem\n\n   Set-SampleItem\n2. Second step.",
            },
            help.Notes);
    }

    [Fact]
    public void RelatedLinksTakeEveryCommonMarkLinkForm()
    {
        var help = ReadSampleWith(p => p[..p.IndexOf("## RELATED LINKS", StringComparison.Ordinal)] + """
            ## RELATED LINKS

            * [Set-SampleItem](Set-SampleItem.md "the other sample")
            * [Spaces](<https://example.invalid/a b>)
            * [Reference][online] <!-- defined at the end -->
            * [`code` and *emphasis*](https://example.invalid/markup)
            * [](https://example.invalid/no-text)

            [online]: https://example.invalid/ref
            """.Replace("\r\n", "\n", StringComparison.Ordinal));

        Assert.Equal(
            new[]
            {
                new RelatedLink("Set-SampleItem", "Set-SampleItem.md"),
                new RelatedLink("Spaces", "https://example.invalid/a b"),
                new RelatedLink("Reference", "https://example.invalid/ref"),
                new RelatedLink("`code` and *emphasis*", "https://example.invalid/markup"),
                new RelatedLink(string.Empty, "https://example.invalid/no-text"),
            },
            help.RelatedLinks);
    }

    [Fact]
    public void FencesFollowCommonMark()
    {
        // A tilde fence, closed by a longer one; an indented ``` inside it is code, not its end.
        var help = ReadSampleWith(p => p.Replace("```powershell\nGet-SampleItem\n```", "~~~powershell\nGet-SampleItem\n    ```\n~~~~~", StringComparison.Ordinal));
        Assert.Equal("Get-SampleItem\n    ```", help.Examples[0].Code);
        Assert.Equal(new[] { "Without parameters the cmdlet returns all items." }, help.Examples[0].Remarks);
    }

    [Fact]
    public void LineEndingsDoNotMatter()
    {
        var lf = MamlWriter.ToDocument(new[] { HelpPageReader.Read(Sample("Get-SampleItem")) }).ToString();
        var crlf = MamlWriter.ToDocument(new[] { ReadSampleWith(p => p.Replace("\n", "\r\n", StringComparison.Ordinal)) }).ToString();
        Assert.Equal(lf, crlf);
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

    /// <summary>The sample Get-SampleItem page, changed by <paramref name="change"/>, as read from a file.</summary>
    private CommandHelp ReadSampleWith(Func<string, string> change)
    {
        var page = File.ReadAllText(Sample("Get-SampleItem")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var changed = change(page);
        Assert.NotEqual(page, changed);
        var path = Path.Combine(_temp, "Get-SampleItem.md");
        File.WriteAllText(path, changed);
        return HelpPageReader.Read(path);
    }

    /// <summary>The sample page with -Id's ```yaml block replaced by <paramref name="yaml"/>.</summary>
    private CommandHelp ReadWithIdBlock(string yaml)
    {
        var page = File.ReadAllText(Sample("Get-SampleItem")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var path = Path.Combine(_temp, "Get-SampleItem.md");
        File.WriteAllText(path, WithIdBlock(page, yaml));
        return HelpPageReader.Read(path);
    }

    private static string WithIdBlock(string page, string yaml)
    {
        var id = page.IndexOf("### -Id", StringComparison.Ordinal);
        var start = page.IndexOf("```yaml\n", id, StringComparison.Ordinal) + "```yaml\n".Length;
        var end = page.IndexOf("```\n", start, StringComparison.Ordinal);
        return page[..start] + yaml.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n" + page[end..];
    }

    /// <summary>The 1-based number of the first line of <paramref name="page"/> that starts with <paramref name="text"/>.</summary>
    private static int LineOf(string page, string text)
    {
        var index = page.StartsWith(text, StringComparison.Ordinal) ? 0 : page.IndexOf("\n" + text, StringComparison.Ordinal) + 1;
        Assert.True(index > 0 || page.StartsWith(text, StringComparison.Ordinal), $"no line starts with '{text}'");
        return page[..index].Count(c => c == '\n') + 1;
    }

    private static string SwapSynopsisAndSyntax(string page)
    {
        var synopsis = page.IndexOf("## SYNOPSIS", StringComparison.Ordinal);
        var syntax = page.IndexOf("## SYNTAX", StringComparison.Ordinal);
        var aliases = page.IndexOf("## ALIASES", StringComparison.Ordinal);
        return page[..synopsis] + page[syntax..aliases] + page[synopsis..syntax] + page[aliases..];
    }
}
