using System;
using System.Diagnostics;
using System.IO;
using Xunit;

namespace JailPS.Module.Tests.Shell;

/// <summary>jailps (src/JailPS.Shell) run as a process: exit codes, argument binding, host output.</summary>
public sealed class ShellTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "jailps-shell-" + Guid.NewGuid().ToString("N")[..12]);

    public ShellTests()
    {
        Directory.CreateDirectory(_temp);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_temp, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private sealed record Run(int ExitCode, string StdOut, string StdErr)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}";
    }

    private Run Jailps(params string[] args)
    {
        var shell = RepoPaths.ShellAssembly;
        Skip.If(shell is null || !File.Exists(shell), "JailPS.Shell was not built with these tests.");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _temp,
        };
        start.ArgumentList.Add(shell!);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["JAILPS_MODULE_PATH"] = RepoPaths.ModuleManifest;
        start.Environment["JAILPS_SIMULATED_HOST"] = Path.Combine(_temp, "host");
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "jailps did not finish within 60 s");
        return new Run(process.ExitCode, stdout.Result, stderr.Result);
    }

    private string Script(string name, string text)
    {
        var path = Path.Combine(_temp, name);
        File.WriteAllText(path, text);
        return path;
    }

    [SkippableFact]
    public void CommandExitCodesFollowPwsh()
    {
        Assert.Equal(5, Jailps("-Command", "exit 5").ExitCode);

        var ok = Jailps("-c", "'ok'");
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("ok", ok.StdOut.Trim());

        var divide = Jailps("-c", "1/0");
        Assert.Equal(1, divide.ExitCode);
        Assert.Contains("Attempted to divide by zero.", divide.StdErr, StringComparison.Ordinal);
        Assert.Contains("FullyQualifiedErrorId : RuntimeException", divide.StdErr, StringComparison.Ordinal);
        Assert.Contains("char:1", divide.StdErr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void FileBindsArgumentsLikePwshAndReturnsTheScriptsExitCode()
    {
        var hello = Script("hello.ps1", """
            param([string]$Who = 'world', [int]$Code = 0, [switch]$Loud)
            "hello $Who loud=$Loud"
            if ($Code) { exit $Code }
            """);

        var run = Jailps("-File", hello, "-Who", "Bob", "-Code", "7", "-Loud");
        Assert.Equal(7, run.ExitCode);
        Assert.Equal("hello Bob loud=True", run.StdOut.Trim());

        run = Jailps("-File", hello, "-Loud:$false", "Alice");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("hello Alice loud=False", run.StdOut.Trim());
    }

    [SkippableFact]
    public void ATerminatingErrorInAFileExitsOne()
    {
        var run = Jailps("-File", Script("throw.ps1", "'before'\nthrow 'boom'\n'after'"));
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("before", run.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("after", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("boom", run.StdErr, StringComparison.Ordinal);
        Assert.Contains("throw.ps1:2", run.StdErr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void NonTerminatingErrorsFailAFileOnlyWithErrorsAreFatal()
    {
        var script = Script("soft.ps1", "Get-Item-That-Does-Not-Exist\n'still here'");
        var run = Jailps("-File", script);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("still here", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("CommandNotFoundException", run.StdErr, StringComparison.Ordinal);

        Assert.Equal(1, Jailps("-ErrorsAreFatal", "-File", script).ExitCode);
    }

    [SkippableFact]
    public void BadCommandLinesExit64()
    {
        Assert.Equal(64, Jailps().ExitCode);
        Assert.Equal(64, Jailps("-Bogus").ExitCode);
        Assert.Equal(64, Jailps("-File", Path.Combine(_temp, "missing.ps1")).ExitCode);
    }

    [SkippableFact]
    public void TablesArePlainTextAndWhatIfIsVisible()
    {
        var run = Jailps("-c", """
            [pscustomobject]@{ Name = 'alpha'; Jid = 1 }, [pscustomobject]@{ Name = 'beta'; Jid = 2 }
            function Remove-Thing { [CmdletBinding(SupportsShouldProcess)] param($Name) if ($PSCmdlet.ShouldProcess($Name, 'Remove thing')) { 'removed' } }
            Remove-Thing alpha -WhatIf
            """);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain('\u001b', run.StdOut);
        Assert.Contains("Name  Jid", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("beta", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("What if: Performing the operation \"Remove thing\" on target \"alpha\".", run.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("removed", run.StdOut, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void PromptsTakeTheDefaultWithoutATerminalAndFailWithNonInteractive()
    {
        const string script = """
            function Remove-Thing { [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')] param($Name) if ($PSCmdlet.ShouldProcess($Name, 'Remove thing')) { 'removed' } }
            Remove-Thing alpha
            """;
        var run = Jailps("-c", script);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("Are you sure you want to perform this action?", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("removed", run.StdOut, StringComparison.Ordinal);

        run = Jailps("-NonInteractive", "-c", script);
        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain("removed", run.StdOut, StringComparison.Ordinal);
        Assert.Contains("not interactive", run.StdErr, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void OnlyTheModuleFolderIsOnPSModulePath()
    {
        var run = Jailps("-c", "$env:PSModulePath; (Get-Module JailPS).Name");
        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.StdOut.Trim().Split('\n');
        Assert.Equal(Path.GetDirectoryName(Path.GetDirectoryName(RepoPaths.ModuleManifest)), lines[0].Trim());
        Assert.Equal("JailPS", lines[^1].Trim());
    }
}
