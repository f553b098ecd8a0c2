using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>
/// What a user sees of JailPS objects in the full engine: every default view at 80 columns,
/// ConvertTo-Json and Export-/Import-Clixml of every output type, and Write-Progress on long waits.
/// </summary>
public sealed class RenderingTests : IDisposable
{
    private readonly ModuleSession _s = new();

    public RenderingTests()
    {
        // A realistic host: a long path, an IPv6-only jail, two addresses, a devfs and a nullfs mount.
        foreach (string d in new[] { "usr/jails/web/dev", "usr/jails/web/basejail", "usr/jails/basejail", "usr/local/jails/containers/database-primary" })
            Directory.CreateDirectory(Path.Combine(_s.SimulatedHostPath!, d));
        Ok("""
            New-Jail -Name web -Path /usr/jails/web -Hostname web.example.org -IPv4Address 192.168.100.111, 10.0.0.5 -Persist -Parameter @{ 'mount.devfs' = $true } | Out-Null
            New-Jail -Name database-primary -Path /usr/local/jails/containers/database-primary -IPv6Address 2001:db8:1234:5678::42 -Persist | Out-Null
            Start-Jail web, database-primary
            Mount-JailFileSystem web -Type nullfs -Source /usr/jails/basejail -Target /basejail -ReadOnly | Out-Null
            """);
    }

    public void Dispose() => _s.Dispose();

