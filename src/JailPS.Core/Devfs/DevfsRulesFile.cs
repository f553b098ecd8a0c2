using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace JailPS.Core.Devfs;

/// <summary>
/// A devfs.rules(5) file, read the way the boot scripts read it (libexec/rc/rc.subr
/// devfs_rulesets_from_file, freebsd-src @02274513): each line goes through <c>read line</c> (blanks
/// trimmed, a backslash quotes the next character and is removed, a backslash at the end joins the
/// next line); empty lines and lines starting with <c>#</c> are skipped; a line starting with
/// <c>[</c> and holding a <c>]</c> is a section <c>[name=number]</c> (anything after the <c>]</c> is
/// ignored, as expr(1) there ignores it); every other line is evaluated by sh as arguments of
/// <c>devfs rule -s number</c>: quotes are removed, a <c>#</c> starting a word starts a comment, and
/// <c>$name</c> / <c>${name}</c> is the number of a section defined earlier in this file or in the
/// files read before it (by default /etc/defaults/devfs.rules). Only <c>add</c> lines are supported.
/// A section line runs <c>devfs rule -s number delset</c>, so a number seen again starts over.
/// </summary>
public sealed class DevfsRulesFile
{
    private static readonly Regex SectionRegex = new(@"^\[(?<name>.*)=(?<num>[0-9]*)\]", RegexOptions.CultureInvariant);
    private static readonly Regex NameRegex = new(@"^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant);

    public DevfsRulesFile(IEnumerable<DevfsRuleset> rulesets)
    {
        Rulesets = (rulesets ?? throw new ArgumentNullException(nameof(rulesets))).ToArray();
    }

    /// <summary>The rulesets in the order their sections first appear.</summary>
    public IReadOnlyList<DevfsRuleset> Rulesets { get; }

    /// <summary>
    /// Parses devfs.rules text. <paramref name="knownRulesets"/> supplies names defined before this file
    /// (null = the built-in /etc/defaults/devfs.rules, as the boot scripts read that file first).
    /// Errors are <see cref="DevfsRuleException"/> with the 1-based line number.
    /// </summary>
    public static DevfsRulesFile Parse(string text, string? fileName = null, IEnumerable<DevfsRuleset>? knownRulesets = null, DevfsNameResolver? resolver = null)
    {
        if (text is null) throw new ArgumentNullException(nameof(text));
        var names = new Dictionary<string, ushort>(StringComparer.Ordinal);
        foreach (DevfsRuleset r in knownRulesets ?? DevfsDefaults.Rulesets)
            if (r.Name != null) names[r.Name] = r.Number;

        var order = new List<ushort>();
        var sectionNames = new Dictionary<ushort, string>();
        var rules = new Dictionary<ushort, List<DevfsRule>>();
        ushort? current = null;

        string[] lines = text.Replace("\r\n", "\n").Split('\n');
        for (int li = 0; li < lines.Length; li++)
        {
            int lineNo = li + 1;
            string line = ReadLine(lines, ref li);
            if (line.Length == 0 || line[0] == '#') continue;

            if (line[0] == '[' && line.IndexOf(']', 1) > 0)
            {
                Match m = SectionRegex.Match(line);
                if (!m.Success || m.Groups["num"].Value.Length == 0)
                    throw new DevfsRuleException(DevfsErrorIds.SectionSyntax, "cannot extract the ruleset number from " + line, line, fileName, lineNo);
                string name = m.Groups["name"].Value;
                if (!NameRegex.IsMatch(name))
                    throw new DevfsRuleException(DevfsErrorIds.SectionSyntax, "ruleset name must be a shell variable name: " + name, name, fileName, lineNo);
                string numText = m.Groups["num"].Value;
                if (!DevfsRule.TryParseNumber16(numText, out ushort number) || number == 0)
                    throw new DevfsRuleException(DevfsErrorIds.InvalidRuleset, "ruleset number must be 1..65535: " + numText, numText, fileName, lineNo);
                names[name] = number;
                if (!rules.ContainsKey(number)) order.Add(number);
                rules[number] = new List<DevfsRule>(); // delset
                sectionNames[number] = name;
                current = number;
                continue;
            }

            string command = line;

            List<string> words;
            try
            {
                words = DevfsShellWords.Split(command, name =>
                    names.TryGetValue(name, out ushort n)
                        ? n.ToString(CultureInfo.InvariantCulture)
                        : throw new DevfsRuleException(DevfsErrorIds.UndefinedName, "no ruleset named " + name + " is defined before this line", "$" + name),
                    comments: true);
            }
            catch (DevfsRuleException e)
            {
                throw e.AtLine(fileName, lineNo);
            }
            if (current is null)
                throw new DevfsRuleException(DevfsErrorIds.RuleOutsideSection, "rule before the first [name=number] section", words.Count > 0 ? words[0] : command, fileName, lineNo);
            if (words.Count == 0) continue;
            if (words[0] != "add")
                throw new DevfsRuleException(DevfsErrorIds.UnsupportedCommand, "only 'add' rule lines are supported, not: " + words[0], words[0], fileName, lineNo);
            try
            {
                if (words.Count < 2)
                    throw new DevfsRuleException(DevfsErrorIds.EmptyRule, "unexpected end of rulespec", "add");
                rules[current.Value].Add(DevfsRule.Parse(words.Skip(1).ToArray(), resolver));
            }
            catch (DevfsRuleException e)
            {
                throw e.AtLine(fileName, lineNo);
            }
        }

        return new DevfsRulesFile(order.Select(n => new DevfsRuleset(n, sectionNames[n], rules[n])));
    }

    /// <summary>sh's <c>read line</c> without -r: backslash escapes (a trailing one joins the next line), blanks trimmed.</summary>
    private static string ReadLine(string[] lines, ref int index)
    {
        var sb = new StringBuilder();
        while (true)
        {
            string raw = lines[index];
            bool joined = false;
            for (int i = 0; i < raw.Length; i++)
            {
                char c = raw[i];
                if (c == '\\')
                {
                    if (i + 1 < raw.Length) { sb.Append(raw[++i]); continue; }
                    if (index + 1 < lines.Length) { joined = true; break; }
                    continue;
                }
                sb.Append(c);
            }
            if (!joined) break;
            index++;
        }
        return sb.ToString().Trim(' ', '\t');
    }

    /// <summary>
    /// Writes the rulesets as devfs.rules text: a <c>[name=number]</c> line per ruleset (a ruleset
    /// without a name is written as <c>ruleset_N</c>), one <c>add</c> line per rule in canonical form,
    /// and <c>include $name</c> where the included number has a name among these rulesets or
    /// <paramref name="knownRulesets"/> (null = the defaults). Parsing the result gives the same rulesets.
    /// </summary>
    public string ToText(IEnumerable<DevfsRuleset>? knownRulesets = null, DevfsNameResolver? resolver = null) =>
        Write(Rulesets, knownRulesets, resolver);

    public static string Write(IEnumerable<DevfsRuleset> rulesets, IEnumerable<DevfsRuleset>? knownRulesets = null, DevfsNameResolver? resolver = null)
    {
        if (rulesets is null) throw new ArgumentNullException(nameof(rulesets));
        var list = rulesets.ToArray();
        // Names defined before a section, as a reader of the written file would see them.
        var names = new Dictionary<ushort, string>();
        foreach (DevfsRuleset r in knownRulesets ?? DevfsDefaults.Rulesets)
            if (r.Name != null) names[r.Number] = r.Name;

        var sb = new StringBuilder();
        bool first = true;
        foreach (DevfsRuleset rs in list)
        {
            if (!first) sb.Append('\n');
            first = false;
            string name = rs.Name ?? "ruleset_" + rs.Number.ToString(CultureInfo.InvariantCulture);
            if (!NameRegex.IsMatch(name))
                throw new DevfsRuleException(DevfsErrorIds.SectionSyntax, "ruleset name must be a shell variable name to be written to devfs.rules: " + name, name);
            if (rs.Number == 0)
                throw new DevfsRuleException(DevfsErrorIds.InvalidRuleset, "ruleset 0 cannot be written to devfs.rules", "0");
            names[rs.Number] = name;
            sb.Append('[').Append(name).Append('=').Append(rs.Number.ToString(CultureInfo.InvariantCulture)).Append("]\n");
            foreach (DevfsRule rule in rs.Rules)
            {
                string text;
                if (rule.IncludeRuleset is { } inc && names.TryGetValue(inc, out string? incName))
                {
                    string head = rule.WithIncludeRuleset(null).ToRuleText(resolver);
                    text = (head.Length == 0 ? string.Empty : head + " ") + "include $" + incName;
                }
                else
                {
                    text = rule.ToRuleText(resolver);
                }
                // rc.subr's "read line" eats one level of backslashes; a rule is one line; rc.subr cuts a line at a literal #* (or \#*).
                if (text.IndexOf('\n') >= 0 || text.IndexOf('\r') >= 0 || text.Contains("#*", StringComparison.Ordinal))
                    throw new DevfsRuleException(DevfsErrorIds.InvalidPattern,
                        "rule cannot be written to a devfs.rules file (a line break, or #* which rc.subr cuts off a line)", text);
                sb.Append("add ").Append(text.Replace("\\", "\\\\")).Append('\n');
            }
        }
        return sb.ToString();
    }
}
