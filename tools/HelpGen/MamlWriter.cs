using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace JailPS.HelpGen;

/// <summary>
/// Writes command help as the MAML document that PowerShell's Get-Help reads from
/// <c>&lt;module&gt;/&lt;culture&gt;/&lt;Assembly&gt;.dll-Help.xml</c>.
/// Syntax blocks are generated from the parameter metadata (as PlatyPS does), not from the
/// SYNTAX fences, so they cannot disagree with the parameter descriptions.
/// </summary>
public static class MamlWriter
{
    public static readonly XNamespace Msh = "http://msh";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    public static readonly XNamespace MSHelp = "http://msdn.microsoft.com/mshelp";

    public static XDocument ToDocument(IEnumerable<CommandHelp> commands)
    {
        var root = new XElement(
            Msh + "helpItems",
            new XAttribute("schema", "maml"),
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XAttribute(XNamespace.Xmlns + "MSHelp", MSHelp));
        foreach (var command in commands.OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase))
        {
            root.Add(CommandElement(command));
        }

        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    public static void Write(IEnumerable<CommandHelp> commands, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var settings = new XmlWriterSettings
        {
            Encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            NewLineHandling = NewLineHandling.Replace,
        };
        using var writer = XmlWriter.Create(path, settings);
        ToDocument(commands).Save(writer);
    }

