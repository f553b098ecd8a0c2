using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace JailPS.HelpGen;

/// <summary>
/// Reads one cmdlet page in the Microsoft.PowerShell.PlatyPS 1.x markdown layout
/// (schema 2024-05-01) into a <see cref="CommandHelp"/>. Malformed pages raise
/// <see cref="HelpPageException"/> naming the file and line.
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
        var fileName = Path.GetFileNameWithoutExtension(path);
        string? documentType = null;
        using (var reader = new StreamReader(path))
        {
            if (reader.ReadLine()?.Trim() == "---")
            {
                string? line;
                while ((line = reader.ReadLine()) is not null && line.Trim() != "---")
                {
                    var m = Regex.Match(line, @"^\s*document type\s*:\s*(.*?)\s*$", RegexOptions.IgnoreCase);
                    if (m.Success)
                    {
                        documentType = m.Groups[1].Value.Trim('\'', '"');
                    }
                }
            }
        }

        if (documentType is not null)
        {
            return documentType.Equals("cmdlet", StringComparison.OrdinalIgnoreCase);
        }

        return VerbNoun().IsMatch(fileName);
    }

    public static CommandHelp Parse(string text, string sourcePath)
    {
        var page = new Page(sourcePath, text);
        return page.Build();
    }

    [GeneratedRegex(@"^[A-Za-z]+-[A-Za-z0-9]+$")]
    private static partial Regex VerbNoun();

    [GeneratedRegex(@"^\s{0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^\s{0,3}(`{3,}|~{3,})\s*([^`\s]*)")]
    private static partial Regex FenceOpen();

    [GeneratedRegex(@"^\s*(?:[-*+]\s+)?\[(?<text>[^\]]*)\]\((?<uri>[^)\s]*)\)\s*$")]
    private static partial Regex LinkLine();

    [GeneratedRegex(@"\{\{.*?\}\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^\s*([-*+]|\d+[.)])\s+")]
    private static partial Regex ListItem();

    private readonly record struct SourceLine(string Text, int Number, bool InFence);

    private sealed class Block
    {
        public Block(string title, int line)
        {
            Title = title;
            Line = line;
        }

        public string Title { get; }
        public int Line { get; }
        public List<SourceLine> Lead { get; } = new();
        public List<Block> Children { get; } = new();
    }

    private sealed class Page
    {
        private readonly string _path;
        private readonly string[] _lines;

        public Page(string path, string text)
        {
            _path = path;
            _lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        }

        private HelpPageException Error(int line, string message) => new(_path, line, message);

        public CommandHelp Build()
        {
            var (frontMatter, bodyStart) = ReadFrontMatter();
            var metadata = frontMatter.ToMetadata();
            var lines = MarkFences(bodyStart);
            var (name, nameLine, sections) = Outline(lines);

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

            var byName = new Dictionary<string, Block>(StringComparer.Ordinal);
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

        private (YamlMap FrontMatter, int BodyStart) ReadFrontMatter()
        {
            var first = 0;
            while (first < _lines.Length && _lines[first].Trim().Length == 0)
            {
                first++;
            }

            if (first >= _lines.Length || _lines[first].Trim() != "---")
            {
                throw Error(first + 1, "a cmdlet page must start with YAML front matter between two '---' lines (PlatyPS 1.x layout)");
            }

            var end = first + 1;
            while (end < _lines.Length && _lines[end].Trim() != "---")
            {
                end++;
            }

            if (end >= _lines.Length)
            {
                throw Error(first + 1, "the YAML front matter is not closed by a '---' line");
            }

            YamlMap raw;
            try
            {
                raw = YamlMap.Parse(string.Join("\n", _lines[(first + 1)..end]) + "\n", first + 2);
            }
            catch (YamlError ex)
            {
                throw Error(ex.Line, $"front matter: {ex.Message}");
            }

            return (raw, end + 1);
        }

        private List<SourceLine> MarkFences(int start)
        {
            var result = new List<SourceLine>();
            char fenceChar = '\0';
            var fenceLength = 0;
            var fenceLine = 0;
            var inComment = false;
            for (var i = start; i < _lines.Length; i++)
            {
                var text = _lines[i];
                if (fenceChar == '\0')
                {
                    // HTML comments outside code are authoring notes, not help text.
                    text = StripComments(text, ref inComment);
                    if (inComment && text.Trim().Length == 0)
                    {
                        result.Add(new SourceLine(string.Empty, i + 1, false));
                        continue;
                    }

                    var open = FenceOpen().Match(text);
                    if (open.Success)
                    {
                        fenceChar = open.Groups[1].Value[0];
                        fenceLength = open.Groups[1].Value.Length;
                        fenceLine = i + 1;
                    }

                    result.Add(new SourceLine(text, i + 1, fenceChar != '\0'));
                    continue;
                }

                var trimmed = text.Trim();
                if (trimmed.Length >= fenceLength && trimmed.All(c => c == fenceChar))
                {
                    fenceChar = '\0';
                }

                result.Add(new SourceLine(text, i + 1, true));
            }

            if (fenceChar != '\0')
            {
                throw Error(fenceLine, "this code fence is never closed");
            }

            if (inComment)
            {
                throw Error(_lines.Length, "an HTML comment ('<!--') is never closed");
            }

            return result;
        }

        private static string StripComments(string text, ref bool inComment)
        {
            var sb = new StringBuilder();
            var i = 0;
            while (i < text.Length)
            {
                if (inComment)
                {
                    var close = text.IndexOf("-->", i, StringComparison.Ordinal);
                    if (close < 0)
                    {
                        return sb.ToString();
                    }

                    inComment = false;
                    i = close + 3;
                    continue;
                }

                var open = text.IndexOf("<!--", i, StringComparison.Ordinal);
                if (open < 0)
                {
                    sb.Append(text, i, text.Length - i);
                    break;
                }

                sb.Append(text, i, open - i);
                inComment = true;
                i = open + 4;
            }

            return sb.ToString();
        }

        private (string Name, int Line, List<Block> Sections) Outline(List<SourceLine> lines)
        {
            string? name = null;
            var nameLine = 0;
            var sections = new List<Block>();
            Block? h2 = null;
            Block? h3 = null;
            foreach (var line in lines)
            {
                var heading = line.InFence ? Match.Empty : Heading().Match(line.Text);
                if (!heading.Success || heading.Groups[1].Length > 3)
                {
                    if (line.Text.Trim().Length == 0 && !line.InFence)
                    {
                        (h3?.Lead ?? h2?.Lead)?.Add(line);
                        continue;
                    }

                    if (h2 is null)
                    {
                        throw Error(line.Number, name is null
                            ? "text before the '# Command-Name' heading"
                            : "text between '# " + name + "' and '## SYNOPSIS'");
                    }

                    (h3?.Lead ?? h2.Lead).Add(line);
                    continue;
                }

                var level = heading.Groups[1].Length;
                var title = heading.Groups[2].Value.Trim();
                if (title.Length == 0)
                {
                    throw Error(line.Number, "empty heading");
                }

                switch (level)
                {
                    case 1:
                        if (name is not null)
                        {
                            throw Error(line.Number, $"a second '# ' heading ('{title}'); a page documents exactly one command");
                        }

                        name = title;
                        nameLine = line.Number;
                        break;
                    case 2:
                        if (name is null)
                        {
                            throw Error(line.Number, "'## " + title + "' comes before the '# Command-Name' heading");
                        }

                        h2 = new Block(title, line.Number);
                        h3 = null;
                        sections.Add(h2);
                        break;
                    default:
                        if (h2 is null)
                        {
                            throw Error(line.Number, "'### " + title + "' is outside any '## ' section");
                        }

                        h3 = new Block(title, line.Number);
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

        /// <summary>Text of a section that must not have ### subsections.</summary>
        private List<string> LeafText(Block block)
        {
            if (block.Children.Count > 0)
            {
                throw Error(block.Children[0].Line, $"'## {block.Title}' takes plain text, not '### ' subsections");
            }

            return Paragraphs(block.Lead);
        }

        private void RequireNoLead(Block block, string what)
        {
            var stray = block.Lead.FirstOrDefault(l => l.Text.Trim().Length > 0);
            if (stray.Number != 0)
            {
                throw Error(stray.Number, $"text directly under '## {block.Title}'; {what}");
            }
        }

        private List<SyntaxSet> ReadSyntax(Block block)
        {
            RequireNoLead(block, "each parameter set goes under its own '### SetName' heading with the syntax in a code fence");
            if (block.Children.Count == 0)
            {
                throw Error(block.Line, "## SYNTAX has no '### SetName' subsection (use '### __AllParameterSets' for a command with one set)");
            }

            var result = new List<SyntaxSet>();
            foreach (var set in block.Children)
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

                var fences = Fences(set.Lead);
                if (fences.Count != 1)
                {
                    throw Error(set.Line, $"'### {set.Title}' must contain exactly one code fence with the syntax line(s), found {fences.Count}");
                }

                result.Add(new SyntaxSet(title, isDefault, fences[0].Body, set.Line));
            }

            if (result.Count(s => s.IsDefault) > 1)
            {
                throw Error(block.Line, "more than one parameter set is marked (Default)");
            }

            return result;
        }

        private List<ExampleHelp> ReadExamples(Block block)
        {
            RequireNoLead(block, "each example goes under its own '### Example N: title' heading");
            if (block.Children.Count == 0)
            {
                throw Error(block.Line, "## EXAMPLES has no '### Example 1: ...' subsection; at least one example is required");
            }

            var result = new List<ExampleHelp>();
            foreach (var example in block.Children)
            {
                var lines = example.Lead;
                var firstFence = lines.FindIndex(l => l.InFence);
                if (firstFence < 0)
                {
                    throw Error(example.Line, $"example '{example.Title}' has no code fence with the command");
                }

                var fences = Fences(lines);
                var code = fences[0];
                var remarks = new List<string>();
                remarks.AddRange(Paragraphs(lines.Take(firstFence).ToList()));
                remarks.AddRange(Paragraphs(lines.Skip(code.EndIndex + 1).ToList()));
                if (code.Body.Trim().Length == 0)
                {
                    throw Error(code.Line, $"the code fence of example '{example.Title}' is empty");
                }

                result.Add(new ExampleHelp(example.Title, code.Body, remarks, example.Line));
            }

            return result;
        }

        private List<ParameterHelp> ReadParameters(Block block, out bool hasCommon)
        {
            RequireNoLead(block, "each parameter goes under its own '### -Name' heading");
            hasCommon = false;
            var result = new List<ParameterHelp>();
            foreach (var sub in block.Children)
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

                var fences = Fences(sub.Lead);
                var yaml = fences.Where(f => f.Info.Equals("yaml", StringComparison.OrdinalIgnoreCase)).ToList();
                if (yaml.Count != 1)
                {
                    throw Error(sub.Line, $"parameter -{name} must have exactly one ```yaml block (Type, DefaultValue, SupportsWildcards, Aliases, ParameterSets, ...), found {yaml.Count}");
                }

                var description = Paragraphs(sub.Lead.Take(yaml[0].StartIndex).ToList());
                description.AddRange(Paragraphs(sub.Lead.Skip(yaml[0].EndIndex + 1).ToList()));
                result.Add(ReadParameter(name, sub.Line, description, yaml[0]));
            }

            return result;
        }

        private ParameterHelp ReadParameter(string name, int line, List<string> description, Fence yaml)
        {
            try
            {
                var map = YamlMap.Parse(yaml.Body + "\n", yaml.Line + 1);
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

        private List<TypeHelp> ReadTypes(Block block)
        {
            RequireNoLead(block, "put each type under its own '### TypeName' heading (for example '### None')");
            return block.Children.Select(c => new TypeHelp(c.Title, Paragraphs(c.Lead))).ToList();
        }

        private List<RelatedLink> ReadLinks(Block block)
        {
            if (block.Children.Count > 0)
            {
                throw Error(block.Children[0].Line, "## RELATED LINKS takes a list of '- [Text](uri)' lines, not '### ' subsections");
            }

            var result = new List<RelatedLink>();
            foreach (var line in block.Lead.Where(l => l.Text.Trim().Length > 0))
            {
                var m = LinkLine().Match(line.Text);
                if (line.InFence || !m.Success)
                {
                    throw Error(line.Number, $"## RELATED LINKS entries must look like '- [Text](uri)', not '{line.Text.Trim()}'");
                }

                var uri = m.Groups["uri"].Value;
                result.Add(new RelatedLink(m.Groups["text"].Value.Trim(), uri.Length == 0 ? null : uri));
            }

            return result;
        }

        private sealed record Fence(string Info, string Body, IReadOnlyList<string> Lines, int Line, int StartIndex, int EndIndex);

        /// <summary>The code fences in a run of lines, with their positions in it.</summary>
        private static List<Fence> Fences(List<SourceLine> lines)
        {
            var result = new List<Fence>();
            var i = 0;
            while (i < lines.Count)
            {
                if (!lines[i].InFence)
                {
                    i++;
                    continue;
                }

                var open = FenceOpen().Match(lines[i].Text);
                var indent = lines[i].Text.Length - lines[i].Text.TrimStart().Length;
                var start = i;
                var body = new List<string>();
                i++;
                while (i < lines.Count && lines[i].InFence && !IsClosing(lines[i].Text, open.Groups[1].Value))
                {
                    body.Add(Dedent(lines[i].Text, indent));
                    i++;
                }

                result.Add(new Fence(open.Groups[2].Value, string.Join("\n", body), body, lines[start].Number, start, Math.Min(i, lines.Count - 1)));
                i++;
            }

            return result;
        }

        private static bool IsClosing(string text, string opener)
        {
            var t = text.Trim();
            return t.Length >= opener.Length && t.All(c => c == opener[0]);
        }

        private static string Dedent(string text, int indent)
        {
            var n = 0;
            while (n < indent && n < text.Length && text[n] == ' ')
            {
                n++;
            }

            return text[n..];
        }

        /// <summary>
        /// Markdown text to MAML paragraphs: blank lines separate paragraphs; soft-wrapped lines are
        /// joined; lists, tables and indented lines keep their line breaks; a code fence becomes
        /// one paragraph holding the code.
        /// </summary>
        private List<string> Paragraphs(List<SourceLine> lines)
        {
            var result = new List<string>();
            var current = new List<string>();
            var keepBreaks = false;

            void Flush()
            {
                if (current.Count > 0)
                {
                    result.Add(keepBreaks ? string.Join("\n", current) : string.Join(" ", current.Select(c => c.Trim())));
                }

                current.Clear();
                keepBreaks = false;
            }

            var i = 0;
            while (i < lines.Count)
            {
                var line = lines[i];
                if (line.InFence)
                {
                    Flush();
                    var open = FenceOpen().Match(line.Text).Groups[1].Value;
                    var indent = line.Text.Length - line.Text.TrimStart().Length;
                    var code = new List<string>();
                    i++;
                    while (i < lines.Count && lines[i].InFence && !IsClosing(lines[i].Text, open))
                    {
                        code.Add(Dedent(lines[i].Text, indent));
                        i++;
                    }

                    i++;
                    if (code.Count > 0)
                    {
                        result.Add(string.Join("\n", code));
                    }

                    continue;
                }

                var text = line.Text.TrimEnd();
                if (text.Trim().Length == 0)
                {
                    Flush();
                    i++;
                    continue;
                }

                var placeholder = Placeholder().Match(text);
                if (placeholder.Success)
                {
                    throw Error(line.Number, $"unfilled template placeholder '{placeholder.Value}'");
                }

                if (ListItem().IsMatch(text) || text.TrimStart().StartsWith('|') || text.StartsWith("    ", StringComparison.Ordinal) || text.StartsWith('\t'))
                {
                    keepBreaks = true;
                }

                current.Add(keepBreaks ? text : text.Trim());
                i++;
            }

            Flush();
            return result;
        }
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
