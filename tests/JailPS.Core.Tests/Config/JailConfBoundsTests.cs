using System.Text;
using JailPS.Core.Config;

namespace JailPS.Core.Tests.Config;

/// <summary>The limits of <see cref="JailConfLimits"/>: each has its own error id and a file:line:column.</summary>
public sealed class JailConfBoundsTests
{
    private static string Nested(int depth, string inner = "persist;")
    {
        var sb = new StringBuilder();
        for (int i = 0; i < depth; i++) sb.Append("n").Append(i).Append(" {\n");
        sb.Append(inner).Append('\n');
        for (int i = 0; i < depth; i++) sb.Append("}\n");
        return sb.ToString();
    }

    [Fact]
    public void BlocksNest128DeepAndNoDeeper()
    {
        var doc = JailConfDocument.Parse(Nested(JailConfLimits.MaxNestingDepth), "/etc/jail.conf");
        Assert.Equal(128, doc.BlockNames.Count);
        Assert.Equal(128, JailConfLoader.Evaluate(new[] { doc }).Count);

        var e = Assert.Throws<JailConfException>(() => JailConfDocument.Parse(Nested(129), "/etc/jail.conf"));
        Assert.Equal(("JailConfNestingTooDeep", "/etc/jail.conf", 129, 1), (e.ErrorId, e.File, e.Line, e.Column));
        Assert.Contains("nested more than 128 deep", e.Message);
    }

    [Fact]
    public void FiftyThousandNestedBlocksAreRefusedCheaply()
    {
        // The reliability review's case: 17 s and 5 GB before the limit.
        string text = string.Concat(Enumerable.Repeat("a{", 50_000)) + string.Concat(Enumerable.Repeat("}", 50_000));
        var budget = new JailConfBudget();
        budget.AddInput(text.Length);
        var e = Assert.Throws<JailConfException>(() => JailConfDocument.Parse(text, "/etc/jail.conf", budget));
        Assert.Equal(("JailConfNestingTooDeep", 1, 257), (e.ErrorId, e.Line, e.Column));
        Assert.True(budget.Used < 20 * text.Length, $"work {budget.Used} for {text.Length} characters");
    }

    [Fact]
    public void NestingCountsTheBlocksAroundAnInclude()
    {
        var fs = new InMemoryHostFileSystem()
            .Add("/etc/jail.conf", "outer {\n\t.include \"inner.conf\";\n}\n")
            .Add("/etc/inner.conf", Nested(128));
        var e = Assert.Throws<JailConfException>(() => JailConfLoader.Load(fs, new[] { "/etc/jail.conf" }));
        Assert.Equal(("JailConfNestingTooDeep", "/etc/inner.conf", 128, 1), (e.ErrorId, e.File, e.Line, e.Column));

        fs.Add("/etc/inner.conf", Nested(127));
        var deepest = JailConfLoader.Load(fs, new[] { "/etc/jail.conf" }).Last();
        Assert.Equal(128, deepest.Name.Split('.').Length);
    }

    private static string Doubling(int variables)
    {
        var sb = new StringBuilder("$a1 = \"x\";\n");
        for (int i = 2; i <= variables; i++) sb.Append("$a").Append(i).Append(" = \"${a").Append(i - 1).Append("}${a").Append(i - 1).Append("}\";\n");
        sb.Append("web { path = \"/j/${a").Append(variables).Append("}\"; }\n");
        return sb.ToString();
    }

    [Fact]
    public void DoublingVariablesStopAtTheValueLimit()
    {
        // The review's 26 doubled variables (14 s, 7.3 GB; 32 ran out of memory): $a21 is 2^20
        // characters, so $a22 is the first value past 1 MiB.
        var fs = new InMemoryHostFileSystem().Add("/etc/jail.conf", Doubling(32));
        var budget = new JailConfBudget();
        var e = Assert.Throws<JailConfException>(() => JailConfLoader.Load(fs, new[] { "/etc/jail.conf" }, budget));
        Assert.Equal(("JailConfExpansionTooLarge", "/etc/jail.conf", 22, 15), (e.ErrorId, e.File, e.Line, e.Column));
        Assert.Contains("web: a22: value longer than 1048576 characters after substituting \"a21\"", e.Message);
        Assert.True(budget.Used < 8L << 20, $"work {budget.Used}");
    }

    [Fact]
    public void AValueMayBeExactlyOneMebibyte()
    {
        string half = new('h', JailConfLimits.MaxValueLength / 2);
        string text = "$h = \"" + half + "\";\nj { p = \"$h$h\"; q = \"$h$h!\"; }\n";
        var e = Assert.Throws<JailConfException>(() => JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(text, null) }));
        Assert.Equal(("JailConfExpansionTooLarge", 2, 24), (e.ErrorId, e.Line, e.Column));
        Assert.Contains("j: q:", e.Message);

        var ok = JailConfLoader.Evaluate(new[] { JailConfDocument.Parse("$h = \"" + half + "\";\nj { p = \"$h$h\"; }\n", null) });
        Assert.Equal(JailConfLimits.MaxValueLength, Assert.Single(ok).Get("p")!.Values[0].Length);
    }

    [Fact]
    public void ConfigurationsThatExpandPastTheWorkLimitAreRefused()
    {
        // Each value is small, but a global parameter reaches every jail: 64 Ki of text in each
        // of 2,000 jails is far past 16 Mi + 64 per character read.
        string text = "$big = \"" + new string('b', 64 * 1024) + "\";\nexec.start = \"$big\";\n"
                      + string.Concat(Enumerable.Range(0, 2000).Select(i => "j" + i + " { }\n"));
        var budget = new JailConfBudget();
        budget.AddInput(text.Length);
        var doc = JailConfDocument.Parse(text, "/etc/jail.conf", budget);
        var e = Assert.Throws<JailConfException>(() => JailConfLoader.Evaluate(new[] { doc }, budget));
        Assert.Equal(("JailConfExpansionTooLarge", "/etc/jail.conf"), (e.ErrorId, e.File));
        Assert.StartsWith("configuration too large", e.Reason);
        Assert.True(e.Line > 0 && e.Column > 0);
        Assert.InRange(budget.Used, budget.Limit, budget.Limit + 200 * 1024);
    }

    [Fact]
    public void ManyEmptyWildcardBlocksCostNothingPerJail()
    {
        string text = string.Concat(Enumerable.Repeat("* { }\n", 3000)) + string.Concat(Enumerable.Range(0, 3000).Select(i => "j" + i + " { }\n"));
        var fs = new InMemoryHostFileSystem().Add("/etc/jail.conf", text);
        var budget = new JailConfBudget();
        Assert.Equal(3000, JailConfLoader.Load(fs, new[] { "/etc/jail.conf" }, budget).Count);
        Assert.True(budget.Used < 40 * text.Length, $"work {budget.Used} for {text.Length} characters");
    }
}
