using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace JailPS.Core.Host;

/// <summary>
/// The simulated host's /sbin/pfctl, for the forms JailPS uses (freebsd-net-prov-facts.md §2.2):
/// <c>-si</c>, <c>-sn</c> / <c>-sr</c> (with or without <c>-a ANCHOR</c>), <c>-a ANCHOR -f -</c> and
/// <c>-a ANCHOR -F all|rules|nat</c>. pf runs when the host has /etc/pf.conf, and its main ruleset
/// is that file (as if `service pf reload` had just read it); without the file pf is not loaded
/// and every call fails as pfctl does without /dev/pf. Anchors live in the kernel model. Rule text
/// is checked only for its first keyword: this is not pf's parser.
/// </summary>
internal static class SimulatedPfctl
{
    private static readonly string[] s_translation = { "rdr", "nat", "binat", "rdr-anchor", "nat-anchor", "binat-anchor" };
    private static readonly string[] s_filter = { "pass", "block", "match", "anchor" };

    public static (int Exit, string Out, string Err) Run(SimulatedHost host, IReadOnlyList<string> argv, string? stdin)
    {
        string pfConf = Path.Combine(host.Root, "etc", "pf.conf");
        if (!File.Exists(pfConf))
            return (1, "", "pfctl: /dev/pf: No such file or directory\n");
        string? anchor = null, show = null, flush = null, file = null;
        for (int i = 1; i < argv.Count; i++)
        {
            string a = argv[i];
            string? Next() => i + 1 < argv.Count ? argv[++i] : null;
            switch (a)
            {
                case "-a": anchor = Next(); break;
                case "-f": file = Next(); break;
                case "-F": flush = Next(); break;
                case "-s": show = Next(); break;
                case "-sn": show = "nat"; break;
                case "-sr": show = "rules"; break;
                case "-si": show = "info"; break;
                case "-q": break;
                default: return Unsupported(argv);
            }
        }
        if (anchor is not null && (anchor.StartsWith('_') || anchor.Contains("/_", StringComparison.Ordinal)))
            return (1, "", "pfctl: anchor names beginning with '_' cannot be modified from the command line\n");
        if (show is not null && file is null && flush is null)
        {
            if (show is "info" or "i")
                return (0, "Status: Enabled for 0 days 00:00:00           Debug: Urgent\n", "");
            bool nat = show is "nat" or "n";
            if (!nat && show is not ("rules" or "r")) return Unsupported(argv);
            var lines = anchor is null ? MainRuleset(File.ReadAllText(pfConf)) : host.Kernel.PfRules(anchor).ToList();
            var picked = lines.Where(l => (nat ? s_translation : s_filter).Contains(FirstWord(l))).Select(Printed);
            return (0, string.Concat(picked.Select(l => l + "\n")), "");
        }
        if (anchor is not null && file == "-" && flush is null && show is null)
        {
            var rules = new List<string>();
            var text = (stdin ?? "").Replace("\r\n", "\n").Split('\n');
            for (int n = 0; n < text.Length; n++)
            {
                string line = StripComment(text[n]).Trim();
                if (line.Length == 0) continue;
                if (!s_translation.Concat(s_filter).Contains(FirstWord(line)))
                    return (1, "", $"stdin:{n + 1}: syntax error\npfctl: Syntax error in config file: pf rules not loaded\n");
                rules.Add(line);
            }
            host.Transact(k => { k.PfLoad(anchor, rules); return 0; });
            return (0, "", "");
        }
        if (anchor is not null && flush is not null && file is null && show is null)
        {
            if (flush is not ("all" or "a" or "rules" or "r" or "nat" or "n")) return Unsupported(argv);
            var err = new StringBuilder();
            host.Transact(k =>
            {
                var kept = flush is "all" or "a" ? new List<string>()
                    : k.PfRules(anchor).Where(l => !(flush is "rules" or "r" ? s_filter : s_translation).Contains(FirstWord(l))).ToList();
                k.PfLoad(anchor, kept);
                return 0;
            });
            if (flush is "all" or "a" or "rules" or "r") err.Append("rules cleared\n");
            if (flush is "all" or "a" or "nat" or "n") err.Append("nat cleared\n");
            return (0, "", err.ToString());
        }
        return Unsupported(argv);
    }

    private static (int, string, string) Unsupported(IReadOnlyList<string> argv)
        => (1, "", "pfctl: the simulated host does not model: " + string.Join(" ", argv) + "\n");

    private static string StripComment(string line)
    {
        int hash = line.IndexOf('#');
        return hash < 0 ? line : line[..hash];
    }

    private static string FirstWord(string line)
    {
        int sp = line.IndexOfAny(new[] { ' ', '\t' });
        return sp < 0 ? line : line[..sp];
    }

    /// <summary>pf.conf's rules and anchor hooks (macros, tables, options and scrub left out), one per line.</summary>
    private static List<string> MainRuleset(string text)
        => text.Replace("\r\n", "\n").Replace("\\\n", " ").Split('\n').Select(l => StripComment(l).Trim())
            .Where(l => l.Length > 0 && s_translation.Concat(s_filter).Contains(FirstWord(l))).ToList();

    /// <summary>As pfctl prints an anchor hook with no addresses: with " all" after it.</summary>
    private static string Printed(string rule)
    {
        string w = FirstWord(rule);
        if (w.EndsWith("anchor", StringComparison.Ordinal) && rule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 2)
            return rule + " all";
        return rule;
    }
}
