using JailPS.Core.Config;

namespace JailPS.Core.Tests.Config;

/// <summary>One jail.conf using every construct of the grammar, evaluated as jail(8) would.</summary>
public sealed class JailConfGrammarTests
{
    /// <summary>The tour file. Expected results are worked out by hand from usr.sbin/jail/config.c.</summary>
    internal static readonly string Tour = string.Join("\n", new[]
    {
        "# JailPS grammar tour: every construct jail.conf(5) allows",           // 1  shell comment
        "// a C++ style comment",                                               // 2
        "/* a C style comment",                                                 // 3
        "   spanning two lines */",                                             // 4
        "",                                                                     // 5
        "$base = \"/usr/jails\";",                                              // 6  variable, outside blocks
        "exec.start = \"/bin/sh /etc/rc\";",                                    // 7  implicit "*" jail
        "exec.stop = '/bin/sh /etc/rc.shutdown jail';",                         // 8  single quotes
        "exec.clean;",                                                          // 9  bare boolean
        "mount.devfs;",                                                         // 10
        "path = \"$base/$name\";",                                              // 11 variable + parameter
        "host.hostname = \"${name}.example.org\";",                             // 12 braced variable
        ";",                                                                    // 13 empty statement
        ".include \"/etc/jail.conf.d/*.conf\";",                                // 14 include (glob)
        "",
        "\"*\" {",                                                              // 16 quoted wildcard block
        "\tallow.raw_sockets = \"true\";",                                      // 17 param = "true"
        "\tsecurelevel = 2;",
        "}",
        "",
        "web {",                                                                // 21
        "\t$ips = 10.0.0.1, 10.0.0.2;",                                         // 22 list variable
        "\tip4.addr = $ips;",                                                   // 23 list substituted whole
        "\tip4.addr += 10.0.0.3;",                                              // 24 +=
        "\tallow.nomount;",                                                     // 25 "no" form
        "\tpersist;",                                                           // 26
        "\tnopersist;",                                                         // 27 replaces persist
        "\texec.poststart = \"echo '${host.hostname}' up\", 'echo $name';",     // 28 dotted var; no expansion in ''
        "\tmount.fstab /etc/fstab.$name;",                                      // 29 value without '='
        "\tdevfs_ruleset = 1\\",                                                // 30 backslash-newline in a token
        "0;",
        "\texec.prestart = \"printf \\\"a\\tb\\\\n\\\" \\$HOME \\101\\x42\\a\\b\\f\\n\\r\\t\\v\";", // 32 escapes
        "\tosrelease = \"14.2-\"RELEASE'-p'1;",                                 // 33 adjacent pieces
        "\tsub {",                                                              // 34 nested block -> web.sub
        "\t\tpersist;",
        "\t}",
        "}",
        "",
        "\"web.*\" {",                                                          // 39 partial wildcard (quoted)
        "\tsecurelevel = 3;",
        "\tallow.mount;",
        "}",
        "",
        "7 {",                                                                  // 44 numeric name -> jid
        "\thost.hostname = \"seven\";",
        "\tpath = \"/j//seven\"; // a comment after a value holding //",
        "}",
        "",
        "* {",                                                                  // 49 wildcard below: applies last
        "\tstop.timeout = 30;",
        "}",
        "",
    });

    private static readonly (string Name, string[] Values)[] ExpectedWeb =
    {
        ("name", new[] { "web" }),
        ("exec.start", new[] { "/bin/sh /etc/rc" }),
        ("exec.stop", new[] { "/bin/sh /etc/rc.shutdown jail" }),
        ("exec.clean", Array.Empty<string>()),
        ("mount.devfs", Array.Empty<string>()),
        ("path", new[] { "/usr/jails/web" }),
        ("host.hostname", new[] { "web.example.org" }),
        ("allow.raw_sockets", new[] { "true" }),
        ("securelevel", new[] { "2" }),
        ("ip4.addr", new[] { "10.0.0.1", "10.0.0.2", "10.0.0.3" }),
        ("allow.nomount", Array.Empty<string>()),
        ("nopersist", Array.Empty<string>()),
        ("exec.poststart", new[] { "echo 'web.example.org' up", "echo $name" }),
        ("mount.fstab", new[] { "/etc/fstab.web" }),
        ("devfs_ruleset", new[] { "10" }),
        ("exec.prestart", new[] { "printf \"a\tb\\n\" $HOME AB\a\b\f\n\r\t\v" }),
        ("osrelease", new[] { "14.2-RELEASE-p1" }),
        ("stop.timeout", new[] { "30" }),
    };

