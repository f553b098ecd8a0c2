using System;
using System.Collections.Generic;
using System.Text;

namespace JailPS.Core.Devfs;

/// <summary>
/// Splits rule text into words the way sh(1) hands them to devfs(8): blanks separate words, single
/// quotes are literal, double quotes allow backslash escapes of <c>$ ` " \</c>, a backslash outside
/// quotes escapes the next character. Globbing is off (rc.subr loads devfs.rules with <c>set -f</c>).
/// With <paramref name="expand"/>, unquoted or double-quoted <c>$name</c> / <c>${name}</c> are replaced
/// (the eval in rc.subr's devfs_rulesets_from_file); otherwise <c>$</c> is literal. With
/// <paramref name="comments"/>, an unquoted <c>#</c> at the start of a word ends the text.
/// </summary>
internal static class DevfsShellWords
{
    public static List<string> Split(string text, Func<string, string>? expand = null, bool comments = false)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        bool inWord = false;
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            {
                if (inWord) { words.Add(current.ToString()); current.Clear(); inWord = false; }
                i++;
                continue;
            }
            if (comments && !inWord && c == '#') break;   // sh: an unquoted '#' starting a word starts a comment
            inWord = true;
            if (c == '\'')
            {
                int end = text.IndexOf('\'', i + 1);
                if (end < 0) throw new DevfsRuleException(DevfsErrorIds.UnterminatedQuote, "unterminated single quote", text.Substring(i));
                current.Append(text, i + 1, end - i - 1);
                i = end + 1;
            }
            else if (c == '"')
            {
                int start = i;
                i++;
                while (true)
                {
                    if (i >= text.Length) throw new DevfsRuleException(DevfsErrorIds.UnterminatedQuote, "unterminated double quote", text.Substring(start));
                    char d = text[i];
                    if (d == '"') { i++; break; }
                    if (d == '\\' && i + 1 < text.Length && "$`\"\\".IndexOf(text[i + 1]) >= 0) { current.Append(text[i + 1]); i += 2; continue; }
                    if (d == '$' && expand != null && TryVariable(text, i, out string name, out int next)) { current.Append(expand(name)); i = next; continue; }
                    current.Append(d);
                    i++;
                }
            }
            else if (c == '\\')
            {
                if (i + 1 < text.Length) { current.Append(text[i + 1]); i += 2; }
                else i++;
            }
            else if (c == '$' && expand != null && TryVariable(text, i, out string name, out int next))
            {
                current.Append(expand(name));
                i = next;
            }
            else
            {
                current.Append(c);
                i++;
            }
        }
        if (inWord) words.Add(current.ToString());
        return words;
    }

    private static bool TryVariable(string text, int dollar, out string name, out int next)
    {
        name = string.Empty;
        next = dollar;
        int i = dollar + 1;
        if (i < text.Length && text[i] == '{')
        {
            int end = text.IndexOf('}', i + 1);
            if (end < 0) return false;
            name = text.Substring(i + 1, end - i - 1);
            next = end + 1;
            return name.Length > 0;
        }
        int start = i;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
        if (i == start || char.IsAsciiDigit(text[start])) return false;
        name = text.Substring(start, i - start);
        next = i;
        return true;
    }

    /// <summary>Quotes a word for re-reading by <see cref="Split"/> (and by sh) only when it needs it.</summary>
    public static string Quote(string word)
    {
        if (word.Length > 0 && IsPlain(word)) return word;
        return "'" + word.Replace("'", "'\\''") + "'";
    }

    private static bool IsPlain(string word)
    {
        foreach (char c in word)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '.' || c == '/' || c == '-' || c == '+' || c == ':' || c == '@' || c == '%' || c == ',' || c == '='))
                return false;
        return true;
    }
}
