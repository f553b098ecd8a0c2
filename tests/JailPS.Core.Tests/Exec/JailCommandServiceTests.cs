using System.Threading;
using JailPS.Core.Exec;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Exec;

public sealed class JailCommandServiceTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private int StartWeb()
    {
        var spec = _f.Spec(_f.Define("web", "persist;"));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        return _f.Host.Kernel.GetByName("web")!.Jid;
    }

    [Fact]
    public void Plain_argv_goes_straight_to_jexec()
        => Assert.Equal(new[] { "/usr/sbin/jexec", "4", "ls", "-l", "a b" },
            JailCommandService.BuildArguments(4, new JailCommandOptions { Arguments = new[] { "ls", "-l", "a b" } }));

    [Fact]
    public void Shell_user_login_directory_and_environment_wrap_in_a_fixed_order()
    {
        var argv = JailCommandService.BuildArguments(4, new JailCommandOptions
        {
            ShellCommand = "echo $HOME",
            User = "root",
            UserFromHost = true,
            Login = true,
            WorkingDirectory = "/var/db",
            Environment = new Dictionary<string, string> { ["A"] = "1 2" },
        });
        Assert.Equal(new[] { "/usr/sbin/jexec", "-l", "-u", "root", "4",
            "/bin/sh", "-c", JailCommandService.ChdirScript, "jailps-cd", "/var/db",
            "/usr/bin/env", "A=1 2", "/bin/sh", "-c", "echo $HOME" }, argv);
    }

    [Fact]
    public void A_program_name_with_an_equals_sign_is_protected_from_env()
    {
        var argv = JailCommandService.BuildArguments(1, new JailCommandOptions
        {
            Arguments = new[] { "/opt/odd=name" },
            Environment = new Dictionary<string, string> { ["X"] = "y" },
        });
        Assert.Equal(new[] { "/usr/sbin/jexec", "1", "/usr/bin/env", "X=y", "--", "/opt/odd=name" }, argv);
    }

    [Theory]
    [InlineData("1BAD")]
    [InlineData("A-B")]
    [InlineData("")]
    public void Invalid_environment_names_are_refused(string name)
    {
        var ex = Assert.Throws<JailOperationException>(() => JailCommandService.BuildArguments(1,
            new JailCommandOptions { Arguments = new[] { "true" }, Environment = new Dictionary<string, string> { [name] = "v" } }));
        Assert.Equal("JailCommandInvalidEnvironment", ex.ErrorId);
    }

    [Fact]
    public void An_empty_command_is_refused()
        => Assert.Equal("JailCommandEmpty", Assert.Throws<JailOperationException>(() =>
            JailCommandService.BuildArguments(1, new JailCommandOptions { Arguments = new[] { "" } })).ErrorId);

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("a", new[] { "a" })]
    [InlineData("a\n", new[] { "a" })]
    [InlineData("a\r\nb\r\n", new[] { "a", "b" })]
    [InlineData("a\n\nb", new[] { "a", "", "b" })]
    public void Output_is_split_into_lines_like_a_terminal(string text, string[] lines)
        => Assert.Equal(lines, JailCommandService.Lines(text));

    [Fact]
    public void Running_in_a_stopped_jail_is_JailNotRunning()
    {
        _f.Define("web", "persist;");
        var ex = Assert.Throws<JailOperationException>(() =>
            new JailCommandService(_f.Host).Run("web", new JailCommandOptions { Arguments = new[] { "true" } }, CancellationToken.None));
        Assert.Equal("JailNotRunning", ex.ErrorId);
        Assert.Empty(_f.Sim.Processes.Log);
    }

    [Fact]
    public void A_run_returns_exit_code_lines_and_the_jid()
    {
        int jid = StartWeb();
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "uname -a", StandardOutput = "FreeBSD web 14.3-RELEASE\n", StandardError = "w1\nw2\n", ExitCode = 2 });
        var r = new JailCommandService(_f.Host).Run("web", new JailCommandOptions { Arguments = new[] { "uname", "-a" } }, CancellationToken.None);
        Assert.Equal(2, r.ExitCode);
        Assert.False(r.Succeeded);
        Assert.Equal(jid, r.Jid);
        Assert.Equal(new[] { "FreeBSD web 14.3-RELEASE" }, r.Output);
        Assert.Equal(new[] { "w1", "w2" }, r.Error);
        Assert.Equal(new[] { "uname", "-a" }, r.Command);
        Assert.True(r.IsSimulated);
    }

    [Fact]
    public void PowerShell_is_detected_by_exit_127_without_output()
    {
        StartWeb();
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = "invoke.pwsh", ExitCode = 127 });
        var ex = Assert.Throws<JailOperationException>(() =>
            new JailCommandService(_f.Host).RunPowerShell("web", "Get-Date", new JailCommandOptions(), CancellationToken.None));
        Assert.Equal("JailPwshNotFound", ex.ErrorId);
        var logged = _f.Sim.Processes.Log.Single();
        Assert.Contains("-EncodedCommand", logged.Arguments);
        string encoded = logged.Arguments[Array.IndexOf(logged.Arguments, "-EncodedCommand") + 1];
        Assert.Equal("Get-Date", System.Text.Encoding.Unicode.GetString(Convert.FromBase64String(encoded)));
    }

    [Fact]
    public void WaitFor_returns_at_once_when_the_state_holds_and_times_out_typed_otherwise()
    {
        StartWeb();
        Assert.Equal(JailState.Running, _f.Service.WaitFor("web", JailState.Running, TimeSpan.Zero, CancellationToken.None).Status);
        var ex = Assert.Throws<JailOperationException>(() => _f.Service.WaitFor("web", JailState.Stopped, TimeSpan.FromMilliseconds(300), CancellationToken.None));
        Assert.Equal("JailWaitTimeout", ex.ErrorId);
    }

    [Fact]
    public void WaitFor_can_be_cancelled()
    {
        _f.Define("web", "persist;");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Assert.ThrowsAny<OperationCanceledException>(() => _f.Service.WaitFor("web", JailState.Running, null, cts.Token));
    }
}