    private static readonly (string Name, string[] Values)[] ExpectedWebSub =
    {
        ("name", new[] { "web.sub" }),
        ("exec.start", new[] { "/bin/sh /etc/rc" }),
        ("exec.stop", new[] { "/bin/sh /etc/rc.shutdown jail" }),
        ("exec.clean", Array.Empty<string>()),
        ("mount.devfs", Array.Empty<string>()),
        ("path", new[] { "/usr/jails/web.sub" }),
        ("host.hostname", new[] { "web.sub.example.org" }),
        ("allow.raw_sockets", new[] { "true" }),
        ("securelevel", new[] { "3" }),
        ("persist", Array.Empty<string>()),
        ("allow.mount", Array.Empty<string>()),
        ("stop.timeout", new[] { "30" }),
    };

    private static readonly (string Name, string[] Values)[] ExpectedSeven =
    {
        ("jid", new[] { "7" }),
        ("exec.start", new[] { "/bin/sh /etc/rc" }),
        ("exec.stop", new[] { "/bin/sh /etc/rc.shutdown jail" }),
        ("exec.clean", Array.Empty<string>()),
        ("mount.devfs", Array.Empty<string>()),
        ("path", new[] { "/j//seven" }),
        ("host.hostname", new[] { "seven" }),
        ("allow.raw_sockets", new[] { "true" }),
        ("securelevel", new[] { "2" }),
        ("stop.timeout", new[] { "30" }),
        ("name", new[] { "7" }),
    };

    internal const string ExpectedShow =
        "name=web exec.start=\"/bin/sh /etc/rc\" exec.stop=\"/bin/sh /etc/rc.shutdown jail\" exec.clean mount.devfs"
        + " path=/usr/jails/web host.hostname=web.example.org allow.raw_sockets=true securelevel=2"
        + " ip4.addr=10.0.0.1,10.0.0.2,10.0.0.3 allow.nomount nopersist"
        + " exec.poststart=\"echo 'web.example.org' up\",\"echo $name\" mount.fstab=/etc/fstab.web devfs_ruleset=10"
        + " exec.prestart='printf \"a\tb\\\\n\" $HOME AB\a\b\f\n\r\t\v' osrelease=14.2-RELEASE-p1 stop.timeout=30\n"
        + "name=web.sub exec.start=\"/bin/sh /etc/rc\" exec.stop=\"/bin/sh /etc/rc.shutdown jail\" exec.clean mount.devfs"
        + " path=/usr/jails/web.sub host.hostname=web.sub.example.org allow.raw_sockets=true securelevel=3 persist"
        + " allow.mount stop.timeout=30\n"
        + "exec.start=\"/bin/sh /etc/rc\" exec.stop=\"/bin/sh /etc/rc.shutdown jail\" exec.clean mount.devfs"
        + " path=/j//seven host.hostname=seven allow.raw_sockets=true securelevel=2 stop.timeout=30 name=7\n";

    private static void AssertParameters((string Name, string[] Values)[] expected, JailDefinition jail)
    {
        var actual = jail.Parameters.Select(p => (p.Name, string.Join("|", p.Values))).ToList();
        var wanted = expected.Select(e => (e.Name, string.Join("|", e.Values))).ToList();
        Assert.Equal(wanted, actual);
    }

    [Fact]
    public void TourEvaluatesLikeJail8()
    {
        var doc = JailConfDocument.Parse(Tour, "/etc/jail.conf");
        var jails = JailConfLoader.Evaluate(new[] { doc });

        Assert.Equal(new[] { "web", "web.sub", "7" }, jails.Select(j => j.Name));
        AssertParameters(ExpectedWeb, jails[0]);
        AssertParameters(ExpectedWebSub, jails[1]);
        AssertParameters(ExpectedSeven, jails[2]);

        Assert.Equal("/etc/jail.conf", jails[0].SourceFile);
        Assert.Equal(21, jails[0].Line);
        Assert.Equal(34, jails[1].Line);
        Assert.Equal(44, jails[2].Line);
    }

    [Fact]
    public void TourBlockNamesIncludeWildcardsAndNestedNames()
    {
        var doc = JailConfDocument.Parse(Tour, null);
        Assert.Equal(new[] { "*", "web", "web.sub", "web.*", "7", "*" }, doc.BlockNames);
        Assert.Equal(Tour, doc.ToString());
    }

