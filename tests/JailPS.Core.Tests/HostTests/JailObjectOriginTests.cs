using System;
using System.IO;
using JailPS.Core.Host;
using Xunit;

namespace JailPS.Core.Tests.HostTests;

public sealed class JailObjectOriginTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "jailps-origin-" + Guid.NewGuid().ToString("N"));
    private readonly JailHost _host;

    public JailObjectOriginTests() => _host = JailHost.Simulated(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST.")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.2")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    public void Loopback_names_and_addresses_are_this_machine(string name) => Assert.True(JailObjectOrigin.NamesThisMachine(name));

    [Fact]
    public void This_machines_name_short_or_qualified_is_this_machine_and_another_name_is_not()
    {
        Assert.True(JailObjectOrigin.NamesThisMachine(Environment.MachineName));
        Assert.True(JailObjectOrigin.NamesThisMachine(System.Net.Dns.GetHostName().ToUpperInvariant()));
        // A clone in another domain keeps this machine's short name: its full name is not this machine.
        Assert.False(JailObjectOrigin.NamesThisMachine(Environment.MachineName + ".clone.invalid"));
        Assert.False(JailObjectOrigin.NamesThisMachine("bsd2"));
        Assert.False(JailObjectOrigin.NamesThisMachine(Environment.MachineName + "x"));
        Assert.False(JailObjectOrigin.NamesThisMachine("192.0.2.77"));   // TEST-NET-1: never an address of this machine
    }

    [Fact]
    public void An_object_without_marks_or_with_this_hosts_marks_is_accepted()
    {
        Assert.Null(JailObjectOrigin.Refusal(_host, null, null, "Stop-Jail", "web"));
        Assert.Null(JailObjectOrigin.Refusal(_host, _host.ComputerName, null, "Stop-Jail", "web"));
        Assert.Null(JailObjectOrigin.Refusal(_host, _host.ComputerName.ToUpperInvariant(), "localhost", "Stop-Jail", "web"));
    }

    [Fact]
    public void Another_ComputerName_or_another_machine_is_refused_with_the_command_to_run_there()
    {
        var other = JailObjectOrigin.Refusal(_host, "simulated:/elsewhere", "127.0.0.1", "Stop-Jail", "web")!;
        Assert.Equal(JailObjectOrigin.ErrorId, other.ErrorId);
        Assert.Equal("web", other.TargetObject);
        Assert.StartsWith("The piped object for 'web' came from host simulated:/elsewhere (reached as 127.0.0.1); this command acts on " + _host.ComputerName, other.Message, StringComparison.Ordinal);
        Assert.Equal("Run it on the host the object came from (Invoke-Command -Session $session { Stop-Jail -Name 'web' }), " +
            "or, to act on this host's jail of that name, name it again: Stop-Jail -Name 'web'.", other.RecommendedAction);

        var clone = JailObjectOrigin.Refusal(_host, _host.ComputerName, "bsd2", "Get-JailMount", null)!;
        Assert.StartsWith("The piped object came from bsd2, which is not this machine;", clone.Message, StringComparison.Ordinal);
    }
}
