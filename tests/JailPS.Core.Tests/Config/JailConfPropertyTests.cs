using System.Text;
using CsCheck;
using JailPS.Core.Config;

namespace JailPS.Core.Tests.Config;

/// <summary>Property-based tests (CsCheck) for the writer, the lossless tree and the editor.</summary>
public sealed class JailConfPropertyTests
{
    /// <summary>Characters that matter to the lexer, plus ordinary, control and non-ASCII ones.</summary>
    private const string Tricky = "\"'\\$ \t\r\n{};,=+#/*{}abcXYZ019._-:|[]!%&()<>?@^`~\u0001\u007f\u00e9\u20ac";

    private static readonly Gen<string> AnyValue = Gen.OneOf(
        Gen.String.Where(s => s.IndexOf('\0') < 0),
        Gen.String[Gen.Char[Tricky], 0, 24]);

    private static string ValueOf(string statementValueText)
    {
        var doc = JailConfDocument.Parse("j { p = " + statementValueText + "; }\n", null);
        return Assert.Single(Assert.Single(JailConfLoader.Evaluate(new[] { doc })).Get("p")!.Values);
    }

    [Fact]
    public void FormatValueRoundTripsThroughTheLexer()
        => AnyValue.Sample(s => Assert.Equal(s, ValueOf(JailConfWriter.FormatValue(s))), iter: 2000);

    [Fact]
    public void FormattedJailNamesReadBackAsBlockNames()
        => Gen.String[Gen.Char[Tricky], 1, 16].Sample(s =>
        {
            var doc = JailConfDocument.Parse(JailConfWriter.FormatJailName(s) + " {\n}\n", null);
            Assert.Equal(s, Assert.Single(doc.BlockNames));
        }, iter: 1000);

    [Fact]
    public void BareTokensAreSingleTokens()
        => Gen.String[Gen.Char["abc.-_:09|[]@%"], 1, 10].Sample(s =>
        {
            Assert.True(JailConfWriter.IsBareToken(s));
            Assert.Equal(s, JailConfWriter.FormatValue(s));
            // A bare token works as a parameter name too.
            var doc = JailConfDocument.Parse("j { " + s + "x = 1; }\n", null);
            Assert.NotNull(Assert.Single(JailConfLoader.Evaluate(new[] { doc })).Get(s + "x"));
        }, iter: 500);

    // ---- generated documents ---------------------------------------------------------------------

    /// <summary>A generated document and what it must evaluate to.</summary>
    internal sealed record GenDoc(string Text, List<string> Names, List<string> Values, List<(int Start, int End)> Statements)
    {
        public override string ToString() => Text;
    }

    private static readonly string[] Trivia =
    {
        " ", "\t", "\n", "\r\n", "# a comment\n", "// another\n", "/* multi\n * line */", "\n\n", "  ", "/**/",
    };

    /// <summary>
    /// Generated values may contain this text; the document defines $v as exactly this text, so a
    /// spelling that writes it as "${v}" must evaluate to the same value as one that writes it out.
    /// </summary>
    private const string VariableValue = "<v>";

    /// <summary>Writes a value in one of several spellings that all mean <paramref name="value"/>.</summary>
    private static string Spell(string value, Random r)
    {
        switch (r.Next(5))
        {
            case 0:
            {
                // single quotes: only backslash and the quote need escaping, even newlines may stay raw
                var sb = new StringBuilder("'");
                foreach (char c in value)
                    sb.Append(c is '\\' or '\'' ? "\\" + c : c.ToString());
                return sb.Append('\'').ToString();
            }
            case 1 when value.Length > 0:
            {
                int k = r.Next(value.Length + 1);
                return JailConfWriter.FormatValue(value.Substring(0, k)) + JailConfWriter.FormatValue(value.Substring(k));
            }
            case 2 when value.Contains(VariableValue, StringComparison.Ordinal):
            {
                int k = value.IndexOf(VariableValue, StringComparison.Ordinal);
                string before = JailConfWriter.FormatValue(value.Substring(0, k));
                string after = JailConfWriter.FormatValue(value.Substring(k + VariableValue.Length));
                return before + "${v}" + after;
            }
            default:
                return JailConfWriter.FormatValue(value);
        }
    }

    private static string Pad(Random r)
    {
        var sb = new StringBuilder();
        for (int i = r.Next(3); i > 0; i--) sb.Append(Trivia[r.Next(Trivia.Length)]);
        return sb.ToString();
    }

