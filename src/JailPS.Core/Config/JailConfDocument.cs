using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Text;

namespace JailPS.Core.Config;

/// <summary>
/// One jail.conf(5) file as a lossless concrete syntax tree: the exact text plus the tokens and
/// statements found in it. <see cref="ToString"/> returns the text byte for byte; edits splice new
/// text into the affected statement only, so comments and layout elsewhere are kept.
/// </summary>
public sealed class JailConfDocument
{
    private string _text = string.Empty;
    private List<JailConfToken> _tokens = new();
    private List<JailConfItem> _items = new();
    private List<JailConfBlock> _blocks = new();
    private JailConfLineMap _map = new(string.Empty);
    private ReadOnlyCollection<string> _blockNames = new(Array.Empty<string>());

    private JailConfDocument(string? path)
    {
        Path = path;
    }

    /// <summary>
    /// Parses one file (includes are not followed). Throws <see cref="JailConfException"/>, also
    /// for blocks nested more than 128 deep (JailConfNestingTooDeep).
    /// </summary>
    public static JailConfDocument Parse(string text, string? path)
    {
        if (text is null) throw new ArgumentNullException(nameof(text));
        var budget = new JailConfBudget();
        budget.AddInput(text.Length);
        return Parse(text, path, budget);
    }

    /// <summary>Parses one file, charging the work to a budget shared with the rest of a load (the caller added the text to it).</summary>
    internal static JailConfDocument Parse(string text, string? path, JailConfBudget budget)
    {
        var doc = new JailConfDocument(path);
        doc.Load(text, budget);
        return doc;
    }

    /// <summary>The host path the document was read from (null when parsed from a string).</summary>
    public string? Path { get; }

    /// <summary>The document's text; byte-exact with the parsed text when nothing was edited.</summary>
    public override string ToString() => _text;

    /// <summary>
    /// Jail block names in file order, including wildcard ones such as "*" or "foo.*"; nested
    /// blocks appear with their hierarchical name ("parent.child"). Statements outside any block
    /// (the implicit "*" jail) are not a block.
    /// </summary>
    public IReadOnlyList<string> BlockNames => _blockNames;

    public bool HasBlock(string jailName)
    {
        if (jailName is null) throw new ArgumentNullException(nameof(jailName));
        foreach (var b in _blocks)
            if (b.FullName == jailName) return true;
        return false;
    }

    /// <summary>
    /// Sets a parameter in the jail's own block (the first block of that name): the first statement
    /// of that name or of an equivalent name (its boolean "no" form, see
    /// <see cref="JailConfNames.EquivalentNames"/>) is replaced in place, further ones are deleted;
    /// otherwise the statement is appended as the block's last statement with the block's
    /// indentation. Null or empty <paramref name="values"/> write a bare "name;".
    /// </summary>
    /// A name beginning with '$' sets the block's variable of that name instead ("$name = value;").
    /// </summary>
    /// <exception cref="InvalidOperationException">The document has no block for the jail.</exception>
    public void SetParameter(string jailName, string name, IReadOnlyList<string>? values)
    {
        if (jailName is null) throw new ArgumentNullException(nameof(jailName));
        ArgumentNullException.ThrowIfNull(name);
        bool variable = name.StartsWith('$');
        if (!variable) JailConfWriter.ValidateParameterName(name);
        var block = FirstBlock(jailName)
                    ?? throw new InvalidOperationException("No block for jail \"" + jailName + "\" in " + (Path ?? "the document") + ".");
        string statement = variable ? JailConfWriter.FormatVariable(name, values) : JailConfWriter.FormatStatement(name, values);
        var edits = new List<Edit>();
        bool first = true;
        foreach (var s in MatchingStatements(block, name))
        {
            edits.Add(first ? new Edit(s.Start, s.End, statement) : Deletion(s));
            first = false;
        }
        if (first)
            edits.Add(AppendToBlock(block, statement));
        Apply(edits);
    }

    /// <summary>
    /// Removes the statements of that name and of equivalent names ("no" forms) from every block of
    /// the jail (a name beginning with '$': that variable). Returns true when something was removed.
    /// </summary>
    public bool RemoveParameter(string jailName, string name)
    {
        if (jailName is null) throw new ArgumentNullException(nameof(jailName));
        ArgumentNullException.ThrowIfNull(name);
        if (!name.StartsWith('$')) JailConfWriter.ValidateParameterName(name);
        var edits = new List<Edit>();
        foreach (var b in _blocks)
            if (b.FullName == jailName)
                foreach (var s in MatchingStatements(b, name))
                    edits.Add(Deletion(s));
        if (edits.Count == 0) return false;
        Apply(edits);
        return true;
    }

    /// <summary>
    /// Removes every block of that jail name, together with the comment lines directly attached
    /// above it (no blank line between) and one adjacent blank line (the one below, else the one
    /// above). Returns true when a block was removed.
    /// </summary>
    public bool RemoveBlock(string jailName)
    {
        if (jailName is null) throw new ArgumentNullException(nameof(jailName));
        bool removed = false;
        for (var b = FirstBlock(jailName); b is not null; b = FirstBlock(jailName))
        {
            Apply(new List<Edit> { BlockRemoval(b) });
            removed = true;
        }
        return removed;
    }

