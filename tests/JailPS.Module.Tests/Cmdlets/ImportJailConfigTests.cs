using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>
/// Import-JailConfig as jail(8)'s -e and -f - (usr.sbin/jail/jail.c show_jails, usr.sbin/jail/config.c
/// parse_config): the lines jail -f FILE -e SEP prints, and jail.conf text from the pipeline.
/// </summary>
public sealed class ImportJailConfigTests : IDisposable
{
    private readonly ModuleSession _s = new();

    public void Dispose() => _s.Dispose();

    private string Root => _s.SimulatedHostPath!;

    /// <summary>Globals, a wildcard block, a nested block, a numeric block and every quoting rule of quoted_print().</summary>
    private const string Conf = """
        path = "/j/$name";
        * { allow.raw_sockets; }
        web {
            host.hostname = "web server";
            ip4.addr = 10.0.0.1, 10.0.0.2;
            exec.start = 'echo "hi"';
            exec.stop = "";
            sub { persist; }
        }
        7 { host.hostname = "it's"; }

        """;

    /// <summary>What `jail -f jail.conf -e '|'` prints for <see cref="Conf"/> (jail.c print_jail, quoted_print), line by line.</summary>
    private static readonly string[] Shown =
    {
        "name=web|path=/j/web|allow.raw_sockets|host.hostname=\"web server\"|ip4.addr=10.0.0.1,10.0.0.2|exec.start='echo \"hi\"'|exec.stop=\"\"",
        "name=web.sub|path=/j/web.sub|allow.raw_sockets|persist",
        // The numeric block implies jid (never printed) and gets its name last.
        "path=/j/7|allow.raw_sockets|host.hostname=\"it's\"|name=7",
    };

