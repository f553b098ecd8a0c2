using System;
using System.Collections.Generic;
using System.Text;

namespace JailPS.Core.Config;

/// <summary>The output of <c>jail -f FILE -e SEPARATOR</c> (show_jails() in usr.sbin/jail/jail.c).</summary>
public static class JailEFormatter
{
    /// <summary>
    /// One line per jail: its parameters in order except "jid", joined by the separator, each
    /// "name" or "name=value[,value...]" with values quoted as jail.c's quoted_print() does
    /// (print_jail() / print_param() in usr.sbin/jail/jail.c). Every line ends with "\n".
    /// </summary>
    public static string Format(IEnumerable<JailDefinition> jails, string separator)
    {
        var sb = new StringBuilder();
        foreach (string line in Lines(jails, separator))
            sb.Append(line).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// The lines of <see cref="Format"/>, one per jail, without their "\n". A line holds a newline
    /// of its own only where a value does: quoted_print() prints newlines as they are.
    /// </summary>
    public static IEnumerable<string> Lines(IEnumerable<JailDefinition> jails, string separator)
    {
        if (jails is null) throw new ArgumentNullException(nameof(jails));
        if (separator is null) throw new ArgumentNullException(nameof(separator));
        return Iterate(jails, separator);
    }

    private static IEnumerable<string> Iterate(IEnumerable<JailDefinition> jails, string separator)
    {
        foreach (var j in jails)
            yield return Line(j, separator);
    }

    /// <summary>One jail as print_jail(fp, j, 0, 0) prints it, without the final "\n".</summary>
    public static string Line(JailDefinition jail, string separator)
    {
        if (jail is null) throw new ArgumentNullException(nameof(jail));
        if (separator is null) throw new ArgumentNullException(nameof(separator));
        var sb = new StringBuilder();
        bool printSeparator = false;
        foreach (var p in jail.Parameters)
        {
            // print_jail() leaves out exactly "jid" (the implied jid of a numeric block, or one set by hand).
            if (p.Name == "jid") continue;
            if (printSeparator) sb.Append(separator);
            printSeparator = true;
            sb.Append(p.Name);
            if (p.Values.Count == 0) continue;
            sb.Append('=');
            for (int i = 0; i < p.Values.Count; i++)
            {
                if (i > 0) sb.Append(',');
                QuotedPrint(sb, p.Values[i]);
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// jail.c's quoted_print(): an empty value, or one with a single quote, gets double quotes; one
    /// with a double quote gets single quotes; one with a space or tab gets double quotes; the quote
    /// character and backslashes are escaped with a backslash. Nothing else is escaped (a newline
    /// prints as is).
    /// </summary>
    internal static void QuotedPrint(StringBuilder sb, string s)
    {
        char qc = s.Length == 0 ? '"'
            : s.IndexOf('\'') >= 0 ? '"'
            : s.IndexOf('"') >= 0 ? '\''
            : s.IndexOf(' ') >= 0 || s.IndexOf('\t') >= 0 ? '"'
            : '\0';
        if (qc != '\0') sb.Append(qc);
        foreach (char c in s)
        {
            if (c == '\\' || (qc != '\0' && c == qc)) sb.Append('\\');
            sb.Append(c);
        }
        if (qc != '\0') sb.Append(qc);
    }
}
