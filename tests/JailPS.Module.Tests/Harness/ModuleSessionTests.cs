using System;
using System.IO;
using System.Linq;
using Xunit;

namespace JailPS.Module.Tests.Harness;

/// <summary>The contract of <see cref="ModuleSession"/> that cmdlet tests rely on.</summary>
public sealed class ModuleSessionTests
{
    private const string RemoveThing = """
        function Remove-Thing {
            [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
            param([Parameter(Mandatory)] [string] $Name)
            if ($PSCmdlet.ShouldProcess($Name, 'Remove thing')) { "removed $Name" }
        }
        """;

    [Fact]
    public void ImportsTheBuiltModuleAndPinsThePaths()
    {
        using var session = new ModuleSession();
        var result = session.Run("(Get-Module JailPS).ModuleBase; $env:PSModulePath; $env:JAILPS_SIMULATED_HOST").EnsureSuccess();

        var layout = Path.GetDirectoryName(RepoPaths.ModuleManifest)!;
        Assert.Equal(layout, result.Output[0].ToString());
        Assert.Equal(Path.GetDirectoryName(layout), result.Output[1].ToString());
        Assert.Equal(session.SimulatedHostPath, result.Output[2].ToString());
        Assert.True(Directory.Exists(session.SimulatedHostPath));
    }

    [Fact]
    public void TheSimulatedHostDirectoryIsFreshAndRemovedOnDispose()
    {
        string path;
        using (var session = new ModuleSession())
        {
            path = session.SimulatedHostPath!;
            Assert.Empty(Directory.EnumerateFileSystemEntries(path));
        }

        Assert.False(Directory.Exists(path));
        Assert.Null(Environment.GetEnvironmentVariable(ModuleSession.SimulatedHostVariable));
    }

    [Fact]
    public void WithoutTheSimulatedHostTheVariableIsUnset()
    {
        var before = Environment.GetEnvironmentVariable(ModuleSession.SimulatedHostVariable);
        Environment.SetEnvironmentVariable(ModuleSession.SimulatedHostVariable, "/somewhere/else");
        try
        {
            using var session = new ModuleSession(simulatedHost: false);
            Assert.Null(session.SimulatedHostPath);
            var result = session.Run("[string]::IsNullOrEmpty($env:JAILPS_SIMULATED_HOST)").EnsureSuccess();
            Assert.Equal(true, result.Output.Single().BaseObject);
        }
        finally
        {
            Assert.Equal("/somewhere/else", Environment.GetEnvironmentVariable(ModuleSession.SimulatedHostVariable));
            Environment.SetEnvironmentVariable(ModuleSession.SimulatedHostVariable, before);
        }
    }

    [Fact]
    public void WhatIfAndTablesGoToHostText()
    {
        using var session = new ModuleSession();
        session.Run(RemoveThing).EnsureSuccess();

        var result = session.Run("Remove-Thing alpha -WhatIf; [pscustomobject]@{ Name = 'alpha'; Jid = 1 } | Out-Default").EnsureSuccess();

        Assert.Empty(result.Output);
        Assert.Contains("What if: Performing the operation \"Remove thing\" on target \"alpha\".", result.HostText, StringComparison.Ordinal);
        Assert.Contains("Name  Jid", result.HostText, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', result.HostText);
    }

    [Fact]
    public void ConfirmPromptsTakeQueuedAnswers()
    {
        using var session = new ModuleSession();
        session.Run(RemoveThing).EnsureSuccess();

        session.Answer("N", "Y");
        var result = session.Run("Remove-Thing alpha; Remove-Thing beta").EnsureSuccess();

        Assert.Equal(new[] { "removed beta" }, result.Output.Select(o => o.ToString()));
        Assert.Contains("Are you sure you want to perform this action?", result.HostText, StringComparison.Ordinal);
        Assert.Equal(2, session.Host.Prompts.Count);
    }

    [Fact]
    public void AnUnansweredPromptFailsInsteadOfHanging()
    {
        using var session = new ModuleSession();
        session.Run(RemoveThing).EnsureSuccess();

        var result = session.Run("Remove-Thing alpha");

        Assert.True(result.HadErrors);
        Assert.Empty(result.Output);
        Assert.Contains("not interactive", result.Errors.Single().Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StreamsAndTerminatingErrorsAreCaptured()
    {
        using var session = new ModuleSession();
        var result = session.Run("""
            function Test-Streams { [CmdletBinding()] param() $PSCmdlet.WriteWarning('careful'); $PSCmdlet.WriteVerbose('step 1'); 'out' }
            Test-Streams -Verbose
            throw 'stop here'
            'never'
            """);

        Assert.Equal(new[] { "out" }, result.Output.Select(o => o.ToString()));
        Assert.Equal("careful", result.Warnings.Single().Message);
        Assert.Equal("step 1", result.Verbose.Single().Message);
        Assert.True(result.HadErrors);
        Assert.Equal("stop here", result.Errors.Single().Exception.Message);
        Assert.Contains("WARNING: careful", result.HostText, StringComparison.Ordinal);
        Assert.Contains("stop here", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void VariablesPassObjectsBetweenRuns()
    {
        using var session = new ModuleSession();
        session.SetVariable("answer", 42);
        var result = session.Run("$answer + 1; $script:kept = 'yes'").EnsureSuccess();
        Assert.Equal(43, result.Output.Single().BaseObject);
        Assert.Equal("yes", session.GetVariable("kept"));
    }
}
