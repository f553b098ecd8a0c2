using System.IO;
using JailPS.Core.Config;

namespace JailPS.Core.Tests.Config;

/// <summary>
/// What `jail -f FILE -e SEP` and `jail -f - -e SEP` need from the engine (usr.sbin/jail/jail.c
/// show_jails, usr.sbin/jail/config.c parse_config and include_config): the lines, and text read
/// as standard input.
/// </summary>
public sealed class JailConfShowTests
{
    [Fact]
    public void Lines_are_the_formatted_output_without_their_newlines()
    {
        var jails = JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(JailConfGrammarTests.Tour, "/etc/jail.conf") });
        var lines = JailEFormatter.Lines(jails, "|").ToList();
        Assert.Equal(3, lines.Count);
        Assert.Equal(JailEFormatter.Format(jails, "|"), string.Concat(lines.Select(l => l + "\n")));
        Assert.StartsWith("name=web.sub|", lines[1]);
    }

    [Fact]
    public void A_value_with_a_newline_stays_in_its_jail_line()
    {
        var jails = JailConfLoader.Evaluate(new[] { JailConfDocument.Parse("a { exec.start = \"one\ntwo\"; persist; }\nb { }\n", null) });
        Assert.Equal(new[] { "name=a|exec.start=one\ntwo|persist", "name=b" }, JailEFormatter.Lines(jails, "|"));
    }

    [Fact]
    public void Text_is_named_STDIN_in_messages()
    {
        var fs = new InMemoryHostFileSystem();
        var e = Assert.Throws<JailConfException>(() => JailConfLoader.LoadText(fs, "a { }\nb {\n persist;\n", "/root"));
        Assert.Equal("STDIN", e.File);
        Assert.Equal(2, e.Line);
        Assert.StartsWith("STDIN:2:", e.Message);
    }

    [Fact]
    public void Text_gives_the_jails_it_defines_with_STDIN_as_their_source()
    {
        var jails = JailConfLoader.LoadText(new InMemoryHostFileSystem(), "path = \"/j/$name\";\nweb { persist; }\n", null);
        var web = Assert.Single(jails);
        Assert.Equal("name=web path=/j/web persist", JailEFormatter.Line(web, " "));
        Assert.Equal(("STDIN", 2), (web.SourceFile, web.Line));
    }

    [Fact]
    public void A_relative_include_in_text_is_taken_from_the_working_directory_not_a_file_directory()
    {
        var fs = new InMemoryHostFileSystem()
            .Add("/root/conf/a.conf", "a { .include \"parts/a.inc\"; }\n")
            .Add("/root/conf/parts/a.inc", "persist;\n")
            .Add("/root/b.conf", "b { }\n");
        var jails = JailConfLoader.LoadText(fs, ".include \"conf/*.conf\";\n.include \"b.conf\";\n", "/root");
        // conf/a.conf's own relative include is based on its directory, as for any file.
        Assert.Equal("name=a persist\nname=b\n", JailEFormatter.Format(jails, " "));
        Assert.Equal(new[] { "/root/conf/a.conf", "/root/conf/parts/a.inc", "/root/b.conf" }, fs.Reads);
    }

    [Fact]
    public void A_relative_include_in_text_without_a_working_directory_is_an_error_at_its_line()
    {
        var fs = new InMemoryHostFileSystem().Add("/b.conf", "b { }\n");
        var e = Assert.Throws<JailConfException>(() => JailConfLoader.LoadText(fs, "a { }\n.include \"b.conf\";\n", null));
        Assert.Equal(JailConfErrorIds.IncludeNotFound, e.ErrorId);
        Assert.Equal(("STDIN", 2), (e.File, e.Line));
        Assert.Empty(fs.Reads);
        // An absolute include needs no working directory.
        Assert.Single(JailConfLoader.LoadText(fs, ".include \"/b.conf\";\n", null));
    }

    [Fact]
    public void A_jail_in_text_that_fails_to_evaluate_carries_its_warnings_as_one_from_a_file_does()
    {
        const string text = "a { persist; }\nb { path = \"/j/$nowhere\"; }\nc { host.hostname = c; }\n";
        var jails = JailConfLoader.LoadText(new InMemoryHostFileSystem(), text, null);
        // jail -e prints the failed jail with the value config.c left it (the variable dropped).
        Assert.Equal("name=a persist\nname=b path=/j/\nname=c host.hostname=c\n", JailEFormatter.Format(jails, " "));
        var warning = Assert.Single(jails.SelectMany(j => j.Warnings));
        Assert.Equal(JailConfErrorIds.UndefinedVariable, warning.ErrorId);
        Assert.Equal(("STDIN", 2), (warning.File, warning.Line));
        Assert.True(jails[1].IsFailed);
    }

    [Fact]
    public void A_broken_included_file_still_fails_the_whole_text()
    {
        var fs = new InMemoryHostFileSystem()
            .Add("/etc/jail.conf", "a { }\n.include \"/etc/bad.conf\";\n")
            .Add("/etc/bad.conf", "b {\n");
        var e = Assert.Throws<JailConfException>(() => JailConfLoader.LoadText(fs, ".include \"/etc/jail.conf\";\n", null));
        Assert.Equal("/etc/bad.conf", e.File);
    }
}

/// <summary>Standard input as jail.conf text (a path of "-").</summary>
public sealed class JailConfStandardInputTests
{
    [Fact]
    public void Standard_input_is_read_to_its_end_and_decoded_like_a_file()
    {
        Assert.Equal("a { host.hostname = \"é\"; }\n",
            JailConfStandardInput.Read(new MemoryStream(new byte[] { 0xEF, 0xBB, 0xBF }.Concat(System.Text.Encoding.UTF8.GetBytes("a { host.hostname = \"é\"; }\n")).ToArray()), isTerminal: false));
        // Not UTF-8: one character per byte, as a Latin-1 jail.conf file is read.
        Assert.Equal("# caf\u00e9\n", JailConfStandardInput.Read(new MemoryStream(new byte[] { (byte)'#', (byte)' ', (byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)'\n' }), isTerminal: false));
    }

    [Fact]
    public void A_terminal_is_refused_before_anything_is_read()
    {
        var input = new MemoryStream(System.Text.Encoding.UTF8.GetBytes("a { }\n"));
        var e = Assert.Throws<JailPS.Core.Lifecycle.JailOperationException>(() => JailConfStandardInput.Read(input, isTerminal: true));
        Assert.Equal("JailConfigStdinIsTerminal", e.ErrorId);
        Assert.Equal("-", e.TargetObject);
        Assert.NotNull(e.RecommendedAction);
        Assert.Equal(0, input.Position);
    }
}
