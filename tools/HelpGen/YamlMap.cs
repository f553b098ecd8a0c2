using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace JailPS.HelpGen;

/// <summary>
/// One YAML mapping from a page, the front matter or a parameter's ```yaml block, parsed by
/// YamlDotNet and read the way PlatyPS 1.x writes its values. Every node keeps the page line it
/// was written on, so a bad value is reported on its own line rather than where the block starts.
/// </summary>
public sealed class YamlMap
{
    private readonly List<Entry> _entries;
    private readonly Dictionary<string, Entry> _byKey;
    private readonly int _firstLine;

    private YamlMap(List<Entry> entries, int firstLine, int line)
    {
        _entries = entries;
        _firstLine = firstLine;
        Line = line;

        // PlatyPS reads keys without regard to case, so "type" and "Type" are the same key and
        // writing both is a duplicate, even though YAML itself would accept them.
        _byKey = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in entries)
        {
            if (!_byKey.TryAdd(entry.Key, entry))
            {
                throw new YamlError($"duplicate key '{entry.Key}'", entry.Line);
            }
        }
    }

    /// <summary>The page line the mapping starts on.</summary>
    public int Line { get; }

    /// <summary>The keys as written, in page order, with their lines.</summary>
    public IEnumerable<(string Key, int Line)> Keys => _entries.Select(e => (e.Key, e.Line));

    /// <summary>
    /// Parses <paramref name="yaml"/>, whose first line is line <paramref name="firstLine"/> of the
    /// page. Empty text (or only comments) is an empty mapping; anything but one mapping is an error.
    /// </summary>
    public static YamlMap Parse(string yaml, int firstLine)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new YamlError(ex.Message, LineOf(ex.Start, firstLine));
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's scanner throws this, without a position, on some broken flow
            // collections (an unclosed '[' followed by more keys); it is still a bad page.
            throw new YamlError($"the YAML cannot be read ({ex.Message}); look for an unclosed '[' or '{{'", firstLine);
        }

        if (stream.Documents.Count == 0)
        {
            return new YamlMap(new List<Entry>(), firstLine, firstLine);
        }

        if (stream.Documents.Count > 1)
        {
            throw new YamlError("more than one YAML document (a '---' or '...' line inside the block)", LineOf(stream.Documents[1].RootNode.Start, firstLine));
        }

        var root = stream.Documents[0].RootNode;
        if (root is YamlScalarNode scalar && IsNull(scalar))
        {
            return new YamlMap(new List<Entry>(), firstLine, firstLine);
        }

        return FromNode(root, firstLine, "the block must be a mapping of 'Key: value' lines");
    }

    /// <summary>True when the key is written, even with an empty value.</summary>
    public bool Has(string key) => _byKey.ContainsKey(key);

    /// <summary>The line of the key, or of the mapping when the key is absent.</summary>
    public int LineOf(string key) => _byKey.TryGetValue(key, out var entry) ? entry.Line : Line;

    /// <summary>A single value; absent, empty, null and <c>[]</c> (PlatyPS's empty list) read as "".</summary>
    public string Text(string key)
    {
        if (!_byKey.TryGetValue(key, out var entry))
        {
            return string.Empty;
        }

        return entry.Value switch
        {
            YamlScalarNode s => IsNull(s) ? string.Empty : s.Value ?? string.Empty,
            YamlSequenceNode { Children.Count: 0 } => string.Empty,
            _ => throw new YamlError($"'{key}' must be a single value", ValueLine(entry)),
        };
    }

    /// <summary>true or false in any case; absent or empty reads as <paramref name="absent"/>.</summary>
    public bool Bool(string key, bool absent = false)
    {
        if (!_byKey.TryGetValue(key, out var entry))
        {
            return absent;
        }

        if (entry.Value is YamlScalarNode s)
        {
            if (IsNull(s))
            {
                return absent;
            }

            // Only YAML 1.2's spellings: yes/no/on/off are YAML 1.1 and PlatyPS rejects them.
            if (s.Value!.Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (s.Value.Equals("false", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        throw new YamlError($"'{key}' must be true or false", ValueLine(entry));
    }

    /// <summary>
    /// A list of plain values: a block or flow sequence, or (as PlatyPS 0.x wrote it) one value
    /// with commas. Absent, empty and <c>None</c> are the empty list.
    /// </summary>
    public IReadOnlyList<string> List(string key)
    {
        if (!_byKey.TryGetValue(key, out var entry))
        {
            return Array.Empty<string>();
        }

        switch (entry.Value)
        {
            case YamlScalarNode s:
                var text = IsNull(s) ? string.Empty : s.Value!;
                if (text.Length == 0 || text.Equals("None", StringComparison.OrdinalIgnoreCase))
                {
                    return Array.Empty<string>();
                }

                return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            case YamlSequenceNode sequence:
                var result = new List<string>();
                foreach (var item in sequence)
                {
                    if (item is not YamlScalarNode itemScalar)
                    {
                        throw new YamlError($"'{key}' must be a list of plain values", LineOf(item.Start, _firstLine));
                    }

                    if (IsNull(itemScalar))
                    {
                        throw new YamlError($"'{key}' has an empty entry", LineOf(item.Start, _firstLine));
                    }

                    result.Add(itemScalar.Value!);
                }

                return result;
            default:
                throw new YamlError($"'{key}' must be a list", ValueLine(entry));
        }
    }

    /// <summary>A parameter position: absent, empty or <c>Named</c> is null; otherwise a non-negative number.</summary>
    public int? Position(string key)
    {
        var text = Text(key);
        if (text.Length == 0 || text.Equals("Named", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
        {
            return position;
        }

        throw new YamlError($"'{key}' must be Named or a non-negative number, not '{text}'", ValueLine(_byKey[key]));
    }

    /// <summary>
    /// A list of mappings (block <c>- Name: x</c> entries or flow <c>{Name: x}</c> ones); null when
    /// the key is absent, empty or not a sequence, so the caller can say what it expected.
    /// </summary>
    public IReadOnlyList<YamlMap>? Mappings(string key, string itemError)
    {
        if (!_byKey.TryGetValue(key, out var entry) || entry.Value is not YamlSequenceNode sequence)
        {
            return null;
        }

        return sequence.Children.Select(item => FromNode(item, _firstLine, itemError)).ToList();
    }

    /// <summary>
    /// Every key as front matter metadata: a value as written, a list of plain values joined with
    /// ", ", anything else (a nested mapping) as "". Only a few keys are used; the rest are kept.
    /// </summary>
    public Dictionary<string, string> ToMetadata()
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in _entries)
        {
            metadata[entry.Key] = entry.Value switch
            {
                YamlScalarNode s => IsNull(s) ? string.Empty : s.Value ?? string.Empty,
                YamlSequenceNode list => string.Join(", ", list.Children.OfType<YamlScalarNode>().Where(s => !IsNull(s)).Select(s => s.Value)),
                _ => string.Empty,
            };
        }

        return metadata;
    }

    private static YamlMap FromNode(YamlNode node, int firstLine, string notAMapping)
    {
        if (node is not YamlMappingNode mapping)
        {
            throw new YamlError(notAMapping, LineOf(node.Start, firstLine));
        }

        var entries = new List<Entry>();
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key })
            {
                throw new YamlError("a key must be plain text", LineOf(keyNode.Start, firstLine));
            }

            entries.Add(new Entry(key, LineOf(keyNode.Start, firstLine), value));
        }

        return new YamlMap(entries, firstLine, LineOf(mapping.Start, firstLine));
    }

    /// <summary>
    /// YAML's null: an empty value, <c>~</c> or <c>null</c>, unquoted. A quoted <c>''</c> is an
    /// empty string, which every reader here treats the same way.
    /// </summary>
    private static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style is ScalarStyle.Plain or ScalarStyle.Any &&
        scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private int ValueLine(Entry entry) => LineOf(entry.Value.Start, _firstLine);

    /// <summary>YamlDotNet counts lines from 1 within the block; an empty mark (no position) maps to the block's first line.</summary>
    private static int LineOf(Mark mark, int firstLine) => firstLine + (int)Math.Max(mark.Line - 1, 0);

    private sealed record Entry(string Key, int Line, YamlNode Value);
}

/// <summary>A YAML block that cannot be read; <see cref="Line"/> is a page line.</summary>
public sealed class YamlError : Exception
{
    public YamlError(string message, int line)
        : base(message)
    {
        Line = line;
    }

    public int Line { get; }
}
