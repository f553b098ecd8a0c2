using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace JailPS.HelpGen;

/// <summary>
/// The small subset of YAML that PlatyPS writes in front matter and parameter blocks:
/// block mappings, block sequences (of scalars or of mappings), flow sequences such as
/// <c>[]</c> or <c>[a, b]</c>, and plain, single-quoted or double-quoted scalars.
/// Anything else is reported as an error with its line number.
/// </summary>
public static class MiniYaml
{
    /// <summary>Parses a block mapping. <paramref name="firstLine"/> is the 1-based line of lines[0] in the page.</summary>
    public static Dictionary<string, object> ParseMapping(IReadOnlyList<string> lines, int firstLine)
    {
        var reader = new Reader(lines, firstLine);
        reader.SkipBlank();
        if (reader.AtEnd)
        {
            return new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        }

        var indent = reader.Indent;
        var map = reader.ReadMapping(indent);
        reader.SkipBlank();
        if (!reader.AtEnd)
        {
            throw reader.Error("unexpected indentation or content");
        }

        return map;
    }

    public static string Scalar(string raw, int line)
    {
        var text = raw.Trim();
        if (text.Length == 0)
        {
            return string.Empty;
        }

        if (text[0] == '\'')
        {
            if (text.Length < 2 || text[^1] != '\'')
            {
                throw new YamlException("unterminated single-quoted string", line);
            }

            return text[1..^1].Replace("''", "'", StringComparison.Ordinal);
        }

        if (text[0] == '"')
        {
            if (text.Length < 2 || text[^1] != '"')
            {
                throw new YamlException("unterminated double-quoted string", line);
            }

            return Unescape(text[1..^1], line);
        }

        return text;
    }

    private static string Unescape(string text, int line)
    {
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (++i >= text.Length)
            {
                throw new YamlException("dangling backslash in double-quoted string", line);
            }

            sb.Append(text[i] switch
            {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                '0' => '\0',
                '"' => '"',
                '\\' => '\\',
                '/' => '/',
                _ => throw new YamlException($"unsupported escape '\\{text[i]}' in double-quoted string", line),
            });
        }

