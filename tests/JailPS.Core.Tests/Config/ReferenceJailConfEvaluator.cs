using System;
using System.Collections.Generic;
using System.Text;

using JailPS.Core.Config;

namespace JailPS.Core.Tests.Config;

/// <summary>
/// The oracle for the evaluator: the former JailConfEvaluator, a line-by-line port of
/// load_config() and add_param() in usr.sbin/jail/config.c with config.c's list scans (quadratic,
/// unbounded). The property tests check that the linear evaluator gives the same jails, values,
/// order and errors. Where jail(8) marks one jail as failed and goes on, this throws.
/// </summary>
internal sealed class ReferenceJailConfEvaluator
{
    /// <summary>MAX_INCLUDE_DEPTH in usr.sbin/jail/config.c.</summary>
    internal const int MaxIncludeDepth = 32;

    internal delegate IReadOnlyList<JailConfDocument> IncludeResolver(JailConfDocument from, JailConfStatement statement, string pattern);

    private readonly List<CfJail> _jails = new();
    private readonly IncludeResolver? _resolveInclude;
    private CfJail? _global;
    private int _includeDepth;

    public ReferenceJailConfEvaluator(IncludeResolver? resolveInclude)
    {
        _resolveInclude = resolveInclude;
    }

    // ---- collection (jailparse.y) --------------------------------------------------------------

    public void Add(JailConfDocument document) => Walk(document, null);

    private void Walk(JailConfDocument doc, CfJail? enclosing)
    {
        // Explicit stack: block nesting depth is unbounded in the grammar.
        var stack = new Stack<(IReadOnlyList<JailConfItem> Items, int Index, CfJail? Jail)>();
        stack.Push((doc.Items, 0, enclosing));
        while (stack.Count > 0)
        {
            var (items, index, jail) = stack.Pop();
            if (index >= items.Count) continue;
            stack.Push((items, index + 1, jail));
            switch (items[index])
            {
                case JailConfBlock b:
                {
                    // A nested block names a child jail "parent.child" (jailparse.y jail_name).
                    string name = jail is null ? b.LocalName : jail.Name + "." + b.LocalName;
                    var nj = new CfJail(name, doc.Locate(b.NameToken.Start));
                    _jails.Add(nj);
                    stack.Push((b.Items, 0, nj));
                    break;
                }
                case JailConfStatement s when s.IsInclude:
                    if (_resolveInclude is not null)
                        Include(doc, s, jail);
                    break;
                case JailConfStatement s:
                {
                    // Statements outside any block go to one global "*" jail, created (and so
                    // placed in file order) at the first such statement.
                    CfJail target = jail ?? (_global ??= NewGlobal(doc.Locate(s.Start)));
                    target.Params.Add(CfParam.From(doc, s));
                    break;
                }
            }
        }
    }

    private CfJail NewGlobal(JailConfLocation where)
    {
        var g = new CfJail("*", where);
        _jails.Add(g);
        return g;
    }

    private void Include(JailConfDocument doc, JailConfStatement s, CfJail? jail)
    {
        foreach (var v in s.Values)
        {
            if (++_includeDepth > MaxIncludeDepth)
                throw JailConfException.At(JailConfErrorIds.IncludeDepth,
                    "maximum include depth exceeded (" + MaxIncludeDepth + ")", doc.Locate(s.Start));
            try
            {
                // Included text is read as if it stood here: inside a block it adds to that jail.
                foreach (var included in _resolveInclude!(doc, s, v.LiteralText()))
                    Walk(included, jail);
            }
            finally
            {
                _includeDepth--;
            }
        }
    }

    // ---- evaluation (config.c load_config) -----------------------------------------------------

