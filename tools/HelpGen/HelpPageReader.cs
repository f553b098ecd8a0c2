using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace JailPS.HelpGen;

/// <summary>
/// Reads one cmdlet page in the Microsoft.PowerShell.PlatyPS 1.x markdown layout
/// (schema 2024-05-01) into a <see cref="CommandHelp"/>. Markdig finds the page's structure
/// (front matter, headings, fences, paragraphs, lists, links); the text that goes into the MAML
/// is the page's own source for each block, since Get-Help shows plain text and PlatyPS keeps
/// inline markup such as `code` as written. Malformed pages raise <see cref="HelpPageException"/>
/// naming the file and line.
/// </summary>
public static partial class HelpPageReader
{
    /// <summary>The H2 sections in the order PlatyPS requires; ALIASES is the only optional one.</summary>
    public static readonly IReadOnlyList<string> SectionOrder = new[]
    {
        "SYNOPSIS", "SYNTAX", "ALIASES", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS",
    };

    private static readonly string[] ParameterKeys =
    {
        "Type", "DefaultValue", "SupportsWildcards", "ParameterValue", "Aliases", "ParameterSets", "DontShow", "AcceptedValues", "HelpMessage",
    };

    private static readonly string[] ParameterSetKeys =
    {
        "Name", "Position", "IsRequired", "ValueFromPipeline", "ValueFromPipelineByPropertyName", "ValueFromRemainingArguments",
    };

    /// <summary>
    /// Front matter is how a PlatyPS page starts; pipe tables keep a table one block (so its rows
    /// keep their line breaks); precise source locations give the inline spans that link texts,
    /// headings and comments are cut from. A pipeline is immutable and safe to share between threads.
    /// </summary>
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseYamlFrontMatter()
        .UsePipeTables()
        .UsePreciseSourceLocation()
        .Build();