    internal static GenDoc BuildDocument(int seed, string[] values)
    {
        var r = new Random(seed);
        var sb = new StringBuilder();
        var names = new List<string>();
        var statements = new List<(int, int)>();
        sb.Append(Pad(r)).Append("$v = \"").Append(VariableValue).Append("\";").Append(Pad(r)).Append('\n');
        if (r.Next(2) == 0) sb.Append("exec.clean;").Append(Pad(r)).Append('\n');
        for (int i = 0; i < values.Length; i++)
        {
            string name = r.Next(4) == 0 ? "jail \"" + i + "\" x" : "j" + i;
            names.Add(name);
            sb.Append(JailConfWriter.FormatJailName(name)).Append(Pad(r)).Append('{').Append(Pad(r));
            if (r.Next(3) == 0) sb.Append("\n\t;");
            sb.Append(r.Next(2) == 0 ? "\n\t" : " ");
            int start = sb.Length;
            sb.Append('p').Append(r.Next(3) == 0 ? " " : " = ").Append(Spell(values[i], r)).Append(';');
            statements.Add((start, sb.Length));
            sb.Append(Pad(r)).Append(r.Next(2) == 0 ? "\n" : " ").Append('}').Append(Pad(r)).Append('\n');
        }
        return new GenDoc(sb.ToString(), names, values.ToList(), statements);
    }

    private static readonly Gen<string> DocValue = Gen.OneOf(
        Gen.String[Gen.Char[Tricky], 0, 12],
        Gen.String[Gen.Char[Tricky], 0, 6].Select(s => s + VariableValue));

    private static readonly Gen<GenDoc> Documents =
        Gen.Select(Gen.Int, DocValue.Array[0, 6], BuildDocument);

    [Fact]
    public void ParseToStringIsTheIdentityAndTheTreeMatchesTheGenerator()
        => Documents.Sample(d =>
        {
            var doc = JailConfDocument.Parse(d.Text, "/etc/jail.conf");
            Assert.Equal(d.Text, doc.ToString());
            Assert.Equal(d.Names, doc.BlockNames);
            var jails = JailConfLoader.Evaluate(new[] { doc });
            Assert.Equal(d.Names, jails.Select(j => j.Name));
            for (int i = 0; i < jails.Count; i++)
                Assert.Equal(new[] { d.Values[i] }, jails[i].Get("p")!.Values);
        }, iter: 500);

    private static readonly Gen<(GenDoc Doc, int Block, bool Existing, string[] Values)> Edits =
        from d in Documents.Where(d => d.Names.Count > 0)
        from block in Gen.Int[0, d.Names.Count - 1]
        from existing in Gen.Bool
        from values in AnyValue.Array[0, 3]
        select (d, block, existing, values);

    private static bool IsSubsequence(string small, string big)
    {
        int i = 0;
        foreach (char c in big)
            if (i < small.Length && small[i] == c) i++;
        return i == small.Length;
    }

    [Fact]
    public void SetParameterThenEvaluateGivesTheNewValueAndTouchesNothingElse()
        => Edits.Sample(e =>
        {
            var (d, block, existing, values) = e;
            var doc = JailConfDocument.Parse(d.Text, null);
            string name = existing ? "p" : "q";
            doc.SetParameter(d.Names[block], name, values);
            string text = doc.ToString();
            string statement = JailConfWriter.FormatStatement(name, values);
            if (existing)
            {
                var (start, end) = d.Statements[block];
                Assert.Equal(d.Text.Substring(0, start) + statement + d.Text.Substring(end), text);
            }
            else
            {
                Assert.Contains(statement, text);
                Assert.True(IsSubsequence(d.Text, text), "appending may only insert text");
            }
            var jails = JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(text, null) });
            for (int i = 0; i < jails.Count; i++)
            {
                if (i == block)
                    Assert.Equal(values, jails[i].Get(name)!.Values);
                else
                    Assert.Null(jails[i].Get("q"));
                if (i != block || !existing)
                    Assert.Equal(new[] { d.Values[i] }, jails[i].Get("p")!.Values);
            }
        }, iter: 400);

    [Fact]
    public void RemoveBlockLeavesTheOtherJailsIntact()
        => Edits.Sample(e =>
        {
            var (d, block, _, _) = e;
            var doc = JailConfDocument.Parse(d.Text, null);
            Assert.True(doc.RemoveBlock(d.Names[block]));
            Assert.True(IsSubsequence(doc.ToString(), d.Text), "removing may only delete text");
            var expected = d.Names.Where(n => n != d.Names[block]).ToList();
            Assert.Equal(expected, JailConfLoader.Evaluate(new[] { doc }).Select(j => j.Name));
        }, iter: 300);
}