    public List<JailDefinition> Evaluate()
    {
        var wild = new List<CfJail>();
        var real = new List<CfJail>();
        int seq = 0;
        foreach (var j in _jails)
        {
            j.Seq = ++seq;
            (JailConfNames.IsWildcardName(j.Name) ? wild : real).Add(j);
        }

        var result = new List<JailDefinition>(real.Count);
        foreach (var j in real)
        {
            var ev = new EvJail(j.Name);
            // The block name implies "jid" when strtol() reads a non-zero number from all of it, else "name".
            ev.AddImplied(JailConfNames.IsJidName(j.Name) ? IntParam.JidIndex : IntParam.NameIndex, j.Name, j.Where);
            // Wildcard blocks above the jail's block, its own block, then wildcard blocks below it.
            bool didSelf = false;
            foreach (var wj in wild)
            {
                if (j.Seq < wj.Seq && !didSelf)
                {
                    foreach (var p in j.Params) ev.Add(p);
                    didSelf = true;
                }
                if (JailConfNames.WildcardMatches(j.Name, wj.Name))
                    foreach (var p in wj.Params) ev.Add(p);
            }
            if (!didSelf)
                foreach (var p in j.Params) ev.Add(p);
            // A jid-named jail still gets its name (backfilled after everything else).
            if (ev.Int[IntParam.NameIndex] is null)
                ev.AddImplied(IntParam.NameIndex, j.Name, j.Where);

            ev.ResolveVariables();

            var parameters = new List<JailConfParameter>(ev.Params.Count);
            foreach (var p in ev.Params)
            {
                if ((p.Flags & PF.Var) != 0) continue;
                var values = new string[p.Values.Count];
                for (int i = 0; i < values.Length; i++) values[i] = p.Values[i].Text.ToString();
                parameters.Add(new JailConfParameter(p.Name, values));
            }
            result.Add(new JailDefinition(j.Name, parameters, j.Where.File, j.Where.Line, ev.Warnings));
        }
        return result;
    }

    // ---- model ---------------------------------------------------------------------------------

    [Flags]
    private enum PF
    {
        None = 0,
        Var = 1,
        Append = 2,
        NameVal = 4,
        Immutable = 8,
    }

    private sealed class CfJail
    {
        public CfJail(string name, JailConfLocation where)
        {
            Name = name;
            Where = where;
        }

        public string Name { get; }
        public JailConfLocation Where { get; }
        public int Seq { get; set; }
        public List<CfParam> Params { get; } = new();
    }

    private sealed class CfVar
    {
        public CfVar(string name, int pos, JailConfLocation where)
        {
            Name = name;
            Pos = pos;
            Where = where;
        }

        public string Name { get; }
        public int Pos { get; set; }
        public JailConfLocation Where { get; }
    }

    private sealed class CfString
    {
        public CfString(StringBuilder text, List<CfVar> vars)
        {
            Text = text;
            Vars = vars;
        }

        public StringBuilder Text { get; }
        public List<CfVar> Vars { get; }

        public CfString Clone()
        {
            var vars = new List<CfVar>(Vars.Count);
            foreach (var v in Vars) vars.Add(new CfVar(v.Name, v.Pos, v.Where));
            return new CfString(new StringBuilder(Text.ToString()), vars);
        }
    }

    private sealed class CfParam
    {
        public CfParam(string name, PF flags, List<CfString> values, JailConfLocation where)
        {
            Name = name;
            Flags = flags;
            Values = values;
            Where = where;
        }

        public string Name { get; set; }
        public PF Flags { get; set; }
        public List<CfString> Values { get; }
        public JailConfLocation Where { get; }
        public int Gen { get; set; }
        public bool Bad { get; set; }

        public static CfParam From(JailConfDocument doc, JailConfStatement s)
        {
            var flags = PF.None;
            if (s.IsVariable) flags |= PF.Var;
            if (s.Operator == JailConfOperator.Append) flags |= PF.Append;
            if (s.Operator == JailConfOperator.NameValue) flags |= PF.NameVal;
            var values = new List<CfString>(s.Values.Count);
            foreach (var v in s.Values)
            {
                var text = new StringBuilder();
                var vars = new List<CfVar>();
                foreach (var piece in v.Pieces)
                {
                    if (piece.Kind == JailConfTokenKind.Variable)
                        vars.Add(new CfVar(piece.Value!, text.Length, doc.Locate(piece.Start)));
                    else
                        text.Append(piece.Value);
                }
                values.Add(new CfString(text, vars));
            }
            return new CfParam(s.Name, flags, values, doc.Locate(s.Start));
        }
    }

