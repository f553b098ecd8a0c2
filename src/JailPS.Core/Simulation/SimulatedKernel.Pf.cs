using System;
using System.Collections.Generic;
using System.Linq;

namespace JailPS.Core.Simulation;

/// <summary>
/// pf's anchors as the kernel holds them: named rulesets loaded and flushed by pfctl (the simulated
/// host's pfctl, SimulatedPfctl, is the only caller: JailPS never talks to /dev/pf itself). The main
/// ruleset is not kept here: the simulated host's pf runs what its /etc/pf.conf says.
/// </summary>
public sealed partial class SimulatedKernel
{
    private readonly SortedDictionary<string, List<string>> _pfAnchors = new(StringComparer.Ordinal);

    /// <summary>Every non-empty anchor and its rules, as loaded (test surface: the residue a stop must leave at zero).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> PfAnchors
    {
        get
        {
            lock (_lock)
                return _pfAnchors.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value.ToList(), StringComparer.Ordinal);
        }
    }

    /// <summary>Replaces an anchor's rules (pfctl -a ANCHOR -f: one transaction for all its rule types).</summary>
    public void PfLoad(string anchor, IReadOnlyList<string> rules)
    {
        lock (_lock)
        {
            if (rules.Count == 0) _pfAnchors.Remove(anchor);
            else _pfAnchors[anchor] = rules.ToList();
            Touch();
        }
    }

    /// <summary>pfctl -a ANCHOR -F all: the anchor's rules, translations and tables go.</summary>
    public void PfFlush(string anchor)
    {
        lock (_lock)
            if (_pfAnchors.Remove(anchor)) Touch();
    }

    public IReadOnlyList<string> PfRules(string anchor)
    {
        lock (_lock)
            return _pfAnchors.TryGetValue(anchor, out var r) ? r.ToList() : new List<string>();
    }
}
