using System;
using System.Collections.Generic;
using System.Text;

namespace JailPS.Core.Config;

/// <summary>
/// Collects jails from documents the way jailparse.y's actions do, then evaluates them the way
/// load_config() and add_param() in usr.sbin/jail/config.c do, with the same results in the same
/// order but without config.c's list scans: parameters are found through name indexes, variables
/// move in a linked list, and values are built once, left to right, so the work is linear in what
/// is read and produced. All of it is charged to a <see cref="JailConfBudget"/>, and a value may
/// not grow past <see cref="JailConfLimits.MaxValueLength"/> (jail(8) has neither limit).
/// Where jail(8) warns and marks one jail failed (a variable not found, a variable loop, an array
/// substituted inline, a variable named like a parameter, a redefined name or jid), this does the
/// same: the jail keeps the values jail(8) gives it (the variable left out, the definition
/// dropped) and the warnings, in <see cref="JailDefinition.Warnings"/>; every other jail is
/// unaffected. Only JailPS's own limits throw.
/// </summary>
internal sealed class JailConfEvaluator
{
    /// <summary>MAX_INCLUDE_DEPTH in usr.sbin/jail/config.c.</summary>
    internal const int MaxIncludeDepth = 32;

    internal delegate IReadOnlyList<JailConfDocument> IncludeResolver(JailConfDocument from, JailConfStatement statement, string pattern);

    private readonly List<CfJail> _jails = new();
    private readonly IncludeResolver? _resolveInclude;
    private readonly JailConfBudget _budget;
    private CfJail? _global;
    private int _includeDepth;

    public JailConfEvaluator(IncludeResolver? resolveInclude, JailConfBudget budget)
    {
        _resolveInclude = resolveInclude;
        _budget = budget;
    }

    private void Charge(long units, in JailConfLocation where)
    {
        if (_budget.Spend(units)) throw _budget.TooLarge(where);
    }

    // ---- collection (jailparse.y) --------------------------------------------------------------

    public void Add(JailConfDocument document) => Walk(document, null);

