using System.Text;
using CsCheck;
using JailPS.Core.Config;

namespace JailPS.Core.Tests.Config;

/// <summary>
/// Reading jail.conf costs time and memory linear in the input. For each family of generated
/// inputs (sizes drawn by CsCheck), the work the engine counts (<see cref="JailConfBudget.Used"/>:
/// characters examined, built and copied) and the bytes it allocates on this thread are measured
/// for size n and 4n: linear growth gives about 4x, quadratic 16x, exponential more. Nothing
/// here reads a clock.
/// </summary>
public sealed class JailConfScalingTests
{
    /// <summary>What 4x the input may cost at most: 4x plus slack for fixed costs and rounding.</summary>
    private const double MaxRatio = 6.0;

    private static (long Work, long Bytes, string Outcome) Measure(string text)
    {
        var fs = new InMemoryHostFileSystem().Add("/etc/jail.conf", text);
        var budget = new JailConfBudget();
        long before = GC.GetAllocatedBytesForCurrentThread();
        string outcome;
        try
        {
            JailConfLoader.Load(fs, new[] { "/etc/jail.conf" }, budget);
            outcome = "evaluated";
        }
        catch (JailConfException e)
        {
            outcome = e.ErrorId;
        }
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        return (budget.Used, bytes, outcome);
    }

    internal static void AssertLinear(string shape, Func<int, string> generate, int n)
    {
        string small = generate(n), large = generate(4 * n);
        Measure(small); // warm up: the first run JIT-compiles and fills caches
        var a = Measure(small);
        var b = Measure(large);
        Assert.True(a.Outcome == b.Outcome, $"{shape}: {a.Outcome} for n = {n} but {b.Outcome} for 4n");
        double work = (double)b.Work / a.Work, bytes = (double)b.Bytes / a.Bytes;
        Assert.True(work <= MaxRatio,
            $"{shape}: work grew {work:0.0}x ({a.Work} -> {b.Work}) from {small.Length} to {large.Length} characters of input ({a.Outcome})");
        Assert.True(bytes <= MaxRatio,
            $"{shape}: allocation grew {bytes:0.0}x ({a.Bytes} -> {b.Bytes} bytes) from {small.Length} to {large.Length} characters of input ({a.Outcome})");
    }

    // ---- the families; each takes the size n and a seed for its incidental choices --------------

