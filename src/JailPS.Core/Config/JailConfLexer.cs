using System;
using System.Collections.Generic;
using System.Text;

namespace JailPS.Core.Config;

internal enum JailConfTokenKind : byte
{
    Whitespace,
    Comment,
    PlusEquals,
    Comma,
    Semicolon,
    Equals,
    OpenBrace,
    CloseBrace,
    /// <summary>A string piece (flex STR / STR1); <see cref="JailConfToken.Value"/> is the decoded text.</summary>
    String,
    /// <summary>A variable reference (flex VAR / VAR1); <see cref="JailConfToken.Value"/> is the variable name.</summary>
    Variable,
    /// <summary>Any other character; the parser rejects it.</summary>
    Other,
    EndOfFile,
}

/// <summary>One lexeme with its span [Start, End) in the document text.</summary>
internal readonly struct JailConfToken
{
    public JailConfToken(JailConfTokenKind kind, int start, int end, bool continuation = false, string? value = null)
    {
        Kind = kind;
        Start = start;
        End = end;
        Continuation = continuation;
        Value = value;
    }

    public JailConfTokenKind Kind { get; }
    public int Start { get; }
    public int End { get; }

    /// <summary>
    /// For string and variable pieces: the piece directly continues the previous one with no
    /// whitespace between (flex STR1 / VAR1), so the parser concatenates them.
    /// </summary>
    public bool Continuation { get; }

    public string? Value { get; }

    public bool IsTrivia => Kind == JailConfTokenKind.Whitespace || Kind == JailConfTokenKind.Comment;

    public bool IsPiece => Kind == JailConfTokenKind.String || Kind == JailConfTokenKind.Variable;

    public JailConfToken WithEnd(int end) => new(Kind, Start, end, Continuation, Value);
}

/// <summary>Offset to line/column mapping ('\n' ends a line, as flex's yylineno counts).</summary>
internal sealed class JailConfLineMap
{
    private readonly int[] _lineStarts;

    public JailConfLineMap(string text)
    {
        var starts = new List<int> { 0 };
        for (int i = text.IndexOf('\n'); i >= 0; i = text.IndexOf('\n', i + 1))
            starts.Add(i + 1);
        _lineStarts = starts.ToArray();
    }

    public int LineCount => _lineStarts.Length;

    /// <summary>0-based line index of an offset.</summary>
    public int LineIndexOf(int offset)
    {
        int i = Array.BinarySearch(_lineStarts, offset);
        return i >= 0 ? i : ~i - 1;
    }

    public int LineStartOf(int offset) => _lineStarts[LineIndexOf(offset)];

    public JailConfLocation Locate(string? file, int offset)
    {
        int line = LineIndexOf(offset);
        return new JailConfLocation(file, line + 1, offset - _lineStarts[line] + 1);
    }
}