        return sb.ToString();
    }

    private static object FlowOrScalar(string raw, int line)
    {
        var text = raw.Trim();
        if (text.StartsWith('['))
        {
            if (!text.EndsWith(']'))
            {
                throw new YamlException("unterminated flow sequence (missing ']')", line);
            }

            var inner = text[1..^1];
            var items = new List<object>();
            if (inner.Trim().Length == 0)
            {
                return items;
            }

            foreach (var part in SplitFlow(inner, line))
            {
                items.Add(Scalar(part, line));
            }

            return items;
        }

        if (text.StartsWith('{'))
        {
            throw new YamlException("flow mappings ({...}) are not supported here", line);
        }

        return Scalar(text, line);
    }

    private static IEnumerable<string> SplitFlow(string inner, int line)
    {
        var start = 0;
        char quote = '\0';
        for (var i = 0; i < inner.Length; i++)
        {
            var c = inner[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == ',')
            {
                yield return inner[start..i];
                start = i + 1;
            }
            else if (c is '[' or '{')
            {
                throw new YamlException("nested flow collections are not supported", line);
            }
        }

        if (quote != '\0')
        {
            throw new YamlException("unterminated quoted string in flow sequence", line);
        }

        yield return inner[start..];
    }

    /// <summary>Splits "key: value" at the first ": " (or a trailing ':'), outside quotes.</summary>
    private static bool TrySplitKey(string text, out string key, out string rest)
    {
        key = rest = string.Empty;
        if (text.Length == 0 || text[0] is '\'' or '"' or '[' or '{' || text == "-" || text.StartsWith("- ", StringComparison.Ordinal))
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ':' && (i == text.Length - 1 || text[i + 1] == ' '))
            {
                key = text[..i].Trim();
                rest = i == text.Length - 1 ? string.Empty : text[(i + 1)..].Trim();
                return key.Length > 0;
            }
        }

        return false;
    }

    private sealed class Reader
    {
        private readonly IReadOnlyList<string> _lines;
        private readonly int _firstLine;
        private int _index;

        public Reader(IReadOnlyList<string> lines, int firstLine)
        {
            _lines = lines;
            _firstLine = firstLine;
        }

        public bool AtEnd => _index >= _lines.Count;

        public int LineNumber => _firstLine + Math.Min(_index, Math.Max(_lines.Count - 1, 0));

        private string Current => _lines[_index];

        public int Indent
        {
            get
            {
                var line = Current;
                var n = 0;
                while (n < line.Length && line[n] == ' ')
                {
                    n++;
                }

                if (n < line.Length && line[n] == '\t')
                {
                    throw Error("tabs are not allowed for indentation");
                }

                return n;
            }
        }

        public YamlException Error(string message) => new(message, LineNumber);

        public void SkipBlank()
        {
            while (!AtEnd && (Current.Trim().Length == 0 || Current.TrimStart().StartsWith('#')))
            {
                _index++;
            }
        }

        public Dictionary<string, object> ReadMapping(int indent)
        {
            var map = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
            while (true)
            {
                SkipBlank();
                if (AtEnd || Indent < indent)
                {
                    return map;
                }

                if (Indent > indent)
                {
                    throw Error("unexpected indentation");
                }

                var text = Current.Trim();
                if (!TrySplitKey(text, out var key, out var rest))
                {
                    throw Error($"expected 'Key: value' but found '{text}'");
                }

                var keyLine = LineNumber;
                if (map.ContainsKey(key))
                {
                    throw Error($"duplicate key '{key}'");
                }

                _index++;
                map[key] = rest.Length > 0 ? FlowOrScalar(rest, keyLine) : ReadNested(indent, keyLine);
            }
        }

        /// <summary>Reads the value of a key whose value starts on the next line.</summary>
        private object ReadNested(int parentIndent, int keyLine)
        {
            SkipBlank();
            if (AtEnd)
            {
                return string.Empty;
            }

            var indent = Indent;
            var text = Current.Trim();
            var isItem = text == "-" || text.StartsWith("- ", StringComparison.Ordinal);
            if (isItem && indent >= parentIndent)
            {
                return ReadSequence(indent);
            }

            if (indent > parentIndent)
            {
                return ReadMapping(indent);
            }

            return string.Empty; // "Key:" with nothing under it: an empty value
        }

        private List<object> ReadSequence(int indent)
        {
            var list = new List<object>();
            while (true)
            {
                SkipBlank();
                if (AtEnd || Indent != indent)
                {
                    if (!AtEnd && Indent > indent)
                    {
                        throw Error("unexpected indentation in sequence");
                    }

                    return list;
                }

                var text = Current.Trim();
                if (text != "-" && !text.StartsWith("- ", StringComparison.Ordinal))
                {
                    return list;
                }

                var itemLine = LineNumber;
                var content = text.Length > 1 ? text[2..].TrimStart() : string.Empty;
                if (content.Length == 0)
                {
                    _index++;
                    SkipBlank();
                    list.Add(!AtEnd && Indent > indent ? ReadMapping(Indent) : string.Empty);
                    continue;
                }

                if (TrySplitKey(content, out var key, out var rest))
                {
                    // "- Key: value" starts a mapping whose other keys line up with Key.
                    var keyColumn = Current.IndexOf(content, StringComparison.Ordinal);
                    var first = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
                    _index++;
                    first[key] = rest.Length > 0 ? FlowOrScalar(rest, itemLine) : ReadNested(keyColumn, itemLine);
                    var more = ReadMapping(keyColumn);
                    foreach (var (k, v) in more)
                    {
                        if (!first.TryAdd(k, v))
                        {
                            throw new YamlException($"duplicate key '{k}'", itemLine);
                        }
                    }

                    list.Add(first);
                    continue;
                }

                list.Add(FlowOrScalar(content, itemLine));
                _index++;
            }
        }
    }
}

public sealed class YamlException : Exception
{
    public YamlException(string message, int line)
        : base(message)
    {
        Line = line;
    }

    public int Line { get; }
}

internal static class YamlValues
{
    public static bool ToBool(object? value, string key, int line)
    {
        if (value is string s)
        {
            if (s.Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (s.Equals("false", StringComparison.OrdinalIgnoreCase) || s.Length == 0)
            {
                return false;
            }
        }

        throw new YamlException($"'{key}' must be true or false", line);
    }

    public static string ToText(object? value, string key, int line) => value switch
    {
        null => string.Empty,
        string s => s,
        List<object> { Count: 0 } => string.Empty,
        _ => throw new YamlException($"'{key}' must be a single value", line),
    };

    public static IReadOnlyList<string> ToList(object? value, string key, int line)
    {
        switch (value)
        {
            case null:
                return Array.Empty<string>();
            case string s:
                // PlatyPS 0.x wrote "Aliases: a, b"; accept a plain comma list as well as YAML sequences.
                if (s.Length == 0 || s.Equals("None", StringComparison.OrdinalIgnoreCase))
                {
                    return Array.Empty<string>();
                }

                return s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            case List<object> list:
                var result = new List<string>();
                foreach (var item in list)
                {
                    result.Add(item as string ?? throw new YamlException($"'{key}' must be a list of plain values", line));
                }

                return result;
            default:
                throw new YamlException($"'{key}' must be a list", line);
        }
    }

    public static int? ToPosition(object? value, int line)
    {
        var text = ToText(value, "Position", line);
        if (text.Length == 0 || text.Equals("Named", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
        {
            return position;
        }

        throw new YamlException($"'Position' must be Named or a non-negative number, not '{text}'", line);
    }
}
