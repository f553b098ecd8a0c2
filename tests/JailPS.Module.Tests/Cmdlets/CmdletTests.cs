using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>The cmdlets end to end in the hosted engine, against a fresh simulated host per test.</summary>
public sealed class CmdletTests : IDisposable
{
    private readonly ModuleSession _s = new();

    public void Dispose() => _s.Dispose();

    private string Root => Environment.GetEnvironmentVariable("JAILPS_SIMULATED_HOST")!;

    private const string NewWeb = "New-Jail -Name web -Path /usr/jails/web -Hostname web.example.org -IPv4Address 10.1.0.5 " +
        "-Parameter @{ 'allow.raw_sockets' = $false; securelevel = 3 } -ExecStart '/bin/sh /etc/rc' -ExecStop '/bin/sh /etc/rc.shutdown jail'";

    private PSResult Ok(string script)
    {
        var r = _s.Run(script);
        Assert.True(r.Errors.Count == 0, "unexpected errors: " + string.Join(" | ", r.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)));
        return r;
    }

    private static ErrorRecord OneError(PSResult r, string fqid)
    {
        var e = Assert.Single(r.Errors);
        Assert.Equal(fqid, e.FullyQualifiedErrorId);
        return e;
    }

    [Fact]
    public void The_admin_session_from_the_issue_works_end_to_end()
    {
        var created = Ok(NewWeb).Output.Single();
        Assert.Equal("JailPS.Jail", created.TypeNames[0]);
        Assert.Equal("Stopped", created.Properties["State"].Value.ToString());
        Assert.True(File.Exists(Path.Combine(Root, "etc/jail.conf.d/web.conf")));

        Assert.Single(Ok("Get-Jail").Output);
        var started = Ok("Start-Jail web -PassThru").Output.Single();
        Assert.Equal("Running", started.Properties["State"].Value.ToString());
        int jid = (int)started.Properties["Jid"].Value;
        Assert.Equal(jid, (int)Ok("Get-Jail web | Where-Object State -eq Running | ForEach-Object Jid").Output.Single().BaseObject);

        Ok("Set-Jail web -Parameter @{ 'host.hostname' = 'www.example.org' } -Persist");
        Assert.Equal("www.example.org", Ok("(Get-Jail web).Hostname").Output.Single().BaseObject);
        Assert.Contains("www.example.org", File.ReadAllText(Path.Combine(Root, "etc/jail.conf.d/web.conf")));

        Ok("Get-Jail -Name w* | Stop-Jail -Timeout 30");
        Assert.Equal("Stopped", Ok("(Get-Jail web).State").Output.Single().ToString());
        Assert.Equal("Running", Ok("(Restart-Jail web -PassThru).State").Output.Single().ToString());

        Ok("Remove-Jail web -Force -Confirm:$false");
        Assert.Empty(Ok("Get-Jail").Output);
        Assert.True(Directory.Exists(Path.Combine(Root, "usr/jails/web")), "the root directory is kept");
    }

    [Fact]
    public void Import_then_start_matching_jails_and_export()
    {
        Directory.CreateDirectory(Path.Combine(Root, "etc"));
        foreach (var d in new[] { "db1", "db2", "web" }) Directory.CreateDirectory(Path.Combine(Root, "usr/jails", d));
        File.WriteAllText(Path.Combine(Root, "etc/jail.conf"),
            "path = \"/usr/jails/$name\";\nexec.start = \"/bin/sh /etc/rc\";\ndb1 { ip4.addr = 10.1.0.21; }\ndb2 { ip4.addr = 10.1.0.22; }\nweb { }\n");
        Ok("Import-JailConfig /etc/jail.conf | Where-Object Name -like 'db*' | Start-Jail");
        var states = Ok("Get-Jail | ForEach-Object { $_.Name + '=' + $_.State }").Output.Select(o => o.ToString()).ToArray();
        Assert.Equal(new[] { "db1=Running", "db2=Running", "web=Stopped" }, states);
        string text = (string)Ok("Get-Jail db1 | Export-JailConfig").Output.Single().BaseObject;
        Assert.Contains("db1 {", text);
        Assert.Contains("/usr/jails/db1", text);
        Assert.Contains("10.1.0.21", text);
    }

    [Fact]
    public void WhatIf_prints_the_plan_and_changes_nothing()
    {
        var r = Ok(NewWeb + " -WhatIf");
        Assert.Empty(r.Output);
        Assert.Contains("What if:", r.HostText);
        Assert.Contains("/etc/jail.conf.d/web.conf", r.HostText);
        // The booted simulated host has only /etc/defaults/devfs.rules under etc; -WhatIf adds nothing.
        Assert.Equal(new[] { Path.Combine(Root, "etc", "defaults") }, Directory.GetFileSystemEntries(Path.Combine(Root, "etc")));
        Assert.False(Directory.Exists(Path.Combine(Root, "usr")));
        Assert.False(Directory.Exists(Path.Combine(Root, "var")), "-WhatIf must not even take a lock");

        Ok(NewWeb);
        var s = Ok("Start-Jail web -WhatIf");
        Assert.Contains("jail_set(JAIL_CREATE) name=web", s.HostText);
        Assert.Contains("securelevel=3", s.HostText);
        Assert.Contains("allow.noraw_sockets", s.HostText);
        Assert.Contains("exec.start: in jail: /bin/sh /etc/rc", s.HostText);
        Assert.Equal("Stopped", Ok("(Get-Jail web).State").Output.Single().ToString());
    }

    [Fact]
    public void Get_Jail_over_N_jails_makes_N_plus_1_jail_get_calls_and_starts_no_process()
    {
        Ok("1..20 | ForEach-Object { New-Jail -Name \"j$_\" -Path \"/usr/jails/j$_\" -Persist } | Start-Jail");
        var r = Ok("""
            $k = [JailPS.Core.Host.JailHost]::Simulated($env:JAILPS_SIMULATED_HOST).Simulation
            $k.Kernel.ResetCounts(); $before = $k.Processes.Log.Count
            $n = @(Get-Jail).Count
            $n; $k.Kernel.CallCounts['jail_get']; $k.Processes.Log.Count - $before
            """);
        Assert.Equal(new object[] { 20, 21L, 0 }, r.Output.Select(o => o.BaseObject).ToArray());
    }

    [Fact]
    public void Errors_have_stable_ids_categories_targets_and_actions()
    {
        var nf = OneError(_s.Run("Get-Jail nosuch"), "JailNotFound,JailPS.Commands.GetJailCommand");
        Assert.Equal(ErrorCategory.ObjectNotFound, nf.CategoryInfo.Category);
        Assert.Equal("nosuch", nf.TargetObject);
        Assert.NotNull(nf.ErrorDetails?.RecommendedAction);

        Ok(NewWeb);
        var dup = OneError(_s.Run(NewWeb), "JailAlreadyExists,JailPS.Commands.NewJailCommand");
        Assert.Equal(ErrorCategory.ResourceExists, dup.CategoryInfo.Category);

        var unknown = OneError(_s.Run("New-Jail -Name x -Path /usr/jails/x -Parameter @{ 'allow.nosuch' = 1 }"), "JailParameterUnknown,JailPS.Commands.NewJailCommand");
        Assert.Equal(ErrorCategory.InvalidArgument, unknown.CategoryInfo.Category);
        Assert.Contains("allow.nosuch", unknown.Exception.Message);

        OneError(_s.Run("New-Jail -Name x -Path /usr/jails/x -Parameter @{ securelevel = 'high' }"), "JailParameterInvalidValue,JailPS.Commands.NewJailCommand");
        OneError(_s.Run("New-Jail -Name 0123 -Path /usr/jails/x"), "JailInvalidName,JailPS.Commands.NewJailCommand");
        OneError(_s.Run("New-Jail -Name 'w*' -Path /usr/jails/x"), "JailNameContainsWildcard,JailPS.Commands.NewJailCommand");
        OneError(_s.Run("New-Jail -Name x -Path usr/jails/x"), "JailPathNotAbsolute,JailPS.Commands.NewJailCommand");
        Assert.False(File.Exists(Path.Combine(Root, "etc/jail.conf.d/x.conf")));

        Ok("Start-Jail web");
        OneError(_s.Run("Start-Jail web"), "JailAlreadyRunning,JailPS.Commands.StartJailCommand");
        Ok("Start-Jail web -Force");
        OneError(_s.Run("Remove-Jail web -Confirm:$false"), "JailIsRunning,JailPS.Commands.RemoveJailCommand");
        OneError(_s.Run("Set-Jail web -Parameter @{ path = '/tmp' }"), "JailParameterCreateOnly,JailPS.Commands.SetJailCommand");
        Ok("Stop-Jail web");
        OneError(_s.Run("Stop-Jail web"), "JailNotRunning,JailPS.Commands.StopJailCommand");
        OneError(_s.Run("Set-Jail web -Parameter @{ securelevel = 2 }"), "JailNotRunning,JailPS.Commands.SetJailCommand");
    }

    [Fact]
    public void ErrorAction_Stop_makes_failures_catchable_in_runbooks()
    {
        var r = Ok("try { Start-Jail nosuch -ErrorAction Stop; 'not reached' } catch { $_.FullyQualifiedErrorId }");
        Assert.Equal("JailNotFound,JailPS.Commands.StartJailCommand", r.Output.Single().ToString());
    }

    [Fact]
    public void One_failing_jail_does_not_stop_the_others_in_a_pipeline()
    {
        Ok("New-Jail -Name a -Path /usr/jails/a -Persist; New-Jail -Name c -Path /usr/jails/c -Persist");
        var r = _s.Run("'a', 'b', 'c' | Start-Jail -PassThru | ForEach-Object Name");
        Assert.Equal(new[] { "a", "c" }, r.Output.Select(o => o.ToString()));
        OneError(r, "JailNotFound,JailPS.Commands.StartJailCommand");
    }

    [Fact]
    public void A_failing_exec_start_rolls_back_and_reports_one_error_naming_the_step()
    {
        Ok(NewWeb);
        File.WriteAllText(Path.Combine(Root, ".simulation/responses.json"), """[ { "Purpose": "exec.start", "ExitCode": 78, "StandardError": "rc: cannot run" } ]""");
        var e = OneError(_s.Run("Start-Jail web"), "JailCommandFailed,JailPS.Commands.StartJailCommand");
        Assert.Contains("failed at exec.start", e.Exception.Message);
        Assert.Contains("Rolled back: jail_remove(web)", e.Exception.Message);
        Assert.Contains("rc: cannot run", e.Exception.Message);
        Assert.Equal("Stopped", Ok("(Get-Jail web).State").Output.Single().ToString());
    }

    [Fact]
    public void A_15_0_simulated_host_has_meta_and_env_and_a_14_3_one_refuses_them()
    {
        var r = Ok("$lab = New-JailSimulatedHost -Release 15.0; $lab.Release; " +
                   "New-Jail web -Path /usr/jails/web -Persist -Parameter @{ meta = 'owner=ops'; 'env.tier' = 'prod' } | Out-Null; Start-Jail web; " +
                   "(Get-Jail web).Parameters['meta']; (Get-Jail web).Parameters['env']; $lab | Remove-JailSimulatedHost");
        Assert.Equal(new[] { "15.0", "owner=ops", "tier=prod" }, r.Output.Select(o => o.ToString()));

        var old = _s.Run("$lab = New-JailSimulatedHost -Release 14.3; New-Jail web -Path /usr/jails/web -Persist -Parameter @{ meta = 'owner=ops' }; $lab | Remove-JailSimulatedHost");
        Assert.Equal("JailParameterUnknown,JailPS.Commands.NewJailCommand", Assert.Single(old.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void Start_Jail_JidFile_writes_a_line_per_started_jail_as_jail_J()
    {
        foreach (string n in new[] { "web", "db" }) Directory.CreateDirectory(Path.Combine(Root, "usr/jails/" + n));
        Directory.CreateDirectory(Path.Combine(Root, "var/run/jail"));
        Ok("New-Jail -Name web -Path /usr/jails/web -Persist | Out-Null; New-Jail -Name db -Path /usr/jails/db -Persist | Out-Null; Start-Jail db");
        Ok("Start-Jail web, db -Force -JidFile /var/run/jail/started.jid");
        long jid = Convert.ToInt64(Ok("(Get-Jail web).Jid").Output.Single().BaseObject);
        // db ran already: only web was started by this command.
        Assert.Equal($"jid={jid}\tname=web\tpath=/usr/jails/web\tpersist\n", File.ReadAllText(Path.Combine(Root, "var/run/jail/started.jid")));

        var e = OneError(_s.Run("Stop-Jail web; Start-Jail web -JidFile relative.jid"), "JailPathNotAbsolute,JailPS.Commands.StartJailCommand");
        Assert.Contains("nothing was started", e.Exception.Message);
        Assert.Equal("Stopped", Ok("(Get-Jail web).State").Output.Single().ToString());
    }

    [Fact]
    public void Set_Jail_Restart_restarts_only_when_a_create_only_value_changes_as_jail_mr()
    {
        Directory.CreateDirectory(Path.Combine(Root, "usr/jails/web"));
        Ok("New-Jail -Name web -Path /usr/jails/web -Persist; Start-Jail web");
        long jid1 = Convert.ToInt64(Ok("(Get-Jail web).Jid").Output.Single().BaseObject);

        // securelevel is live; osrelease equal to the running value: no restart.
        string release = Ok("(Get-Jail web).Parameters['osrelease']").Output.Single().ToString();
        Ok($"Set-Jail web -Parameter @{{ securelevel = 2; osrelease = '{release}' }} -Restart");
        Assert.Equal(jid1, Convert.ToInt64(Ok("(Get-Jail web).Jid").Output.Single().BaseObject));

        var r = Ok("Set-Jail web -Parameter @{ osrelease = '13.5-RELEASE' } -Restart -PassThru");
        var web = Assert.Single(r.Output);
        Assert.Equal("13.5-RELEASE", Ok("(Get-Jail web).Parameters['osrelease']").Output.Single().ToString());
        Assert.NotEqual(jid1, Convert.ToInt64(web.Properties["Jid"].Value));
        Assert.Contains("osrelease = 13.5-RELEASE;", File.ReadAllText(Path.Combine(Root, "etc/jail.conf.d/web.conf")));
    }

    [Fact]
    public void A_broken_jail_conf_is_a_warning_with_its_position_and_the_jails_it_defines_carry_the_error()
    {
        Directory.CreateDirectory(Path.Combine(Root, "etc"));
        File.WriteAllText(Path.Combine(Root, "etc/jail.conf"), "web {\n\tpath = /usr/jails/web\n}\n");
        var r = _s.Run("Get-Jail; 'after'");
        Assert.Empty(r.Errors);
        Assert.Contains("/etc/jail.conf:", Assert.Single(r.Warnings).Message);
        var web = r.Output[0];
        Assert.Equal("web", web.Properties["Name"].Value);
        Assert.StartsWith("/etc/jail.conf:", (string)web.Properties["DefinitionError"].Value);
        Assert.Equal("after", r.Output[1].BaseObject);

        var e = Assert.Single(_s.Run("Start-Jail web").Errors);
        Assert.Equal(ErrorCategory.ParserError, e.CategoryInfo.Category);
        Assert.StartsWith("JailConf", e.FullyQualifiedErrorId);
        Assert.Contains("/etc/jail.conf:", e.Exception.Message);
    }

    [Fact]
    public void Without_the_opt_in_off_FreeBSD_every_cmdlet_says_how_to_opt_in()
    {
        using var plain = new ModuleSession(simulatedHost: false);
        var r = plain.Run("Get-Jail");
        var e = r.Errors.Single();
        Assert.Equal("JailHostNotFreeBSD,JailPS.Commands.GetJailCommand", e.FullyQualifiedErrorId);
        Assert.Contains("JAILPS_SIMULATED_HOST", e.ErrorDetails!.RecommendedAction);
    }

    [Fact]
    public void Objects_survive_a_remoting_round_trip_and_keep_their_views()
    {
        Ok(NewWeb + "; Start-Jail web");
        var r = Ok("""
            $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize((Get-Jail web)))
            $copy.PSObject.TypeNames[0]; $copy.Name; $copy.State; $copy.Hostname; $copy.IPv4Address[0]; $copy.Parameters['securelevel']; $copy.IsSimulated
            $copy | Out-Default
            """);
        Assert.Equal(new object[] { "Deserialized.JailPS.Jail", "web", "Running", "web.example.org", "10.1.0.5", 3, true },
            r.Output.Select(o => o.BaseObject is PSObject p ? p.BaseObject : o.BaseObject).Select(v => v is string || v is int || v is bool ? v : v.ToString()).ToArray());
        Assert.Single(Ok("$c = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize((Get-Jail web))); $c | Where-Object State -eq Running").Output);
        Assert.Contains("JID", r.HostText);
        Assert.Contains("/usr/jails/web", r.HostText);
        Assert.Contains("10.1.0.5", r.HostText);
    }

    [Fact]
    public void Pipeline_binds_by_property_name_and_by_object()
    {
        Ok("New-Jail -Name a -Path /usr/jails/a -Persist");
        Assert.Equal("Running", Ok("[pscustomobject]@{ Name = 'a' } | Start-Jail -PassThru | ForEach-Object State").Output.Single().ToString());
        Assert.Equal("Stopped", Ok("Get-Jail a | Stop-Jail -PassThru | ForEach-Object State").Output.Single().ToString());
        Ok("[pscustomobject]@{ Name = 'b'; Path = '/usr/jails/b'; Hostname = 'b.example.org' } | New-Jail");
        Assert.Equal("b.example.org", Ok("(Get-Jail b).Hostname").Output.Single().ToString());
    }

    [Fact]
    public void Remove_asks_for_confirmation_and_no_keeps_the_jail()
    {
        Ok("New-Jail -Name a -Path /usr/jails/a");
        _s.Answer("N");
        _s.Run("Remove-Jail a -Confirm");
        Assert.Single(Ok("Get-Jail a").Output);
    }

    [Fact]
    public void Jail_names_complete()
    {
        Ok("New-Jail -Name web -Path /usr/jails/web; New-Jail -Name db -Path /usr/jails/db");
        var r = Ok("(TabExpansion2 -inputScript 'Start-Jail w' -cursorColumn 12).CompletionMatches | ForEach-Object CompletionText");
        Assert.Equal(new[] { "web" }, r.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void Dependencies_start_first_and_stop_last()
    {
        Ok("New-Jail -Name db -Path /usr/jails/db -Persist; New-Jail -Name app -Path /usr/jails/app -Persist -DependsOn db");
        Ok("Start-Jail app");
        Assert.Equal("Running", Ok("(Get-Jail db).State").Output.Single().ToString());
        Ok("Stop-Jail db");
        Assert.Equal("Stopped", Ok("(Get-Jail app).State").Output.Single().ToString());
    }

    [Fact]
    public void The_runbook_example_runs_clean_in_the_hosted_engine()
    {
        string runbook = Path.Combine(RepoPaths.Root, "docs", "examples", "runbook.ps1");
        var r = _s.Run($"& '{runbook}' | Out-Default");
        Assert.True(r.Errors.Count == 0, string.Join(" | ", r.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)));
        Assert.Contains("SIMULATED", r.HostText.ToUpperInvariant());
    }

    [Fact]
    public void The_tour_runs_clean_in_the_hosted_engine()
    {
        string tour = Path.Combine(RepoPaths.Root, "docs", "examples", "tour.ps1");
        var r = _s.Run($"& '{tour}' | Out-Default");
        Assert.True(r.Errors.Count == 0, string.Join(" | ", r.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)));
        Assert.Contains("SIMULATED HOST", r.HostText);
        Assert.Contains("caught JailNotFound,JailPS.Commands.StartJailCommand", r.HostText);
        Assert.Contains("jails left: 0", r.HostText);
    }
}
