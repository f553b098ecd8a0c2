using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace JailPS.Core.Devfs;

/// <summary>
/// A devfs ruleset: a number (1..65535; 0 is the kernel's empty "null" ruleset and holds no rules),
/// an optional name (devfs.rules(5) section name; the kernel does not know names) and rules.
/// Immutable. <see cref="Rules"/> keeps the order given; <see cref="Numbered"/> gives the rules as the
/// kernel holds them after adding them one by one with DEVFSIO_RADD.
/// </summary>
public sealed class DevfsRuleset
{
    public DevfsRuleset(ushort number, string? name, IEnumerable<DevfsRule> rules)
    {
        if (rules is null) throw new ArgumentNullException(nameof(rules));
        Number = number;
        Name = string.IsNullOrEmpty(name) ? null : name;
        Rules = rules.ToArray();
        if (number == 0 && Rules.Count > 0)
            throw new DevfsRuleException(DevfsErrorIds.InvalidRuleset, "ruleset 0 is the null ruleset and cannot hold rules", "0");
    }

    public DevfsRuleset(ushort number, IEnumerable<DevfsRule> rules) : this(number, null, rules) { }

    public ushort Number { get; }

    public string? Name { get; }

    public IReadOnlyList<DevfsRule> Rules { get; }

    /// <summary>Builds a ruleset from rule texts as devfs(8) <c>rule add</c> takes them.</summary>
    public static DevfsRuleset Parse(ushort number, string? name, IEnumerable<string> ruleTexts, DevfsNameResolver? resolver = null) =>
        new(number, name, ruleTexts.Select(t => DevfsRule.Parse(t, resolver)));

    /// <summary>A copy with other rules.</summary>
    public DevfsRuleset WithRules(IEnumerable<DevfsRule> rules) => new(Number, Name, rules);

    /// <summary>
    /// The rules as the kernel holds them after adding them in order (devfs_rule_insert): a rule with
    /// number 0 gets the highest number so far + 100 (100 in an empty ruleset; past 65535: ERANGE), a
    /// number already present is refused (EEXIST), and the list is kept sorted by number.
    /// </summary>
    public IReadOnlyList<DevfsRule> Numbered()
    {
        var sorted = new SortedList<ushort, DevfsRule>();
        foreach (DevfsRule r in Rules)
        {
            ushort n = r.Number;
            if (n == 0)
            {
                int last = sorted.Count == 0 ? 0 : sorted.Keys[sorted.Count - 1];
                int next = last + 100;
                if (next > ushort.MaxValue)
                    throw new DevfsRuleException(DevfsErrorIds.RuleNumberOverflow,
                        "ruleset " + Number.ToString(CultureInfo.InvariantCulture) + ": auto-numbering after rule " +
                        last.ToString(CultureInfo.InvariantCulture) + " overflows (kernel: ERANGE)", r.ToRuleText());
                n = (ushort)next;
            }
            if (sorted.ContainsKey(n))
                throw new DevfsRuleException(DevfsErrorIds.DuplicateRule,
                    "ruleset " + Number.ToString(CultureInfo.InvariantCulture) + " already has rule " + n.ToString(CultureInfo.InvariantCulture) + " (kernel: EEXIST)",
                    n.ToString(CultureInfo.InvariantCulture));
            sorted.Add(n, r.WithNumber(n));
        }
        return sorted.Values.ToArray();
    }

    public override string ToString() =>
        (Name is null ? string.Empty : Name + "=") + Number.ToString(CultureInfo.InvariantCulture) +
        " (" + Rules.Count.ToString(CultureInfo.InvariantCulture) + " rules)";
}