    /// <summary>
    /// Appends a new block at the end of the document, formatted by
    /// <see cref="JailConfWriter.FormatBlock"/> and separated from what precedes it by a blank line.
    /// </summary>
    public void AppendBlock(string jailName, IEnumerable<JailConfParameter> parameters)
    {
        string block = JailConfWriter.FormatBlock(jailName, parameters);
        string nl = NewLine;
        if (nl != "\n") block = block.Replace("\n", nl);
        var sb = new StringBuilder(_text, _text.Length + block.Length + 4);
        if (_text.Length > 0)
        {
            if (_text[_text.Length - 1] != '\n') sb.Append(nl);
            if (!EndsWithBlankLine(sb)) sb.Append(nl);
        }
        sb.Append(block);
        Reload(sb.ToString());
    }

    // ---- internals used by the evaluator -------------------------------------------------------

    internal IReadOnlyList<JailConfItem> Items => _items;

    internal JailConfLocation Locate(int offset) => _map.Locate(Path, offset);

    // ---- parsing -------------------------------------------------------------------------------

    private void Load(string text, JailConfBudget budget)
    {
        var map = new JailConfLineMap(text);
        var tokens = JailConfLexer.Tokenize(text, Path, map, budget);
        var blocks = new List<JailConfBlock>();
        var items = JailConfParser.Parse(tokens, Path, map, text.Length, blocks, budget);
        _text = text;
        _map = map;
        _tokens = tokens;
        _items = items;
        _blocks = blocks;
        var names = new string[blocks.Count];
        for (int i = 0; i < names.Length; i++) names[i] = blocks[i].FullName;
        _blockNames = new ReadOnlyCollection<string>(names);
    }

    private void Reload(string text)
    {
        try
        {
            var budget = new JailConfBudget();
            budget.AddInput(text.Length);
            Load(text, budget);
        }
        catch (JailConfException e)
        {
            // Edits only splice well-formed statements; reaching this is a bug in the editor.
            throw new InvalidOperationException("Editing produced text that does not parse: " + e.Message, e);
        }
    }

    // ---- editing helpers -----------------------------------------------------------------------

    private readonly record struct Edit(int Start, int End, string Replacement);

    private void Apply(List<Edit> edits)
    {
        edits.Sort((a, b) => a.Start.CompareTo(b.Start));
        var sb = new StringBuilder(_text.Length + 64);
        int pos = 0;
        foreach (var e in edits)
        {
            if (e.Start < pos) continue; // overlapping edits cannot happen; be defensive
            sb.Append(_text, pos, e.Start - pos);
            sb.Append(e.Replacement);
            pos = e.End;
        }
        sb.Append(_text, pos, _text.Length - pos);
        Reload(sb.ToString());
    }

    private JailConfBlock? FirstBlock(string jailName)
    {
        foreach (var b in _blocks)
            if (b.FullName == jailName) return b;
        return null;
    }

    private static IEnumerable<JailConfStatement> MatchingStatements(JailConfBlock block, string name)
    {
        bool variable = name.StartsWith('$');
        foreach (var item in block.Items)
            if (item is JailConfStatement s && !s.IsInclude
                && (variable ? s.IsVariable && s.Name == name[1..] : !s.IsVariable && JailConfNames.EquivalentNames(s.Name, name)))
                yield return s;
    }

    /// <summary>"\r\n" when the document already uses it, else "\n".</summary>
    private string NewLine => _text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";

    private int LineStart(int offset) => _map.LineStartOf(offset);

    private bool OnlySpaceOrTab(int from, int to)
    {
        for (int i = from; i < to; i++)
            if (_text[i] != ' ' && _text[i] != '\t') return false;
        return true;
    }

    private bool IsBlank(int from, int to)
    {
        for (int i = from; i < to; i++)
            if (_text[i] is not (' ' or '\t' or '\r' or '\n')) return false;
        return true;
    }

    /// <summary>Offset just after the end of the line holding <paramref name="offset"/> (after its '\n', or the text end).</summary>
    private int NextLineStart(int offset)
    {
        int nl = _text.IndexOf('\n', offset);
        return nl < 0 ? _text.Length : nl + 1;
    }

    /// <summary>
    /// The end of what follows a statement or block on its line when only spaces, tabs and a line
    /// comment follow: the offset after the line's '\n' (or the text end). -1 when something else follows.
    /// </summary>
    private int RestOfLineEnd(int end)
    {
        int p = end;
        while (p < _text.Length && (_text[p] == ' ' || _text[p] == '\t')) p++;
        // Right after ';' or '}' a '#' or '//' can only start a comment.
        if (p < _text.Length && (_text[p] == '#' || (_text[p] == '/' && p + 1 < _text.Length && _text[p + 1] == '/')))
        {
            int nl = _text.IndexOf('\n', p);
            p = nl < 0 ? _text.Length : nl;
        }
        if (p == _text.Length) return p;
        if (_text[p] == '\n') return p + 1;
        if (_text[p] == '\r' && p + 1 < _text.Length && _text[p + 1] == '\n') return p + 2;
        return -1;
    }

