using System.Text;
using CsCheck;
using JailPS.Core.Config;

namespace JailPS.Core.Tests.Config;

/// <summary>
/// The linear evaluator against the oracle (<see cref="ReferenceJailConfEvaluator"/>, the former
/// scan-based port of config.c): for generated configurations full of the cases where config.c's
/// order matters ("no" forms that rename parameters, variables that must move, arrays, wildcards,
/// nested and jid-named blocks, immutable names), both give the same jails, parameters, values
/// and order, or the same error at the same place.
/// </summary>
public sealed class JailConfEvaluatorEquivalenceTests
{
    private static readonly string[] ParamNames =
    {
        "p", "nop", "nonop", "a.b", "a.nob", "noa.b", "noa.nob", "a.nonob", "no", "no.x", "x.no", "name", "noname", "jid",
        "persist", "nopersist", "path", "host.hostname", "ip4.addr", "exec.start", "allow.mount", "allow.nomount", "v",
    };

    private static readonly string[] VarNames = { "v", "w", "u", "p", "nop", "a.b", "path", "name", "ip4.addr" };

    private static readonly string[] BlockNames = { "j1", "j2", "a", "a.b", "5", "0", "*", "a.*", "*.b", "b" };

    private static string Value(Random r)
    {
        var sb = new StringBuilder("\"");
        int pieces = r.Next(4);
        for (int i = 0; i < pieces; i++)
        {
            if (r.Next(2) == 0) sb.Append("${").Append(VarNames[r.Next(VarNames.Length)]).Append('}');
            else sb.Append("tx"[r.Next(2)]);
        }
        return sb.Append('"').ToString();
    }

    private static string Statement(Random r)
    {
        bool variable = r.Next(3) == 0;
        string var = VarNames[r.Next(VarNames.Length)];
        string name = variable ? (r.Next(2) == 0 && !var.Contains('.') ? "$" + var : "${" + var + "}")
            : ParamNames[r.Next(ParamNames.Length)];
        if (!variable && r.Next(5) == 0) return name + ";";
        string op = r.Next(3) == 0 ? " += " : " = ";
        var values = new List<string>();
        for (int i = r.Next(1, 4); i > 0; i--) values.Add(Value(r));
        return name + op + string.Join(", ", values) + ";";
    }

    private static void Block(StringBuilder sb, Random r, int depth)
    {
        sb.Append(JailConfWriter.FormatJailName(BlockNames[r.Next(BlockNames.Length)])).Append(" {\n");
        for (int i = r.Next(5); i > 0; i--)
        {
            if (depth < 2 && r.Next(6) == 0) Block(sb, r, depth + 1);
            else sb.Append('\t').Append(Statement(r)).Append('\n');
        }
        sb.Append("}\n");
    }

    internal static string Configuration(int seed)
    {
        var r = new Random(seed);
        var sb = new StringBuilder();
        for (int i = r.Next(1, 8); i > 0; i--)
        {
            if (r.Next(3) == 0) sb.Append(Statement(r)).Append('\n');
            else Block(sb, r, 0);
        }
        return sb.ToString();
    }

    private static string Describe(IEnumerable<JailDefinition> jails)
    {
        var sb = new StringBuilder();
        foreach (var j in jails)
        {
            sb.Append(j.Name).Append(" @").Append(j.SourceFile).Append(':').Append(j.Line).Append('\n');
            foreach (var w in j.Warnings)
                sb.Append("  warning ").Append(w.ErrorId).Append(' ').Append(w.Message).Append('\n');
            foreach (var p in j.Parameters)
                sb.Append("  ").Append(p.Name).Append(" = [").Append(string.Join("|", p.Values)).Append("]\n");
        }
        return sb.ToString();
    }

    private static string Outcome(Func<IEnumerable<JailDefinition>> evaluate)
    {
        try
        {
            return Describe(evaluate());
        }
        catch (JailConfException e)
        {
            return "error " + e.ErrorId + " " + e.Message;
        }
    }

    internal static (string Expected, string Actual) Both(string text)
    {
        var doc = JailConfDocument.Parse(text, "/etc/jail.conf");
        var reference = new ReferenceJailConfEvaluator(null);
        reference.Add(doc);
        return (Outcome(reference.Evaluate), Outcome(() => JailConfLoader.Evaluate(new[] { doc })));
    }

    [Fact]
    public void TheLinearEvaluatorAgreesWithConfigCsScans()
        => Gen.Int.Sample(seed =>
        {
            var (expected, actual) = Both(Configuration(seed));
            Assert.Equal(expected, actual);
        }, iter: 4000);

    [Fact]
    public void GeneratedConfigurationsReachTheInterestingCases()
    {
        // The generator is only worth something if it reaches evaluations and each kind of error.
        var outcomes = Enumerable.Range(0, 3000).Select(seed => Both(Configuration(seed)).Expected).ToList();
        Assert.Contains(outcomes, o => !o.Contains("warning", StringComparison.Ordinal) && o.Contains("nop", StringComparison.Ordinal));
        foreach (var id in new[] { "JailConfUndefinedVariable", "JailConfVariableLoop", "JailConfArrayInline", "JailConfVariableConflict", "JailConfImmutableParameter" })
            Assert.Contains(outcomes, o => o.Contains("warning " + id, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("j { noa.nob = 1; a.b = 2; a.nob = 3; a.b = 4; $v = \"${a.b}\"; p = \"$v\"; }\n")]
    [InlineData("$v = \"${w}\"; $w = \"${u}\"; $u = x; j { p = \"$v$w$u\"; }\n")]
    [InlineData("$a = x, y; j { p = $a, \"t\", $a; q = \"${e}$a\"; $e = \"\"; }\n")]
    [InlineData("* { persist; } j { nopersist; } * { p = \"$name\"; } \"a.*\" { q = 1; } a { a.b { } }\n")]
    public void HandPickedOrderingCasesAgree(string text)
    {
        var (expected, actual) = Both(text);
        Assert.Equal(expected, actual);
    }
}