    private static string Repeat(int n, Func<int, string> item)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.Append(item(i));
        return sb.ToString();
    }

    /// <summary>Blocks nested n deep (past the nesting limit, so this measures how quickly it is refused).</summary>
    internal static string DeepNesting(int n, int seed)
        => Repeat(n, i => (seed % 2 == 0 ? "a" : "jail" + i) + " {") + Repeat(n, _ => "}") + "\n";

    /// <summary>n groups of blocks nested a few levels, as hierarchical jails are written.</summary>
    internal static string NestedGroups(int n, int seed)
        => Repeat(n, i => $"g{i} {{ host.hostname = g{i}; c{seed % 7} {{ d {{ persist; path = \"/j/$name\"; }} }} }}\n");

    /// <summary>Global defaults with variables, a wildcard block, and n jails.</summary>
    internal static string ManyJails(int n, int seed)
        => "$base = /usr/jails;\npath = \"$base/$name\";\nexec.start = \"/bin/sh /etc/rc\";\nmount.devfs;\n"
           + Repeat(n, i => $"web{i} {{ host.hostname = \"web{i}.example.org\"; ip4.addr = 10.{seed % 200}.{i / 250 % 250}.{i % 250}; }}\n")
           + "* { exec.clean; persist; }\n";

    /// <summary>n variables, each defined by the next one, so every one must move before its user (config.c's reordering).</summary>
    internal static string BackwardVariableChain(int n, int seed)
        => "j {\n\tp = \"${v0}\";\n" + Repeat(n, i => $"\t$v{i} = \"${{v{i + 1}}}\";\n") + $"\t$v{n} = x{seed % 10};\n}}\n";

    /// <summary>n variables, each defined by the previous one.</summary>
    internal static string ForwardVariableChain(int n, int seed)
        => $"$v0 = x{seed % 10};\n" + Repeat(n, i => $"$v{i + 1} = \"${{v{i}}}\";\n") + $"j {{ p = \"${{v{n}}}\"; }}\n";

    /// <summary>One double-quoted string of n variables between text (lexing and substitution both).</summary>
    internal static string LongStringOfVariables(int n, int seed)
        => "$v = yz;\nj { p = \"" + Repeat(n, i => i % 3 == seed % 3 ? "a$v" : "b${v}c") + "\"; }\n";

    /// <summary>Long literal strings with escapes, in every quoting.</summary>
    internal static string LongStrings(int n, int seed)
        => "j {\n\tp = \"" + Repeat(n, i => "ab\\n\\t\\101 ") + "\";\n\tq = '" + Repeat(n, i => "c\\'d\\\\ ") + "';\n\tr = "
           + Repeat(n, i => "e\\ f") + ";\n\t# " + Repeat(n, _ => "x") + "\n}\n";

    /// <summary>n appends to one parameter, inside a jail and at file level.</summary>
    internal static string ManyAppends(int n, int seed)
        => Repeat(n / 2, i => $"exec.start += \"echo {i}\";\n")
           + "j {\n" + Repeat(n / 2, i => $"\tip4.addr += 10.0.{i / 250 % 250}.{(i + seed) % 250};\n") + "}\n";

    /// <summary>n different parameters in one jail (add_param()'s "seen already?" for each).</summary>
    internal static string ManyParameters(int n, int seed)
        => "j {\n" + Repeat(n, i => (i % 5 == seed % 5 ? $"\tallow.nop{i};\n" : $"\tp{i}.x = {i};\n")) + "}\n";

    /// <summary>n values substituting a two-element list.</summary>
    internal static string ManyArraySubstitutions(int n, int seed)
        => $"$a = x{seed % 10}, y;\nj {{ p = " + string.Join(", ", Enumerable.Repeat("$a", n)) + "; }\n";

    /// <summary>A parameter referring to n different variables.</summary>
    internal static string ManyVariablesReferenced(int n, int seed)
        => Repeat(n, i => $"$v{i} = \"${{w}}{i}\";\n") + $"$w = q{seed % 10};\nj {{ p = " + string.Join(", ", Enumerable.Range(0, n).Select(i => $"\"$v{i}\"")) + "; }\n";

    /// <summary>Doubling variables ($a2 = "${a1}${a1}", ...): exponential in jail(8); refused at the value limit here.</summary>
    internal static string DoublingVariables(int n, int seed)
        => $"$a0 = \"x{seed % 10}\";\n" + Repeat(n, i => $"$a{i + 1} = \"${{a{i}}}${{a{i}}}\";\n") + $"j {{ path = \"/j/${{a{n}}}\"; }}\n";

    private static readonly (string Name, Func<int, int, string> Generate, int N)[] Families =
    {
        ("deep nesting", DeepNesting, 3000),
        ("nested groups", NestedGroups, 300),
        ("many jails", ManyJails, 300),
        ("backward variable chain", BackwardVariableChain, 1500),
        ("forward variable chain", ForwardVariableChain, 1500),
        ("long string of variables", LongStringOfVariables, 3000),
        ("long strings", LongStrings, 3000),
        ("many appends", ManyAppends, 2000),
        ("many parameters", ManyParameters, 2000),
        ("many array substitutions", ManyArraySubstitutions, 2000),
        ("many variables referenced", ManyVariablesReferenced, 1500),
        ("doubling variables", DoublingVariables, 40),
    };

    public static IEnumerable<object[]> FamilyNames() => Families.Select(f => new object[] { f.Name });

    [Theory]
    [MemberData(nameof(FamilyNames))]
    public void WorkAndMemoryGrowLinearly(string family)
    {
        var (name, generate, n) = Families.Single(f => f.Name == family);
        // CsCheck draws the size (n to 2n) and the seed for each family's incidental choices.
        Gen.Select(Gen.Int[n, 2 * n], Gen.Int[0, 1000]).Sample((size, seed) => AssertLinear(name, k => generate(k, seed), size), iter: 3);
    }
}