    private void Walk(JailConfDocument doc, CfJail? enclosing)
    {
        // Explicit stack: nesting is bounded (MaxNestingDepth) but deep enough to matter.
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
                    // A nested block names a child jail "parent.child" (jailparse.y jail_name); a
                    // block in a file included inside a block is a child of that block's jail.
                    var where = doc.Locate(b.NameToken.Start);
                    int depth = (jail?.Depth ?? 0) + 1;
                    // Only through .include inside blocks: one file's nesting is checked when it is parsed.
                    if (depth > JailConfLimits.MaxNestingDepth)
                        throw JailConfException.At(JailConfErrorIds.NestingTooDeep,
                            "jail blocks nested more than " + JailConfLimits.MaxNestingDepth + " deep (counting blocks around the .include)", where);
                    string name = enclosing is null ? b.FullName : enclosing.Name + "." + b.FullName;
                    Charge(enclosing is null ? 1 : name.Length + 1, where);
                    var nj = new CfJail(name, where, depth);
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
                    var where = doc.Locate(s.Start);
                    Charge(1 + s.Values.Count, where);
                    CfJail target = jail ?? (_global ??= NewGlobal(where));
                    target.Params.Add(CfParam.From(doc, s, where));
                    break;
                }
            }
        }
    }

    private CfJail NewGlobal(JailConfLocation where)
    {
        var g = new CfJail("*", where, 0);
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
            if (!JailConfNames.IsWildcardName(j.Name)) real.Add(j);
            // A wildcard block without parameters contributes nothing; leaving it out changes
            // neither values nor order, and keeps many empty "* { }" blocks from costing jails × blocks.
            else if (j.Params.Count > 0) wild.Add(j);
        }

        var result = new List<JailDefinition>(real.Count);
        foreach (var j in real)
            result.Add(EvaluateJail(j, wild));
        return result;
    }

    private JailDefinition EvaluateJail(CfJail j, List<CfJail> wild)
    {
        var ev = new EvJail(j.Name, _budget);
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
            Charge(1, j.Where);
            if (JailConfNames.WildcardMatches(j.Name, wj.Name))
                foreach (var p in wj.Params) ev.Add(p);
        }
        if (!didSelf)
            foreach (var p in j.Params) ev.Add(p);
        // A jid-named jail still gets its name (backfilled after everything else).
        if (ev.IntName is null)
            ev.AddImplied(IntParam.NameIndex, j.Name, j.Where);

        ev.ResolveVariables();

        var parameters = new List<JailConfParameter>(ev.Params.Count);
        Dictionary<string, string>? variables = null;
        foreach (var p in ev.Params)
        {
            if ((p.Flags & PF.Var) != 0)
            {
                var texts = new string[p.Values.Count];
                bool whole = !p.Bad;
                for (int i = 0; i < texts.Length && whole; i++)
                    whole = (texts[i] = p.Values[i].Text!) is not null;
                if (whole)
                    (variables ??= new Dictionary<string, string>(StringComparer.Ordinal))[p.Name.TrimStart('$')] = string.Join(", ", texts);
                continue;
            }
            var values = new string[p.Values.Count];
            for (int i = 0; i < values.Length; i++) values[i] = p.Values[i].Text!;
            Charge(1 + values.Length, j.Where);
            parameters.Add(JailConfParameter.Owning(p.Name, values));
        }
        return JailDefinition.Owning(j.Name, parameters.ToArray(), j.Where.File, j.Where.Line, ev.Warnings, variables);
    }

    // ---- model: what the documents say (shared by every jail) ------------------------------------

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
        public CfJail(string name, JailConfLocation where, int depth)
        {
            Name = name;
            Where = where;
            Depth = depth;
        }

        public string Name { get; }
        public JailConfLocation Where { get; }
        /// <summary>Block nesting depth, counting blocks around the .include that brought it in (0 for the global jail).</summary>
        public int Depth { get; }
        public int Seq { get; set; }
        public List<CfParam> Params { get; } = new();
    }

    private readonly record struct CfVar(string Name, JailConfLocation Where);

    /// <summary>
    /// One value as written: literal text and variable references alternating, starting and ending
    /// with (possibly empty) literal text: Literals[0] Vars[0] Literals[1] ... Vars[k-1] Literals[k].
    /// </summary>
    private sealed class CfTemplate
    {
        public CfTemplate(string[] literals, CfVar[] vars)
        {
            Literals = literals;
            Vars = vars;
            foreach (var l in literals) LiteralLength += l.Length;
            if (vars.Length == 0) Text = literals[0];
        }

        public string[] Literals { get; }
        public CfVar[] Vars { get; }
        public int LiteralLength { get; }
        /// <summary>The value when it has no variables.</summary>
        public string? Text { get; }
    }

    private sealed class CfParam
    {
        private string[]? _withoutOneNo;

        public CfParam(string name, PF flags, CfTemplate[] values, JailConfLocation where)
        {
            Name = name;
            Flags = flags;
            Values = values;
            Where = where;
            foreach (var v in values) VarCount += v.Vars.Length;
        }

        public string Name { get; }
        public PF Flags { get; }
        public CfTemplate[] Values { get; }
        public JailConfLocation Where { get; }
        public int VarCount { get; }

        /// <summary>The name with one component-leading "no" removed, each way (computed once, used by every jail).</summary>
        public string[] WithoutOneNo => _withoutOneNo ??= NameIndex.WithoutOneNo(Name);

        public static CfParam From(JailConfDocument doc, JailConfStatement s, JailConfLocation where)
        {
            var flags = PF.None;
            if (s.IsVariable) flags |= PF.Var;
            if (s.Operator == JailConfOperator.Append) flags |= PF.Append;
            if (s.Operator == JailConfOperator.NameValue) flags |= PF.NameVal;
            var values = new CfTemplate[s.Values.Count];
            for (int i = 0; i < values.Length; i++)
            {
                var only = s.Values[i].Pieces;
                if (only.Count == 1 && only[0].Kind == JailConfTokenKind.String)
                {
                    // The common value: one literal piece, no variables.
                    values[i] = new CfTemplate(new[] { only[0].Value! }, Array.Empty<CfVar>());
                    continue;
                }
                var literals = new List<string>();
                var vars = new List<CfVar>();
                StringBuilder? run = null;
                string? single = string.Empty;
                foreach (var piece in s.Values[i].Pieces)
                {
                    if (piece.Kind == JailConfTokenKind.Variable)
                    {
                        literals.Add(run?.ToString() ?? single!);
                        run = null;
                        single = string.Empty;
                        vars.Add(new CfVar(piece.Value!, doc.Locate(piece.Start)));
                    }
                    else if (run is null && single!.Length == 0)
                        single = piece.Value!;
                    else
                    {
                        run ??= new StringBuilder(single);
                        run.Append(piece.Value);
                        single = null;
                    }
                }
                literals.Add(run?.ToString() ?? single!);
                values[i] = new CfTemplate(literals.ToArray(), vars.ToArray());
            }
            return new CfParam(s.Name, flags, values, where);
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

    // ---- model: one jail during evaluation (struct cfjail) ---------------------------------------

    /// <summary>One value of one jail's parameter, built left to right as its variables are substituted.</summary>
    private sealed class EvValue
    {
        private readonly CfTemplate? _template;
        private StringBuilder? _built;
        private int _restLiterals;

        /// <summary>A value with nothing left to substitute.</summary>
        public EvValue(string text)
        {
            Text = text;
        }

        public EvValue(CfTemplate template)
        {
            if (template.Text is not null)
            {
                Text = template.Text;
                return;
            }
            _template = template;
            _restLiterals = template.LiteralLength - template.Literals[0].Length;
        }

        /// <summary>The final value; null while variables are left.</summary>
        public string? Text { get; private set; }

        /// <summary>Index of the next variable to substitute.</summary>
        public int NextVar { get; private set; }

        public int VarsLeft => Text is null ? _template!.Vars.Length - NextVar : 0;

        public CfVar CurrentVar => _template!.Vars[NextVar];

        /// <summary>Length of the text so far: substituted values and all literal text (config.c's s->len).</summary>
        public long Length => (_built?.Length ?? _template!.Literals[0].Length) + _restLiterals;

        /// <summary>Replaces the current variable by <paramref name="value"/>; returns the characters added.</summary>
        public int Substitute(string value)
        {
            var t = _template!;
            if (_built is null)
            {
                _built = new StringBuilder(t.Literals[0], (int)Math.Min(JailConfLimits.MaxValueLength, Length + value.Length));
            }
            _built.Append(value);
            string literal = t.Literals[++NextVar];
            _built.Append(literal);
            _restLiterals -= literal.Length;
            if (NextVar == t.Vars.Length)
            {
                Text = _built.ToString();
                _built = null;
            }
            return value.Length + literal.Length;
        }
    }

    /// <summary>A parameter or variable of one jail (struct cfparam).</summary>
    private sealed class EvParam
    {
        public EvParam(string name, string[] withoutOneNo, PF flags, List<EvValue> values, int varsLeft, JailConfLocation where, long order)
        {
            Name = name;
            WithoutOneNo = withoutOneNo;
            Flags = flags;
            Values = values;
            VarsLeft = varsLeft;
            Where = where;
            Order = order;
        }

        public string Name { get; set; }
        public string[] WithoutOneNo { get; set; }
        public PF Flags { get; set; }
        /// <summary>The values; during resolution, <see cref="Resolved"/> of them are final and stand first.</summary>
        public List<EvValue> Values { get; set; }
        public int VarsLeft { get; set; }
        public JailConfLocation Where { get; }
        /// <summary>Position in the parameter list while it is built (before variables move anything).</summary>
        public long Order { get; }
        public int Gen { get; set; }
        /// <summary>config.c's PF_BAD: a substitution in it failed; a variable that refers to it fails too, silently.</summary>
        public bool Bad { get; set; }
        public LinkedListNode<EvParam>? Node { get; set; }
        /// <summary>During resolution: values before Values[Next] are final and were copied to Done.</summary>
        public int Next { get; set; }
        public List<EvValue>? Done { get; set; }
    }

    /// <summary>
    /// The parameters of one jail by name, so add_param()'s "find the first parameter equalopts()
    /// calls the same" is a few lookups instead of a scan: names equivalent to N are N itself, N
    /// with one component-leading "no" removed, and N with one "no" inserted at a component start
    /// (found as the names that give N when one of their "no"s is removed).
    /// </summary>
    private sealed class NameIndex
    {
        // Sized for a typical jail's handful of parameters, so it does not grow twice on the way.
        private readonly Dictionary<string, List<EvParam>> _exact = new(8, StringComparer.Ordinal);
        // Most names have no component-leading "no", so this map is made only when one has.
        private Dictionary<string, List<EvParam>>? _withoutOneNo;
        private readonly JailConfBudget _budget;

        public NameIndex(JailConfBudget budget)
        {
            _budget = budget;
        }

        /// <summary>The name with one "no" removed from the start of a component (0 or after a '.'), for each such "no".</summary>
        public static string[] WithoutOneNo(string name)
        {
            List<string>? list = null;
            for (int c = 0; ; )
            {
                if (c + 2 <= name.Length && name[c] == 'n' && name[c + 1] == 'o')
                    (list ??= new List<string>()).Add(name.Remove(c, 2));
                int dot = name.IndexOf('.', c);
                if (dot < 0) break;
                c = dot + 1;
            }
            return list?.ToArray() ?? Array.Empty<string>();
        }

        public void Add(EvParam p, in JailConfLocation where)
        {
            Put(_exact, p.Name, p, where);
            if (p.WithoutOneNo.Length > 0) _withoutOneNo ??= new(StringComparer.Ordinal);
            foreach (string k in p.WithoutOneNo) Put(_withoutOneNo!, k, p, where);
        }

        public void Remove(EvParam p, in JailConfLocation where)
        {
            Take(_exact, p.Name, p, where);
            foreach (string k in p.WithoutOneNo) Take(_withoutOneNo!, k, p, where);
        }

        /// <summary>The earliest parameter whose name equalopts() calls the same as <paramref name="name"/>.</summary>
        public EvParam? FirstEquivalent(string name, string[] nameWithoutOneNo, in JailConfLocation where)
        {
            EvParam? best = null;
            Consider(_exact, name, ref best, where);
            Consider(_withoutOneNo, name, ref best, where);
            foreach (string k in nameWithoutOneNo) Consider(_exact, k, ref best, where);
            return best;
        }

        /// <summary>All parameters of exactly this name (the caller picks by list position).</summary>
        public List<EvParam>? Exactly(string name) => _exact.TryGetValue(name, out var list) ? list : null;

        private void Consider(Dictionary<string, List<EvParam>>? map, string key, ref EvParam? best, in JailConfLocation where)
        {
            Spend(1 + key.Length, where);
            if (map is null || !map.TryGetValue(key, out var list)) return;
            Spend(list.Count, where);
            foreach (var p in list)
                if (best is null || p.Order < best.Order) best = p;
        }

        private void Put(Dictionary<string, List<EvParam>> map, string key, EvParam p, in JailConfLocation where)
        {
            Spend(1 + key.Length, where);
            if (!map.TryGetValue(key, out var list)) map[key] = list = new List<EvParam>(1);
            list.Add(p);
        }

        private void Take(Dictionary<string, List<EvParam>> map, string key, EvParam p, in JailConfLocation where)
        {
            if (!map.TryGetValue(key, out var list)) return;
            Spend(1 + key.Length + list.Count, where);
            list.Remove(p);
            if (list.Count == 0) map.Remove(key);
        }

        private void Spend(long units, in JailConfLocation where)
        {
            if (_budget.Spend(units)) throw _budget.TooLarge(where);
        }
    }

    /// <summary>One jail's parameter list during evaluation (struct cfjail's params and intparams).</summary>
    private sealed class EvJail
    {
        private static readonly string[] NoNames = Array.Empty<string>();
        private readonly JailConfBudget _budget;
        private readonly NameIndex _index;
        private long _order;

        public EvJail(string name, JailConfBudget budget)
        {
            Name = name;
            _budget = budget;
            _index = new NameIndex(budget);
        }

        public string Name { get; }
        public LinkedList<EvParam> Params { get; } = new();
        // intparams[] of config.c: only the slots of jid and name are ever read (the implied
        // name/jid and the name backfill), so only those two are kept, not one per entry.
        public EvParam? IntJid { get; private set; }
        public EvParam? IntName { get; private set; }

        private EvParam? IntSlot(int ip) => ip == IntParam.JidIndex ? IntJid : ip == IntParam.NameIndex ? IntName : null;

        private void SetIntSlot(int ip, EvParam p)
        {
            if (ip == IntParam.JidIndex) IntJid = p;
            else if (ip == IntParam.NameIndex) IntName = p;
        }

        /// <summary>What jail(8) warns about for this jail (each marks it failed: JF_FAILED), in order.</summary>
        public List<JailConfException> Warnings { get; } = new();

        private void Warn(string errorId, string reason, in JailConfLocation where)
        {
            Charge(1, where);
            Warnings.Add(JailConfException.At(errorId, reason, where));
        }

        private void Charge(long units, in JailConfLocation where)
        {
            if (_budget.Spend(units)) throw _budget.TooLarge(where);
        }

        private EvParam Append(string name, string[] withoutOneNo, PF flags, List<EvValue> values, int varsLeft, JailConfLocation where)
        {
            var np = new EvParam(name, withoutOneNo, flags, values, varsLeft, where, _order++);
            np.Node = Params.AddLast(np);
            _index.Add(np, where);
            return np;
        }

        /// <summary>add_param(j, NULL, ipnum, value): the implied name/jid.</summary>
        public void AddImplied(int ipIndex, string value, JailConfLocation where)
        {
            Charge(1 + value.Length, where);
            var values = new List<EvValue> { new(value) };
            var flags = PF.Append | IntParam.FlagsOf(ipIndex);
            string name = IntParam.Names[ipIndex];
            var dp = IntSlot(ipIndex);
            if (dp is not null)
            {
                Merge(dp, name, NoNames, flags, values, 0, where);
                return;
            }
            SetIntSlot(ipIndex, Append(name, NoNames, flags, values, 0, where));
        }

        /// <summary>add_param(j, p, 0, NULL): a parameter or variable statement.</summary>
        public void Add(CfParam p)
        {
            Charge(1 + p.Values.Length, p.Where);
            var values = new List<EvValue>(p.Values.Length);
            foreach (var t in p.Values) values.Add(new EvValue(t));
            var dp = _index.FirstEquivalent(p.Name, p.WithoutOneNo, p.Where);
            if (dp is not null)
            {
                Merge(dp, p.Name, p.WithoutOneNo, p.Flags, values, p.VarCount, p.Where);
                return;
            }
            int ip = IntParam.Find(p.Name);
            if (ip >= 0 && (p.Flags & PF.Var) != 0)
            {
                VariableConflict(p.Name, p.Where);
                return;
            }
            var np = Append(p.Name, p.WithoutOneNo, p.Flags, values, p.VarCount, p.Where);
            if (ip >= 0)
            {
                SetIntSlot(ip, np);
                np.Flags |= IntParam.FlagsOf(ip);
            }
        }

        private void Merge(EvParam dp, string name, string[] withoutOneNo, PF flags, List<EvValue> values, int varCount, JailConfLocation where)
        {
            // add_param(): warn, mark the jail failed and drop this definition.
            if (((flags ^ dp.Flags) & PF.Var) != 0)
            {
                VariableConflict(name, where);
                return;
            }
            if ((dp.Flags & PF.Immutable) != 0)
            {
                Warn(JailConfErrorIds.ImmutableParameter, Name + ": cannot redefine parameter \"" + dp.Name + "\".", where);
                return;
            }
            // The last spelling wins ("persist" then "nopersist" leaves "nopersist").
            if (!string.Equals(dp.Name, name, StringComparison.Ordinal))
            {
                _index.Remove(dp, where);
                dp.Name = name;
                dp.WithoutOneNo = withoutOneNo;
                _index.Add(dp, where);
            }
            // "=" and bare statements replace; "+=" appends.
            if ((flags & PF.Append) == 0 || values.Count == 0)
            {
                dp.Values.Clear();
                dp.VarsLeft = 0;
            }
            dp.Values.AddRange(values);
            dp.VarsLeft += varCount;
            dp.Flags |= flags;
        }

        private void VariableConflict(string name, JailConfLocation where)
            => Warn(JailConfErrorIds.VariableConflict,
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
            for (var node = Params.First; node is not null; node = node.Next)
            {
                var p = node.Value;
                p.Gen = ++pgen;
                for (var dep = ResolveSome(p, pgen); dep is not null; dep = ResolveSome(p, pgen))
                {
                    // config.c: TAILQ_REMOVE(vp); TAILQ_INSERT_BEFORE(p, vp); p = vp; goto find_vars.
                    dep.Gen = pgen;
                    Params.Remove(dep.Node!);
                    Params.AddBefore(p.Node!, dep.Node!);
                    p = dep;
                }
                // Go on after the parameter resolved last: the one that was waiting for it comes next.
                node = p.Node!;
            }
        }

        /// <summary>
        /// Substitutes p's variables left to right. Returns null when p is done, or a parameter
        /// it refers to that still has variables of its own (to be resolved first).
        /// </summary>
        private EvParam? ResolveSome(EvParam p, int pgen)
        {
            if (p.VarsLeft == 0 && p.Done is null) return null; // nothing to substitute
            p.Done ??= new List<EvValue>(p.Values.Count);
            for (; p.Next < p.Values.Count; p.Next++)
            {
                var s = p.Values[p.Next];
                List<EvValue>? extra = null;
                while (s.VarsLeft > 0)
                {
                    var v = s.CurrentVar;
                    var vp = Lookup(v.Name, v.Where);
                    // config.c load_config(): each failure warns (a reference to a bad parameter
                    // silently), marks the jail failed and the parameters of this generation bad,
                    // and leaves the variable out of the value.
                    bool failed = true;
                    if (vp is null || vp.Values.Count == 0)
                        Warn(JailConfErrorIds.UndefinedVariable, Name + ": " + p.Name + ": variable \"" + v.Name + "\" not found", v.Where);
                    else if (vp.Bad)
                        failed = true; // its own failure was reported already
                    else if (vp.Gen == pgen)
                        Warn(JailConfErrorIds.VariableLoop, Name + ": " + v.Name + ": variable loop", v.Where);
                    else if (vp.VarsLeft > 0)
                        return vp;
                    else if (vp.Values.Count > 1 && (s.Length != 0 || s.VarsLeft > 1))
                        Warn(JailConfErrorIds.ArrayInline, Name + ": " + p.Name + ": array cannot be substituted inline", v.Where);
                    else
                        failed = false;
                    if (failed)
                    {
                        Charge(Params.Count, v.Where);
                        foreach (var q in Params)
                            if (q.Gen == pgen) q.Bad = true;
                        Charge(1 + s.Substitute(string.Empty), v.Where);
                        p.VarsLeft--;
                        continue;
                    }
                    var first = vp!.Values[0].Text!;
                    if (s.Length + first.Length > JailConfLimits.MaxValueLength)
                        throw JailConfException.At(JailConfErrorIds.ExpansionTooLarge,
                            Name + ": " + p.Name + ": value longer than " + JailConfLimits.MaxValueLength
                            + " characters after substituting \"" + v.Name + "\"", v.Where);
                    Charge(1 + s.Substitute(first), v.Where);
                    p.VarsLeft--;
                    if (vp.Values.Count > 1)
                    {
                        // The rest of the list follows as values of their own.
                        Charge(vp.Values.Count, v.Where);
                        extra = vp.Values;
                    }
                }
                p.Done.Add(s);
                if (extra is not null)
                    for (int k = 1; k < extra.Count; k++) p.Done.Add(extra[k]);
            }
            p.Values = p.Done;
            p.Next = p.Done.Count;
            return null;
        }

        /// <summary>The first parameter (in the current order) named exactly <paramref name="name"/>.</summary>
        private EvParam? Lookup(string name, in JailConfLocation where)
        {
            Charge(1 + name.Length, where);
            var list = _index.Exactly(name);
            if (list is null) return null;
            if (list.Count == 1) return list[0];
            // Several parameters of one exact name (possible only after "no" renames): the list
            // order decides, and variables may have moved, so walk it.
            Charge(Params.Count, where);
            for (var n = Params.First; n is not null; n = n.Next)
                if (string.Equals(n.Value.Name, name, StringComparison.Ordinal)) return n.Value;
            return null;
        }
    }
}
