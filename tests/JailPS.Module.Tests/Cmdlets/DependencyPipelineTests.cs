using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>
/// Start-, Stop- and Restart-Jail over several jails tied by depend: pipeline input and -Name
/// arrays that name jails a dependency step already handles, the -WhatIf and -Confirm views of the
/// plans, declined dependencies, and completing jail names for the first positional argument.
/// </summary>
public sealed class DependencyPipelineTests : IDisposable
{
    private readonly ModuleSession _s = new();

    public void Dispose() => _s.Dispose();

    private PSResult Ok(string script)
    {
        var r = _s.Run(script);
        Assert.True(r.Errors.Count == 0, "unexpected errors: " + string.Join(" | ", r.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)));
        return r;
    }

    /// <summary>
    /// db; web1 and web2 depend on db; app depends on web1 and db. Get-Jail lists them as app, db,
    /// web1, web2, so the pipeline names dependencies after jails that need them and dependents
    /// after the jails they need.
    /// </summary>
    private void DefineStack()
        => Ok("New-Jail -Name db -Path /usr/jails/db -Persist; " +
              "New-Jail -Name web1 -Path /usr/jails/web1 -Persist -DependsOn db; " +
              "New-Jail -Name web2 -Path /usr/jails/web2 -Persist -DependsOn db; " +
              "New-Jail -Name app -Path /usr/jails/app -Persist -DependsOn web1, db");

    private Dictionary<string, (string State, int? Jid)> Jails()
        => Ok("Get-Jail").Output.ToDictionary(o => (string)o.Properties["Name"].Value,
            o => (o.Properties["State"].Value.ToString()!, (int?)o.Properties["Jid"].Value));

    private static string[] Names(PSResult r) => r.Output.Select(o => (string)o.Properties["Name"].Value).ToArray();

    private static void Before(string[] order, string first, string then)
        => Assert.True(Array.IndexOf(order, first) < Array.IndexOf(order, then), $"{first} must come before {then}: {string.Join(", ", order)}");

    private static int Count(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
            n++;
        return n;
    }

    // ---- 1. each jail once, in dependency order, without errors -----------------------------

    [Fact]
    public void Get_Jail_piped_to_Stop_Jail_stops_every_jail_once_dependents_first_and_a_runbook_goes_on()
    {
        DefineStack();
        Ok("Get-Jail | Start-Jail");
        var r = Ok("Get-Jail | Stop-Jail -PassThru -ErrorAction Stop; 'after the stop'");
        Assert.Equal("after the stop", r.Output.Last().BaseObject);
        var stopped = r.Output.Take(r.Output.Count - 1).Select(o => (string)o.Properties["Name"].Value).ToArray();
        Assert.Equal(new[] { "app", "db", "web1", "web2" }, stopped.OrderBy(n => n, StringComparer.Ordinal));
        Before(stopped, "app", "web1");
        Before(stopped, "web1", "db");
        Before(stopped, "web2", "db");
        Assert.All(Jails().Values, j => Assert.Equal("Stopped", j.State));
    }

    [Fact]
    public void Get_Jail_piped_to_Start_Jail_starts_every_jail_once_dependencies_first()
    {
        DefineStack();
        var r = Ok("Get-Jail | Start-Jail -PassThru -ErrorAction Stop");
        var started = Names(r);
        Assert.Equal(new[] { "app", "db", "web1", "web2" }, started.OrderBy(n => n, StringComparer.Ordinal));
        Before(started, "db", "web1");
        Before(started, "web1", "app");
        Before(started, "db", "web2");
        // Four jail_set(JAIL_CREATE) calls, no more: the jids are 1 to 4.
        Assert.Equal(new int?[] { 1, 2, 3, 4 }, Jails().Values.Select(j => j.Jid).OrderBy(j => j));
    }

    [Fact]
    public void Get_Jail_piped_to_Restart_Jail_restarts_every_jail_once()
    {
        DefineStack();
        Ok("Get-Jail | Start-Jail");
        var before = Jails();
        var r = Ok("Get-Jail | Restart-Jail -PassThru -ErrorAction Stop");
        Assert.Equal(new[] { "app", "db", "web1", "web2" }, Names(r).OrderBy(n => n, StringComparer.Ordinal));
        var after = Jails();
        Assert.All(after.Values, j => Assert.Equal("Running", j.State));
        // Each jail was created once more: four new jids right after the old ones, none skipped.
        int last = before.Values.Max(j => j.Jid!.Value);
        Assert.Equal(Enumerable.Range(last + 1, 4).Select(i => (int?)i), after.Values.Select(j => j.Jid).OrderBy(j => j));
        var restarted = after.OrderBy(kv => kv.Value.Jid).Select(kv => kv.Key).ToArray();
        Before(restarted, "db", "web1");
        Before(restarted, "web1", "app");
    }

    [Fact]
    public void WhatIf_over_the_pipeline_shows_every_plan_once()
    {
        DefineStack();
        Ok("Get-Jail | Start-Jail");
        var stop = Ok("Get-Jail | Stop-Jail -WhatIf");
        foreach (string name in new[] { "app", "db", "web1", "web2" })
            Assert.Equal(1, Count(stop.HostText, $"What if: Stop jail \"{name}\""));

        var restart = Ok("Get-Jail | Restart-Jail -WhatIf");
        foreach (string name in new[] { "app", "db", "web1", "web2" })
        {
            Assert.Equal(1, Count(restart.HostText, $"What if: Stop jail \"{name}\""));
            Assert.Equal(1, Count(restart.HostText, $"What if: Start jail \"{name}\""));
        }
        Assert.All(Jails().Values, j => Assert.Equal("Running", j.State));
    }

    [Fact]
    public void A_name_array_with_a_dependent_confirms_each_jail_once_and_returns_each_once()
    {
        Ok("New-Jail -Name db -Path /usr/jails/db -Persist; New-Jail -Name app -Path /usr/jails/app -Persist -DependsOn db; Start-Jail app");
        _s.Answer("Y", "Y");
        var r = Ok("Stop-Jail db, app -Confirm -PassThru");
        Assert.Equal(2, _s.Host.Prompts.Count);
        Assert.Equal(new[] { "app", "db" }, Names(r));
        Assert.All(r.Output, o => Assert.Equal("Stopped", o.Properties["State"].Value.ToString()));
    }

    [Fact]
    public void A_jail_named_twice_is_handled_once()
    {
        Ok("New-Jail -Name db -Path /usr/jails/db -Persist");
        Assert.Equal(new[] { "db" }, Names(Ok("'db', 'db' | Start-Jail -PassThru")));
        Assert.Equal(new[] { "db" }, Names(Ok("Stop-Jail db, db -PassThru")));
    }

    [Fact]
    public void A_jail_that_was_running_before_the_command_is_still_reported()
    {
        DefineStack();
        Ok("Start-Jail db");
        var r = _s.Run("Get-Jail | Start-Jail");
        var e = Assert.Single(r.Errors);
        Assert.Equal("JailAlreadyRunning,JailPS.Commands.StartJailCommand", e.FullyQualifiedErrorId);
        Assert.Equal("db", e.TargetObject);
        Assert.All(Jails().Values, j => Assert.Equal("Running", j.State));
    }

    // ---- 2. the plan in the -Confirm prompt, and declined dependencies ----------------------

    [Fact]
    public void Confirm_shows_the_plan_and_why_a_dependency_is_part_of_it()
    {
        Ok("New-Jail -Name db -Path /usr/jails/db -Persist -ExecStart '/bin/sh /etc/rc'; New-Jail -Name app -Path /usr/jails/app -Persist -DependsOn db");
        _s.Answer("Y", "Y");
        Ok("Start-Jail app -Confirm");
        Assert.Equal(2, _s.Host.Prompts.Count);
        string db = _s.Host.Prompts[0];
        Assert.Contains("Start jail \"db\" (a dependency of \"app\")", db);
        Assert.Contains("jail_set(JAIL_CREATE) name=db", db);
        Assert.Contains("exec.start: in jail: /bin/sh /etc/rc", db);
        Assert.EndsWith("Start jail \"db\" (a dependency of \"app\")?", db.TrimEnd());
        string app = _s.Host.Prompts[1];
        Assert.Contains("jail_set(JAIL_CREATE) name=app", app);
        Assert.EndsWith("Start jail \"app\"?", app.TrimEnd());

        _s.Answer("Y", "Y");
        Ok("Stop-Jail db -Confirm");
        Assert.Contains("Stop jail \"app\" (it depends on \"db\")", _s.Host.Prompts[2]);
        Assert.Contains("jail_remove", _s.Host.Prompts[2]);
        Assert.Contains("jail_remove", _s.Host.Prompts[3]);
    }

    [Fact]
    public void Declining_a_dependency_warns_naming_both_jails()
    {
        Ok("New-Jail -Name db -Path /usr/jails/db -Persist; New-Jail -Name app -Path /usr/jails/app -Persist -DependsOn db");
        _s.Answer("N");
        var r = Ok("Start-Jail app -Confirm -PassThru");
        Assert.Single(_s.Host.Prompts);
        Assert.Empty(r.Output);
        var w = Assert.Single(r.Warnings);
        Assert.Equal("jail \"app\" is not started: it depends on \"db\", which you declined to start.", w.Message);
        Assert.All(Jails().Values, j => Assert.Equal("Stopped", j.State));

        Ok("Start-Jail app");
        _s.Answer("N");
        r = Ok("Stop-Jail db -Confirm");
        w = Assert.Single(r.Warnings);
        Assert.Equal("jail \"db\" is not stopped: \"app\" depends on it and you declined to stop it.", w.Message);
        Assert.All(Jails().Values, j => Assert.Equal("Running", j.State));
    }

    [Fact]
    public void Declining_the_stop_of_a_restarted_jail_starts_its_stopped_dependents_again()
    {
        Ok("New-Jail -Name db -Path /usr/jails/db -Persist; New-Jail -Name app -Path /usr/jails/app -Persist -DependsOn db; Start-Jail app");
        int dbJid = Jails()["db"].Jid!.Value;
        _s.Answer("Y", "N", "Y");
        Ok("Restart-Jail db -Confirm");
        Assert.Equal(3, _s.Host.Prompts.Count);
        Assert.Contains("Start jail \"app\" (it depends on \"db\")", _s.Host.Prompts[2]);
        var jails = Jails();
        Assert.Equal(("Running", (int?)dbJid), jails["db"]);
        Assert.Equal("Running", jails["app"].State);
    }

    // ---- 3. jail names complete for the first positional argument ---------------------------

    [Theory]
    [InlineData("Start-Jail")]
    [InlineData("Stop-Jail")]
    [InlineData("Restart-Jail")]
    [InlineData("Set-Jail")]
    [InlineData("Remove-Jail")]
    [InlineData("Wait-Jail")]
    [InlineData("Export-JailConfig")]
    [InlineData("Mount-JailFileSystem")]
    [InlineData("Get-Jail")]
    public void Jail_names_complete_with_nothing_typed(string command)
    {
        Ok("New-Jail -Name web -Path /usr/jails/web; New-Jail -Name db -Path /usr/jails/db");
        string line = command + " ";
        var r = Ok($"(TabExpansion2 -inputScript '{line}' -cursorColumn {line.Length}).CompletionMatches | ForEach-Object CompletionText");
        Assert.Equal(new[] { "db", "web" }, r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void Every_cmdlet_whose_first_positional_argument_is_a_jail_name_completes_jail_names()
    {
        Ok("New-Jail -Name web -Path /usr/jails/web; New-Jail -Name db -Path /usr/jails/db");
        var r = Ok("""
            foreach ($c in Get-Command -Module JailPS) {
                $name = $c.Parameters['Name']
                if ($null -eq $name) { continue }
                $completer = $name.Attributes | Where-Object { $_ -is [ArgumentCompleter] -and $_.Type.Name -eq 'JailNameCompleter' }
                $positional = $name.ParameterSets.Values | Where-Object Position -eq 0
                if (-not $completer -or -not $positional) { continue }
                $line = $c.Name + ' '
                $c.Name + ': ' + (((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText) -join ',')
            }
            """);
        var lines = r.Output.Select(o => o.ToString()).ToArray();
        foreach (string command in new[] { "Start-Jail", "Stop-Jail", "Restart-Jail", "Set-Jail", "Remove-Jail", "Get-Jail" })
            Assert.Contains(command + ": db,web", lines);
        Assert.All(lines, l => Assert.EndsWith(": db,web", l));
    }

    [Fact]
    public void A_typed_prefix_offers_each_name_once_and_an_explicit_InputObject_offers_no_names()
    {
        Ok("New-Jail -Name web -Path /usr/jails/web; New-Jail -Name db -Path /usr/jails/db");
        var typed = Ok("(TabExpansion2 -inputScript 'Stop-Jail w' -cursorColumn 11).CompletionMatches | ForEach-Object CompletionText");
        Assert.Equal(new[] { "web" }, typed.Output.Select(o => o.ToString()));
        var named = Ok("(TabExpansion2 -inputScript 'Stop-Jail -InputObject ' -cursorColumn 23).CompletionMatches | ForEach-Object CompletionText");
        Assert.DoesNotContain("web", named.Output.Select(o => o.ToString()));
    }
}