    [Fact]
    public void TourShowOutputMatchesJailDashE()
    {
        var jails = JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(Tour, "/etc/jail.conf") });
        Assert.Equal(ExpectedShow, JailEFormatter.Format(jails, " "));
    }

    [Fact]
    public void TourThroughLoaderFollowsTheGlobIncludeThatMatchesNothing()
    {
        var fs = new InMemoryHostFileSystem().Add("/etc/jail.conf", Tour);
        var jails = JailConfLoader.Load(fs, new[] { "/etc/jail.conf", "/etc/jail.missing.conf" });
        Assert.Equal(ExpectedShow, JailEFormatter.Format(jails, " "));
        Assert.Equal(new[] { "/etc/jail.conf", "/etc/jail.missing.conf" }, fs.Reads);
    }

    [Fact]
    public void BooleanTruthFollowsBoolParam()
    {
        Assert.True(JailConfNames.IsTrue(new JailConfParameter("persist")));
        Assert.False(JailConfNames.IsTrue(new JailConfParameter("nopersist")));
        Assert.True(JailConfNames.IsTrue(new JailConfParameter("allow.raw_sockets", "TRUE")));
        Assert.False(JailConfNames.IsTrue(new JailConfParameter("allow.raw_sockets", "false")));
        Assert.True(JailConfNames.IsTrue(new JailConfParameter("mount.devfs", "1")));
        Assert.False(JailConfNames.IsTrue(new JailConfParameter("mount.devfs", "0")));
        // A "no" name with a false value is true, as in jail(8).
        Assert.True(JailConfNames.IsTrue(new JailConfParameter("allow.nomount", "false")));
    }

    [Theory]
    [InlineData("persist", "nopersist", true)]
    [InlineData("nopersist", "persist", true)]
    [InlineData("allow.mount", "allow.nomount", true)]
    [InlineData("allow.mount.nodevfs", "allow.mount.devfs", true)]
    [InlineData("allow.mount", "allow.mount", true)]
    [InlineData("allow.mount", "allow.mounts", false)]
    [InlineData("allow.mount", "mount", false)]
    [InlineData("mount.devfs", "allow.mount.devfs", false)]
    [InlineData("ip4.addr", "ip6.addr", false)]
    public void EquivalentNamesFollowsEqualopts(string a, string b, bool expected)
        => Assert.Equal(expected, JailConfNames.EquivalentNames(a, b));

    [Theory]
    [InlineData("web", "*", true)]
    [InlineData("a.b.c", "*", true)]
    [InlineData("foo.bar", "foo.*", true)]
    [InlineData("foo.bar.baz", "foo.*", true)]
    [InlineData("foo", "foo.*", false)]
    [InlineData("x.bar", "*.bar", true)]
    [InlineData("x.y.bar", "*.bar", false)]
    [InlineData("foobar.x", "foo.*", false)]
    [InlineData("web", "web", true)]
    public void WildcardMatchingFollowsWildJailMatch(string jail, string wildcard, bool expected)
        => Assert.Equal(expected, JailConfNames.WildcardMatches(jail, wildcard));

    [Theory]
    [InlineData("*", true)]
    [InlineData("foo.*", true)]
    [InlineData("*.bar", true)]
    [InlineData("foo*", false)]
    [InlineData("a*b.c", false)]
    public void WildcardNames(string name, bool expected) => Assert.Equal(expected, JailConfNames.IsWildcardName(name));

    [Theory]
    [InlineData("5", true)]
    [InlineData(" 7", true)]
    [InlineData("007", true)]
    [InlineData("-3", true)]
    [InlineData("0", false)]
    [InlineData("5a", false)]
    [InlineData("5 ", false)]
    [InlineData("web", false)]
    [InlineData("", false)]
    public void JidNamesFollowStrtol(string name, bool expected) => Assert.Equal(expected, JailConfNames.IsJidName(name));

    [Fact]
    public void PseudoParametersIncludeNoForms()
    {
        Assert.True(JailConfNames.IsPseudoParameter("exec.start"));
        Assert.True(JailConfNames.IsPseudoParameter("mount.nodevfs"));
        Assert.True(JailConfNames.IsPseudoParameter("depend"));
        Assert.False(JailConfNames.IsPseudoParameter("path"));
        Assert.False(JailConfNames.IsPseudoParameter("ip4.addr"));
    }

    private static JailDefinition Single(string text)
        => Assert.Single(JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(text, null) }));

    [Fact]
    public void StatementsAfterBlocksStillBelongToTheOneGlobalJailPlacedAtItsFirstStatement()
    {
        // jailparse.y keeps one global "*" jail; it sits where the first global statement is, so a
        // later global statement still loses against a jail block that follows that first one.
        var jails = JailConfLoader.Evaluate(new[]
        {
            JailConfDocument.Parse("securelevel = 1;\nfoo { securelevel = 2; }\nsecurelevel = 3;\n", null),
        });
        Assert.Equal(new[] { "2" }, Assert.Single(jails).Get("securelevel")!.Values);
    }

    [Fact]
    public void WildcardBelowTheJailOverridesItsOwnBlock()
    {
        var j = Single("foo { securelevel = 2; }\n* { securelevel = 3; }\n");
        Assert.Equal(new[] { "3" }, j.Get("securelevel")!.Values);
    }

    [Fact]
    public void AppendToAParameterFromAWildcard()
    {
        var j = Single("* { ip4.addr = 10.0.0.1; }\nfoo { ip4.addr += 10.0.0.2; }\n");
        Assert.Equal(new[] { "10.0.0.1", "10.0.0.2" }, j.Get("ip4.addr")!.Values);
    }

    [Fact]
    public void BareStatementAfterAValueClearsTheValues()
    {
        var j = Single("foo { persist = false; persist; }\n");
        Assert.Empty(j.Get("persist")!.Values);
    }

    [Fact]
    public void VariableReferencingALaterParameterIsResolvedFirstAndMovedInFront()
    {
        // config.c moves a referenced parameter that still holds variables in front of the referrer.
        var j = Single("foo { exec.start = \"run $path\"; path = \"/j/$name\"; }\n");
        Assert.Equal(new[] { "name", "path", "exec.start" }, j.Parameters.Select(p => p.Name));
        Assert.Equal("run /j/foo", j.Get("exec.start")!.Values[0]);
    }

    [Fact]
    public void NulEscapeEndsThePieceLikeACString()
    {
        var j = Single("foo { a = \"x\\0y\"z; b = \"p\\xq\"; }\n");
        Assert.Equal("xz", j.Get("a")!.Values[0]);
        Assert.Equal("p", j.Get("b")!.Values[0]);
    }

    [Fact]
    public void EscapeCodesAreBytesAndOctalWrapsLikeCChar()
    {
        var j = Single("foo { a = \"\\777\\x7e\\x7\"; b = x\\400y; c = \\q\\\"; }\n");
        Assert.Equal("\u00ff~\u0007", j.Get("a")!.Values[0]);
        Assert.Equal("xy", j.Get("b")!.Values[0]); // \400 is 256, i.e. NUL: that piece is empty
        Assert.Equal("q\"", j.Get("c")!.Values[0]);
    }

    [Theory]
    [InlineData("plain", "p=plain")]
    [InlineData("", "p=\"\"")]
    [InlineData("a b", "p=\"a b\"")]
    [InlineData("a\tb", "p=\"a\tb\"")]
    [InlineData("it's", "p=\"it's\"")]
    [InlineData("say \"hi\"", "p='say \"hi\"'")]
    [InlineData("both ' and \"", "p=\"both ' and \\\"\"")]
    [InlineData("back\\slash", "p=back\\\\slash")]
    [InlineData("new\nline", "p=new\nline")]
    public void ShowQuotesLikeQuotedPrint(string value, string expected)
        => Assert.Equal(expected + "\n", JailEFormatter.Format(new[] { new JailDefinition("x", new[] { new JailConfParameter("p", value) }) }, " "));

    [Fact]
    public void ShowSkipsJidAndJoinsWithTheSeparator()
    {
        var jails = new[]
        {
            new JailDefinition("5", new[] { new JailConfParameter("jid", "5"), new JailConfParameter("persist"), new JailConfParameter("name", "5") }),
            new JailDefinition("e", Array.Empty<JailConfParameter>()),
        };
        Assert.Equal("persist::name=5\n\n", JailEFormatter.Format(jails, "::"));
    }

    [Fact]
    public void DollarWithoutANameIsLiteral()
    {
        var j = Single("foo { a = \"cost $5\"; b = $; c = \"end$\"; }\n");
        Assert.Equal("cost $5", j.Get("a")!.Values[0]);
        Assert.Equal("$", j.Get("b")!.Values[0]);
        Assert.Equal("end$", j.Get("c")!.Values[0]);
    }

    [Fact]
    public void BracedVariableInsideDoubleQuotesMayRunPastTheClosingQuote()
    {
        // In jaillex.l's DQ state a backslash inside ${...} may pair with the quote that ended the
        // string, so the variable is named  a\"  and scanning goes on after its brace.
        var e = Single("foo { x = \"${a\\\\\"}b\"; }\n").Warnings[0];
        Assert.Equal("JailConfUndefinedVariable", e.ErrorId);
        Assert.Contains("variable \"a\\\"\" not found", e.Message);
        // With no quote left, the DQ state gives up and scanning continues normally.
        var m = Assert.Throws<JailConfException>(() => JailConfDocument.Parse("x = \"${a\\\\\"} + c;\n", null));
        Assert.Equal("JailConfMissingSemicolon", m.ErrorId);
    }

    [Fact]
    public void BracedVariableTakesTheLongestMatch()
    {
        // flex picks the longest ${...}: a backslash may escape a brace, so the name is  a}b .
        var e = Single("foo { x = ${a\\}b}; }\n").Warnings[0];
        Assert.Contains("variable \"a}b\" not found", e.Message);
        Assert.Equal((1, 11), (e.Line, e.Column));
    }

    [Fact]
    public void CarriageReturnsAreWhitespace()
    {
        var j = Single("foo {\r\n\tpath = /j/foo;\r\n\tpersist;\r\n}\r\n");
        Assert.Equal(new[] { "name", "path", "persist" }, j.Parameters.Select(p => p.Name));
        Assert.Equal("/j/foo", j.Get("path")!.Values[0]);
    }

    [Fact]
    public void QuotedStringsMaySpanLines()
    {
        var j = Single("foo { exec.start = 'one\ntwo'; exec.stop = \"a\\\nb\"; }\n");
        Assert.Equal("one\ntwo", j.Get("exec.start")!.Values[0]);
        Assert.Equal("ab", j.Get("exec.stop")!.Values[0]);
    }

    [Fact]
    public void UnquotedDoubleSlashStartsAComment()
    {
        var j = Single("foo { path = /jails//foo\n; }\n");
        Assert.Equal("/jails", j.Get("path")!.Values[0]);
    }

    [Fact]
    public void DuplicateBlocksAreSeparateJailsAsInJail8()
    {
        var jails = JailConfLoader.Evaluate(new[] { JailConfDocument.Parse("a { x = 1; }\na { y = 2; }\n", null) });
        Assert.Equal(2, jails.Count);
        Assert.Null(jails[0].Get("y"));
        Assert.Null(jails[1].Get("x"));
    }

    [Fact]
    public void DocumentsAreEvaluatedAsOneConfiguration()
    {
        var jails = JailConfLoader.Evaluate(new[]
        {
            JailConfDocument.Parse("path = \"/j/$name\";\n", "/etc/jail.conf"),
            JailConfDocument.Parse("a { persist; }\n", "/etc/jail.conf.d/a.conf"),
        });
        var a = Assert.Single(jails);
        Assert.Equal("/j/a", a.Get("path")!.Values[0]);
        Assert.Equal("/etc/jail.conf.d/a.conf", a.SourceFile);
        Assert.Equal(1, a.Line);
    }

    [Fact]
    public void ManyJailsParseAndEvaluate()
    {
        var sb = new System.Text.StringBuilder("path = \"/j/$name\";\nexec.clean;\n");
        for (int i = 0; i < 10_000; i++)
            sb.Append("jail").Append(i).Append(" {\n\thost.hostname = \"h").Append(i).Append(".example\";\n\tip4.addr = 10.0.")
              .Append(i / 250).Append('.').Append(i % 250 + 1).Append(";\n}\n\n");
        var doc = JailConfDocument.Parse(sb.ToString(), "/etc/jail.conf");
        var jails = JailConfLoader.Evaluate(new[] { doc });
        Assert.Equal(10_000, jails.Count);
        Assert.Equal("/j/jail9999", jails[9999].Get("path")!.Values[0]);
        Assert.Equal("10.0.39.250", jails[9999].Get("ip4.addr")!.Values[0]);
    }
}
