using CsCheck;
using JailPS.Core.Config;

namespace JailPS.Core.Tests.Config;

/// <summary>
/// Garbage in, only <see cref="JailConfException"/> out: parsing, evaluating and editing whatever
/// parses must never fail any other way (bounded iterations, fast).
/// </summary>
public sealed class JailConfFuzzTests
{
    private const string Alphabet = "\"'\\$ \t\r\n{};,=+#/*abcx.01_-é\u0001";

    private static void Exercise(string text)
    {
        JailConfDocument doc;
        try
        {
            doc = JailConfDocument.Parse(text, "/fuzz.conf");
        }
        catch (JailConfException e)
        {
            Assert.StartsWith("/fuzz.conf:", e.Message);
            Assert.True(e.Line >= 1 && e.Column >= 1, "a parse error has a position");
            return;
        }
        Assert.Equal(text, doc.ToString());
        try
        {
            var jails = JailConfLoader.Evaluate(new[] { doc });
            JailEFormatter.Format(jails, "\t");
        }
        catch (JailConfException)
        {
        }
        // Editing whatever parsed keeps it parseable.
        foreach (var name in doc.BlockNames.Distinct().Take(2).ToList())
        {
            if (!doc.HasBlock(name)) continue; // removed along with its parent block
            doc.SetParameter(name, "fuzz.param", new[] { "v a l" });
            doc.SetParameter(name, "nofuzz.flag", null);
            Assert.True(doc.RemoveParameter(name, "fuzz.flag"));
            Assert.True(doc.RemoveBlock(name));
        }
        doc.AppendBlock("fuzzed", new[] { new JailConfParameter("persist") });
        Assert.True(JailConfDocument.Parse(doc.ToString(), null).HasBlock("fuzzed"));
    }

    [Fact]
    public void RandomTokenSoup()
        => Gen.String[Gen.Char[Alphabet], 0, 80].Sample(Exercise, iter: 4000);

    [Fact]
    public void RandomBytes()
        => Gen.Byte.Array[0, 120].Sample(b => Exercise(System.Text.Encoding.Latin1.GetString(b)), iter: 2000);

    [Fact]
    public void MutatedTour()
    {
        string tour = JailConfGrammarTests.Tour;
        var mutations =
            from count in Gen.Int[1, 4]
            from edits in Gen.Select(Gen.Int[0, tour.Length], Gen.Int[0, 12], Gen.String[Gen.Char[Alphabet], 0, 4]).Array[count]
            select edits;
        mutations.Sample(edits =>
        {
            string text = tour;
            foreach (var (at, delete, insert) in edits)
            {
                int start = Math.Min(at, text.Length);
                int length = Math.Min(delete, text.Length - start);
                text = text.Remove(start, length).Insert(start, insert);
            }
            Exercise(text);
        }, iter: 1500);
    }
}