    /// <summary>The non-PF_CONV entries of intparams[] in usr.sbin/jail/config.c.</summary>
    private static class IntParam
    {
        // jail(8)'s own parameters first (the same list JailConfNames publishes), then the kernel
        // parameters config.c also keeps in intparams[].
        public static readonly string[] Names =
        [
            .. JailConfNames.PseudoParameters,
            "allow.chflags", "allow.mount", "allow.raw_sockets", "allow.set_hostname",
            "allow.socket_af", "allow.sysvipc", "devfs_ruleset", "host.hostname", "ip4.addr",
            "ip6.addr", "jid", "name", "path", "persist", "securelevel", "vnet",
        ];

        public static readonly int JidIndex = Array.IndexOf(Names, "jid");
        public static readonly int NameIndex = Array.IndexOf(Names, "name");

        // jid and name are PF_IMMUTABLE: once set they cannot be redefined.
        public static PF FlagsOf(int index) => index == JidIndex || index == NameIndex ? PF.Immutable : PF.None;

        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Cache = new(StringComparer.Ordinal);

        public static int Find(string name)
        {
            if (Cache.TryGetValue(name, out int cached)) return cached;
            int found = -1;
            for (int i = 0; i < Names.Length && found < 0; i++)
                if (JailConfNames.EquivalentNames(name, Names[i])) found = i;
            // Parameter names repeat across jails; keep the cache from growing without bound.
            if (Cache.Count < 4096) Cache.TryAdd(name, found);
            return found;
        }
    }

    /// <summary>One jail's parameter list during evaluation (struct cfjail's params and intparams).</summary>
    private sealed class EvJail
    {
        public EvJail(string name)
        {
            Name = name;
        }

        public List<JailConfException> Warnings { get; } = new();

        public string Name { get; }
        public List<CfParam> Params { get; } = new();
        public CfParam?[] Int { get; } = new CfParam?[IntParam.Names.Length];

        /// <summary>add_param(j, NULL, ipnum, value): the implied name/jid.</summary>
        public void AddImplied(int ipIndex, string value, JailConfLocation where)
        {
            var values = new List<CfString> { new(new StringBuilder(value), new List<CfVar>()) };
            var flags = PF.Append | IntParam.FlagsOf(ipIndex);
            var dp = Int[ipIndex];
            if (dp is not null)
            {
                Merge(dp, IntParam.Names[ipIndex], flags, values, where);
                return;
            }
            var np = new CfParam(IntParam.Names[ipIndex], flags, values, where);
            Params.Add(np);
            Int[ipIndex] = np;
        }

        /// <summary>add_param(j, p, 0, NULL): a parameter or variable statement.</summary>
        public void Add(CfParam p)
        {
            var values = new List<CfString>(p.Values.Count);
            foreach (var s in p.Values) values.Add(s.Clone());
            CfParam? dp = null;
            foreach (var q in Params)
                if (JailConfNames.EquivalentNames(q.Name, p.Name)) { dp = q; break; }
            if (dp is not null)
            {
                Merge(dp, p.Name, p.Flags, values, p.Where);
                return;
            }
            var np = new CfParam(p.Name, p.Flags, values, p.Where);
            int ip = IntParam.Find(p.Name);
            if (ip >= 0)
            {
                if ((p.Flags & PF.Var) != 0)
                {
                    Warnings.Add(VariableConflict(p.Name, p.Where));
                    return;
                }
                Int[ip] = np;
                np.Flags |= IntParam.FlagsOf(ip);
            }
            Params.Add(np);
        }

