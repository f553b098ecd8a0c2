using System.Collections.Generic;
using System.Text;

namespace JailPS.Core.Config;

/// <summary>A node of the concrete syntax tree; [Start, End) is its span in the document text.</summary>
internal abstract class JailConfItem
{
    public int Start { get; set; }
    public int End { get; set; }
}

/// <summary>A lone ";" (allowed by jailparse.y at file level and inside blocks).</summary>
internal sealed class JailConfEmptyStatement : JailConfItem
{
}

internal enum JailConfOperator
{
    /// <summary>"name;"</summary>
    None,
    /// <summary>"name = value, ...;"</summary>
    Assign,
    /// <summary>"name += value, ...;"</summary>
    Append,
    /// <summary>"name value, ...;" (jailparse.y accepts a value without "="; ".include" uses it).</summary>
    NameValue,
}

/// <summary>One comma-separated value: adjacent string and variable pieces.</summary>
internal sealed class JailConfValueSyntax
{
    public JailConfValueSyntax(List<JailConfToken> pieces)
    {
        Pieces = pieces;
    }

    public List<JailConfToken> Pieces { get; }

    public int Start => Pieces[0].Start;

    public int End => Pieces[Pieces.Count - 1].End;

    public bool HasVariables
    {
        get
        {
            foreach (var p in Pieces)
                if (p.Kind == JailConfTokenKind.Variable) return true;
            return false;
        }
    }

    /// <summary>The value's literal text (variables left out).</summary>
    public string LiteralText()
    {
        if (Pieces.Count == 1) return Pieces[0].Kind == JailConfTokenKind.String ? Pieces[0].Value! : string.Empty;
        var sb = new StringBuilder();
        foreach (var p in Pieces)
            if (p.Kind == JailConfTokenKind.String) sb.Append(p.Value);
        return sb.ToString();
    }
}

/// <summary>A parameter or variable statement, including the ".include" directive.</summary>
internal sealed class JailConfStatement : JailConfItem
{
    public JailConfStatement(JailConfToken nameToken, JailConfOperator op, List<JailConfValueSyntax> values, int semicolonEnd)
    {
        NameToken = nameToken;
        Operator = op;
        Values = values;
        Start = nameToken.Start;
        End = semicolonEnd;
    }

    public JailConfToken NameToken { get; }

    /// <summary>"$name = ...;" defines a variable.</summary>
    public bool IsVariable => NameToken.Kind == JailConfTokenKind.Variable;

    /// <summary>The decoded name (without "$" for a variable).</summary>
    public string Name => NameToken.Value!;

    public JailConfOperator Operator { get; }

    public List<JailConfValueSyntax> Values { get; }

    /// <summary>
    /// ".include value, ...;" written without "=" is the include directive (special_param() in
    /// usr.sbin/jail/jailparse.y); with "=" or "+=" it is an ordinary parameter.
    /// </summary>
    public bool IsInclude => !IsVariable && Operator == JailConfOperator.NameValue && Name == ".include";
}

/// <summary>"name { items }"; nested blocks name hierarchical jails ("parent.child").</summary>
internal sealed class JailConfBlock : JailConfItem
{
    public JailConfBlock(JailConfToken nameToken, int nameTokenIndex, JailConfBlock? parent, int openBrace)
    {
        NameToken = nameToken;
        NameTokenIndex = nameTokenIndex;
        Parent = parent;
        OpenBrace = openBrace;
        Start = nameToken.Start;
        FullName = parent is null ? LocalName : parent.FullName + "." + LocalName;
    }

    public JailConfToken NameToken { get; }

    /// <summary>Index of <see cref="NameToken"/> in the document's token list.</summary>
    public int NameTokenIndex { get; }

    public JailConfBlock? Parent { get; }

    public string LocalName => NameToken.Value!;

    public string FullName { get; }

    public int OpenBrace { get; }

    public int CloseBrace { get; set; }

    public List<JailConfItem> Items { get; } = new();
}
