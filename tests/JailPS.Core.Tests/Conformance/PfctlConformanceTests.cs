using System.IO;
using System.Runtime.InteropServices;
using JailPS.Core.Host;
using JailPS.Core.Processes;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// The pfctl forms JailPS uses (freebsd-net-prov-facts.md §2.2), against the simulated host's pfctl
/// and the real /sbin/pfctl (trait Category=FreeBSD: as root with pf loaded; skipped elsewhere with
/// the reason). The real run uses an anchor jailps/jailps-conf-* that no main ruleset hooks, and
/// flushes it afterwards.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class PfctlConformanceTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "jailps-pfconf-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _anchor = "jailps/jailps-conf-" + Guid.NewGuid().ToString("N")[..6];
    private IProcessRunner? _runner;

    public void Dispose()
    {
        try { _runner?.Run(Request("-a", _anchor, "-F", "all")); } catch (IOException) { }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    public static IEnumerable<object[]> Kinds() => new[] { new object[] { "simulated" }, new object[] { "freebsd" } };

    private IProcessRunner Open(string which)
    {
        if (which == "simulated")
        {
            Directory.CreateDirectory(Path.Combine(_root, "etc"));
            File.WriteAllText(Path.Combine(_root, "etc", "pf.conf"), "anchor \"other/*\"\npass all\n");
            return _runner = new SimulatedHost(_root).Processes;
        }
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "pfctl conformance runs only on FreeBSD (this is " + RuntimeInformation.OSDescription + ")");
        Skip.If(new JailPS.Native.FreeBsdLibc().GetEuid() != 0, "pfctl conformance needs root");
        var real = new SystemProcessRunner();
        Skip.If(real.Run(Request("-si")).ExitCode != 0, "pf is not loaded (kldload pf)");
        return _runner = real;
    }

    private static ProcessRequest Request(params string[] args) => WithInput(null, args);

    private static ProcessRequest WithInput(string? stdin, params string[] args)
        => new() { Arguments = new[] { "/sbin/pfctl" }.Concat(args).ToArray(), Purpose = "pfctl", StandardInput = stdin, Timeout = TimeSpan.FromSeconds(30) };

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void An_anchor_is_loaded_from_standard_input_listed_and_flushed_alone(string which)
    {
        var pf = Open(which);
        const string rule = "pass quick inet from 127.0.1.250 to 127.0.1.250";
        var load = pf.Run(WithInput("# conformance\n" + rule + "\n", "-a", _anchor, "-f", "-"));
        Assert.True(load.ExitCode == 0, load.StandardError);
        var shown = pf.Run(Request("-a", _anchor, "-sr"));
        Assert.True(shown.ExitCode == 0, shown.StandardError);
        Assert.Contains("pass quick inet from 127.0.1.250 to 127.0.1.250", shown.StandardOutput);
        Assert.Equal(0, pf.Run(Request("-a", _anchor, "-F", "all")).ExitCode);
        Assert.DoesNotContain("127.0.1.250", pf.Run(Request("-a", _anchor, "-sr")).StandardOutput);
        // The main ruleset does not hook jailps/*: what JailPS's hook check looks for is absent.
        Assert.DoesNotContain("anchor \"jailps/*\"", pf.Run(Request("-sr")).StandardOutput);
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void A_ruleset_pf_cannot_parse_is_refused_and_an_underscore_anchor_cannot_be_touched(string which)
    {
        var pf = Open(which);
        var bad = pf.Run(WithInput("this is not pf\n", "-a", _anchor, "-f", "-"));
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("syntax error", bad.StandardError);
        var hidden = pf.Run(Request("-a", "_jailps", "-F", "all"));
        Assert.NotEqual(0, hidden.ExitCode);
        Assert.Contains("cannot be modified from the command line", hidden.StandardError);
    }
}
