using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>
/// Objects from another host never act on this host's jail of the same name. Two simulated hosts
/// in one session stand for two machines: "here" (the one $env:JAILPS_SIMULATED_HOST names when a
/// command runs) and "there". A remote object is made the way Invoke-Command makes it: serialized,
/// deserialized, with PSComputerName and PSShowComputerName added.
/// (The same refusal over real sshd: tests/pester/JailPS.Remoting.Tests.ps1.)
/// </summary>
public sealed class CrossHostTests : IDisposable
{
    private readonly ModuleSession _s = new();
    private readonly string _there = Path.Combine(Path.GetTempPath(), "jailps-there-" + Guid.NewGuid().ToString("N"));

    public CrossHostTests()
    {
        _s.SetVariable("here", _s.SimulatedHostPath);
        _s.SetVariable("there", _there);
        // ConvertTo-RemoteCopy (tests/pester/RoundTrip.ps1): an object as Invoke-Command returns it.
        _s.SetVariable("roundTrip", Path.Combine(RepoPaths.Root, "tests", "pester", "RoundTrip.ps1"));
        // One jail called web on each host, both running.
        Ok("""
            . $roundTrip
            function Use-Host($path) { $env:JAILPS_SIMULATED_HOST = $path }
            foreach ($h in $there, $here) {
                Use-Host $h
                New-Jail -Name web -Path /usr/jails/web -Persist | Out-Null
                New-Jail -Name db -Path /usr/jails/db -Persist | Out-Null
                Start-Jail web, db
            }
            """);
    }

    public void Dispose()
    {
        _s.Dispose();
        if (Directory.Exists(_there))
            Directory.Delete(_there, recursive: true);
    }

