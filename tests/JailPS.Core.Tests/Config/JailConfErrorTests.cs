using JailPS.Core.Config;

namespace JailPS.Core.Tests.Config;

/// <summary>Every error kind with its id, file, line and column.</summary>
public sealed class JailConfErrorTests
{
    private const string File = "/etc/jail.conf";

    private static JailConfException ParseError(string text)
        => Assert.Throws<JailConfException>(() => JailConfDocument.Parse(text, File));

    /// <summary>
    /// jail(8) warns about an evaluation problem and marks that jail failed, and goes on: the first
    /// warning of <paramref name="jail"/>, which must be failed, while every other jail is not.
    /// </summary>
    private static JailConfException EvalError(string text, string jail = "foo")
    {
        bool wildcard = text.StartsWith("*", StringComparison.Ordinal); // a failing wildcard fails every jail it matches
        var defs = JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(text + (wildcard ? "" : "good { persist; }\n"), File) });
        if (!wildcard) Assert.False(defs.Single(d => d.Name == "good").IsFailed);
        var failed = defs.Single(d => d.Name == jail);
        Assert.True(failed.IsFailed);
        return failed.Warnings[0];
    }

    private static string Evaluated(string text)
        => JailEFormatter.Format(JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(text, File) }), " ");

    private static void AssertAt(JailConfException e, string id, int line, int column, string? file = File)
    {
        Assert.Equal(id, e.ErrorId);
        Assert.Equal(file, e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal(column, e.Column);
        Assert.StartsWith((file ?? "<string>") + ":" + line + ":" + column + ": ", e.Message);
    }

    [Fact]
    public void UnterminatedDoubleQuotedString()
        => AssertAt(ParseError("foo {\n\tpath = \"/x;\n}\n"), "JailConfUnterminatedString", 2, 9);

    [Fact]
    public void UnterminatedSingleQuotedString()
        => AssertAt(ParseError("x = 'abc\n"), "JailConfUnterminatedString", 1, 5);

    [Fact]
    public void BackslashBeforeTheEndDoesNotCloseAString()
        => AssertAt(ParseError("a;\nx = \"abc\\\""), "JailConfUnterminatedString", 2, 5);

    [Fact]
    public void UnterminatedComment()
    {
        // jail(8) reports the end of the file (jaillex.l's comment rule runs to it); the start is in the message.
        var e = ParseError("a;\n  /* never closed\n b;\n");
        AssertAt(e, "JailConfUnterminatedComment", 4, 1);
        Assert.Contains("begins at line 2, column 3", e.Message);
    }

    [Fact]
    public void UnterminatedBracedVariableInsideDoubleQuotes()
        => AssertAt(ParseError("path = \"${name\";\n"), "JailConfUnterminatedVariable", 1, 9);

    [Fact]
    public void UnterminatedBracedVariableUnquoted()
        => AssertAt(ParseError("a;\npath = ${name\n;\n"), "JailConfUnterminatedVariable", 2, 8);

    [Fact]
    public void MissingSemicolonBeforeClosingBrace()
        => AssertAt(ParseError("foo {\n\tpersist\n}\n"), "JailConfMissingSemicolon", 3, 1); // jail(8): the line of the '}'


    [Fact]
    public void MissingSemicolonBeforeTheNextStatement()
    {
        var e = ParseError("foo {\n\tpath = \"/x\"\n\tpersist;\n}\n");
        AssertAt(e, "JailConfMissingSemicolon", 3, 2); // jail(8): "line 3: persist: syntax error"
        Assert.Contains("the statement begins at line 2, column 2", e.Message);
        Assert.Contains("\"path\"", e.Message);
    }

    [Fact]
    public void MissingSemicolonAfterABareNameBeforeAnAssignment()
        => AssertAt(ParseError("foo {\n\tpersist\n\tpath = \"/x\";\n}\n"), "JailConfMissingSemicolon", 3, 7);

    [Fact]
    public void MissingSemicolonAtEndOfFile()
        => AssertAt(ParseError("exec.clean"), "JailConfMissingSemicolon", 1, 11);

    [Fact]
    public void MissingClosingBraceReportsTheOpenBlock()
    {
        var e = ParseError("a { persist; }\n\n  web {\n\tpersist;\n");
        AssertAt(e, "JailConfMissingBrace", 3, 3);
        Assert.Contains("\"web\"", e.Message);
    }

    [Fact]
    public void StrayClosingBrace()
        => AssertAt(ParseError("persist;\n}\n"), "JailConfSyntaxError", 2, 1);

    [Fact]
    public void BlockWithoutAName()
        => AssertAt(ParseError("\n{ persist; }\n"), "JailConfSyntaxError", 2, 1);

    [Fact]
    public void StrayCharacterInAnUnquotedValue()
        => AssertAt(ParseError("foo { path = /jails/é; }\n"), "JailConfSyntaxError", 1, 21);

    [Fact]
    public void ValueMissingAfterEquals()
        => AssertAt(ParseError("foo {\n  path = ;\n}\n"), "JailConfSyntaxError", 2, 10);

    [Fact]
    public void TrailingCommaInAList()
        => AssertAt(ParseError("ip4.addr = 10.0.0.1, ;\n"), "JailConfSyntaxError", 1, 22);

    [Fact]
    public void UnquotedPartialWildcardIsNotABlockName()
        // jaillex.l splits "foo.*" into "foo." and "*"; the block name must be quoted.
        => AssertAt(ParseError("foo.* {\n}\n"), "JailConfSyntaxError", 1, 5);

    [Fact]
    public void VariableAsBlockName()
        => AssertAt(ParseError("$x { }\n"), "JailConfSyntaxError", 1, 1);

    [Fact]
    public void IncludeWithAVariable()
        => AssertAt(ParseError(".include \"$dir/x.conf\";\n"), "JailConfIncludeVariable", 1, 11);

    [Fact]
    public void ErrorWithoutPathUsesAPlaceholder()
    {
        var e = Assert.Throws<JailConfException>(() => JailConfDocument.Parse("}", null));
        AssertAt(e, "JailConfSyntaxError", 1, 1, null);
    }

    [Fact]
    public void UndefinedVariable()
    {
        var e = EvalError("foo {\n\tpath = \"/j/$nope\";\n}\n");
        AssertAt(e, "JailConfUndefinedVariable", 2, 13);
        Assert.Contains("foo: path: variable \"nope\" not found", e.Message);
    }

    [Fact]
    public void VariableWithoutValueIsUndefined()
        => AssertAt(EvalError("foo {\n\tpersist;\n\tx = $persist;\n}\n"), "JailConfUndefinedVariable", 3, 6);

    [Fact]
    public void VariableLoop()
    {
        var e = EvalError("foo {\n\t$a = \"$b\";\n\t$b = \"x$a\";\n}\n");
        AssertAt(e, "JailConfVariableLoop", 3, 9);
        Assert.Contains("variable loop", e.Message);
    }

    [Fact]
    public void SelfReferenceIsALoop()
        => AssertAt(EvalError("foo { path = \"$path\"; }\n"), "JailConfVariableLoop", 1, 15);

    [Fact]
    public void ListSubstitutedInsideAString()
        => AssertAt(EvalError("foo {\n\t$l = a, b;\n\tx = \"pre-$l\";\n}\n"), "JailConfArrayInline", 3, 11);

    [Fact]
    public void VariableNamedLikeAParameter()
        => AssertAt(EvalError("foo {\n\t$path = \"/x\";\n}\n"), "JailConfVariableConflict", 2, 2);

    [Fact]
    public void VariableAndParameterWithTheSameName()
        => AssertAt(EvalError("foo {\n\tcolor = red;\n\t$color = blue;\n}\n"), "JailConfVariableConflict", 3, 2);

    [Fact]
    public void NameCannotBeRedefined()
    {
        var e = EvalError("foo {\n\tname = \"bar\";\n}\n");
        AssertAt(e, "JailConfImmutableParameter", 2, 2);
        Assert.Contains("cannot redefine parameter \"name\"", e.Message);
    }

    [Fact]
    public void JidCannotBeRedefinedForANumericBlock()
        => AssertAt(EvalError("5 {\n\tjid = 6;\n}\n", "5"), "JailConfImmutableParameter", 2, 2);

    [Theory]
    // The values jail(8) gives a failed jail (config.c load_config and add_param): a failed
    // substitution leaves the variable out, a refused definition is dropped.
    [InlineData("foo { path = \"/j/$nope/x\"; }\n", "name=foo path=/j//x\n")]
    [InlineData("foo { $a = \"$b\"; $b = \"x$a\"; host.hostname = \"h$a\"; }\n", "name=foo host.hostname=h\n")] // $a refers to the bad $b: left out too
    [InlineData("foo { $l = a, b; x = \"pre-$l\"; y = $l; }\n", "name=foo x=pre- y=a,b\n")]
    [InlineData("foo { name = bar; persist; }\n", "name=foo persist\n")]
    [InlineData("foo { $path = \"/x\"; persist; }\n", "name=foo persist\n")]
    [InlineData("5 { jid = 6; persist; }\n", "persist name=5\n")]
    [InlineData("foo { path = \"$path\"; }\n", "name=foo path=\"\"\n")]
    public void A_failed_jail_keeps_the_values_jail_8_gives_it(string text, string expected)
        => Assert.Equal(expected, Evaluated(text));

    [Fact]
    public void EvaluationErrorInAWildcardReportsTheWildcardStatement()
        => AssertAt(EvalError("* {\n\texec.start = \"$missing\";\n}\nfoo { }\n"), "JailConfUndefinedVariable", 2, 16);

    [Fact]
    public void ApiRejectsBadNamesAndValues()
    {
        Assert.Equal("JailConfInvalidValue", Assert.Throws<JailConfException>(() => JailConfWriter.FormatValue("a\0b")).ErrorId);
        Assert.Equal("JailConfInvalidName", Assert.Throws<JailConfException>(() => JailConfWriter.FormatBlock("", Array.Empty<JailConfParameter>())).ErrorId);
        var doc = JailConfDocument.Parse("foo { }\n", null);
        Assert.Equal("JailConfInvalidName", Assert.Throws<JailConfException>(() => doc.SetParameter("foo", "", null)).ErrorId);
        Assert.Equal("JailConfInvalidName", Assert.Throws<JailConfException>(() => doc.SetParameter("foo", "$x", null)).ErrorId);
        Assert.Equal("JailConfInvalidName", Assert.Throws<JailConfException>(() => doc.SetParameter("foo", ".include", new[] { "x" })).ErrorId);
        var api = Assert.Throws<JailConfException>(() => JailConfWriter.FormatValue("\0"));
        Assert.StartsWith("<string>:0:0: ", api.Message);
    }
}
