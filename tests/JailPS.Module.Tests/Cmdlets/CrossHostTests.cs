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
        // One jail called web on each host, both running.
        Ok("""
            function Use-Host($path) { $env:JAILPS_SIMULATED_HOST = $path }
            function ConvertTo-Remote($object, $computer) {
                $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($object))
                # -PassThru: a string or number comes back wrapped, as Invoke-Command returns it.
                $copy | Add-Member -NotePropertyName PSComputerName -NotePropertyValue $computer -PassThru |
                    Add-Member -NotePropertyName PSShowComputerName -NotePropertyValue $true -PassThru
            }
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
            Use-Host $there; $remote = ConvertTo-Remote (Get-Jail web) 'bsd2'
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
    public void Naming_the_jail_again_acts_on_this_host()
    {
        Ok("""
            Use-Host $there; $remote = ConvertTo-Remote (Get-Jail web) 'bsd2'
            Use-Host $here; $remote | Stop-Jail -Name web
            """);
        Assert.Equal("Stopped", StateHere("web"));
        Assert.Equal("Running", Ok("Use-Host $there; (Get-Jail web).State").Output.Single().ToString());
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
            Use-Host $there; $remote = ConvertTo-Remote (Get-Jail web) 'bsd2'
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
            ConvertTo-Remote (Get-Jail db) 'localhost' | Stop-Jail
            """);
        Assert.Equal("Stopped", StateHere("web"));
        Assert.Equal("Stopped", StateHere("db"));
    }

    [Fact]
    public void Another_machine_reached_by_name_is_refused_even_when_it_calls_itself_like_this_host()
    {
        // Cloned hosts keep their hostname: the object says "this host", the session says another machine.
        var r = _s.Run("Use-Host $here; ConvertTo-Remote (Get-Jail web) 'bsd2.example.org' | Stop-Jail");
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
        var r = _s.Run($"Use-Host $there; $remote = ConvertTo-Remote (Get-Jail web) 'bsd2'; Use-Host $here; $remote | {command} -WarningAction SilentlyContinue");
        Assert.Equal("JailObjectFromOtherHost", Assert.Single(r.Errors).FullyQualifiedErrorId.Split(',')[0]);
        Assert.Empty(r.Output.Where(o => o is not null && o.BaseObject is not bool));
        Assert.Equal("Running", StateHere("web"));
        Assert.Equal(log, Ok("Use-Host $here; (Get-JailSimulatedCommand).Count").Output.Single().ToString());
    }

    [Fact]
    public void Remote_names_are_refused_but_remote_jail_conf_text_is_content_to_read_here()
    {
        // Names that came back from another host name that host's jails.
        var r = _s.Run("Use-Host $there; $names = ConvertTo-Remote 'web' 'bsd2'; Use-Host $here; $names | Stop-Jail");
        Assert.Equal("JailObjectFromOtherHost,JailPS.Commands.StopJailCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
        Assert.Equal("Running", StateHere("web"));
        // A definition's text copied from another host is read as this host's configuration.
        var copied = Ok("""
            Use-Host $there; $text = ConvertTo-Remote 'app { path = /usr/jails/app; persist; }' 'bsd2'
            Use-Host $here; $text | Import-JailConfig | ForEach-Object { $_.Name; $_.ComputerName }
            """);
        Assert.Equal(new[] { "app", "simulated:" + _s.SimulatedHostPath }, copied.Output.Select(o => o.ToString()).ToArray());
        // A path from another host names a file there.
        var path = _s.Run("Use-Host $there; $file = ConvertTo-Remote ([pscustomobject]@{ FullName = '/etc/jail.conf' }) 'bsd2'; Use-Host $here; $file | Import-JailConfig");
        Assert.Equal("JailObjectFromOtherHost,JailPS.Commands.ImportJailConfigCommand", Assert.Single(path.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void A_ComputerName_typed_by_hand_is_refused_and_points_to_remoting()
    {
        var r = _s.Run("Use-Host $here; Stop-Jail web -ComputerName bsd2");
        var e = Assert.Single(r.Errors);
        Assert.Equal("JailComputerNameNotSupported,JailPS.Commands.StopJailCommand", e.FullyQualifiedErrorId);
        Assert.Contains("Invoke-Command -HostName", e.ErrorDetails.RecommendedAction, StringComparison.Ordinal);
        Assert.Equal("Running", StateHere("web"));
    }

    [Fact]
    public void The_origin_parameters_are_hidden()
    {
        var r = Ok("""
            (TabExpansion2 'Stop-Jail -Pip' 14).CompletionMatches.Count
            @((Get-Command Stop-Jail).Parameters['PipedComputerName'].Attributes.DontShow) -contains $true
            (Get-Help Stop-Jail).Syntax | Out-String
            """);
        Assert.Equal(0, Convert.ToInt32(r.Output[0].BaseObject));
        Assert.True((bool)r.Output[1].BaseObject);
        Assert.DoesNotContain("Piped", r.Output[2].ToString(), StringComparison.Ordinal);
    }
}