        private void Merge(CfParam dp, string name, PF flags, List<CfString> values, JailConfLocation where)
        {
            if (((flags ^ dp.Flags) & PF.Var) != 0)
            {
                Warnings.Add(VariableConflict(name, where));
                return;
            }
            if ((dp.Flags & PF.Immutable) != 0)
            {
                Warnings.Add(JailConfException.At(JailConfErrorIds.ImmutableParameter,
                    Name + ": cannot redefine parameter \"" + dp.Name + "\".", where));
                return;
            }
            // The last spelling wins ("persist" then "nopersist" leaves "nopersist").
            dp.Name = name;
            // "=" and bare statements replace; "+=" appends.
            if ((flags & PF.Append) == 0 || values.Count == 0)
                dp.Values.Clear();
            dp.Values.AddRange(values);
            dp.Flags |= flags;
        }

        private JailConfException VariableConflict(string name, JailConfLocation where)
            => JailConfException.At(JailConfErrorIds.VariableConflict,
                Name + ": variable \"$" + name + "\" cannot have the same name as a parameter.", where);

        /// <summary>
        /// Variable substitution (load_config() in config.c): parameters are resolved in order; a
        /// referenced parameter that still holds variables is moved in front of the referencing one
        /// and resolved first, and meeting a parameter of the current generation again is a loop.
        /// A multi-valued parameter substitutes as its list only when it is the whole value.
        /// </summary>
        public void ResolveVariables()
        {
            int pgen = 0;
            for (int i = 0; i < Params.Count; i++)
            {
                var p = Params[i];
                p.Gen = ++pgen;
            findVars:
                for (int si = 0; si < p.Values.Count; si++)
                {
                    var s = p.Values[si];
                    while (s.Vars.Count > 0)
                    {
                        var v = s.Vars[0];
                        CfParam? vp = null;
                        foreach (var q in Params)
                            if (q.Name == v.Name) { vp = q; break; }
                        if (vp is null || vp.Values.Count == 0)
                        {
                            Warnings.Add(JailConfException.At(JailConfErrorIds.UndefinedVariable,
                                Name + ": " + p.Name + ": variable \"" + v.Name + "\" not found", v.Where));
                            BadVar(s, pgen);
                            continue;
                        }
                        if (vp.Bad)
                        {
                            BadVar(s, pgen);
                            continue;
                        }
                        if (vp.Gen == pgen)
                        {
                            Warnings.Add(JailConfException.At(JailConfErrorIds.VariableLoop,
                                Name + ": " + v.Name + ": variable loop", v.Where));
                            BadVar(s, pgen);
                            continue;
                        }
                        if (HasVars(vp))
                        {
                            vp.Gen = pgen;
                            Params.Remove(vp);
                            i = Params.IndexOf(p);
                            Params.Insert(i, vp);
                            p = vp;
                            goto findVars;
                        }
                        var first = vp.Values[0];
                        if (vp.Values.Count > 1 && (s.Text.Length != 0 || s.Vars.Count > 1))
                        {
                            Warnings.Add(JailConfException.At(JailConfErrorIds.ArrayInline,
                                Name + ": " + p.Name + ": array cannot be substituted inline", v.Where));
                            BadVar(s, pgen);
                            continue;
                        }
                        string insert = first.Text.ToString();
                        s.Text.Insert(v.Pos, insert);
                        for (int k = 1; k < s.Vars.Count; k++) s.Vars[k].Pos += insert.Length;
                        for (int k = 1; k < vp.Values.Count; k++)
                            p.Values.Insert(si + k, new CfString(new StringBuilder(vp.Values[k].Text.ToString()), new List<CfVar>()));
                        s.Vars.RemoveAt(0);
                    }
                }
            }
        }

        /// <summary>config.c bad_var: the jail fails, this generation's parameters are bad, the variable is dropped.</summary>
        private void BadVar(CfString s, int pgen)
        {
            foreach (var q in Params)
                if (q.Gen == pgen) q.Bad = true;
            s.Vars.RemoveAt(0);
        }

        private static bool HasVars(CfParam p)
        {
            foreach (var s in p.Values)
                if (s.Vars.Count > 0) return true;
            return false;
        }
    }
}