/// <summary>
/// The jail.conf lexer: a hand-written port of the rules of usr.sbin/jail/jaillex.l, including
/// flex's longest-match choice between them, its two start conditions (normal and "inside a
/// double-quoted string after a variable") and text2lval()'s escape decoding. Trivia (whitespace,
/// comments) is kept so the document stays lossless.
/// </summary>
internal static class JailConfLexer
{
    /// <summary>
    /// Splits the text into tokens. Every character is examined a bounded number of times (the
    /// closing quote of a double-quoted string is found once, not again after each variable in
    /// it), and what was examined is charged to <paramref name="budget"/>.
    /// </summary>
    public static List<JailConfToken> Tokenize(string text, string? file, JailConfLineMap map, JailConfBudget budget)
    {
        var tokens = new List<JailConfToken>(Math.Max(16, text.Length / 4));
        int n = text.Length;
        int i = 0;
        long scanned = 0;
        // Inside a double-quoted string: the index of its closing quote as found from dqFrom (the
        // string's opening, or a later piece when a ${...} took that quote in); -1 for none at all.
        int dqClose = -1, dqFrom = int.MaxValue;
        // jaillex.l's "instr": the previous token was a string piece with nothing between, so the
        // next piece continues the same string (STR1/VAR1). Whitespace, comments and the reserved
        // tokens clear it; an "other" character leaves it alone.
        bool instr = false;
        // jaillex.l's DQ start condition: inside a double-quoted string, after a variable.
        bool dq = false;

        void Piece(JailConfTokenKind kind, int start, int end, string value)
        {
            tokens.Add(new JailConfToken(kind, start, end, instr, value));
            instr = true;
        }

        while (i < n)
        {
            char c = text[i];
            if (dq)
            {
                if (c == '"')
                {
                    // <DQ>\" ends the string; it makes no token, so the closing quote joins the last piece.
                    tokens[tokens.Count - 1] = tokens[tokens.Count - 1].WithEnd(i + 1);
                    dq = false;
                    i++;
                    continue;
                }
                if (c == '$')
                {
                    i = LexDollar(text, file, map, i, inDoubleQuotes: true, Piece, ref scanned);
                    continue;
                }
                if (c == '\\')
                {
                    i = LexEscapePiece(text, i, Piece);
                    continue;
                }
                // <DQ>[^"$\\]([^"\\]|\\(.|\n))*\" : the rest of the string up to the next variable.
                // Pieces and variables end on an escape-pair boundary, so a closing quote found
                // earlier in this string is still the first one from here unless a ${...} took it.
                if (i < dqFrom || (dqClose >= 0 && dqClose < i))
                {
                    dqFrom = i;
                    dqClose = FindClosingQuote(text, i, '"');
                    scanned += (dqClose < 0 ? n : dqClose) - i;
                }
                int close = dqClose;
                if (close < 0)
                {
                    // Possible when a ${...} swallowed the closing quote. flex then takes the longest
                    // rule left in this state: an unquoted run (one more piece), else the catch-all,
                    // which goes back to the normal state and scans the character again.
                    if (IsAtomChar(c))
                    {
                        int j = i + 1;
                        while (j < n && IsAtomChar(text[j])) j++;
                        Piece(JailConfTokenKind.String, i, j, text.Substring(i, j - i));
                        i = j;
                    }
                    else
                        dq = false;
                    continue;
                }
                string part = Decode(text, i, close, stopAtDollar: true, out int dollar);
                scanned += (dollar >= 0 ? dollar : close) - i;
                if (dollar >= 0)
                {
                    Piece(JailConfTokenKind.String, i, dollar, part);
                    i = dollar;
                }
                else
                {
                    Piece(JailConfTokenKind.String, i, close + 1, part);
                    dq = false;
                    i = close + 1;
                }
                continue;
            }

            switch (c)
            {
                case ' ':
                case '\t':
                case '\r':
                case '\n':
                {
                    int j = i + 1;
                    while (j < n && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r' || text[j] == '\n')) j++;
                    tokens.Add(new JailConfToken(JailConfTokenKind.Whitespace, i, j));
                    instr = false;
                    i = j;
                    continue;
                }
                case '#':
                {
                    int j = LineEnd(text, i);
                    tokens.Add(new JailConfToken(JailConfTokenKind.Comment, i, j));
                    instr = false;
                    i = j;
                    continue;
                }
                case '/':
                    if (i + 1 < n && text[i + 1] == '/')
                    {
                        int j = LineEnd(text, i);
                        tokens.Add(new JailConfToken(JailConfTokenKind.Comment, i, j));
                        instr = false;
                        i = j;
                        continue;
                    }
                    if (i + 1 < n && text[i + 1] == '*')
                    {
                        int close = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                        if (close < 0)
                        {
                            // jaillex.l's comment rule runs to the end of the file, so jail(8)
                            // reports the last line; where it begins is what the user needs.
                            var began = map.Locate(file, i);
                            throw JailConfException.At(JailConfErrorIds.UnterminatedComment,
                                "unterminated comment (it begins at line " + began.Line + ", column " + began.Column + ")", map.Locate(file, n));
                        }
                        tokens.Add(new JailConfToken(JailConfTokenKind.Comment, i, close + 2));
                        instr = false;
                        i = close + 2;
                        continue;
                    }
                    Piece(JailConfTokenKind.String, i, i + 1, "/");
                    i++;
                    continue;
                case '+':
                    if (i + 1 < n && text[i + 1] == '=')
                    {
                        tokens.Add(new JailConfToken(JailConfTokenKind.PlusEquals, i, i + 2));
                        instr = false;
                        i += 2;
                        continue;
                    }
                    Piece(JailConfTokenKind.String, i, i + 1, "+");
                    i++;
                    continue;
                case ',':
                case ';':
                case '=':
                case '{':
                case '}':
                    tokens.Add(new JailConfToken(c switch
                    {
                        ',' => JailConfTokenKind.Comma,
                        ';' => JailConfTokenKind.Semicolon,
                        '=' => JailConfTokenKind.Equals,
                        '{' => JailConfTokenKind.OpenBrace,
                        _ => JailConfTokenKind.CloseBrace,
                    }, i, i + 1));
                    instr = false;
                    i++;
                    continue;
                case '*':
                    Piece(JailConfTokenKind.String, i, i + 1, "*");
                    i++;
                    continue;
                case '\\':
                    i = LexEscapePiece(text, i, Piece);
                    continue;
                case '$':
                    i = LexDollar(text, file, map, i, inDoubleQuotes: false, Piece, ref scanned);
                    continue;
                case '\'':
                {
                    int close = FindClosingQuote(text, i + 1, '\'');
                    if (close < 0)
                        throw JailConfException.At(JailConfErrorIds.UnterminatedString,
                            "unterminated string", map.Locate(file, i));
                    // Single quotes: escapes are decoded, variables are not expanded.
                    scanned += 2 * (close - i);
                    Piece(JailConfTokenKind.String, i, close + 1, Decode(text, i + 1, close, false, out _));
                    i = close + 1;
                    continue;
                }
                case '"':
                {
                    int close = FindClosingQuote(text, i + 1, '"');
                    if (close < 0)
                        throw JailConfException.At(JailConfErrorIds.UnterminatedString,
                            "unterminated string", map.Locate(file, i));
                    scanned += close - i;
                    string part = Decode(text, i + 1, close, stopAtDollar: true, out int dollar);
                    scanned += (dollar >= 0 ? dollar : close) - i;
                    if (dollar >= 0)
                    {
                        Piece(JailConfTokenKind.String, i, dollar, part);
                        dq = true;
                        dqFrom = i + 1;
                        dqClose = close;
                        i = dollar;
                    }
                    else
                    {
                        Piece(JailConfTokenKind.String, i, close + 1, part);
                        i = close + 1;
                    }
                    continue;
                }
                default:
                    if (IsAtomChar(c))
                    {
                        int j = i + 1;
                        while (j < n && IsAtomChar(text[j])) j++;
                        Piece(JailConfTokenKind.String, i, j, text.Substring(i, j - i));
                        i = j;
                        continue;
                    }
                    // <_>. : any other character is returned as itself; the grammar has no use for it.
                    tokens.Add(new JailConfToken(JailConfTokenKind.Other, i, i + 1, false, text.Substring(i, 1)));
                    i++;
                    continue;
            }
        }
        // Every token and character once, plus what was examined more than once.
        if (budget.Spend(tokens.Count + (long)n + scanned))
            throw budget.TooLarge(map.Locate(file, n));
        return tokens;
    }

    /// <summary>Characters of an unquoted token (jaillex.l: [A-Za-z0-9_!%&amp;()\-.:&lt;&gt;?@\[\]^`|~]).</summary>
    public static bool IsAtomChar(char c)
        => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c switch
           {
               '_' or '!' or '%' or '&' or '(' or ')' or '-' or '.' or ':' or '<' or '>' or '?' or '@'
                   or '[' or ']' or '^' or '`' or '|' or '~' => true,
               _ => false,
           };

    private static int LineEnd(string text, int i)
    {
        int j = text.IndexOf('\n', i);
        return j < 0 ? text.Length : j;
    }

    /// <summary>Index of the first unescaped quote at or after <paramref name="from"/>, or -1.</summary>
    private static int FindClosingQuote(string text, int from, char quote)
    {
        for (int j = from; j < text.Length; j++)
        {
            char c = text[j];
            if (c == '\\')
            {
                if (j + 1 >= text.Length) return -1;
                j++;
                continue;
            }
            if (c == quote) return j;
        }
        return -1;
    }

    private delegate void PieceSink(JailConfTokenKind kind, int start, int end, string value);

    /// <summary>
    /// A backslash outside quotes: \ plus one character (newline included), 1-3 octal digits, or
    /// x plus 1-2 hex digits, as one piece (jaillex.l); a lone backslash at the end of the text is
    /// an empty piece.
    /// </summary>
    private static int LexEscapePiece(string text, int i, PieceSink piece)
    {
        int n = text.Length;
        int end;
        if (i + 1 >= n)
            end = n;
        else if (IsOctal(text[i + 1]))
        {
            end = i + 2;
            while (end < n && end < i + 4 && IsOctal(text[end])) end++;
        }
        else if (text[i + 1] == 'x' && i + 2 < n && IsHex(text[i + 2]))
        {
            end = i + 3;
            if (end < n && IsHex(text[end])) end++;
        }
        else
            end = i + 2;
        piece(JailConfTokenKind.String, i, end, Decode(text, i, end, false, out _));
        return end;
    }

    /// <summary>$name, ${name}, or a lone "$" (a literal dollar sign). Adds to <paramref name="scanned"/> what ${...} examined past its end.</summary>
    private static int LexDollar(string text, string? file, JailConfLineMap map, int i, bool inDoubleQuotes, PieceSink piece, ref long scanned)
    {
        int n = text.Length;
        if (i + 1 < n && (IsAsciiLetter(text[i + 1]) || text[i + 1] == '_'))
        {
            int j = i + 2;
            while (j < n && (IsAsciiLetter(text[j]) || text[j] == '_' || (text[j] >= '0' && text[j] <= '9'))) j++;
            piece(JailConfTokenKind.Variable, i, j, text.Substring(i + 1, j - i - 1));
            return j;
        }
        if (i + 1 < n && text[i + 1] == '{')
        {
            // ${...} (jaillex.l): inside, any character but newline and braces (and, inside a
            // double-quoted string, the double quote), or a backslash followed by any character.
            // A backslash may be read either way, so flex's longest match is the last '}' reachable.
            int end = LongestBracedVariable(text, i + 2, inDoubleQuotes, out int reached);
            scanned += reached - i;
            if (end < 0)
                throw JailConfException.At(JailConfErrorIds.UnterminatedVariable,
                    "unterminated variable", map.Locate(file, i));
            piece(JailConfTokenKind.Variable, i, end, Decode(text, i + 2, end - 1, end, false, out _));
            return end;
        }
        piece(JailConfTokenKind.String, i, i + 1, "$");
        return i + 1;
    }

    /// <summary>
    /// End (after the closing brace) of the longest ${...} match whose body starts at
    /// <paramref name="from"/>, or -1. Positions reachable through the body are tracked forward:
    /// a plain character advances by one, a backslash pair by two. <paramref name="reached"/> is
    /// where the search stopped (it stops at a newline or an unescaped brace, so text it examines
    /// past the match is examined again by at most the tokens up to there).
    /// </summary>
    private static int LongestBracedVariable(string text, int from, bool inDoubleQuotes, out int reached)
    {
        int n = text.Length;
        int best = -1;
        bool reachNext = true;      // position p is reachable
        bool reachAfterNext = false; // position p + 1 is reachable (through a backslash pair from p - 1)
        int p = from;
        for (; p < n && (reachNext || reachAfterNext); p++)
        {
            bool here = reachNext;
            reachNext = reachAfterNext;
            reachAfterNext = false;
            if (!here) continue;
            char c = text[p];
            if (c == '}') best = p + 1;
            bool plain = c != '\n' && c != '{' && c != '}' && !(inDoubleQuotes && c == '"');
            if (plain) reachNext = true;
            if (c == '\\' && p + 1 < n) reachAfterNext = true;
        }
        reached = p;
        return best;
    }

    private static bool IsAsciiLetter(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

    private static bool IsOctal(char c) => c >= '0' && c <= '7';

    private static bool IsHex(char c) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>
    /// Port of text2lval() in usr.sbin/jail/jaillex.l: decodes backslash escapes in text[from, to)
    /// (\a \b \f \n \r \t \v, 1-3 octal digits, x + 1-2 hex digits, backslash-newline removed, any
    /// other character stands for itself); with <paramref name="stopAtDollar"/> it stops at the first
    /// unescaped '$' and reports its index. Escapes give characters 0-255 (octal wraps like C's
    /// char). As in C, the string ends at its first NUL character.
    /// </summary>
    public static string Decode(string text, int from, int to, bool stopAtDollar, out int dollarAt)
        => Decode(text, from, to, to, stopAtDollar, out dollarAt);

    /// <param name="tokenEnd">End of the whole lexeme: a backslash at the end of the range reads the
    /// character there (as C reads past its range), or NUL at the end of the lexeme.</param>
    public static string Decode(string text, int from, int to, int tokenEnd, bool stopAtDollar, out int dollarAt)
    {
        dollarAt = -1;
        StringBuilder? sb = null;
        int s = from;
        // Fast path: nothing to decode.
        for (; s < to; s++)
        {
            char c = text[s];
            if (c == '\\' || c == '\0' || (stopAtDollar && c == '$')) break;
        }
        if (s == to) return text.Substring(from, to - from);
        // Not to - from: with stopAtDollar the piece may end long before the range does, and the
        // pieces of one string would then each reserve the rest of it.
        sb = new StringBuilder(Math.Min(to - from, 64));
        sb.Append(text, from, s - from);
        for (; s < to; s++)
        {
            char c = text[s];
            if (c != '\\')
            {
                if (stopAtDollar && c == '$')
                {
                    dollarAt = s;
                    break;
                }
                sb.Append(c);
                continue;
            }
            s++;
            // At the end of the range C reads on: the next character of the lexeme, or its NUL.
            char e = s < to ? text[s] : (s < tokenEnd ? text[s] : '\0');
            if (IsOctal(e))
            {
                int v = e - '0';
                if (s + 1 < to && IsOctal(text[s + 1]))
                {
                    v = v * 8 + (text[++s] - '0');
                    if (s + 1 < to && IsOctal(text[s + 1]))
                        v = v * 8 + (text[++s] - '0');
                }
                sb.Append((char)(v & 0xFF));
                continue;
            }
            switch (e)
            {
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case '\n': break; // line continuation: both characters vanish
                case 'x':
                {
                    int v = 0;
                    if (s + 1 < to && IsHex(text[s + 1]))
                    {
                        v = HexValue(text[++s]);
                        if (s + 1 < to && IsHex(text[s + 1]))
                            v = v * 16 + HexValue(text[++s]);
                    }
                    sb.Append((char)v);
                    break;
                }
                default: sb.Append(e); break;
            }
        }
        // A C string ends at its first NUL (an escape such as \0 or \x without digits truncates).
        string result = sb.ToString();
        int nul = result.IndexOf('\0');
        return nul >= 0 ? result.Substring(0, nul) : result;
    }
}