    private PSResult Ok(string script)
    {
        var r = _s.Run(script);
        Assert.True(r.Errors.Count == 0, "unexpected errors: " + string.Join(" | ", r.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)));
        return r;
    }

    private string StateHere(string jail) => Ok($"Use-Host $here; (Get-Jail {jail}).State").Output.Single().ToString()!;

    [Fact]
    public void A_jail_from_another_host_piped_into_Stop_Jail_is_refused_and_this_hosts_jail_keeps_running()
    {
        var r = _s.Run("""
            Use-Host $there; $remote = ConvertTo-RemoteCopy (Get-Jail web) 'bsd2'
            Use-Host $here; $remote | Stop-Jail
            """);
        var e = Assert.Single(r.Errors);
        Assert.Equal("JailObjectFromOtherHost,JailPS.Commands.StopJailCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.Equal("web", e.TargetObject);
        Assert.Contains("simulated:" + _there, e.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("(reached as bsd2)", e.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("Invoke-Command -Session $session { Stop-Jail -Name 'web' }", e.ErrorDetails.RecommendedAction, StringComparison.Ordinal);
        Assert.Equal("Running", StateHere("web"));
        // ... and the host it came from was not touched either.
        Assert.Equal("Running", Ok("Use-Host $there; (Get-Jail web).State").Output.Single().ToString());
    }

    [Fact]
    public void The_recommended_command_names_the_jail_and_acts_on_this_host_only()
    {
        var r = _s.Run("""
            Use-Host $there; $remote = ConvertTo-RemoteCopy (Get-Jail web) 'bsd2'
            Use-Host $here; $remote | Stop-Jail -ErrorVariable refused -ErrorAction SilentlyContinue
            $refused[0].ErrorDetails.RecommendedAction -replace '^.*name it again: ', '' -replace '\.$', ''
            """);
        string command = r.Output.Single().ToString()!;
        Assert.Equal("Stop-Jail -Name 'web'", command);
        Ok("Use-Host $here; " + command);
        Assert.Equal("Stopped", StateHere("web"));
        Assert.Equal("Running", Ok("Use-Host $there; (Get-Jail web).State").Output.Single().ToString());
    }

    /// <summary>
    /// The check must not change how PowerShell binds local input: objects with a ComputerName
    /// property still bind -Name by property name (a first version, with hidden parameters bound by
    /// property name, made the default parameter set win and bound their ToString() instead).
    /// </summary>
    [Fact]
    public void Local_pipelines_bind_as_they_always_did()
    {
        Ok("""
            Use-Host $here
            New-Jail -Name app -Path /usr/jails/app -IPv4Address 10.0.0.5 -Persist | Start-Jail
            """);
        string jid = Ok("Use-Host $here; (Get-Jail app).Jid").Output.Single().ToString()!;
        var r = Ok("""
            Use-Host $here
            Get-JailIPAddress app | Restart-Jail -PassThru | ForEach-Object Name
            $csv = Join-Path $here 'jails.csv'
            Get-Jail db | Export-Csv $csv
            Import-Csv $csv | Stop-Jail -PassThru | ForEach-Object State
            [pscustomobject]@{ Name = 'web'; ComputerName = 'somewhere-else' } | Stop-Jail -PassThru | ForEach-Object State
            """);
        Assert.Equal(new[] { "app", "Stopped", "Stopped" }, r.Output.Select(o => o.ToString()).ToArray());
        Assert.NotEqual(jid, Ok("Use-Host $here; (Get-Jail app).Jid").Output.Single().ToString());
    }

    [Fact]
    public void An_array_piped_as_one_object_is_refused_for_its_items()
    {
        var r = _s.Run("""
            Use-Host $there; $remote = @(ConvertTo-RemoteCopy (Get-Jail web) 'bsd2')
            Use-Host $here; ,$remote | Stop-Jail; Write-Output -NoEnumerate $remote | Restart-Jail
            """);
        Assert.Equal(new[] { "JailObjectFromOtherHost", "JailObjectFromOtherHost" }, r.Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]).ToArray());
        Assert.Equal("Running", StateHere("web"));
    }

    [Fact]
    public void Lines_from_another_host_are_standard_input_when_the_jail_is_named()
    {
        var r = Ok("""
            Use-Host $there; $lines = ConvertTo-RemoteCopy 'hello' 'bsd2'
            Use-Host $here; $lines | Invoke-JailCommand web -Command cat | ForEach-Object ExitCode
            Invoke-JailCommand web -Command cat -StandardInput $lines | ForEach-Object ExitCode
            """);
        Assert.Equal(new[] { "0", "0" }, r.Output.Select(o => o.ToString()).ToArray());
        // Without a name, what is piped names the jail: another host's.
        var named = _s.Run("Use-Host $there; $remote = ConvertTo-RemoteCopy (Get-Jail web) 'bsd2'; Use-Host $here; $remote | Invoke-JailCommand -Command uptime");
        Assert.Equal("JailObjectFromOtherHost", Assert.Single(named.Errors).FullyQualifiedErrorId.Split(',')[0]);
    }

    [Fact]
    public void Test_Jail_does_not_call_a_refused_jail_in_sync()
    {
        var r = _s.Run("Use-Host $there; $remote = ConvertTo-RemoteCopy (Get-Jail web) 'bsd2'; Use-Host $here; $remote | Test-Jail");
        Assert.Equal("JailObjectFromOtherHost", Assert.Single(r.Errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.False((bool)r.Output.Single().BaseObject);
    }

    [Fact]
    public void The_engine_lets_a_command_see_its_pipeline_object()
    {
        // PipelineOrigin reads this internal property; a pwsh without it would see no origin at all.
        var r = Ok("[System.Management.Automation.Internal.InternalCommand].GetProperty('CurrentPipelineObject', [System.Reflection.BindingFlags]'NonPublic,Instance').PropertyType.FullName");
        Assert.Equal("System.Management.Automation.PSObject", r.Output.Single().ToString());
    }

    [Fact]
    public void A_live_object_from_another_simulated_host_is_refused_through_InputObject_too()
    {
        var r = _s.Run("""
            Use-Host $there; $other = Get-Jail web
            Use-Host $here; Stop-Jail -InputObject $other; $other | Restart-Jail
            """);
        Assert.Equal(new[] { "JailObjectFromOtherHost,JailPS.Commands.StopJailCommand", "JailObjectFromOtherHost,JailPS.Commands.RestartJailCommand" },
            r.Errors.Select(e => e.FullyQualifiedErrorId).ToArray());
        Assert.Equal("Running", StateHere("web"));
    }

    [Fact]
    public void Only_the_foreign_items_of_a_mixed_pipeline_are_refused()
    {
        var r = _s.Run("""
            Use-Host $there; $remote = ConvertTo-RemoteCopy (Get-Jail web) 'bsd2'
            Use-Host $here; @($remote, (Get-Jail db), [pscustomobject]@{ Name = 'web' }) | Stop-Jail
            """);
        Assert.Equal("JailObjectFromOtherHost", Assert.Single(r.Errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.Equal("Stopped", StateHere("db"));
        Assert.Equal("Stopped", StateHere("web"));   // by the hand-made object, which names no host
    }

    [Fact]
    public void Objects_from_this_host_are_accepted_after_a_round_trip_and_through_a_session_to_itself()
    {
        Ok("""
            Use-Host $here
            $file = Join-Path $here 'inventory.xml'
            Get-Jail web | Export-Clixml $file
            Import-Clixml $file | Stop-Jail
            ConvertTo-RemoteCopy (Get-Jail db) 'localhost' | Stop-Jail
            """);
        Assert.Equal("Stopped", StateHere("web"));
        Assert.Equal("Stopped", StateHere("db"));
    }

    [Fact]
    public void Another_machine_reached_by_name_is_refused_even_when_it_calls_itself_like_this_host()
    {
        // Cloned hosts keep their hostname: the object says "this host", the session says another machine.
        var r = _s.Run("Use-Host $here; ConvertTo-RemoteCopy (Get-Jail web) 'bsd2.example.org' | Stop-Jail");
        var e = Assert.Single(r.Errors);
        Assert.Equal("JailObjectFromOtherHost,JailPS.Commands.StopJailCommand", e.FullyQualifiedErrorId);
        Assert.Contains("bsd2.example.org, which is not this machine", e.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("Running", StateHere("web"));
    }

    /// <summary>Every kind of command refuses, the ones that only read as well: their answer would be about another jail.</summary>
    [Theory]
    [InlineData("Start-Jail")]
    [InlineData("Restart-Jail")]
    [InlineData("Remove-Jail -Force")]
    [InlineData("Set-Jail -Parameter @{ securelevel = 2 }")]
    [InlineData("Update-Jail")]
    [InlineData("Invoke-JailCommand -Command uptime")]
    [InlineData("Set-JailLimit -Resource maxproc -Amount 50")]
    [InlineData("Remove-JailLimit")]
    [InlineData("Set-JailCpuSet -Cpu 0")]
    [InlineData("Add-JailIPAddress -Address 10.9.9.9")]
    [InlineData("Mount-JailFileSystem -Type tmpfs -Source tmpfs -Target /tmp")]
    [InlineData("Repair-Jail")]
    [InlineData("Get-JailMount")]
    [InlineData("Get-JailLimit")]
    [InlineData("Test-Jail")]
    [InlineData("Get-Jail")]
    public void Every_command_refuses_a_piped_jail_from_another_host(string command)
    {
        string log = Ok("Use-Host $here; (Get-JailSimulatedCommand).Count").Output.Single().ToString()!;
        var r = _s.Run($"Use-Host $there; $remote = ConvertTo-RemoteCopy (Get-Jail web) 'bsd2'; Use-Host $here; $remote | {command} -WarningAction SilentlyContinue");
        Assert.Equal("JailObjectFromOtherHost", Assert.Single(r.Errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.Empty(r.Output.Where(o => o is not null && o.BaseObject is not bool));
        Assert.Equal("Running", StateHere("web"));
        Assert.Equal(log, Ok("Use-Host $here; (Get-JailSimulatedCommand).Count").Output.Single().ToString());
    }

    [Fact]
    public void Remote_names_are_refused_but_remote_jail_conf_text_is_content_to_read_here()
    {
        // Names that came back from another host name that host's jails.
        var r = _s.Run("Use-Host $there; $names = ConvertTo-RemoteCopy 'web' 'bsd2'; Use-Host $here; $names | Stop-Jail");
        Assert.Equal("JailObjectFromOtherHost,JailPS.Commands.StopJailCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
        Assert.Equal("Running", StateHere("web"));
        // A definition's text copied from another host is read as this host's configuration.
        var copied = Ok("""
            Use-Host $there; $text = ConvertTo-RemoteCopy 'app { path = /usr/jails/app; persist; }' 'bsd2'
            Use-Host $here; $text | Import-JailConfig | ForEach-Object { $_.Name; $_.ComputerName }
            """);
        Assert.Equal(new[] { "app", "simulated:" + _s.SimulatedHostPath }, copied.Output.Select(o => o.ToString()).ToArray());
        // A path from another host names a file there.
        var path = _s.Run("Use-Host $there; $file = ConvertTo-RemoteCopy ([pscustomobject]@{ FullName = '/etc/jail.conf' }) 'bsd2'; Use-Host $here; $file | Import-JailConfig");
        Assert.Equal("JailObjectFromOtherHost,JailPS.Commands.ImportJailConfigCommand", Assert.Single(path.Errors).FullyQualifiedErrorId);
    }
}
