using System.IO;
using System.Threading;
using JailPS.Core.Exec;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Native;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// Commands in a real jail through /usr/sbin/jexec (trait Category=FreeBSD): only on FreeBSD as
/// root, skipped elsewhere with the reason. The jail is persistent, rooted at "/" so the host's
/// userland runs in it, named jailps-conf-exec-*, and removed afterwards.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class JexecConformanceTests
{
    private static JailHost RealHost()
    {
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "jexec conformance runs only on FreeBSD (this is " + System.Runtime.InteropServices.RuntimeInformation.OSDescription + ")");
        var host = JailHost.Real();
        Skip.If(host.Libc.GetEuid() != 0, "jexec conformance needs root");
        return host;
    }

    private static (JailHost Host, int Jid, string Name) Start()
    {
        var host = RealHost();
        var c = host.Kernel.Catalog;
        string name = "jailps-conf-exec-" + Guid.NewGuid().ToString("N").Substring(0, 6);
        int jid = host.Kernel.Set(new List<JailParameterSetting>
        {
            new(c.Find("name")!, name), new(c.Find("path")!, "/"), new(c.Find("persist")!, true),
            new(c.Find("ip4")!, JailSysMode.Inherit),
        }, JailFlags.Create, name);
        return (host, jid, name);
    }

    [SkippableFact]
    public void Argv_output_stdin_and_exit_codes_survive_jexec()
    {
        var (host, jid, name) = Start();
        try
        {
            var runner = new JailCommandService(host);
            string[] args = { "two words", "it's \"quoted\"", "a;b", "$(id)", "line1\nline2", "" };
            var printed = runner.Run(name, new JailCommandOptions { Arguments = new[] { "/usr/bin/printf", "%s|" }.Concat(args).ToArray() }, CancellationToken.None);
            Assert.Equal(0, printed.ExitCode);
            Assert.Equal(string.Join("|", args) + "|", string.Join("\n", printed.Output));
            var cat = runner.Run(name, new JailCommandOptions { Arguments = new[] { "/bin/cat" }, StandardInput = "b\na\n" }, CancellationToken.None);
            Assert.Equal(new[] { "b", "a" }, cat.Output);
            var fail = runner.Run(name, new JailCommandOptions { ShellCommand = "echo oops >&2; exit 3" }, CancellationToken.None);
            Assert.Equal(3, fail.ExitCode);
            Assert.Equal(new[] { "oops" }, fail.Error);
            var dir = runner.Run(name, new JailCommandOptions { Arguments = new[] { "/bin/pwd" }, WorkingDirectory = "/tmp", Environment = new Dictionary<string, string> { ["X"] = "1" } }, CancellationToken.None);
            Assert.Equal(new[] { "/tmp" }, dir.Output);
        }
        finally
        {
            host.Kernel.Remove(jid, name);
        }
    }

    [SkippableFact]
    public void A_timeout_leaves_no_process_in_the_jail()
    {
        var (host, jid, name) = Start();
        try
        {
            var runner = new JailCommandService(host);
            var r = runner.Run(name, new JailCommandOptions { ShellCommand = "sleep 600 & sleep 600", Timeout = TimeSpan.FromSeconds(1) }, CancellationToken.None);
            Assert.True(r.TimedOut);
            var pgrep = host.Processes.Run(new JailPS.Core.Processes.ProcessRequest { Arguments = new[] { "/bin/pgrep", "-j", jid.ToString() } });
            Assert.Equal(1, pgrep.ExitCode); // no process matched
        }
        finally
        {
            host.Kernel.Remove(jid, name);
        }
    }
}
