using System.IO;
using JailPS.Core.Config;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Processes;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// exec.* hooks against the simulated host (everywhere, with answers standing in for the commands)
/// and a real FreeBSD host (trait Category=FreeBSD: only on FreeBSD as root, skipped elsewhere with
/// the reason): their output routing and the JID, JNAME and JPATH they get, the scenario of
/// usr.sbin/jail/tests/jail_basic_test.sh ("commands": exec.poststart = "env"; "param_consistency":
/// JID in exec.poststop). The jails are persistent, rooted at "/" so the host's userland runs in
/// them, named jailps-conf-hook-*, and removed afterwards.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class HookConformanceTests : IDisposable, IJailOutput
{
    private readonly string _name = "jailps-conf-hook-" + Guid.NewGuid().ToString("N").Substring(0, 6);
    private readonly string _log = Path.Combine(Path.GetTempPath(), "jailps-conf-hook-" + Guid.NewGuid().ToString("N").Substring(0, 8) + ".log");
    private readonly string _conf = Path.Combine(Path.GetTempPath(), "jailps-conf-hook-" + Guid.NewGuid().ToString("N").Substring(0, 8) + ".conf");
    private readonly List<JailHookOutput> _lines = new();
    private JailHost? _host;
    private string? _simulated;

    public void Verbose(string message) { }
    public void Warning(string message) { }
    public void Debug(string message) { }
    public void HookOutput(JailHookOutput line) => _lines.Add(line);

    public void Dispose()
    {
        if (_simulated != null)
        {
            JailHost.ForgetSimulated(_simulated);
            try { Directory.Delete(_simulated, recursive: true); } catch (IOException) { }
            return;
        }
        if (_host?.Kernel.GetByName(_name) is { } left)
            _host.Kernel.Remove(left.Jid, _name);
        File.Delete(_log);
        File.Delete(_conf);
    }

    public static IEnumerable<object[]> Hosts() => new[] { new object[] { "simulated" }, new object[] { "freebsd" } };

    /// <summary>
    /// The host to run on. The simulated one answers the scenario's commands as FreeBSD's sh would:
    /// env lists the variables JailPS set, the echo commands write their text on their stream.
    /// </summary>
    private JailHost Host(string which)
    {
        if (which == "freebsd")
            return RealHost();
        _simulated = Path.Combine(Path.GetTempPath(), "jailps-hconf-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        var host = JailHost.Simulated(_simulated);
        host.Files.CreateDirectory(Path.GetDirectoryName(_log)!);
        var sim = host.Simulation!.Processes;
        sim.AddResponse(new SimulatedResponse { Command = "env | sort", EchoEnvironment = true });
        sim.AddResponse(new SimulatedResponse { Command = "echo START", StandardOutput = "START\n" });
        sim.AddResponse(new SimulatedResponse { Purpose = "exec.start", StandardOutput = "in-jail\n", StandardError = "in-jail-err\n" });
        sim.AddResponse(new SimulatedResponse { Command = "echo host-err >&2", StandardError = "host-err\n" });
        sim.AddResponse(new SimulatedResponse { Command = "echo JID=$JID", EchoEnvironment = true });
        return _host = host;
    }

    private JailHost RealHost()
    {
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "hook conformance runs only on FreeBSD (this is " + System.Runtime.InteropServices.RuntimeInformation.OSDescription + ")");
        var host = JailHost.Real();
        Skip.If(host.Libc.GetEuid() != 0, "hook conformance needs root");
        return _host = host;
    }

    /// <summary>
    /// The definition both jail(8) and JailPS run: env in the host hooks (sorted, so two runs list
    /// the variables in one order), output on both streams in and out of the jail.
    /// </summary>
    private string Definition(bool consoleLog) => $$"""
        {{_name}} {
            path = "/";
            persist;
            ip4 = inherit;
            {{(consoleLog ? $"exec.consolelog = \"{_log}\";" : "")}}
            exec.prestart = "echo START";
            exec.prestart += "env | sort";
            exec.start = "echo in-jail; echo in-jail-err >&2";
            exec.poststart = "env | sort";
            exec.poststart += "echo host-err >&2";
            exec.prestop = "env | sort";
            exec.poststop = 'echo JID=$JID';
        }
        """;

    private JailSpec Spec(JailHost host, bool consoleLog)
        => JailSpec.Resolve(JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(Definition(consoleLog), null) }).Single(), host.Kernel.Catalog);

    /// <summary>Starts and stops the jail with JailPS; the jid it had.</summary>
    private int StartAndStop(JailHost host, bool consoleLog)
    {
        var lifecycle = new JailLifecycle(host, this);
        var spec = Spec(host, consoleLog);
        PlanRunner.Execute(lifecycle.PlanStart(spec), this);
        int jid = host.Kernel.GetByName(_name)!.Jid;
        PlanRunner.Execute(lifecycle.PlanStop(_name, jid, spec, 0, false), this);
        return jid;
    }

    private string[] Of(string hook, string stream = JailHookOutput.StandardOutput)
        => _lines.Where(l => l.Hook == hook && l.Stream == stream).Select(l => l.Line).ToArray();

    private static bool IsJailVariable(string line)
        => line.StartsWith("JID=", StringComparison.Ordinal) || line.StartsWith("JNAME=", StringComparison.Ordinal) || line.StartsWith("JPATH=", StringComparison.Ordinal);

    private static string[] JailVariables(IEnumerable<string> env) => env.Where(IsJailVariable).OrderBy(l => l, StringComparer.Ordinal).ToArray();

    [Fact]
    public void The_scenario_reads_as_jail8_reads_it()
    {
        var spec = Spec(JailHost.Simulated(_simulated = Path.Combine(Path.GetTempPath(), "jailps-hconf-" + Guid.NewGuid().ToString("N").Substring(0, 8))), consoleLog: true);
        Assert.Equal(new[] { "echo START", "env | sort" }, spec.Commands("exec.prestart"));
        Assert.Equal(new[] { "echo in-jail; echo in-jail-err >&2" }, spec.Commands("exec.start"));
        Assert.Equal(new[] { "echo JID=$JID" }, spec.Commands("exec.poststop")); // single quotes: $JID is the shell's
        Assert.Equal(_log, spec.ConsoleLog);
    }

    [SkippableTheory]
    [MemberData(nameof(Hosts))]
    public void Hooks_get_JID_JNAME_JPATH_and_their_output_goes_where_jail8_sends_it(string which)
    {
        var host = Host(which);
        int jid = StartAndStop(host, consoleLog: true);

        // Host hooks: their lines, on their stream, with the variables FreeBSD 15's jail(8) adds.
        Assert.Contains("START", Of("exec.prestart"));
        Assert.Equal(new[] { "JNAME=" + _name, "JPATH=/" }, JailVariables(Of("exec.prestart")));
        Assert.Equal(new[] { $"JID={jid}", "JNAME=" + _name, "JPATH=/" }, JailVariables(Of("exec.poststart")));
        Assert.Equal(new[] { "host-err" }, Of("exec.poststart", JailHookOutput.StandardError));
        Assert.Equal(new[] { $"JID={jid}", "JNAME=" + _name, "JPATH=/" }, JailVariables(Of("exec.prestop")));
        Assert.Contains($"JID={jid}", Of("exec.poststop"));
        // The in-jail command writes to exec.consolelog only: both of its streams (two pipes, so in
        // either order), nothing else.
        Assert.Empty(_lines.Where(l => l.Hook == "exec.start"));
        Assert.Equal(new[] { "in-jail", "in-jail-err" }, host.Files.ReadAllText(_log)!.Split('\n', StringSplitOptions.RemoveEmptyEntries).OrderBy(l => l, StringComparer.Ordinal));
    }

    [SkippableTheory]
    [MemberData(nameof(Hosts))]
    public void Without_consolelog_in_jail_lines_reach_the_output_seam(string which)
    {
        var host = Host(which);
        StartAndStop(host, consoleLog: false);
        Assert.Equal(new[] { "in-jail" }, Of("exec.start"));
        Assert.Equal(new[] { "in-jail-err" }, Of("exec.start", JailHookOutput.StandardError));
        Assert.False(host.Files.FileExists(_log));
    }

    [SkippableFact]
    public void JailPS_sets_the_same_variables_in_each_hook_as_the_hosts_jail8()
    {
        var host = RealHost();
        File.WriteAllText(_conf, Definition(consoleLog: false));
        var create = host.Processes.Run(new ProcessRequest { Arguments = new[] { "/usr/sbin/jail", "-f", _conf, "-qc", _name } });
        Assert.True(create.ExitCode == 0, "jail -c: " + create.StandardError);
        int theirJid = host.Kernel.GetByName(_name)!.Jid;
        var remove = host.Processes.Run(new ProcessRequest { Arguments = new[] { "/usr/sbin/jail", "-f", _conf, "-qr", _name } });
        Assert.True(remove.ExitCode == 0, "jail -r: " + remove.StandardError);
        string[] theirs = (create.StandardOutput + remove.StandardOutput).Split('\n');
        Skip.IfNot(theirs.Any(l => l == "JNAME=" + _name),
            "this host's jail(8) sets no JNAME in exec.* commands (FreeBSD before 15): nothing to compare with; JailPS sets them anyway (docs/design.md)");

        int ourJid = StartAndStop(host, consoleLog: false);
        // jail(8) runs the hooks one after the other and their output follows in that order: START
        // and env (prestart), in-jail, env (poststart), env (prestop), JID=... (poststop). Compared
        // as one sequence of JID/JNAME/JPATH lines, each run's own jid written as JID=<jid>.
        static IEnumerable<string> Normalized(IEnumerable<string> lines, int jid)
            => lines.Where(IsJailVariable).Select(l => l == $"JID={jid}" ? "JID=<jid>" : l);
        var ours = new[] { "exec.prestart", "exec.poststart", "exec.prestop", "exec.poststop" }.SelectMany(h => Of(h));
        Assert.Equal(Normalized(theirs, theirJid), Normalized(ours, ourJid));
    }
}
