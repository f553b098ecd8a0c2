using JailPS.Core.Processes;

namespace JailPS.Core.Tests.HostTests;

public class CommandLineTests
{
    [Fact]
    public void Plain_commands_are_split_on_white_space()
    {
        var argv = CommandLine.Split("/bin/sh  /etc/rc\tstart", out bool bg);
        Assert.Equal(new[] { "/bin/sh", "/etc/rc", "start" }, argv);
        Assert.False(bg);
    }

    [Theory]
    [InlineData("echo $HOME")]
    [InlineData("a; b")]
    [InlineData("a | b")]
    [InlineData("ls *")]
    [InlineData("echo 'x y'")]
    [InlineData("a && b")]
    public void Shell_metacharacters_go_to_sh_c(string text)
        => Assert.Equal(new[] { "/bin/sh", "-c", text }, CommandLine.Split(text, out _));

    [Fact]
    public void A_single_trailing_ampersand_means_background_not_shell()
    {
        var argv = CommandLine.Split("/usr/sbin/daemon -f /bin/sleep 10 &", out bool bg);
        Assert.True(bg);
        Assert.Equal(new[] { "/usr/sbin/daemon", "-f", "/bin/sleep", "10" }, argv);
    }

    [Fact]
    public void Jexec_argv_has_options_before_the_jid()
    {
        Assert.Equal(new[] { "/usr/sbin/jexec", "-l", "-U", "www", "7", "/bin/sh", "/etc/rc" },
            CommandLine.Jexec(7, new[] { "/bin/sh", "/etc/rc" }, login: true, jailUser: "www", userFromHost: false));
        Assert.Equal(new[] { "/usr/sbin/jexec", "-u", "root", "7", "id" },
            CommandLine.Jexec(7, new[] { "id" }, login: false, jailUser: "root", userFromHost: true));
    }
}
