using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace JailPS.Core.Config;

/// <summary>Writes jail.conf(5) text that jail(8)'s lexer reads back to the same strings.</summary>
public static class JailConfWriter
{
    /// <summary>
    /// A value as jail.conf text: a bare token when every character is one of jaillex.l's unquoted
    /// token characters (letters, digits and _ ! % &amp; ( ) - . : &lt; &gt; ? @ [ ] ^ ` | ~),
    /// so it reads back as one token anywhere (value, parameter name or block name); otherwise
    /// double-quoted with \" \\ \$ escaped ("$" too, so no variable is expanded), newline, tab and
    /// carriage return as \n \t \r, other control characters as three-digit octal escapes, and
    /// everything else (including non-ASCII text) as is.
    /// </summary>
    /// <exception cref="JailConfException">JailConfInvalidValue: the value contains NUL, which jail(8) cannot represent.</exception>
    public static string FormatValue(string value)
    {
        if (value is null) throw new ArgumentNullException(nameof(value));
        if (value.IndexOf('\0') >= 0)
            throw JailConfException.Api(JailConfErrorIds.InvalidValue,
                "a jail.conf value cannot contain a NUL character");
        if (IsBareToken(value)) return value;
        var sb = new StringBuilder(value.Length + 8);
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '$': sb.Append("\\$"); break;
                case '\n': sb.Append("\\n"); break;
                case '\t': sb.Append("\\t"); break;
                case '\r': sb.Append("\\r"); break;
                default:
                    if (c < ' ' || c == '\x7f')
                        sb.Append('\\').Append(Convert.ToString(c, 8).PadLeft(3, '0'));
                    else
                        sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }

    /// <summary>True when the string reads back as a single unquoted token.</summary>
    public static bool IsBareToken(string value)
    {
        if (value is null) throw new ArgumentNullException(nameof(value));
        if (value.Length == 0) return false;
        foreach (char c in value)
            if (!JailConfLexer.IsAtomChar(c)) return false;
        return true;
    }

    /// <summary>
    /// A jail block name: "*" bare, anything else through <see cref="FormatValue"/>. Note that a
    /// partial wildcard such as "foo.*" must be quoted: unquoted, jaillex.l splits it into two
    /// pieces and jailparse.y rejects the block.
    /// </summary>
    public static string FormatJailName(string jailName)
    {
        ValidateJailName(jailName);
        return jailName == "*" ? "*" : FormatValue(jailName);
    }

    /// <summary>"name;" for no values, else "name = v1, v2;" (no indentation, no newline).</summary>
    public static string FormatStatement(string name, IReadOnlyList<string>? values)
    {
        ValidateParameterName(name);
        var sb = new StringBuilder();
        sb.Append(FormatValue(name));
        if (values is { Count: > 0 })
        {
            sb.Append(" = ");
            for (int i = 0; i < values.Count; i++)
            {
                if (i > 0) sb.Append(", ");
                sb.Append(FormatValue(values[i] ?? throw new ArgumentException("Values cannot be null.", nameof(values))));
            }
        }
        sb.Append(';');
        return sb.ToString();
    }

    /// <summary>
    /// A whole block: "name {\n\tparam = value;\n\tbool;\n\tlist = a, b;\n}\n" (one tab indent,
    /// "\n" line ends).
    /// </summary>
    public static string FormatBlock(string jailName, IEnumerable<JailConfParameter> parameters)
    {
        if (parameters is null) throw new ArgumentNullException(nameof(parameters));
        var sb = new StringBuilder();
        sb.Append(FormatJailName(jailName)).Append(" {\n");
        foreach (var p in parameters)
        {
            if (p is null) throw new ArgumentException("Parameters cannot be null.", nameof(parameters));
            sb.Append('\t').Append(p.Name.StartsWith('$') ? FormatVariable(p.Name, p.Values) : FormatStatement(p.Name, p.Values)).Append('\n');
        }
        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>
    /// "$name = value;" for a variable in a new block (JailPS's jailps_* settings): the name is
    /// letters, digits and '_' only, so jaillex.l reads it as one variable token.
    /// </summary>
    public static string FormatVariable(string name, IReadOnlyList<string>? values)
    {
        bool ok = name.Length > 1 && name[0] == '$';
        for (int i = 1; i < name.Length && ok; i++)
            ok = char.IsAsciiLetterOrDigit(name[i]) || name[i] == '_';
        if (!ok || values is not { Count: 1 })
            throw JailConfException.Api(JailConfErrorIds.InvalidName,
                "invalid variable \"" + Printable(name) + "\": it must be '$' and letters, digits or '_', with one value");
        return name + " = " + FormatValue(values[0]) + ";";
    }

    internal static void ValidateJailName(string jailName)
    {
        if (jailName is null) throw new ArgumentNullException(nameof(jailName));
        if (jailName.Length == 0 || jailName.IndexOf('\0') >= 0)
            throw JailConfException.Api(JailConfErrorIds.InvalidName,
                "invalid jail name \"" + Printable(jailName) + "\": it must be non-empty and cannot contain NUL");
    }

    internal static void ValidateParameterName(string name)
    {
        if (name is null) throw new ArgumentNullException(nameof(name));
        if (name.Length == 0 || name.IndexOf('\0') >= 0 || name[0] == '$' || name == ".include")
            throw JailConfException.Api(JailConfErrorIds.InvalidName,
                "invalid parameter name \"" + Printable(name) + "\": it must be non-empty, cannot contain NUL, "
                + "start with '$' or be the .include directive");
    }

    private static string Printable(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
            sb.Append(c < ' ' ? "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) : c.ToString());
        return sb.ToString();
    }
}
