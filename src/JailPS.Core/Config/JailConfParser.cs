using System.Collections.Generic;

namespace JailPS.Core.Config;

/// <summary>
/// Parser for the grammar of usr.sbin/jail/jailparse.y (the version with nested blocks and the
/// ".include" directive):
/// <code>
/// conf      : (empty) | conf jail | conf param ';' | conf ';'
/// jail      : jail_name '{' conf '}'          jail_name : STR
/// param     : name | name '=' value | name PLEQ value | name value
/// name      : STR | VAR
/// value     : string | value ',' string
/// string    : STR | VAR | string STR1 | string VAR1
/// </code>
/// It stops at the first error (jail(8) reports it and exits). Blocks are parsed without
/// recursion, and nesting deeper than <see cref="JailConfLimits.MaxNestingDepth"/> is an error
/// (jail(8) stops only when its yacc parser stack overflows): each level's full name repeats its
/// parents' names, so unbounded nesting would cost the square of the file's size.
/// </summary>
internal sealed class JailConfParser
{
    private readonly List<JailConfToken> _tokens;
    private readonly string? _file;
    private readonly JailConfLineMap _map;
    private readonly int _textLength;
    private readonly JailConfBudget _budget;
    private int _pos;       // index into _tokens of the next token to look at

    private JailConfParser(List<JailConfToken> tokens, string? file, JailConfLineMap map, int textLength, JailConfBudget budget)
    {
        _tokens = tokens;
        _file = file;
        _map = map;
        _textLength = textLength;
        _budget = budget;
    }

    public static List<JailConfItem> Parse(List<JailConfToken> tokens, string? file, JailConfLineMap map, int textLength, List<JailConfBlock> allBlocks, JailConfBudget budget)
        => new JailConfParser(tokens, file, map, textLength, budget).ParseAll(allBlocks);

    private List<JailConfItem> ParseAll(List<JailConfBlock> allBlocks)
    {
        var top = new List<JailConfItem>();
        var open = new Stack<JailConfBlock>();
        List<JailConfItem> items = top;
        while (true)
        {
            int index = SkipTrivia();
            var t = Current(index);
            switch (t.Kind)
            {
                case JailConfTokenKind.EndOfFile:
                    if (open.Count > 0)
                    {
                        var b = open.Peek();
                        throw Error(JailConfErrorIds.MissingBrace,
                            "missing '}' at end of file for block \"" + b.FullName + "\"", b.NameToken.Start);
                    }
                    return top;

                case JailConfTokenKind.CloseBrace:
                {
                    if (open.Count == 0)
                        throw Error(JailConfErrorIds.SyntaxError, "syntax error: unexpected '}'", t.Start);
                    Consume(index);
                    var b = open.Pop();
                    b.CloseBrace = t.Start;
                    b.End = t.End;
                    items = open.Count == 0 ? top : open.Peek().Items;
                    break;
                }

                case JailConfTokenKind.Semicolon:
                    Consume(index);
                    items.Add(new JailConfEmptyStatement { Start = t.Start, End = t.End });
                    break;

                case JailConfTokenKind.String:
                case JailConfTokenKind.Variable:
                {
                    Consume(index);
                    int next = SkipTrivia();
                    if (Current(next).Kind == JailConfTokenKind.OpenBrace)
                    {
                        if (t.Kind == JailConfTokenKind.Variable)
                            throw Error(JailConfErrorIds.SyntaxError,
                                "syntax error: a variable cannot name a jail block", t.Start);
                        if (open.Count >= JailConfLimits.MaxNestingDepth)
                            throw Error(JailConfErrorIds.NestingTooDeep,
                                "jail blocks nested more than " + JailConfLimits.MaxNestingDepth + " deep", t.Start);
                        Consume(next);
                        var parent = open.Count == 0 ? null : open.Peek();
                        var b = new JailConfBlock(t, index, parent, Current(next).Start);
                        if (_budget.Spend(b.FullName.Length + 1))
                            throw _budget.TooLarge(_map.Locate(_file, t.Start));
                        items.Add(b);
                        allBlocks.Add(b);
                        open.Push(b);
                        items = b.Items;
                    }
                    else
                    {
                        items.Add(ParseStatement(t));
                    }
                    break;
                }

                default:
                    throw Unexpected(t);
            }
        }
    }