    private Edit Deletion(JailConfStatement s)
    {
        int ls = LineStart(s.Start);
        int lineEnd = RestOfLineEnd(s.End);
        if (lineEnd >= 0 && OnlySpaceOrTab(ls, s.Start))
            return new Edit(ls, lineEnd, string.Empty); // the statement had the line to itself
        int e = s.End;
        while (e < _text.Length && (_text[e] == ' ' || _text[e] == '\t')) e++;
        if (e < _text.Length && _text[e] != '\n' && _text[e] != '\r')
            return new Edit(s.Start, e, string.Empty); // "a; b; c;" -> "a; c;"
        int b = s.Start;
        while (b > ls && (_text[b - 1] == ' ' || _text[b - 1] == '\t')) b--;
        return new Edit(b, s.End, string.Empty); // last on a shared line: drop the space before it too
    }

    private Edit AppendToBlock(JailConfBlock block, string statement)
    {
        int close = block.CloseBrace;
        int ls = LineStart(close);
        string indent = StatementIndent(block);
        if (ls > block.OpenBrace && OnlySpaceOrTab(ls, close))
            return new Edit(ls, ls, indent + statement + NewLine); // '}' on its own line
        if (LineStart(block.OpenBrace) == ls)
        {
            // A one-line block: "foo { a; }" -> "foo { a; stmt }".
            bool spaceBefore = _text[close - 1] == ' ' || _text[close - 1] == '\t';
            return new Edit(close, close, (spaceBefore ? string.Empty : " ") + statement + " ");
        }
        return new Edit(close, close, NewLine + indent + statement + NewLine + LineIndent(block.Start));
    }

    /// <summary>Indentation of the block's last item that starts its own line, else the block's own plus one tab.</summary>
    private string StatementIndent(JailConfBlock block)
    {
        for (int i = block.Items.Count - 1; i >= 0; i--)
        {
            var item = block.Items[i];
            int ls = LineStart(item.Start);
            if (ls > block.OpenBrace && OnlySpaceOrTab(ls, item.Start))
                return _text.Substring(ls, item.Start - ls);
        }
        return LineIndent(block.Start) + "\t";
    }

    private string LineIndent(int offset)
    {
        int ls = LineStart(offset);
        int p = ls;
        while (p < offset && (_text[p] == ' ' || _text[p] == '\t')) p++;
        return _text.Substring(ls, p - ls);
    }

    private Edit BlockRemoval(JailConfBlock block)
    {
        // End of the significant token before the block: nothing before it may be touched.
        int prevEnd = 0;
        for (int i = block.NameTokenIndex - 1; i >= 0; i--)
            if (!_tokens[i].IsTrivia) { prevEnd = _tokens[i].End; break; }

        int start = block.Start;
        int ls = LineStart(start);
        bool ownLine = ls >= prevEnd && OnlySpaceOrTab(ls, start);
        if (ownLine)
        {
            start = ls;
            // Comment lines directly above (no blank line between) belong to the block.
            while (start > 0)
            {
                int above = LineStart(start - 1);
                if (above < prevEnd || IsBlank(above, start)) break;
                // The line is inside the trivia before the block, so it holds comment text. A block
                // comment that began on a higher line is taken whole, if it starts its own line.
                int commentStart = CommentStartingBefore(above);
                if (commentStart >= 0)
                {
                    int cls = LineStart(commentStart);
                    if (cls < prevEnd || !OnlySpaceOrTab(cls, commentStart)) break;
                    above = cls;
                }
                start = above;
            }
        }

        int end = block.End;
        int lineEnd = RestOfLineEnd(end);
        if (ownLine && lineEnd >= 0)
        {
            end = lineEnd;
            // One adjacent blank line: the one below if there is one (so a file header above the
            // first block stays apart from what follows), else the one above.
            if (end < _text.Length && IsBlank(end, NextLineStart(end)))
                end = NextLineStart(end);
            else if (start > 0 && LineStart(start - 1) >= prevEnd && IsBlank(LineStart(start - 1), start))
                start = LineStart(start - 1);
        }
        return new Edit(start, end, string.Empty);
    }

    /// <summary>Start of a comment token that begins before <paramref name="offset"/> and runs past it, or -1.</summary>
    private int CommentStartingBefore(int offset)
    {
        int lo = 0, hi = _tokens.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_tokens[mid].Start < offset) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        if (found < 0) return -1;
        var t = _tokens[found];
        return t.Kind == JailConfTokenKind.Comment && t.End > offset ? t.Start : -1;
    }

    private static bool EndsWithBlankLine(StringBuilder sb)
    {
        // sb ends with '\n'; look at the line before that newline.
        int i = sb.Length - 1;
        if (i > 0 && sb[i - 1] == '\r') i--;
        for (int j = i - 1; j >= 0; j--)
        {
            char c = sb[j];
            if (c == '\n') return true;
            if (c != ' ' && c != '\t' && c != '\r') return false;
        }
        return true;
    }
}