    private PSResult Ok(string script)
    {
        var r = _s.Run(script);
        Assert.True(r.Errors.Count == 0, "unexpected errors: " + string.Join(" | ", r.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)));
        return r;
    }

    private string[] Strings(string script)
    {
        var r = Ok(script);
        Assert.All(r.Output, o => Assert.IsType<string>(o.BaseObject));
        return r.Output.Select(o => (string)o.BaseObject).ToArray();
    }

    private string WriteConf(string text = Conf)
    {
        Directory.CreateDirectory(Path.Combine(Root, "etc"));
        string local = Path.Combine(Root, "etc/jail.conf");
        File.WriteAllText(local, text);
        return local;
    }

    [Fact]
    public void Importing_a_file_warns_about_a_failed_jail_and_returns_it_with_its_error_next_to_the_others()
    {
        WriteConf("a { persist; }\nb { host.hostname = \"x$nope\"; }\nc { persist; }\n");
        var r = Ok("Import-JailConfig /etc/jail.conf | Select-Object Name, State, DefinitionError, Hostname");
        Assert.Equal(new[] { "a", "b", "c" }, r.Output.Select(o => o.Properties["Name"].Value.ToString()));
        Assert.Contains("b: host.hostname: variable \"nope\" not found", Assert.Single(r.Warnings).Message);
        Assert.Equal("x", r.Output[1].Properties["Hostname"].Value);
        Assert.NotNull(r.Output[1].Properties["DefinitionError"].Value);
        Assert.Null(r.Output[0].Properties["DefinitionError"].Value);
    }

    [Fact]
    public void AsText_writes_one_string_per_jail_as_jail_e_prints_it()
    {
        WriteConf();
        Assert.Equal(Shown, Strings("Import-JailConfig /etc/jail.conf -AsText -Separator '|'"));
    }

    [Fact]
    public void Set_Content_and_join_give_jail_e_bytes()
    {
        WriteConf();
        string expected = string.Concat(Shown.Select(l => l + "\n"));
        string file = Path.Combine(Root, "shown.txt");
        _s.SetVariable("file", file);
        Ok("Import-JailConfig /etc/jail.conf -AsText -Separator '|' | Set-Content -LiteralPath $file");
        Assert.Equal(Encoding.UTF8.GetBytes(expected), File.ReadAllBytes(file));
        Assert.Equal(expected, Strings("(Import-JailConfig /etc/jail.conf -AsText -Separator '|') -join \"`n\"").Single() + "\n");
    }

    [Fact]
    public void A_value_with_a_newline_stays_in_its_jail_string()
    {
        WriteConf("a { exec.start = \"one\ntwo\"; }\nb { }\n");
        Assert.Equal(new[] { "name=a exec.start=one\ntwo", "name=b" }, Strings("Import-JailConfig /etc/jail.conf -AsText -Separator ' '"));
    }

    [Fact]
    public void The_separator_may_be_empty_or_longer_than_one_character()
    {
        WriteConf("a { persist; securelevel = 2; }\n");
        Assert.Equal("name=apersistsecurelevel=2", Strings("Import-JailConfig /etc/jail.conf -AsText -Separator ''").Single());
        Assert.Equal("name=a :: persist :: securelevel=2", Strings("Import-JailConfig /etc/jail.conf -AsText -Separator ' :: '").Single());
    }

    [Fact]
    public void Name_selects_the_lines_too()
    {
        WriteConf();
        Assert.Equal(new[] { Shown[0], Shown[1] }, Strings("Import-JailConfig /etc/jail.conf -AsText -Separator '|' -Name web*"));
    }

    [Fact]
    public void Text_from_the_pipeline_reads_as_jail_f_dash()
    {
        string local = WriteConf();
        _s.SetVariable("local", local);
        Assert.Equal(Shown, Strings("Get-Content -LiteralPath $local | Import-JailConfig -AsText -Separator '|'"));
        Assert.Equal(Shown, Strings("Get-Content -LiteralPath $local -Raw | Import-JailConfig -AsText -Separator '|'"));
        Assert.Equal(Shown, Strings("Import-JailConfig -InputObject (Get-Content -LiteralPath $local) -AsText -Separator '|'"));

        // Without -AsText, Jail objects that name no file (nothing to edit), their state from the kernel.
        var jails = Ok("Get-Content -LiteralPath $local | Import-JailConfig").Output;
        Assert.Equal(new[] { "web", "web.sub", "7" }, jails.Select(j => j.Properties["Name"].Value));
        Assert.All(jails, j => Assert.Null(j.Properties["ConfigFile"].Value));
        Assert.All(jails, j => Assert.Equal("Stopped", j.Properties["State"].Value.ToString()));
        Assert.Equal("web server", jails[0].Properties["Hostname"].Value);
    }

    [Fact]
    public void Files_still_bind_to_Path_by_property_name()
    {
        WriteConf();
        var fromFiles = Ok("Get-ChildItem -LiteralPath $env:JAILPS_SIMULATED_HOST/etc -Filter jail.conf | Import-JailConfig").Output;
        Assert.Equal("/etc/jail.conf", fromFiles[0].Properties["ConfigFile"].Value);
        var fromPaths = Ok("Resolve-Path -LiteralPath $env:JAILPS_SIMULATED_HOST/etc/jail.conf | Import-JailConfig").Output;
        Assert.Equal(3, fromPaths.Count);
    }

    [Fact]
    public void An_error_in_text_names_STDIN_with_a_typed_record()
    {
        var r = _s.Run("\"a { }`nb {`n  persist;`n\" | Import-JailConfig -AsText -Separator ' '");
        Assert.Empty(r.Output);
        var e = Assert.Single(r.Errors);
        Assert.Equal("JailConfMissingBrace,JailPS.Commands.ImportJailConfigCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ParserError, e.CategoryInfo.Category);
        Assert.Equal("STDIN", e.TargetObject);
        Assert.StartsWith("STDIN:2:", e.Exception.Message);
        Assert.NotNull(e.ErrorDetails?.RecommendedAction);
    }

    /// <summary>jail -e prints a jail it marked failed with the values config.c left it, warns on stderr and exits 0.</summary>
    [Fact]
    public void A_jail_that_fails_to_evaluate_is_shown_as_jail_e_shows_it_with_a_warning()
    {
        WriteConf("a { persist; }\nb { path = \"/j/$nowhere\"; }\nc { }\n");
        var r = _s.Run("Import-JailConfig /etc/jail.conf -AsText -Separator ' '");
        Assert.Empty(r.Errors);
        Assert.Equal(new[] { "name=a persist", "name=b path=/j/", "name=c" }, r.Output.Select(o => o.BaseObject));
        var w = Assert.Single(r.Warnings);
        Assert.StartsWith("/etc/jail.conf:2:", w.Message);
        Assert.Contains("b: path: variable \"nowhere\" not found", w.Message);

        // A jail that -Name leaves out is neither shown nor warned about.
        var a = _s.Run("Import-JailConfig /etc/jail.conf -AsText -Separator ' ' -Name a");
        Assert.Equal("name=a persist", Assert.Single(a.Output).BaseObject);
        Assert.Empty(a.Warnings);
    }

    [Fact]
    public void A_relative_include_in_text_is_taken_from_the_current_location()
    {
        Directory.CreateDirectory(Path.Combine(Root, "etc/jail.conf.d"));
        File.WriteAllText(Path.Combine(Root, "etc/jail.conf.d/web.conf"), "web { persist; }\n");
        const string include = "'.include \"jail.conf.d/*.conf\";' | Import-JailConfig -AsText -Separator ' '";
        Assert.Equal("name=web persist", Strings($"Push-Location $env:JAILPS_SIMULATED_HOST/etc; try {{ {include} }} finally {{ Pop-Location }}").Single());

        // Outside the simulated host's root there is no current directory on that host.
        var r = _s.Run($"Push-Location ([System.IO.Path]::GetTempPath()); try {{ {include} }} finally {{ Pop-Location }}");
        Assert.Empty(r.Output);
        Assert.Equal("JailConfIncludeNotFound,JailPS.Commands.ImportJailConfigCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
    }

    /// <summary>
    /// `host.hostname = a, b;`: jail -e shows both values, and jail -c passes the last one to the
    /// kernel without a word (usr.sbin/jail/config.c import_params).
    /// </summary>
    [Fact]
    public void A_list_for_a_string_parameter_is_shown_whole_and_the_jail_starts_with_its_last_value()
    {
        Directory.CreateDirectory(Path.Combine(Root, "usr/jails/web"));
        Directory.CreateDirectory(Path.Combine(Root, "etc/jail.conf.d"));
        File.WriteAllText(Path.Combine(Root, "etc/jail.conf.d/web.conf"), "web {\n\tpath = /usr/jails/web;\n\thost.hostname = a, b;\n\tpersist;\n}\n");
        Assert.Equal("name=web path=/usr/jails/web host.hostname=a,b persist",
            Strings("Import-JailConfig /etc/jail.conf.d/web.conf -AsText -Separator ' '").Single());

        var whatIf = Ok("Start-Jail web -WhatIf");
        Assert.Contains("host.hostname=b", whatIf.HostText);
        Assert.Contains("host.hostname = a, b: the kernel gets the last value, b", whatIf.HostText);

        var started = Ok("Start-Jail web -PassThru -Verbose");
        Assert.Equal("b", started.Output.Single().Properties["Hostname"].Value);
        Assert.Empty(started.Warnings);
        Assert.Contains(started.Verbose, v => v.Message.Contains("the kernel gets the last value, b", StringComparison.Ordinal));
    }

    [Fact]
    public void Empty_text_defines_no_jails()
    {
        Assert.Empty(Ok("'' | Import-JailConfig -AsText -Separator ' '").Output);
        Assert.Empty(Ok("Import-JailConfig -InputObject @() -AsText -Separator ' '").Output);
    }
}