    public static CommandHelp Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException ex)
        {
            throw new HelpPageException(path, 0, $"cannot read the page: {ex.Message}");
        }

        return Parse(text, path);
    }

    /// <summary>True when the front matter says this page documents a cmdlet (or says nothing and the name looks like Verb-Noun).</summary>
    public static bool LooksLikeCommandPage(string path)
    {
        var document = Markdown.Parse(Normalize(File.ReadAllText(path)), Pipeline);
        if (document.FirstOrDefault() is YamlFrontMatterBlock frontMatter)
        {
            try
            {
                var map = YamlMap.Parse(frontMatter.Lines.ToString() + "\n", frontMatter.Line + 2);
                if (map.Has("document type"))
                {
                    return map.Text("document type").Equals("cmdlet", StringComparison.OrdinalIgnoreCase);
                }
            }
            catch (YamlError)
            {
                // Unreadable front matter says nothing; the name decides, and Read reports the error.
            }
        }

        return VerbNoun().IsMatch(Path.GetFileNameWithoutExtension(path));
    }

    public static CommandHelp Parse(string text, string sourcePath)
    {
        var page = new Page(sourcePath, text);
        return page.Build();
    }

    /// <summary>One line ending, so source positions, line numbers and the MAML agree whatever the page was saved with.</summary>
    private static string Normalize(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    [GeneratedRegex(@"^[A-Za-z]+-[A-Za-z0-9]+$")]
    private static partial Regex VerbNoun();

    [GeneratedRegex(@"\{\{.*?\}\}")]
    private static partial Regex Placeholder();

    /// <summary>A '#', '##' or '###' heading and the blocks under it, up to the next heading of those levels.</summary>
    private sealed class Section
    {
        public Section(string title, int line)
        {
            Title = title;
            Line = line;
        }

        public string Title { get; }
        public int Line { get; }
        public List<Block> Lead { get; } = new();
        public List<Section> Children { get; } = new();
    }

    private sealed class Page
    {
        private readonly string _path;
        private readonly string _text;
        private readonly List<int> _lineStarts = new() { 0 };
        private readonly MarkdownDocument _document;

        /// <summary>Source ranges (start, end inclusive) of the HTML comments outside code, in page order.</summary>
        private readonly List<(int Start, int End)> _comments = new();

        public Page(string path, string text)
        {
            _path = path;
            _text = Normalize(text);
            for (var i = 0; i < _text.Length; i++)
            {
                if (_text[i] == '\n')
                {
                    _lineStarts.Add(i + 1);
                }
            }

            _document = Markdown.Parse(_text, Pipeline);
        }

        private HelpPageException Error(int line, string message) => new(_path, line, message);

        public CommandHelp Build()
        {
            var frontMatter = ReadFrontMatter();
            var metadata = frontMatter.ToMetadata();
            var (name, nameLine, sections) = Outline();

            var fileName = Path.GetFileNameWithoutExtension(_path);
            if (!string.Equals(fileName, name, StringComparison.Ordinal) && _path.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            {
                throw Error(nameLine, $"the page is titled '# {name}' but the file is named '{Path.GetFileName(_path)}'; they must match exactly");
            }

            if (metadata.TryGetValue("title", out var title) && title.Length > 0 && !string.Equals(title, name, StringComparison.Ordinal))
            {
                throw Error(frontMatter.LineOf("title"), $"front matter 'title: {title}' does not match the heading '# {name}'");
            }

            if (metadata.TryGetValue("document type", out var docType) && !docType.Equals("cmdlet", StringComparison.OrdinalIgnoreCase))
            {
                throw Error(frontMatter.LineOf("document type"), $"'document type: {docType}' is not a cmdlet page");
            }

            var byName = new Dictionary<string, Section>(StringComparer.Ordinal);
            var lastIndex = -1;
            foreach (var section in sections)
            {
                var index = IndexOfSection(section.Title);
                if (index < 0)
                {
                    var hint = SectionOrder.FirstOrDefault(s => s.Equals(section.Title, StringComparison.OrdinalIgnoreCase));
                    throw Error(section.Line, hint is not null
                        ? $"section '## {section.Title}' must be written in upper case: '## {hint}'"
                        : $"unknown section '## {section.Title}'; a cmdlet page has only: {string.Join(", ", SectionOrder)}");
                }

                if (byName.ContainsKey(section.Title))
                {
                    throw Error(section.Line, $"section '## {section.Title}' appears twice");
                }

                if (index < lastIndex)
                {
                    throw Error(section.Line, $"section '## {section.Title}' is out of order; the order is: {string.Join(", ", SectionOrder)}");
                }

                lastIndex = index;
                byName[section.Title] = section;
            }

            foreach (var required in SectionOrder.Where(s => s != "ALIASES"))
            {
                if (!byName.ContainsKey(required))
                {
                    throw Error(nameLine, $"missing section '## {required}' (required even when empty: {string.Join(", ", SectionOrder.Where(s => s != "ALIASES"))})");
                }
            }

            var synopsis = LeafText(byName["SYNOPSIS"]);
            if (synopsis.Count == 0)
            {
                throw Error(byName["SYNOPSIS"].Line, "## SYNOPSIS is empty");
            }

            var description = LeafText(byName["DESCRIPTION"]);
            if (description.Count == 0)
            {
                throw Error(byName["DESCRIPTION"].Line, "## DESCRIPTION is empty");
            }

            var syntax = ReadSyntax(byName["SYNTAX"]);
            var parameters = ReadParameters(byName["PARAMETERS"], out var hasCommon);
            CheckParameterSets(syntax, parameters, byName["SYNTAX"].Line);

            return new CommandHelp
            {
                Name = name,
                SourcePath = _path,
                Metadata = metadata,
                Synopsis = synopsis,
                Syntax = syntax,
                Aliases = byName.TryGetValue("ALIASES", out var aliases) ? LeafText(aliases) : Array.Empty<string>(),
                Description = description,
                Examples = ReadExamples(byName["EXAMPLES"]),
                Parameters = parameters,
                HasCommonParameters = hasCommon,
                Inputs = ReadTypes(byName["INPUTS"]),
                Outputs = ReadTypes(byName["OUTPUTS"]),
                Notes = LeafText(byName["NOTES"]),
                RelatedLinks = ReadLinks(byName["RELATED LINKS"]),
            };
        }

        private static int IndexOfSection(string title)
        {
            for (var i = 0; i < SectionOrder.Count; i++)
            {
                if (string.Equals(SectionOrder[i], title, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            return -1;
        }

        private YamlMap ReadFrontMatter()
        {
            if (_document.FirstOrDefault() is YamlFrontMatterBlock block)
            {
                try
                {
                    return YamlMap.Parse(block.Lines.ToString() + "\n", block.Line + 2);
                }
                catch (YamlError ex)
                {
                    throw Error(ex.Line, $"front matter: {ex.Message}");
                }
            }

            // Markdig takes front matter only from the first line, and only when a second '---' (or '...') line closes it.
            var first = 0;
            while (first < _lineStarts.Count - 1 && LineText(first).Trim().Length == 0)
            {
                first++;
            }

            if (LineText(first).TrimEnd() == "---")
            {
                throw Error(first + 1, first > 0 ? "the YAML front matter must start on the first line of the page"
                    : LineText(1).TrimEnd() == "---" ? "the YAML front matter is empty; a cmdlet page has at least 'document type: cmdlet' and 'title'"
                    : "the YAML front matter is not closed by a '---' line");
            }

            throw Error(first + 1, "a cmdlet page must start with YAML front matter between two '---' lines (PlatyPS 1.x layout)");
        }

        /// <summary>
        /// Markdig ends an unclosed fence or comment at the end of the page (or of its list item),
        /// which would quietly turn the rest into code or hide it; both are mistakes worth an error.
        /// Also records where the comments are, so that their text never reaches the help.
        /// </summary>
        private void FindCommentsAndUnclosedBlocks()
        {
            foreach (var item in _document.Descendants())
            {
                switch (item)
                {
                    case FencedCodeBlock { ClosingFencedCharCount: 0 } fence:
                        throw Error(fence.Line + 1, "this code fence is never closed");
                    case HtmlBlock { Type: HtmlBlockType.Comment } html:
                        // One comment block can hold several comments ("<!-- a --> <!-- b -->").
                        var at = html.Span.Start;
                        while ((at = _text.IndexOf("<!--", at, html.Span.End - at + 1, StringComparison.Ordinal)) >= 0)
                        {
                            var close = _text.IndexOf("-->", at + 4, html.Span.End - at - 3, StringComparison.Ordinal);
                            if (close < 0)
                            {
                                throw Error(LineIndexOf(at) + 1, "an HTML comment ('<!--') is never closed");
                            }

                            _comments.Add((at, close + 2));
                            at = close + 3;
                            if (at > html.Span.End)
                            {
                                break;
                            }
                        }

                        break;
                    case HtmlInline inline when inline.Tag.StartsWith("<!--", StringComparison.Ordinal):
                        _comments.Add((inline.Span.Start, inline.Span.End));
                        break;
                    case LiteralInline literal when literal.Content.ToString().Contains("<!--", StringComparison.Ordinal):
                        // Markdown shows an unclosed inline comment as text; on these pages it is a
                        // comment whose end was lost. (In `code` it is not literal text, so not here.)
                        throw Error(LineIndexOf(literal.Span.Start) + 1, "an HTML comment ('<!--') is never closed");
                }
            }

            _comments.Sort();
        }

        /// <summary>Splits the page into the '# Name' heading, its '##' sections and their '###' subsections.</summary>
        private (string Name, int Line, List<Section> Sections) Outline()
        {
            FindCommentsAndUnclosedBlocks();
            string? name = null;
            var nameLine = 0;
            var sections = new List<Section>();
            Section? h2 = null;
            Section? h3 = null;
            foreach (var block in _document)
            {
                // Link reference definitions are not text; a link that uses one has its url already.
                if (block is YamlFrontMatterBlock or LinkReferenceDefinitionGroup)
                {
                    continue;
                }

                if (block is not HeadingBlock { Level: <= 3 } heading)
                {
                    // A comment on its own is an authoring note, allowed anywhere.
                    if (SourceLines(block).All(l => l.Text.Trim().Length == 0))
                    {
                        continue;
                    }

                    if (h2 is null)
                    {
                        throw Error(block.Line + 1, name is null
                            ? "text before the '# Command-Name' heading"
                            : "text between '# " + name + "' and '## SYNOPSIS'");
                    }

                    (h3?.Lead ?? h2.Lead).Add(block);
                    continue;
                }

                // Markdig puts an underlined heading on its underline; its text is where the author looks.
                var line = LineIndexOf(heading.Span.Start) + 1;
                var title = HeadingText(heading);
                if (title.Length == 0)
                {
                    throw Error(line, "empty heading");
                }

                if (heading.IsSetext)
                {
                    // PlatyPS writes '#' headings only; text over a '---' or '===' line is a heading by accident.
                    throw Error(line, $"'{title}' is underlined with '---' or '===', which makes it a heading; use '## {title}' for a heading, or leave a blank line above the line for a rule");
                }

                switch (heading.Level)
                {
                    case 1:
                        if (name is not null)
                        {
                            throw Error(line, $"a second '# ' heading ('{title}'); a page documents exactly one command");
                        }

                        name = title;
                        nameLine = line;
                        break;
                    case 2:
                        if (name is null)
                        {
                            throw Error(line, "'## " + title + "' comes before the '# Command-Name' heading");
                        }

                        h2 = new Section(title, line);
                        h3 = null;
                        sections.Add(h2);
                        break;
                    default:
                        if (h2 is null)
                        {
                            throw Error(line, "'### " + title + "' is outside any '## ' section");
                        }

                        h3 = new Section(title, line);
                        h2.Children.Add(h3);
                        break;
                }
            }

            if (name is null)
            {
                throw Error(1, "no '# Command-Name' heading");
            }

            return (name, nameLine, sections);
        }

        /// <summary>A heading's text as written, without the '#' marks and comments.</summary>
        private string HeadingText(HeadingBlock heading)
        {
            if (heading.Inline?.FirstChild is not { } first)
            {
                return string.Empty;
            }

            return Source(first.Span.Start, heading.Inline.LastChild!.Span.End).Trim();
        }

        /// <summary>Text of a section that must not have ### subsections.</summary>
        private List<string> LeafText(Section section)
        {
            if (section.Children.Count > 0)
            {
                throw Error(section.Children[0].Line, $"'## {section.Title}' takes plain text, not '### ' subsections");
            }

            return Paragraphs(section.Lead);
        }

        private void RequireNoLead(Section section, string what)
        {
            if (section.Lead.Count > 0)
            {
                throw Error(section.Lead[0].Line + 1, $"text directly under '## {section.Title}'; {what}");
            }
        }

        private List<SyntaxSet> ReadSyntax(Section section)
        {
            RequireNoLead(section, "each parameter set goes under its own '### SetName' heading with the syntax in a code fence");
            if (section.Children.Count == 0)
            {
                throw Error(section.Line, "## SYNTAX has no '### SetName' subsection (use '### __AllParameterSets' for a command with one set)");
            }

            var result = new List<SyntaxSet>();
            foreach (var set in section.Children)
            {
                var title = set.Title;
                var isDefault = false;
                if (title.EndsWith("(Default)", StringComparison.OrdinalIgnoreCase))
                {
                    isDefault = true;
                    title = title[..^"(Default)".Length].Trim();
                }

                if (title.Length == 0)
                {
                    throw Error(set.Line, "parameter set heading has no name");
                }

                if (result.Any(s => s.Name.Equals(title, StringComparison.OrdinalIgnoreCase)))
                {
                    throw Error(set.Line, $"parameter set '{title}' is listed twice under ## SYNTAX");
                }

                var fences = set.Lead.OfType<FencedCodeBlock>().ToList();
                if (fences.Count != 1)
                {
                    throw Error(set.Line, $"'### {set.Title}' must contain exactly one code fence with the syntax line(s), found {fences.Count}");
                }

                result.Add(new SyntaxSet(title, isDefault, FenceBody(fences[0]), set.Line));
            }

            if (result.Count(s => s.IsDefault) > 1)
            {
                throw Error(section.Line, "more than one parameter set is marked (Default)");
            }

            return result;
        }

        private List<ExampleHelp> ReadExamples(Section section)
        {
            RequireNoLead(section, "each example goes under its own '### Example N: title' heading");
            if (section.Children.Count == 0)
            {
                throw Error(section.Line, "## EXAMPLES has no '### Example 1: ...' subsection; at least one example is required");
            }

            var result = new List<ExampleHelp>();
            foreach (var example in section.Children)
            {
                var blocks = example.Lead;
                var first = blocks.FindIndex(b => b is FencedCodeBlock);
                if (first < 0)
                {
                    throw Error(example.Line, $"example '{example.Title}' has no code fence with the command");
                }

                // The first fence is the command; text around it, and later fences (sample output), are the remarks.
                var code = (FencedCodeBlock)blocks[first];
                var remarks = Paragraphs(blocks.Take(first));
                remarks.AddRange(Paragraphs(blocks.Skip(first + 1)));
                var body = FenceBody(code);
                if (body.Trim().Length == 0)
                {
                    throw Error(code.Line + 1, $"the code fence of example '{example.Title}' is empty");
                }

                result.Add(new ExampleHelp(example.Title, body, remarks, example.Line));
            }

            return result;
        }

        private List<ParameterHelp> ReadParameters(Section section, out bool hasCommon)
        {
            RequireNoLead(section, "each parameter goes under its own '### -Name' heading");
            hasCommon = false;
            var result = new List<ParameterHelp>();
            foreach (var sub in section.Children)
            {
                if (sub.Title.Equals("CommonParameters", StringComparison.OrdinalIgnoreCase))
                {
                    hasCommon = true;
                    continue;
                }

                if (!sub.Title.StartsWith('-') || sub.Title.Length < 2 || sub.Title.Contains(' '))
                {
                    throw Error(sub.Line, $"'### {sub.Title}' under ## PARAMETERS must be '### -ParameterName' or '### CommonParameters'");
                }

                var name = sub.Title[1..];
                if (result.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
                {
                    throw Error(sub.Line, $"parameter -{name} is documented twice");
                }

                var yaml = sub.Lead.OfType<FencedCodeBlock>().Where(f => string.Equals(f.Info, "yaml", StringComparison.OrdinalIgnoreCase)).ToList();
                if (yaml.Count != 1)
                {
                    throw Error(sub.Line, $"parameter -{name} must have exactly one ```yaml block (Type, DefaultValue, SupportsWildcards, Aliases, ParameterSets, ...), found {yaml.Count}");
                }

                var at = sub.Lead.IndexOf(yaml[0]);
                var description = Paragraphs(sub.Lead.Take(at));
                description.AddRange(Paragraphs(sub.Lead.Skip(at + 1)));
                result.Add(ReadParameter(name, sub.Line, description, yaml[0]));
            }

            return result;
        }

        private ParameterHelp ReadParameter(string name, int line, List<string> description, FencedCodeBlock yaml)
        {
            try
            {
                // The fence's lines end in newlines on the page; a block scalar's clip chomping needs the last one.
                var map = YamlMap.Parse(FenceBody(yaml) + "\n", yaml.Line + 2);
                foreach (var (key, keyLine) in map.Keys)
                {
                    // Lookups ignore case, but PlatyPS writes these exact spellings; another one is a typo.
                    if (!ParameterKeys.Contains(key, StringComparer.Ordinal))
                    {
                        throw new YamlError($"unknown key '{key}' (the PlatyPS 1.x keys are: {string.Join(", ", ParameterKeys)})", keyLine);
                    }
                }

                var type = map.Text("Type");
                if (type.Length == 0)
                {
                    throw new YamlError("'Type' is required", map.LineOf("Type"));
                }

                var setMaps = map.Mappings("ParameterSets", "each ParameterSets entry must be a mapping starting with '- Name: ...'");
                if (setMaps is null || setMaps.Count == 0)
                {
                    throw new YamlError("'ParameterSets' must list at least one set (use '- Name: (All)' for all sets)", map.LineOf("ParameterSets"));
                }

                var sets = new List<ParameterSetInfo>();
                foreach (var setMap in setMaps)
                {
                    foreach (var (key, keyLine) in setMap.Keys)
                    {
                        if (!ParameterSetKeys.Contains(key, StringComparer.Ordinal))
                        {
                            throw new YamlError($"unknown key '{key}' in ParameterSets (known: {string.Join(", ", ParameterSetKeys)})", keyLine);
                        }
                    }

                    var setName = setMap.Text("Name");
                    if (setName.Length == 0)
                    {
                        throw new YamlError("a ParameterSets entry has no Name", setMap.LineOf("Name"));
                    }

                    if (sets.Any(s => s.Name.Equals(setName, StringComparison.OrdinalIgnoreCase)))
                    {
                        throw new YamlError($"parameter set '{setName}' is listed twice", setMap.LineOf("Name"));
                    }

                    sets.Add(new ParameterSetInfo
                    {
                        Name = ParameterSetInfo.IsAll(setName) ? "(All)" : setName,
                        Position = setMap.Position("Position"),
                        IsRequired = setMap.Bool("IsRequired"),
                        ValueFromPipeline = setMap.Bool("ValueFromPipeline"),
                        ValueFromPipelineByPropertyName = setMap.Bool("ValueFromPipelineByPropertyName"),
                        ValueFromRemainingArguments = setMap.Bool("ValueFromRemainingArguments"),
                    });
                }

                if (sets.Count > 1 && sets.Any(s => s.IsAllSets))
                {
                    throw new YamlError("'(All)' cannot be combined with named parameter sets", map.LineOf("ParameterSets"));
                }

                return new ParameterHelp
                {
                    Name = name,
                    Line = line,
                    Description = description,
                    Type = type,
                    DefaultValue = map.Text("DefaultValue"),
                    SupportsWildcards = map.Bool("SupportsWildcards"),
                    Aliases = map.List("Aliases"),
                    ParameterSets = sets,
                    DontShow = map.Bool("DontShow"),
                    AcceptedValues = map.List("AcceptedValues"),
                    HelpMessage = map.Text("HelpMessage"),
                };
            }
            catch (YamlError ex)
            {
                throw Error(ex.Line, $"parameter -{name}: {ex.Message}");
            }
        }

        private void CheckParameterSets(List<SyntaxSet> syntax, List<ParameterHelp> parameters, int syntaxLine)
        {
            var named = syntax.Where(s => !ParameterSetInfo.IsAll(s.Name)).Select(s => s.Name).ToList();
            foreach (var p in parameters)
            {
                foreach (var set in p.ParameterSets.Where(s => !s.IsAllSets))
                {
                    if (!named.Contains(set.Name, StringComparer.OrdinalIgnoreCase))
                    {
                        throw Error(p.Line, $"parameter -{p.Name} is in parameter set '{set.Name}', which has no '### {set.Name}' under ## SYNTAX (line {syntaxLine})");
                    }
                }
            }
        }

        private List<TypeHelp> ReadTypes(Section section)
        {
            RequireNoLead(section, "put each type under its own '### TypeName' heading (for example '### None')");
            return section.Children.Select(c => new TypeHelp(c.Title, Paragraphs(c.Lead))).ToList();
        }

        /// <summary>'- [Text](uri)' list items, or lines that are one link each.</summary>
        private List<RelatedLink> ReadLinks(Section section)
        {
            if (section.Children.Count > 0)
            {
                throw Error(section.Children[0].Line, "## RELATED LINKS takes a list of '- [Text](uri)' lines, not '### ' subsections");
            }

            var result = new List<RelatedLink>();
            foreach (var block in section.Lead)
            {
                switch (block)
                {
                    case ListBlock list:
                        foreach (var item in list)
                        {
                            if (item is not ListItemBlock { Count: 1 } entry || entry[0] is not ParagraphBlock paragraph || LinkLines(paragraph) is not { Count: 1 } links)
                            {
                                throw NotALink(item.Line);
                            }

                            result.Add(links[0]);
                        }

                        break;
                    case ParagraphBlock paragraph:
                        result.AddRange(LinkLines(paragraph));
                        break;
                    default:
                        throw NotALink(block.Line);
                }
            }

            return result;
        }

        /// <summary>The links of a paragraph whose every line is one link (and perhaps a comment) and nothing else.</summary>
        private List<RelatedLink> LinkLines(ParagraphBlock paragraph)
        {
            var result = new List<RelatedLink>();
            var line = new List<Inline>();

            void EndOfLine()
            {
                if (line.Count != 1 || line[0] is not LinkInline { IsImage: false } link)
                {
                    throw NotALink(LineIndexOf(line.FirstOrDefault()?.Span.Start ?? paragraph.Span.Start));
                }

                // The text as written (markup and all), as the MAML's other text is; a link without text has "".
                var text = link.FirstChild is { } first ? Source(first.Span.Start, link.LastChild!.Span.End).Trim() : string.Empty;
                result.Add(new RelatedLink(text, string.IsNullOrEmpty(link.Url) ? null : link.Url));
                line.Clear();
            }

            foreach (var inline in paragraph.Inline ?? Enumerable.Empty<Inline>())
            {
                switch (inline)
                {
                    case LineBreakInline:
                        EndOfLine();
                        break;
                    case LiteralInline literal when literal.Content.IsEmptyOrWhitespace():
                    case HtmlInline html when html.Tag.StartsWith("<!--", StringComparison.Ordinal):
                        break;
                    default:
                        line.Add(inline);
                        break;
                }
            }

            EndOfLine();
            return result;
        }

        private HelpPageException NotALink(int lineIndex) =>
            Error(lineIndex + 1, $"## RELATED LINKS entries must look like '- [Text](uri)', not '{LineText(lineIndex).Trim()}'");

        private static string FenceBody(FencedCodeBlock fence) => fence.Lines.ToString();

        /// <summary>
        /// Blocks to MAML paragraphs. A fence becomes one paragraph holding its code. Other blocks
        /// are their source lines, split into paragraphs at blank lines: a paragraph's soft-wrapped
        /// lines are joined; lists, tables, block quotes and indented code keep their line breaks
        /// and indentation, which is their layout in plain text. A fence inside a list item keeps
        /// its code lines (blank ones too) and loses its ``` lines, as a fence of its own does.
        /// </summary>
        private List<string> Paragraphs(IEnumerable<Block> blocks)
        {
            var result = new List<string>();
            foreach (var block in blocks)
            {
                if (block is FencedCodeBlock fence)
                {
                    if (fence.Lines.Count > 0)
                    {
                        result.Add(FenceBody(fence));
                    }

                    continue;
                }

                var keepBreaks = block is ListBlock or Table or QuoteBlock or CodeBlock;
                var fenceLines = new HashSet<int>();
                var codeLines = new HashSet<int>();
                if (block is ContainerBlock container)
                {
                    foreach (var nested in container.Descendants<FencedCodeBlock>())
                    {
                        var close = LineIndexOf(nested.Span.End);
                        fenceLines.Add(nested.Line + 1);
                        fenceLines.Add(close + 1);
                        codeLines.UnionWith(Enumerable.Range(nested.Line + 2, Math.Max(close - nested.Line - 1, 0)));
                    }
                }

                var run = new List<string>();
                foreach (var (text, number) in SourceLines(block).Append((string.Empty, 0)))
                {
                    if (fenceLines.Contains(number))
                    {
                        continue;
                    }

                    if (codeLines.Contains(number))
                    {
                        run.Add(text.TrimEnd());
                        continue;
                    }

                    if (text.Trim().Length > 0)
                    {
                        var placeholder = Placeholder().Match(text);
                        if (placeholder.Success)
                        {
                            throw Error(number, $"unfilled template placeholder '{placeholder.Value}'");
                        }

                        run.Add(keepBreaks ? text.TrimEnd() : text.Trim());
                        continue;
                    }

                    if (run.Count > 0)
                    {
                        result.Add(string.Join(keepBreaks ? "\n" : " ", run));
                        run.Clear();
                    }
                }
            }

            return result;
        }

        /// <summary>The whole source lines a top-level block spans, comments removed, with their 1-based numbers.</summary>
        private IEnumerable<(string Text, int Number)> SourceLines(Block block)
        {
            var last = LineIndexOf(Math.Max(block.Span.End, block.Span.Start));
            for (var i = block.Line; i <= last; i++)
            {
                yield return (Source(_lineStarts[i], LineEnd(i)), i + 1);
            }
        }

        /// <summary>The page text from <paramref name="start"/> to <paramref name="end"/> (inclusive) without its HTML comments.</summary>
        private string Source(int start, int end)
        {
            var sb = new StringBuilder();
            var at = start;
            foreach (var (commentStart, commentEnd) in _comments)
            {
                if (commentEnd < at || commentStart > end)
                {
                    continue;
                }

                if (commentStart > at)
                {
                    sb.Append(_text, at, commentStart - at);
                }

                at = Math.Max(at, commentEnd + 1);
            }

            if (at <= end)
            {
                sb.Append(_text, at, end - at + 1);
            }

            return sb.ToString();
        }

        private int LineIndexOf(int position)
        {
            var index = _lineStarts.BinarySearch(Math.Clamp(position, 0, Math.Max(_text.Length - 1, 0)));
            return index >= 0 ? index : ~index - 1;
        }

        /// <summary>The last character of line <paramref name="index"/> (before its newline); start - 1 when it is empty.</summary>
        private int LineEnd(int index) =>
            index + 1 < _lineStarts.Count ? _lineStarts[index + 1] - 2 : _text.Length - 1;

        private string LineText(int index) => _lineStarts.Count > index ? Source(_lineStarts[index], LineEnd(index)) : string.Empty;
    }
}

/// <summary>A malformed help page; <see cref="ToString"/> gives the MSBuild-style "file(line): error" form.</summary>
public sealed class HelpPageException : Exception
{
    public const string Code = "JPSHELP001";

    public HelpPageException(string sourcePath, int line, string message)
        : base(message)
    {
        SourcePath = sourcePath;
        Line = line;
    }

    public string SourcePath { get; }

    public int Line { get; }

    public string Describe() =>
        Line > 0 ? $"{SourcePath}({Line}): error {Code}: {Message}" : $"{SourcePath}: error {Code}: {Message}";

    public override string ToString() => Describe();
}