    private PSResult Ok(string script)
    {
        var r = _s.Run(script);
        Assert.True(r.Errors.Count == 0, "unexpected errors: " + string.Join(" | ", r.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)));
        return r;
    }

    /// <summary>A jail whose exec.start writes two lines; the hook lines' MessageData (JailPS.JailHookOutput).</summary>
    private const string HookLines = "Set-JailSimulatedResponse @{ Purpose = 'exec.start'; StandardOutput = \"Starting sshd.`nStarting cron.`n\"; LeaveRunning = 1 }; "
        + "New-Jail -Name hooked -Path /usr/jails/basejail -ExecStart '/bin/sh /etc/rc' | Out-Null; Start-Jail hooked -InformationVariable hooks; $hooks.MessageData";

    /// <summary>Each command produces objects of one JailPS output type with a default view.</summary>
    public static TheoryData<string> ViewCommands => new()
    {
        HookLines,
        "Get-Jail",
        "Get-JailMount web",
        "Get-DevfsRuleset",
        "(Get-DevfsRuleset 4).Rules",
        "Test-JailDevice web -Required null, zero -Forbidden mem, kmem",
        "Invoke-JailCommand web, database-primary -Command service, nginx, status, --verbose",
        "Invoke-JailCommand database-primary -Command service, postgresql, status | Out-Null; Get-JailSimulatedCommand",
        OnZfs("Get-JailDataset"),
        OnZfs("New-JailSnapshot database-replica before-upgrade-2026-12 | Out-Null; Get-JailSnapshot"),
    };

    /// <summary>A command run on a second simulated host whose /usr/jails is a dataset, with a jail on it; the host is removed afterwards.</summary>
    private static string OnZfs(string command)
        => "& { $h = New-JailSimulatedHost -ZfsDataset 'zroot/jails=/usr/jails'; try { New-Jail database-replica -Path /usr/jails/database-replica | Out-Null; "
           + command + " } finally { $h | Remove-JailSimulatedHost -Confirm:$false } }";

    [Theory]
    [MemberData(nameof(ViewCommands))]
    public void Every_default_table_fits_80_columns_with_whole_headers(string command)
    {
        string text = Ok($"{command} | Out-String -Width 80").Output.Single().ToString()!;
        string[] lines = text.Split('\n').Select(l => l.TrimEnd('\r', ' ')).Where(l => l.Length > 0).ToArray();
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"over 80 columns:\n{l}\n\n{text}"));
        // The dashes line under the header shows each column's width: none may be cut to a stub.
        int dashes = Array.FindIndex(lines, l => l.TrimStart().StartsWith("--", StringComparison.Ordinal));
        Assert.True(dashes > 0, "a table view:\n" + text);
        string[] labels = lines[dashes - 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] rulers = lines[dashes].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(labels.Length >= rulers.Length - 1, "every header label on one line:\n" + text);
        Assert.All(rulers, r => Assert.True(r.Length >= 3, $"a column cut to {r.Length} characters:\n{text}"));
    }

    [Fact]
    public void Get_Jail_table_shows_paths_ipv6_only_jails_and_how_many_more_addresses()
    {
        string text = Ok("Get-Jail | Out-String -Width 80").Output.Single().ToString()!;
        Assert.Contains("/usr/jails/web", text, StringComparison.Ordinal);
        Assert.Contains("2001:db8:1234:5678::42", text, StringComparison.Ordinal);
        Assert.Contains("192.168.100.111 +1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("/usr…", text, StringComparison.Ordinal);
    }

    public static TheoryData<string> JsonCommands => new()
    {
        HookLines,
        "Get-Jail web",
        "Get-JailMount web",
        "Get-DevfsRuleset 4",
        "Test-JailDevice web -Required null",
        "Invoke-JailCommand web -Command ls",
        "Get-JailSimulatedCommand",
        "New-JailSimulatedHost -NoSelect -Path (Join-Path $env:JAILPS_SIMULATED_HOST 'lab')",
    };

    [Theory]
    [MemberData(nameof(JsonCommands))]
    public void ConvertTo_Json_at_the_default_depth_has_no_truncation_warning(string command)
    {
        var r = Ok($"{command} | ConvertTo-Json -WarningVariable w; $w.Count");
        Assert.Equal(0, Convert.ToInt32(r.Output[^1].BaseObject));
        Assert.Empty(r.Warnings);
    }

    [Fact]
    public void ConvertTo_Json_writes_states_by_name()
    {
        string jail = Ok("Get-Jail web | ConvertTo-Json").Output.Single().ToString()!;
        Assert.Contains("\"State\": \"Running\"", jail, StringComparison.Ordinal);
        string mount = Ok("Get-JailMount web | Select-Object -First 1 | ConvertTo-Json").Output.Single().ToString()!;
        Assert.Contains("\"State\": \"Mounted\"", mount, StringComparison.Ordinal);
        Assert.Equal("Running", Ok("(Get-Jail web | ConvertTo-Json | ConvertFrom-Json).State").Output.Single().ToString());
    }

    /// <summary>One command for every output type the fixture's host can produce (releases, images, datasets and port forwards: their own Pester files).</summary>
    public static TheoryData<string> RemoteCommands => new()
    {
        "Get-Jail",
        "Get-JailMount",
        "Get-DevfsRuleset 4",
        "Test-JailDevice web -Required null",
        "Invoke-JailCommand web -Command ls",
        "Invoke-JailCommand web -Command uptime | Out-Null; Get-JailSimulatedCommand",
        "Get-JailIPAddress",
        "New-Jail -Name vnet1 -Path /usr/jails/vnet1 -Vnet -Persist | Start-Jail; Get-JailNetworkAdapter",
        "Set-JailLimit web -Resource memoryuse -Amount 512MB; Set-JailLimit web -Resource maxproc -Amount 100 -Action Log; Get-JailLimit",
        "Get-JailResourceUsage",
        "Get-JailCpuSet",
        "Set-Jail web -Parameter @{ 'host.hostname' = 'changed.example.org' }; Test-Jail -Detailed",
        "New-JailSimulatedHost -NoSelect -Path (Join-Path $env:JAILPS_SIMULATED_HOST 'lab')",
        "Import-JailConfig -InputObject 'lab { path = /usr/jails/lab; }'",
    };

    /// <summary>
    /// What Invoke-Command does to objects (PSSerializer at the remoting depth, then PSComputerName
    /// added) keeps every JailPS output type usable: the Deserialized type name, the same view as
    /// the live object (plus the PSComputerName column PowerShell adds), every state and role by
    /// name, every list still a list of the same length, and nothing a user filters on turned into a
    /// type name by a depth that was too small.
    /// </summary>
    [Theory]
    [MemberData(nameof(RemoteCommands))]
    public void Every_output_type_survives_remoting_with_its_view_and_its_properties(string command)
    {
        string checker = Path.Combine(RepoPaths.Root, "tests", "pester", "RoundTrip.ps1");
        var r = Ok($$"""
            . '{{checker}}'
            $live = @({{command}})
            if ($live.Count -eq 0) { throw "no output" }
            (Get-RemotingProblem $live) -join '; '
            """);
        Assert.True(r.Output.Single().ToString() == "", r.Output.Single().ToString());
    }

    /// <summary>
    /// The output types the fixture cannot produce (releases, images, datasets, snapshots, port
    /// forwards) obey the same rule by construction: no public property is an enum, which
    /// deserializes as its number, so Where-Object State -eq Running would match nothing remotely.
    /// </summary>
    [Fact]
    public void No_output_type_has_an_enum_property()
    {
        var r = Ok("""
            $types = @([JailPS.Jail].Assembly, [JailPS.Commands.JailCmdletBase].Assembly) | ForEach-Object { $_.GetExportedTypes() } |
                Where-Object { $_.IsClass -and $_.Namespace -eq 'JailPS' }
            @($types | Where-Object Name -eq 'JailDataset').Count
            foreach ($t in $types) { foreach ($p in $t.GetProperties()) {
                $pt = [Nullable]::GetUnderlyingType($p.PropertyType); if (-not $pt) { $pt = $p.PropertyType }
                if ($pt.IsEnum) { "$($t.Name).$($p.Name)" } } }
            """);
        Assert.Equal(1, Convert.ToInt32(r.Output[0].BaseObject));
        Assert.Empty(r.Output.Skip(1).Select(o => o.ToString()));
    }

    [Fact]
    public void Export_Clixml_round_trip_keeps_names_and_renders_the_same_view()
    {
        string file = Path.Combine(_s.SimulatedHostPath!, "jails.xml");
        var r = Ok($$"""
            Get-Jail | Export-Clixml -Path '{{file}}' -WarningVariable w
            $copy = Import-Clixml -Path '{{file}}'
            $w.Count
            $copy[0].PSObject.TypeNames[0]
            ($copy | Where-Object State -eq Running).Count
            (Get-Jail | Out-String -Width 80) -eq ($copy | Out-String -Width 80)
            """);
        Assert.Equal(new[] { "0", "Deserialized.JailPS.Jail", "2", "True" }, r.Output.Select(o => o.ToString()).ToArray());
    }

    [Fact]
    public void Stop_waiting_out_stop_timeout_shows_progress_and_closes_it()
    {
        Ok("""
            Set-JailSimulatedResponse @{ Purpose = 'exec.start'; LeaveRunning = 2; IgnoreSigterm = $true }
            New-Jail -Name slow -Path /usr/jails/slow -ExecStart '/bin/sh /etc/rc' -Parameter @{ 'stop.timeout' = 1 } | Out-Null
            Start-Jail slow
            """);
        var r = Ok("Stop-Jail slow");
        var bars = r.Progress.Where(p => p.Activity == "Stopping jail slow").ToList();
        Assert.True(bars.Count >= 2, $"{bars.Count} progress records");
        Assert.Contains("stop.timeout", bars[0].StatusDescription, StringComparison.Ordinal);
        Assert.Equal(ProgressRecordType.Completed, bars[^1].RecordType);
        Assert.All(bars.SkipLast(1), b => Assert.Equal(ProgressRecordType.Processing, b.RecordType));
    }

    [Fact]
    public void A_stop_whose_processes_exit_at_once_shows_no_progress()
    {
        Assert.Empty(Ok("Stop-Jail web").Progress);
    }

    [Fact]
    public void Wait_Jail_shows_what_it_waits_for_until_the_timeout()
    {
        Ok("New-Jail -Name later -Path /usr/jails/later | Out-Null");
        var r = _s.Run("Wait-Jail later -Timeout 1");
        Assert.Equal("JailWaitTimeout,JailPS.Commands.WaitJailCommand", Assert.Single(r.Errors).FullyQualifiedErrorId);
        var bars = r.Progress.Where(p => p.Activity == "Waiting for jail later").ToList();
        Assert.True(bars.Count >= 2);
        Assert.Contains("until it is running", bars[0].StatusDescription, StringComparison.Ordinal);
        Assert.True(bars[0].SecondsRemaining is >= 0 and <= 1);
        Assert.Equal(ProgressRecordType.Completed, bars[^1].RecordType);
    }

    [Fact]
    public void Invoke_JailCommand_over_several_jails_counts_the_finished_ones()
    {
        var r = Ok("Invoke-JailCommand web, database-primary -Command uptime | Out-Null");
        var bars = r.Progress.Where(p => p.Activity == "Running uptime in 2 jails").ToList();
        Assert.Equal(new[] { "0 of 2 finished", "1 of 2 finished", "2 of 2 finished" }, bars.Take(3).Select(b => b.StatusDescription.Split(" (")[0]).ToArray());
        Assert.Equal(new[] { 0, 50, 100 }, bars.Take(3).Select(b => b.PercentComplete).ToArray());
        Assert.Equal(ProgressRecordType.Completed, bars[^1].RecordType);
        Assert.Empty(Ok("Invoke-JailCommand web -Command uptime | Out-Null").Progress);
    }

    [Fact]
    public void Get_Help_renders_the_testing_cmdlets_and_topic_at_80_columns()
    {
        string help = Ok("Get-Help New-JailSimulatedHost -Full | Out-String -Width 80").Output.Single().ToString()!;
        Assert.Contains("Creates a fresh simulated host", help, StringComparison.Ordinal);
        Assert.Contains("Example 1: A simulated host for each Describe block", help, StringComparison.Ordinal);
        Assert.Contains("JailPS.SimulatedHostInfo", help, StringComparison.Ordinal);
        string topic = Ok("Get-Help about_JailPS_Testing | Out-String -Width 80").Output.Single().ToString()!;
        Assert.Contains("# --- begin example: Farm.Tests.ps1 ---", topic, StringComparison.Ordinal);
        Assert.DoesNotContain("jailps ", Ok("Get-Help about_JailPS | Out-String").Output.Single().ToString()!, StringComparison.Ordinal);
    }

    [Fact]
    public void Verbose_reports_each_step_once_one_line_per_record()
    {
        Ok("New-Jail -Name app -Path /usr/jails/app -Persist -ExecStart '/bin/sh /etc/rc' | Out-Null");
        var verbose = Ok("Start-Jail app -Verbose").Verbose.Select(v => v.Message).ToList();
        Assert.All(verbose, m => Assert.DoesNotContain('\n', m));
        Assert.StartsWith("Start jail \"app\" on simulated:", verbose[0], StringComparison.Ordinal);
        Assert.EndsWith(": 2 steps", verbose[0], StringComparison.Ordinal);
        Assert.Equal(1, verbose.Count(m => m.Contains("jail_set(JAIL_CREATE)", StringComparison.Ordinal)));
        Assert.Equal(1, verbose.Count(m => m.Contains("/bin/sh /etc/rc", StringComparison.Ordinal)));
        // -WhatIf still prints the whole plan.
        string whatIf = Ok("Stop-Jail app -WhatIf").HostText;
        Assert.Contains("What if: Stop jail \"app\"", whatIf, StringComparison.Ordinal);
        Assert.Contains("jail_remove", whatIf, StringComparison.Ordinal);
    }
}