    private static XElement CommandElement(CommandHelp help)
    {
        var element = new XElement(
            Command + "command",
            new XElement(
                Command + "details",
                new XElement(Command + "name", help.Name),
                new XElement(Command + "verb", help.Verb),
                new XElement(Command + "noun", help.Noun),
                Description(Maml + "description", help.Synopsis)),
            Description(Maml + "description", help.Description),
            Syntax(help),
            new XElement(Command + "parameters", help.Parameters.Select(p => ParameterElement(p, null))),
            new XElement(Command + "inputTypes", help.Inputs.Select(t => TypeElement(Command + "inputType", t))),
            new XElement(Command + "returnValues", help.Outputs.Select(t => TypeElement(Command + "returnValue", t))));

        if (help.Notes.Count > 0)
        {
            element.Add(new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paras(help.Notes))));
        }

        element.Add(new XElement(Command + "examples", help.Examples.Select(Example)));
        element.Add(RelatedLinks(help));
        return element;
    }

    private static XElement Syntax(CommandHelp help)
    {
        var syntax = new XElement(Command + "syntax");
        foreach (var setName in help.ParameterSetNames)
        {
            var members = help.ParametersIn(setName)
                .Where(m => !m.Parameter.DontShow)
                .OrderBy(m => m.Set.Position.HasValue ? 0 : 1)
                .ThenBy(m => m.Set.Position ?? int.MaxValue)
                .ThenBy(m => m.Set.IsRequired ? 0 : 1)
                .ThenBy(m => TrailingRank(m.Parameter))
                .ToList();
            syntax.Add(new XElement(
                Command + "syntaxItem",
                new XElement(Maml + "name", help.Name),
                members.Select(m => ParameterElement(m.Parameter, m.Set))));
        }

        return syntax;
    }

    /// <summary>Values first, then switches, then -WhatIf and -Confirm, as Get-Command prints them.</summary>
    private static int TrailingRank(ParameterHelp p) =>
        p.Name.Equals("WhatIf", StringComparison.OrdinalIgnoreCase) ? 2 :
        p.Name.Equals("Confirm", StringComparison.OrdinalIgnoreCase) ? 3 :
        p.IsSwitch ? 1 : 0;

    /// <summary>
    /// A parameter as it appears in one syntax item (<paramref name="set"/> given) or in the
    /// command's parameter list (<paramref name="set"/> null: attributes summarise all sets).
    /// </summary>
    private static XElement ParameterElement(ParameterHelp p, ParameterSetInfo? set)
    {
        var sets = set is null ? p.ParameterSets : new[] { set };
        var required = sets.Any(s => s.IsRequired);
        var positions = sets.Select(s => s.Position).Distinct().ToList();
        var position = positions.Count == 1 && positions[0].HasValue
            ? positions[0]!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "named";
        var byValue = sets.Any(s => s.ValueFromPipeline);
        var byName = sets.Any(s => s.ValueFromPipelineByPropertyName);
        var pipeline = (byValue, byName) switch
        {
            (true, true) => "True (ByPropertyName, ByValue)",
            (true, false) => "True (ByValue)",
            (false, true) => "True (ByPropertyName)",
            _ => "False",
        };

        var element = new XElement(
            Command + "parameter",
            new XAttribute("required", Bool(required)),
            new XAttribute("variableLength", Bool(p.IsArray)),
            new XAttribute("globbing", Bool(p.SupportsWildcards)),
            new XAttribute("pipelineInput", pipeline),
            new XAttribute("position", position),
            new XAttribute("aliases", p.Aliases.Count == 0 ? "none" : string.Join(", ", p.Aliases)),
            new XElement(Maml + "name", p.Name),
            Description(Maml + "description", p.Description));

        if (p.AcceptedValues.Count > 0)
        {
            element.Add(new XElement(
                Command + "parameterValueGroup",
                p.AcceptedValues.Select(v => new XElement(
                    Command + "parameterValue",
                    new XAttribute("required", "false"),
                    new XAttribute("variableLength", "false"),
                    v))));
        }

        // In a syntax line a switch has no value ("[-Force]"); in the parameter list it is shown as <SwitchParameter>.
        if (!p.IsSwitch || set is null)
        {
            element.Add(new XElement(
                Command + "parameterValue",
                new XAttribute("required", Bool(!p.IsSwitch)),
                new XAttribute("variableLength", Bool(p.IsArray)),
                ShortTypeName(p.Type)));
        }

        element.Add(new XElement(Dev + "type", new XElement(Maml + "name", p.Type), new XElement(Maml + "uri")));
        element.Add(new XElement(Dev + "defaultValue", string.IsNullOrWhiteSpace(p.DefaultValue) ? "None" : p.DefaultValue));
        return element;
    }

    private static XElement TypeElement(XName name, TypeHelp type) =>
        new(name,
            new XElement(Dev + "type", new XElement(Maml + "name", type.TypeName)),
            Description(Maml + "description", type.Description));

    private static XElement Example(ExampleHelp example)
    {
        // Get-Help prints the title as is; the dashes are the conventional MAML decoration.
        var title = $"--------- {example.Title} ---------";
        return new XElement(
            Command + "example",
            new XElement(Maml + "title", title),
            new XElement(Dev + "code", example.Code),
            new XElement(Dev + "remarks", Paras(example.Remarks.Count == 0 ? new[] { string.Empty } : example.Remarks)));
    }

    private static XElement RelatedLinks(CommandHelp help)
    {
        var links = new XElement(Command + "relatedLinks");
        if (help.HelpUri is { } online)
        {
            links.Add(Link("Online Version:", online));
        }

        foreach (var link in help.RelatedLinks)
        {
            // Relative links (other pages of these docs) only make sense on the web; Get-Help shows their text.
            var uri = link.Uri is not null && Uri.TryCreate(link.Uri, UriKind.Absolute, out var absolute) &&
                      (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps)
                ? link.Uri
                : string.Empty;
            links.Add(Link(link.Text, uri));
        }

        return links;
    }

    private static XElement Link(string text, string uri) =>
        new(Maml + "navigationLink", new XElement(Maml + "linkText", text), new XElement(Maml + "uri", uri));

    private static XElement Description(XName name, IReadOnlyList<string> paragraphs) =>
        new(name, Paras(paragraphs.Count == 0 ? new[] { string.Empty } : paragraphs));

    private static IEnumerable<XElement> Paras(IEnumerable<string> paragraphs) =>
        paragraphs.Select(p => new XElement(Maml + "para", p));

    private static string Bool(bool value) => value ? "true" : "false";

    /// <summary>"System.Collections.Generic.List`1[System.String]" → "List`1[System.String]"; "System.String[]" → "String[]".</summary>
    public static string ShortTypeName(string type)
    {
        var depth = 0;
        var lastDot = -1;
        for (var i = 0; i < type.Length; i++)
        {
            switch (type[i])
            {
                case '[':
                    depth++;
                    break;
                case ']':
                    depth--;
                    break;
                case '.' when depth == 0:
                    lastDot = i;
                    break;
            }
        }

        return lastDot < 0 ? type : type[(lastDot + 1)..];
    }
}
