using JailPS.Core.Config;

namespace JailPS.Core.Tests.Config;

/// <summary>Edits change only the edited statement or block; everything else stays byte for byte.</summary>
public sealed class JailConfEditTests
{
    private static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    private static JailDefinition Jail(JailConfDocument doc, string name)
        => JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(doc.ToString(), null) }).Single(j => j.Name == name);

    [Fact]
    public void SetParameterReplacesTheStatementInPlaceAndKeepsCommentsAndLayout()
    {
        string before = Lines(
            "# jails",
            "/* header",
            "   comment */",
            "",
            "web {                 # the web jail",
            "\t# where it lives",
            "\tpath = \"/old\";   // trailing comment",
            "\thost.hostname = web.local;",
            "\tpersist;",
            "}");
        var doc = JailConfDocument.Parse(before, "/etc/jail.conf");
        doc.SetParameter("web", "path", new[] { "/jails/web" });
        Assert.Equal(before.Replace("\tpath = \"/old\";", "\tpath = \"/jails/web\";"), doc.ToString());
        Assert.Equal(new[] { "/jails/web" }, Jail(doc, "web").Get("path")!.Values);
    }

    [Fact]
    public void SetParameterReplacesTheNoFormAndDeletesLaterDuplicates()
    {
        var doc = JailConfDocument.Parse(Lines(
            "web {",
            "\tpersist;",
            "\tip4.addr = 10.0.0.1;",
            "\tnopersist; # second",
            "\tip4.addr += 10.0.0.2;",
            "}"), null);
        doc.SetParameter("web", "nopersist", null);
        Assert.Equal(Lines(
            "web {",
            "\tnopersist;",
            "\tip4.addr = 10.0.0.1;",
            "\tip4.addr += 10.0.0.2;",
            "}"), doc.ToString());

        doc.SetParameter("web", "ip4.addr", new[] { "10.1.1.1", "10.1.1.2" });
        Assert.Equal(Lines(
            "web {",
            "\tnopersist;",
            "\tip4.addr = 10.1.1.1, 10.1.1.2;",
            "}"), doc.ToString());
        Assert.Equal(new[] { "10.1.1.1", "10.1.1.2" }, Jail(doc, "web").Get("ip4.addr")!.Values);
    }

    [Fact]
    public void SetParameterAppendsWithTheBlocksIndentation()
    {
        var doc = JailConfDocument.Parse(Lines(
            "# c",
            "web {",
            "    path = /x;",
            "}",
            "",
            "  other {",
            "  }"), null);
        doc.SetParameter("web", "persist", Array.Empty<string>());
        doc.SetParameter("other", "exec.start", new[] { "/bin/sh /etc/rc" });
        Assert.Equal(Lines(
            "# c",
            "web {",
            "    path = /x;",
            "    persist;",
            "}",
            "",
            "  other {",
            "  \texec.start = \"/bin/sh /etc/rc\";",
            "  }"), doc.ToString());
    }

    [Fact]
    public void SetParameterOnOneLineBlocks()
    {
        var doc = JailConfDocument.Parse("a { persist; }\nb {}\nc { path = /a; persist; }\n", null);
        doc.SetParameter("a", "path", new[] { "/j" });
        doc.SetParameter("b", "path", new[] { "/j" });
        doc.SetParameter("c", "path", new[] { "/b" });
        Assert.Equal("a { persist; path = \"/j\"; }\nb { path = \"/j\"; }\nc { path = \"/b\"; persist; }\n", doc.ToString());
    }

    [Fact]
    public void SetParameterKeepsCrLfLineEnds()
    {
        var doc = JailConfDocument.Parse("web {\r\n\tpersist;\r\n}\r\n", null);
        doc.SetParameter("web", "path", new[] { "/j" });
        Assert.Equal("web {\r\n\tpersist;\r\n\tpath = \"/j\";\r\n}\r\n", doc.ToString());
    }

    [Fact]
    public void SetParameterInANestedBlock()
    {
        var doc = JailConfDocument.Parse(Lines("web {", "\tsub {", "\t\tpersist;", "\t}", "}"), null);
        doc.SetParameter("web.sub", "path", new[] { "/j/sub" });
        Assert.Equal(Lines("web {", "\tsub {", "\t\tpersist;", "\t\tpath = \"/j/sub\";", "\t}", "}"), doc.ToString());
    }

    [Fact]
    public void SetParameterIgnoresVariablesAndIncludes()
    {
        var doc = JailConfDocument.Parse("web {\n\t$persistx = 1;\n\t.include \"x\";\n}\n", null);
        doc.SetParameter("web", "persist", null);
        Assert.Equal("web {\n\t$persistx = 1;\n\t.include \"x\";\n\tpersist;\n}\n", doc.ToString());
    }

    [Fact]
    public void SetParameterWithoutTheBlockThrows()
    {
        var doc = JailConfDocument.Parse("persist;\nweb { }\n", null);
        Assert.Throws<InvalidOperationException>(() => doc.SetParameter("db", "persist", null));
        Assert.Equal("persist;\nweb { }\n", doc.ToString());
    }

    [Fact]
    public void RemoveParameterRemovesAllFormsAndWholeLines()
    {
        var doc = JailConfDocument.Parse(Lines(
            "web {",
            "\tpersist; # keep running",
            "\tallow.raw_sockets;",
            "\tallow.noraw_sockets;",
            "\tmount.devfs; allow.raw_sockets = 1;",
            "\tallow.mount; allow.raw_sockets; exec.clean;",
            "}"), null);
        Assert.True(doc.RemoveParameter("web", "allow.raw_sockets"));
        Assert.Equal(Lines(
            "web {",
            "\tpersist; # keep running",
            "\tmount.devfs;",
            "\tallow.mount; exec.clean;",
            "}"), doc.ToString());
        Assert.False(doc.RemoveParameter("web", "allow.raw_sockets"));
        Assert.False(doc.RemoveParameter("nothere", "persist"));
    }

    private static readonly string BlocksFile = Lines(
        "# header comment",
        "",
        "# about a",
        "a {",
        "\tpersist;",
        "}",
        "",
        "# about b",
        "// more about b",
        "b {",
        "\tpersist;",
        "} # end b",
        "",
        "# about c (kept: separated by a blank line)",
        "",
        "c {",
        "\tpersist;",
        "}");

    [Fact]
    public void RemoveBlockInTheMiddleTakesItsCommentsAndOneBlankLine()
    {
        var doc = JailConfDocument.Parse(BlocksFile, null);
        Assert.True(doc.RemoveBlock("b"));
        Assert.Equal(Lines(
            "# header comment",
            "",
            "# about a",
            "a {",
            "\tpersist;",
            "}",
            "",
            "# about c (kept: separated by a blank line)",
            "",
            "c {",
            "\tpersist;",
            "}"), doc.ToString());
        Assert.Equal(new[] { "a", "c" }, doc.BlockNames);
    }

    [Fact]
    public void RemoveFirstBlockKeepsTheFileHeader()
    {
        var doc = JailConfDocument.Parse(BlocksFile, null);
        Assert.True(doc.RemoveBlock("a"));
        Assert.StartsWith("# header comment\n\n# about b\n// more about b\nb {\n", doc.ToString());
    }

    [Fact]
    public void RemoveBlockPrefersTheBlankLineBelow()
    {
        var doc = JailConfDocument.Parse("a {\n}\n\nb {\n}\n", null);
        Assert.True(doc.RemoveBlock("a"));
        Assert.Equal("b {\n}\n", doc.ToString());
    }

    [Fact]
    public void RemoveLastBlockKeepsTheUnattachedComment()
    {
        var doc = JailConfDocument.Parse(BlocksFile, null);
        Assert.True(doc.RemoveBlock("c"));
        Assert.EndsWith("} # end b\n\n# about c (kept: separated by a blank line)\n", doc.ToString());
        Assert.False(doc.RemoveBlock("c"));
    }

    [Fact]
    public void RemoveBlockTakesAMultiLineCommentButNotTheStatementBeforeIt()
    {
        var doc = JailConfDocument.Parse("x;\n/*\n * about d\n */\nd {\n}\n", null);
        Assert.True(doc.RemoveBlock("d"));
        Assert.Equal("x;\n", doc.ToString());
    }

    [Fact]
    public void RemoveBlockSharingALineRemovesOnlyTheBlock()
    {
        var doc = JailConfDocument.Parse("# top\nx; d { persist; } y;\n", null);
        Assert.True(doc.RemoveBlock("d"));
        Assert.Equal("# top\nx;  y;\n", doc.ToString());
    }

    [Fact]
    public void RemoveNestedBlock()
    {
        var doc = JailConfDocument.Parse(Lines("web {", "\tpersist;", "", "\t# the child", "\tsub {", "\t}", "}"), null);
        Assert.True(doc.RemoveBlock("web.sub"));
        Assert.Equal(Lines("web {", "\tpersist;", "}"), doc.ToString());
    }

    private static readonly JailConfParameter[] NewJail =
    {
        new("path", "/j/b"),
        new("persist"),
        new("ip4.addr", "10.0.0.1", "10.0.0.2"),
    };

    private const string NewJailText = "b {\n\tpath = \"/j/b\";\n\tpersist;\n\tip4.addr = 10.0.0.1, 10.0.0.2;\n}\n";

    [Theory]
    [InlineData("", NewJailText)]
    [InlineData("a {\n}\n", "a {\n}\n\n" + NewJailText)]
    [InlineData("a {\n}", "a {\n}\n\n" + NewJailText)]
    [InlineData("a {\n}\n\n", "a {\n}\n\n" + NewJailText)]
    [InlineData("a {\n} # end", "a {\n} # end\n\n" + NewJailText)]
    public void AppendBlockSeparatesWithOneBlankLine(string before, string after)
    {
        var doc = JailConfDocument.Parse(before, null);
        doc.AppendBlock("b", NewJail);
        Assert.Equal(after, doc.ToString());
        Assert.True(doc.HasBlock("b"));
        Assert.Equal(new[] { "10.0.0.1", "10.0.0.2" }, Jail(doc, "b").Get("ip4.addr")!.Values);
    }

    [Fact]
    public void AppendBlockUsesCrLfInACrLfFile()
    {
        var doc = JailConfDocument.Parse("a {\r\n}\r\n", null);
        doc.AppendBlock("b", new[] { new JailConfParameter("persist") });
        Assert.Equal("a {\r\n}\r\n\r\nb {\r\n\tpersist;\r\n}\r\n", doc.ToString());
    }

    [Fact]
    public void FormatBlockQuotesWhatNeedsQuoting()
    {
        string text = JailConfWriter.FormatBlock("web", new[]
        {
            new JailConfParameter("path", "/jails/web"),
            new JailConfParameter("persist"),
            new JailConfParameter("ip4.addr", "10.0.0.1", "10.0.0.2"),
            new JailConfParameter("exec.start", "/bin/sh /etc/rc"),
            new JailConfParameter("host.hostname", "$x"),
        });
        Assert.Equal("web {\n\tpath = \"/jails/web\";\n\tpersist;\n\tip4.addr = 10.0.0.1, 10.0.0.2;\n"
                     + "\texec.start = \"/bin/sh /etc/rc\";\n\thost.hostname = \"\\$x\";\n}\n", text);
    }

    [Fact]
    public void PartialWildcardBlocksAreWrittenQuoted()
    {
        Assert.Equal("\"web.*\" {\n\tsecurelevel = 3;\n}\n",
            JailConfWriter.FormatBlock("web.*", new[] { new JailConfParameter("securelevel", "3") }));
        Assert.Equal("* {\n}\n", JailConfWriter.FormatBlock("*", Array.Empty<JailConfParameter>()));
        var doc = JailConfDocument.Parse("web.a { }\n", null);
        doc.AppendBlock("web.*", new[] { new JailConfParameter("securelevel", "3") });
        Assert.Equal(new[] { "3" }, Jail(doc, "web.a").Get("securelevel")!.Values);
    }

    [Theory]
    [InlineData("abc", "abc")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("em0|10.0.0.1", "em0|10.0.0.1")]
    [InlineData("", "\"\"")]
    [InlineData("a b", "\"a b\"")]
    [InlineData("/jails/x", "\"/jails/x\"")]
    [InlineData("10.0.0.1/24", "\"10.0.0.1/24\"")]
    [InlineData("*", "\"*\"")]
    [InlineData("a\"b", "\"a\\\"b\"")]
    [InlineData("a\\b", "\"a\\\\b\"")]
    [InlineData("$HOME", "\"\\$HOME\"")]
    [InlineData("l1\nl2\tx\r", "\"l1\\nl2\\tx\\r\"")]
    [InlineData("\u0001\u007f", "\"\\001\\177\"")]
    [InlineData("café", "\"café\"")]
    public void FormatValueExamples(string value, string expected) => Assert.Equal(expected, JailConfWriter.FormatValue(value));
}
