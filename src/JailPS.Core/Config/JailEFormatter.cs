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
    /// (print_jail() / print_param() in usr.sbin/jail/jail.c).
    /// </summary>
    public static string Format(IEnumerable<JailDefinition> jails, string separator)
    {
        if (jails is null) throw new ArgumentNullException(nameof(jails));
        if (separator is null) throw new ArgumentNullException(nameof(separator));
        var sb = new StringBuilder();
        foreach (var j in jails)
        {
            bool printSeparator = false;
            foreach (var p in j.Parameters)
            {
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
            sb.Append('\n');
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
