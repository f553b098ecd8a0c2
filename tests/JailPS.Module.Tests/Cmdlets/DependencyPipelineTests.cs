using System;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>
/// Completing jail names for the first positional argument of the cmdlets that act on jails.
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