    private JailConfStatement ParseStatement(JailConfToken nameToken)
    {
        int index = SkipTrivia();
        var t = Current(index);
        JailConfOperator op;
        switch (t.Kind)
        {
            case JailConfTokenKind.Semicolon:
                Consume(index);
                return new JailConfStatement(nameToken, JailConfOperator.None, new List<JailConfValueSyntax>(), t.End);
            case JailConfTokenKind.Equals:
                Consume(index);
                op = JailConfOperator.Assign;
                break;
            case JailConfTokenKind.PlusEquals:
                Consume(index);
                op = JailConfOperator.Append;
                break;
            case JailConfTokenKind.String:
            case JailConfTokenKind.Variable:
                if (t.Continuation)
                    throw Error(JailConfErrorIds.SyntaxError,
                        "syntax error: a parameter name must be a single token (quote it)", t.Start);
                op = JailConfOperator.NameValue;
                break;
            case JailConfTokenKind.CloseBrace:
            case JailConfTokenKind.EndOfFile:
                throw MissingSemicolon(nameToken, t);
            default:
                throw Unexpected(t);
        }

        var values = new List<JailConfValueSyntax>(1);
        while (true)
        {
            index = SkipTrivia();
            t = Current(index);
            if (!t.IsPiece)
                throw t.Kind == JailConfTokenKind.EndOfFile
                    ? Error(JailConfErrorIds.SyntaxError, "syntax error: unexpected end of file, expected a value", t.Start)
                    : Error(JailConfErrorIds.SyntaxError, "syntax error: expected a value before " + Describe(t), t.Start);
            Consume(index);
            // Most values are one piece: size for that (a default list reserves four tokens).
            var pieces = new List<JailConfToken>(1) { t };
            // Pieces with no whitespace between them make one string.
            while (_pos < _tokens.Count && _tokens[_pos].IsPiece && _tokens[_pos].Continuation)
            {
                pieces.Add(_tokens[_pos]);
                Consume(_pos);
            }
            var value = new JailConfValueSyntax(pieces);
            values.Add(value);

            index = SkipTrivia();
            t = Current(index);
            if (t.Kind == JailConfTokenKind.Comma)
            {
                Consume(index);
                continue;
            }
            if (t.Kind == JailConfTokenKind.Semicolon)
            {
                Consume(index);
                var statement = new JailConfStatement(nameToken, op, values, t.End);
                if (statement.IsInclude)
                    CheckInclude(statement);
                return statement;
            }
            if (t.Kind is JailConfTokenKind.String or JailConfTokenKind.Variable
                or JailConfTokenKind.CloseBrace or JailConfTokenKind.EndOfFile)
                throw MissingSemicolon(nameToken, t);
            // "persist <newline> path = x;" reads as "persist path" followed by a stray "=": the
            // semicolon is missing after the bare name.
            if (op == JailConfOperator.NameValue && values.Count == 1
                && t.Kind is JailConfTokenKind.Equals or JailConfTokenKind.PlusEquals)
                throw MissingSemicolon(nameToken, t);
            throw Unexpected(t);
        }
    }

    private void CheckInclude(JailConfStatement statement)
    {
        // jailparse.y: "variables not permitted in '.include' filename".
        foreach (var v in statement.Values)
            foreach (var p in v.Pieces)
                if (p.Kind == JailConfTokenKind.Variable)
                    throw Error(JailConfErrorIds.IncludeVariable,
                        "variables not permitted in '.include' filename", p.Start);
    }

    private int SkipTrivia()
    {
        int i = _pos;
        while (i < _tokens.Count && _tokens[i].IsTrivia) i++;
        return i;
    }

    private JailConfToken Current(int index)
        => index < _tokens.Count ? _tokens[index] : new JailConfToken(JailConfTokenKind.EndOfFile, _textLength, _textLength);

    private void Consume(int index)
    {
        _pos = index + 1;
    }

    /// <summary>
    /// A statement without its ';'. Reported where jail(8)'s parser notices it: at the token that
    /// came instead (jailparse.y's yyerror uses the lexer's current line), with where the
    /// statement began, which is usually where the ';' is missing.
    /// </summary>
    private JailConfException MissingSemicolon(JailConfToken nameToken, JailConfToken noticedAt)
    {
        var began = _map.Locate(_file, nameToken.Start);
        return Error(JailConfErrorIds.MissingSemicolon,
            "missing ';' after " + (nameToken.Kind == JailConfTokenKind.Variable ? "variable \"$" : "parameter \"")
            + nameToken.Value + "\" (the statement begins at line " + began.Line + ", column " + began.Column
            + "; found " + Describe(noticedAt) + " instead)", noticedAt.Start);
    }

    private JailConfException Unexpected(JailConfToken t)
        => t.Kind == JailConfTokenKind.EndOfFile
            ? Error(JailConfErrorIds.SyntaxError, "syntax error: unexpected end of file", t.Start)
            : Error(JailConfErrorIds.SyntaxError, "syntax error: unexpected " + Describe(t), t.Start);

    private static string Describe(JailConfToken t) => t.Kind switch
    {
        JailConfTokenKind.OpenBrace => "'{'",
        JailConfTokenKind.CloseBrace => "'}'",
        JailConfTokenKind.Comma => "','",
        JailConfTokenKind.Semicolon => "';'",
        JailConfTokenKind.Equals => "'='",
        JailConfTokenKind.PlusEquals => "'+='",
        JailConfTokenKind.Variable => "variable \"$" + t.Value + "\"",
        JailConfTokenKind.String => "\"" + t.Value + "\"",
        JailConfTokenKind.EndOfFile => "end of file",
        _ => t.Value is { Length: 1 } v && v[0] >= ' ' && v[0] < 0x7f
            ? "character '" + v + "'"
            : "character U+" + ((int)t.Value![0]).ToString("X4", System.Globalization.CultureInfo.InvariantCulture),
    };

    private JailConfException Error(string id, string reason, int offset)
        => JailConfException.At(id, reason, _map.Locate(_file, offset));
}
