using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>Invoke-JailCommand, Wait-Jail and Enter-Jail in the hosted engine against the simulated host.</summary>
public sealed class InJailCmdletTests : IDisposable
{
    private readonly ModuleSession _s = new();

    public void Dispose() => _s.Dispose();

    private string Root => Environment.GetEnvironmentVariable("JAILPS_SIMULATED_HOST")!;

    private PSResult Ok(string script)
    {
        var r = _s.Run(script);
        Assert.True(r.Errors.Count == 0, "unexpected errors: " + string.Join(" | ", r.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)));
        return r;
    }

    private void Respond(string json)
    {
        Directory.CreateDirectory(Path.Combine(Root, ".simulation"));
        File.WriteAllText(Path.Combine(Root, ".simulation/responses.json"), json);
    }

    private string[] Logged(string purpose)
    {
        string log = Path.Combine(Root, ".simulation/commands.log");
        return File.Exists(log) ? File.ReadAllLines(log).Where(l => l.Contains("\"Purpose\":\"" + purpose + "\"")).ToArray() : Array.Empty<string>();
    }

    private static object? P(object? o, string name) => PSValue.Property(PSObject.AsPSObject(o!), name);

    private void RunningWeb() => Ok("New-Jail -Name web -Path /usr/jails/web -Persist | Start-Jail");

    [Fact]
    public void A_command_returns_a_result_object_with_output_and_exit_code()
    {
        RunningWeb();
        Respond("""[ { "Command": "service nginx status", "StandardOutput": "nginx is running as pid 42.\n", "ExitCode": 0 } ]""");
        var r = Ok("$r = Invoke-JailCommand web -Command service, nginx, status; $r.ExitCode; $r.Output; $r.Jail; $r.PSObject.TypeNames[0]; $r.Succeeded");
        Assert.Equal(new object[] { 0, "nginx is running as pid 42.", "web", "JailPS.JailCommandResult", true }, r.Output.Select(o => o.BaseObject).ToArray());
        var line = Assert.Single(Logged("invoke"));
        Assert.Contains("\"/usr/sbin/jexec\",\"1\",\"service\",\"nginx\",\"status\"", line);
    }

    [Fact]
    public void Arguments_reach_the_jail_as_argv_unchanged()
    {
        RunningWeb();
        string[] args = { "printf", "%s\\n", "two words", "it's \"quoted\"", "a;b", "$(reboot)", "`id`", "line1\nline2", "" };
        _s.SetVariable("argv", args);
        Ok("Invoke-JailCommand web -Command $argv | Out-Null");
        var logged = System.Text.Json.JsonDocument.Parse(Logged("invoke").Single()).RootElement.GetProperty("Arguments").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Equal(new[] { "/usr/sbin/jexec", "1" }.Concat(args), logged);
    }

    [Fact]
    public void Options_shape_the_jexec_command_line()
    {
        RunningWeb();
        Ok("Invoke-JailCommand web -ShellCommand 'ls /tmp | wc -l' -User www -Login -WorkingDirectory /var/www -Environment @{ LANG = 'C.UTF-8' } | Out-Null");
        var logged = System.Text.Json.JsonDocument.Parse(Logged("invoke").Single()).RootElement.GetProperty("Arguments").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Equal(new[] { "/usr/sbin/jexec", "-l", "-U", "www", "1", "/bin/sh", "-c", "cd -- \"$1\" || exit 1; shift; exec \"$@\"", "jailps-cd", "/var/www",
            "/usr/bin/env", "LANG=C.UTF-8", "/bin/sh", "-c", "ls /tmp | wc -l" }, logged);
    }

    [Fact]
    public void A_non_zero_exit_is_a_non_terminating_error_carrying_the_result()
    {
        RunningWeb();
        Respond("""[ { "Command": "service nginx status", "StandardError": "nginx is not running.\n", "ExitCode": 3 } ]""");
        var r = _s.Run("$r = Invoke-JailCommand web -Command service, nginx, status; 'after'; $r.ExitCode");
        var e = Assert.Single(r.Errors);
        Assert.Equal("JailCommandFailed,JailPS.Commands.InvokeJailCommandCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidResult, e.CategoryInfo.Category);
        Assert.Equal(3, P(e.TargetObject, "ExitCode"));
        Assert.Equal(3, e.Exception.Data["ExitCode"]);
        Assert.Contains("nginx is not running.", e.Exception.Message);
        Assert.Equal(new object[] { "after", 3 }, r.Output.Select(o => o.BaseObject).ToArray());

        var stop = Ok("try { $null = Invoke-JailCommand web -Command service, nginx, status -ErrorAction Stop; 'not reached' } catch { $_.TargetObject.ExitCode; $_.FullyQualifiedErrorId }");
        Assert.Equal(new object[] { 3, "JailCommandFailed,JailPS.Commands.InvokeJailCommandCommand" }, stop.Output.Select(o => o.BaseObject).ToArray());
    }

    [Fact]
    public void A_hanging_command_is_ended_by_Timeout()
    {
        RunningWeb();
        Respond("""[ { "Command": "tail*", "Hang": true } ]""");
        var r = _s.Run("Invoke-JailCommand web -Command tail, -f, /var/log/messages -Timeout 1");
        var e = Assert.Single(r.Errors);
        Assert.Equal("JailCommandTimedOut,JailPS.Commands.InvokeJailCommandCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationTimeout, e.CategoryInfo.Category);
        Assert.Equal(true, P(e.TargetObject, "TimedOut"));
    }

    [Fact]
    public void Ctrl_C_stops_a_hanging_command_and_ends_it_in_the_jail()
    {
        RunningWeb();
        Respond("""[ { "Command": "tail*", "Hang": true, "StandardOutput": "first\n" } ]""");
        using var ps = PowerShell.Create();
        ps.Runspace = _s.Runspace;
        ps.AddScript("Invoke-JailCommand web -Command tail, -f, /var/log/messages -Stream");
        var output = new PSDataCollection<PSObject>();
        var running = ps.BeginInvoke<PSObject, PSObject>(null, output);
        var w = System.Diagnostics.Stopwatch.StartNew();
        while (output.Count == 0 && w.Elapsed < TimeSpan.FromSeconds(10)) System.Threading.Thread.Sleep(20);
        Assert.Equal("first", output.Single().BaseObject.ToString());   // streaming: the line arrived while tail still runs
        ps.Stop();                                                       // what Ctrl+C does
        Assert.True(running.IsCompleted, "the pipeline did not stop");
        Assert.Contains("\"Cancelled\":true", Logged("invoke").Single());
    }

    [Fact]
    public void Stream_writes_lines_tagged_with_their_jail_and_stderr_to_information()
    {
        RunningWeb();
        Respond("""[ { "Command": "tail*", "StandardOutput": "one\ntwo\nthree\n", "StandardError": "warn\n" } ]""");
        var r = Ok("Invoke-JailCommand web -Command tail, -n, 3, /var/log/messages -Stream");
        Assert.Equal(new[] { "one", "two", "three" }, r.Output.Select(o => o.BaseObject.ToString()));
        Assert.All(r.Output, o => Assert.Equal("web", o.Properties["JailName"].Value));
        Assert.Equal("warn", Assert.Single(r.Information).MessageData.ToString());
    }

    [Fact]
    public void Pipeline_input_becomes_standard_input_when_a_name_is_given()
    {
        RunningWeb();
        Respond("""[ { "Command": "sort", "EchoStandardInput": true } ]""");
        var r = Ok("'b', 'a' | Invoke-JailCommand web -Command sort | ForEach-Object Output");
        Assert.Equal(new[] { "b", "a" }, r.Output.Select(o => o.ToString())); // echoed: what the command received
    }

    [Fact]
    public void Fan_out_over_50_jails_keeps_each_result_with_its_jail()
    {
        Ok("1..50 | ForEach-Object { New-Jail -Name \"j$_\" -Path \"/usr/jails/j$_\" -Persist } | Start-Jail");
        Respond("""[ { "Command": "hostname", "Jail": "j1*", "StandardOutput": "one-prefix\n" }, { "Command": "hostname", "DelayMilliseconds": 20 } ]""");
        var r = Ok("Get-Jail j* | Invoke-JailCommand -Command hostname -ThrottleLimit 4");
        Assert.Equal(50, r.Output.Count);
        var results = r.Output.Select(o => (Jail: (string)P(o, "Jail")!, Jid: (int)P(o, "Jid")!, Output: (string[])P(o, "Output")!)).ToList();
        Assert.Equal(50, results.Select(x => x.Jail).Distinct().Count());
        foreach (var x in results)
            Assert.Equal(x.Jail.StartsWith("j1", StringComparison.Ordinal) ? new[] { "one-prefix" } : Array.Empty<string>(), x.Output);
        var jidOf = Ok("Get-Jail j* | ForEach-Object { $_.Name + '=' + $_.Jid }").Output.Select(o => o.ToString()!.Split('=')).ToDictionary(a => a[0], a => int.Parse(a[1]));
        Assert.All(results, x => Assert.Equal(jidOf[x.Jail], x.Jid));
    }

    [Fact]
    public void A_stopped_jail_is_an_error_and_others_still_run()
    {
        RunningWeb();
        Ok("New-Jail -Name db -Path /usr/jails/db -Persist");
        var r = _s.Run("Invoke-JailCommand web, db -Command true");
        Assert.Single(r.Output);
        Assert.Equal("JailNotRunning,JailPS.Commands.InvokeJailCommandCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void ScriptBlock_returns_deserialized_objects_from_pwsh_in_the_jail()
    {
        RunningWeb();
        string clixml = "#< CLIXML\n" + PSSerializer.Serialize(new PSObject(new { Name = "nginx", CPU = 12.5 })).Replace("\r", "") + "\n";
        Respond(System.Text.Json.JsonSerializer.Serialize(new[] { new { Purpose = "invoke.pwsh", StandardOutput = clixml } }));
        var r = Ok("$o = Invoke-JailCommand web -ScriptBlock { Get-Process | Where-Object CPU -gt 10 }; $o.Name; $o.CPU; $o.JailName");
        Assert.Equal(new object[] { "nginx", 12.5, "web" }, r.Output.Select(o => o.BaseObject).ToArray());
        Assert.Contains("-EncodedCommand", Logged("invoke.pwsh").Single());
    }

    [Fact]
    public void ScriptBlock_without_pwsh_in_the_jail_says_so()
    {
        RunningWeb();
        Respond("""[ { "Purpose": "invoke.pwsh", "ExitCode": 127 } ]""");
        var e = Assert.Single(_s.Run("Invoke-JailCommand web -ScriptBlock { 1 }").Errors);
        Assert.Equal("JailPwshNotFound,JailPS.Commands.InvokeJailCommandCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.NotInstalled, e.CategoryInfo.Category);
        Assert.Contains("pkg -j web install powershell", e.ErrorDetails!.RecommendedAction);
    }

    [Fact]
    public void WhatIf_runs_nothing()
    {
        RunningWeb();
        var r = Ok("Invoke-JailCommand web -Command reboot -WhatIf");
        Assert.Contains("What if:", r.HostText);
        Assert.Empty(Logged("invoke"));
    }

    [Fact]
    public void Wait_Jail_returns_when_the_state_is_reached_and_times_out_typed()
    {
        Ok("New-Jail -Name db -Path /usr/jails/db -Persist");
        var timeout = _s.Run("Wait-Jail db -For Running -Timeout 1");
        var e = Assert.Single(timeout.Errors);
        Assert.Equal("JailWaitTimeout,JailPS.Commands.WaitJailCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.OperationTimeout, e.CategoryInfo.Category);

        // Another runspace (another thread) starts the jail while this one waits.
        var starter = System.Threading.Tasks.Task.Run(() =>
        {
            System.Threading.Thread.Sleep(400);
            using var rs = System.Management.Automation.Runspaces.RunspaceFactory.CreateRunspace(System.Management.Automation.Runspaces.InitialSessionState.CreateDefault2());
            rs.Open();
            using var ps = PowerShell.Create();
            ps.Runspace = rs;
            ps.AddScript($"Import-Module '{_s.ModuleManifest}'; Start-Jail db").Invoke();
            return ps.HadErrors;
        });
        var w = System.Diagnostics.Stopwatch.StartNew();
        var r = Ok("(Wait-Jail db -For Running -Timeout 10 -PassThru).State");
        Assert.Equal("Running", r.Output.Single().ToString());
        Assert.True(w.ElapsedMilliseconds >= 300, "Wait-Jail returned before the jail started");
        Assert.False(starter.Result, "the background Start-Jail failed");
        Assert.Equal("Stopped", Ok("Stop-Jail db; (Wait-Jail db -For Stopped -Timeout 5 -PassThru).State").Output.Single().ToString());
    }

    [Fact]
    public void Piped_jail_objects_are_targets_never_standard_input()
    {
        RunningWeb();
        Respond("""[ { "Command": "cat", "EchoStandardInput": true } ]""");
        var r = Ok("Get-Jail web | Invoke-JailCommand -Command cat");
        Assert.Empty((string[])P(r.Output.Single(), "Output")!);
        Assert.DoesNotContain("\"StandardInputLength\":3", Logged("invoke").Single());
    }

    [Fact]
    public void Unknown_names_are_not_found_and_an_all_digit_name_is_a_jid()
    {
        RunningWeb();
        Assert.Equal("JailNotFound,JailPS.Commands.InvokeJailCommandCommand", Assert.Single(_s.Run("Invoke-JailCommand nosuch -Command true").Errors).FullyQualifiedErrorId);
        Assert.Equal("web", Ok("(Invoke-JailCommand 1 -Command true).Jail").Output.Single().ToString());
    }

    [Fact]
    public void Bad_options_are_one_terminating_error_before_any_jail_runs()
    {
        RunningWeb();
        Ok("New-Jail -Name db -Path /usr/jails/db -Persist | Start-Jail");
        var env = _s.Run("Invoke-JailCommand web, db -Command true -Environment @{ 'BAD-NAME' = 1 }");
        Assert.Equal("JailCommandInvalidEnvironment,JailPS.Commands.InvokeJailCommandCommand", Assert.Single(env.Errors).FullyQualifiedErrorId);
        var user = _s.Run("Invoke-JailCommand web -Command true -UserFromHost");
        Assert.Equal("JailCommandUserMissing,JailPS.Commands.InvokeJailCommandCommand", Assert.Single(user.Errors).FullyQualifiedErrorId);
        Assert.Empty(Logged("invoke"));
    }

    [Fact]
    public void Under_ErrorAction_Stop_a_failure_ends_the_commands_still_running_in_other_jails()
    {
        Ok("1..4 | ForEach-Object { New-Jail -Name \"j$_\" -Path \"/usr/jails/j$_\" -Persist } | Start-Jail");
        Respond("""[ { "Command": "work", "Jail": "j1", "ExitCode": 1, "DelayMilliseconds": 100 }, { "Command": "work", "Hang": true } ]""");
        var w = System.Diagnostics.Stopwatch.StartNew();
        var r = Ok("try { Invoke-JailCommand j1, j2, j3, j4 -Command work -ErrorAction Stop } catch { $_.TargetObject.Jail }");
        Assert.True(w.Elapsed < TimeSpan.FromSeconds(20), "hanging commands in the other jails were not ended");
        Assert.Equal("j1", r.Output.Last().ToString());
        Assert.Equal(3, Logged("invoke").Count(l => l.Contains("\"Cancelled\":true")));
    }

    [Fact]
    public void ScriptBlock_output_keeps_the_jails_streams_apart()
    {
        RunningWeb();
        string objs = PSSerializer.Serialize(new PSObject("fine")).Replace("\r", "");
        string error = objs.Replace("<S>fine</S>", "<S S=\"Error\">disk almost full</S>");
        Respond(System.Text.Json.JsonSerializer.Serialize(new[] { new { Purpose = "invoke.pwsh", StandardOutput = "#< CLIXML\n" + objs + "\n" + error + "\n" } }));
        var r = _s.Run("Invoke-JailCommand web -ScriptBlock { 'fine'; Write-Error 'disk almost full' }");
        Assert.Equal("fine", r.Output.Single().BaseObject.ToString());
        Assert.Contains("disk almost full", Assert.Single(r.Errors).Exception.Message);
    }

    [Fact]
    public void Wait_Jail_can_wait_for_a_jail_that_does_not_exist_yet()
    {
        var e = Assert.Single(_s.Run("Wait-Jail ghost -For Running -Timeout 1").Errors);
        Assert.Equal("JailWaitTimeout,JailPS.Commands.WaitJailCommand", e.FullyQualifiedErrorId);
    }

    [Fact]
    public void Enter_Jail_without_a_terminal_fails_clearly()
    {
        RunningWeb();
        var e = Assert.Single(_s.Run("Enter-Jail web").Errors);
        Assert.Equal("JailNoTerminal,JailPS.Commands.EnterJailCommand", e.FullyQualifiedErrorId);
        Assert.Contains("Invoke-JailCommand", e.ErrorDetails!.RecommendedAction);
        Assert.Empty(Logged("enter"));
    }
}
