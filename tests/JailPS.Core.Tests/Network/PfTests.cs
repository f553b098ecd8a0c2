using System.Net;
using JailPS.Core.Config;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Network;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Network;

/// <summary>
/// A jail's pf anchor (jailps/NAME) through the simulated host's pfctl: seed 003's loopback isolation
/// for -PrivateLoopback jails and its rdr port forwards, loaded on start, flushed on stop, reloaded
/// by Add-/Remove-JailPortForward, never claimed to work when pf.conf does not hook the anchor, and
/// nothing left in pf after any failure.
/// </summary>
public sealed class PfTests : IDisposable
{
    private const string HookedPfConf = "ext_if = \"em0\"\nset skip on lo0\nrdr-anchor \"jailps/*\"\nblock in all\nanchor \"jailps/*\"\npass out all\n";
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private void PfConf(string text) => _f.WriteFile("/etc/pf.conf", text);

    private JailDefinition NewJail(string name, bool privateLoopback = true, params string[] ipv4)
    {
        PlanRunner.Execute(_f.Service.PlanCreate(new NewJailRequest { Name = name, Path = "/usr/jails/" + name, PrivateLoopback = privateLoopback, IPv4Address = ipv4, Persist = true }), _f);
        _f.Service.Invalidate();
        return _f.Service.FindDefinition(name)!;
    }

    private void Start(string name) => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition(name)!)), _f);

    private void Stop(string name)
        => PlanRunner.Execute(_f.Lifecycle().PlanStop(name, _f.Host.Kernel.GetByName(name)!.Jid, _f.Spec(_f.Service.FindDefinition(name)!), 0, force: false), _f);

    private string[] Pfctl() => _f.Sim.Processes.Log.Where(c => c.Purpose == "pfctl").Select(c => string.Join(" ", c.Arguments)).ToArray();

    private JailPortForwardService Forwards() => new(_f.Service, _f);

    [Fact]
    public void A_private_loopback_jail_gets_the_seeds_isolation_in_its_anchor_and_a_stop_flushes_it()
    {
        PfConf(HookedPfConf);
        string conf = _f.Host.Files.ReadAllText(NewJail("db").SourceFile!)!;
        Assert.Contains("$jailps_pf_isolation = yes;", conf);
        var plan = _f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("db")!));
        var names = plan.Steps.Select(s => s.Name).ToList();
        Assert.True(names.IndexOf("pf") > names.LastIndexOf("ip alias") && names.IndexOf("pf") < names.IndexOf("jail_set"));
        Assert.StartsWith("pfctl -a jailps/db -f -", plan.Steps.Single(s => s.Name == "pf").Description);
        PlanRunner.Execute(plan, _f);
        Assert.Equal(new[] { "pass quick inet from 127.0.1.1 to 127.0.1.1", "block drop quick inet from ! 127.0.1.1 to 127.0.1.1" },
            _f.Sim.Kernel.PfAnchors["jailps/db"]);
        Assert.Equal(new[] { "/sbin/pfctl -si", "/sbin/pfctl -sn", "/sbin/pfctl -sr", "/sbin/pfctl -a jailps/db -f -" }, Pfctl());
        Assert.Empty(_f.Warnings);
        Stop("db");
        Assert.Empty(_f.Sim.Kernel.PfAnchors);
        Assert.Equal("/sbin/pfctl -a jailps/db -F all", Pfctl().Last());
    }

    [Fact]
    public void Without_the_anchor_hook_the_rules_are_loaded_but_the_warning_gives_the_exact_pf_conf_lines()
    {
        PfConf("block in all\npass out all\n");
        NewJail("db");
        Start("db");
        var w = Assert.Single(_f.Warnings);
        Assert.Contains("anchor \"jailps/*\"", w);
        Assert.Contains("NOT isolated", w);
        Assert.Contains("pfctl -f /etc/pf.conf", w);
        Assert.True(_f.Sim.Kernel.PfAnchors.ContainsKey("jailps/db"));
    }

    [Fact]
    public void Without_pf_isolation_only_warns_and_a_jail_with_port_forwards_is_refused_before_anything_is_done()
    {
        NewJail("db");
        Start("db");
        Assert.Contains(_f.Warnings, w => w.Contains("pf is not running", StringComparison.Ordinal) && w.Contains("NOT isolated", StringComparison.Ordinal));
        Stop("db");
        _f.Define("web", "\tpath = \"/\";\n\tpersist;\n\tip4.addr = \"em0|192.0.2.11/24\";\n\t$jailps_rdr = \"tcp 192.0.2.2:80 -> 192.0.2.11:80\";");
        _f.Service.Invalidate();
        var ex = Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)));
        Assert.Equal("JailPfUnavailable", ex.ErrorId);
        Assert.Equal(0, _f.RunningCount());
        Assert.DoesNotContain("192.0.2.11", string.Join(" ", _f.Sim.Kernel.InterfaceSummary));
    }

    [Fact]
    public void A_port_forward_is_kept_in_the_definition_reloaded_live_and_removed_live()
    {
        PfConf(HookedPfConf);
        NewJail("web", privateLoopback: true, "em0|192.0.2.11/24");
        Start("web");
        var svc = Forwards();
        var entries = svc.NewEntries(_f.Current("web"), "tcp", new[] { 80, 443 }, IPAddress.Parse("192.0.2.2"), null, null);
        Assert.All(entries, e => Assert.Equal(IPAddress.Parse("192.0.2.11"), e.JailAddress)); // not the loopback one
        var plan = svc.PlanAdd(_f.Current("web"), entries);
        Assert.Contains(plan.Steps, s => s.Description.Contains("rdr pass on em0 inet proto tcp from any to 192.0.2.2 port 80 -> 192.0.2.11 port 80", StringComparison.Ordinal));
        PlanRunner.Execute(plan, _f);
        _f.Service.Invalidate();
        Assert.Contains("$jailps_rdr = \"tcp 192.0.2.2:80 -> 192.0.2.11:80; tcp 192.0.2.2:443 -> 192.0.2.11:443\";", _f.Host.Files.ReadAllText(_f.Service.FindDefinition("web")!.SourceFile!)!);
        Assert.Contains("rdr pass on em0 inet proto tcp from any to 192.0.2.2 port 443 -> 192.0.2.11 port 443", _f.Sim.Kernel.PfAnchors["jailps/web"]);
        var listed = svc.ForwardsOf(new[] { _f.Current("web") });
        Assert.Equal(new[] { "Active", "Active" }, listed.Select(f => f.State));
        Assert.Equal("JailPortForwardExists", Assert.Throws<JailOperationException>(() => svc.PlanAdd(_f.Current("web"), entries.Take(1).ToList())).ErrorId);

        PlanRunner.Execute(svc.PlanRemove(_f.Current("web"), null, new[] { 80 }, null), _f);
        _f.Service.Invalidate();
        Assert.DoesNotContain(_f.Sim.Kernel.PfAnchors["jailps/web"], r => r.Contains("port 80 ", StringComparison.Ordinal));
        PlanRunner.Execute(svc.PlanRemove(_f.Current("web"), "tcp", null, null), _f);
        _f.Service.Invalidate();
        Assert.DoesNotContain("jailps_rdr", _f.Host.Files.ReadAllText(_f.Service.FindDefinition("web")!.SourceFile!)!);
        Assert.DoesNotContain(_f.Sim.Kernel.PfAnchors["jailps/web"], r => r.StartsWith("rdr", StringComparison.Ordinal)); // isolation stays
        Stop("web");
        Assert.Empty(_f.Sim.Kernel.PfAnchors);
        Assert.Equal(new[] { "Configured" }, Forwards().ForwardsOf(new[] { _f.Current("web") }).Select(f => f.State).DefaultIfEmpty("Configured").Distinct());
    }

    [Fact]
    public void A_loaded_but_disabled_pf_counts_as_not_running()
    {
        PfConf(HookedPfConf);
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/sbin/pfctl -si", StandardOutput = "Status: Disabled for 0 days 00:01:02           Debug: Urgent\n" });
        _f.Define("web", "\tpath = \"/\";\n\tpersist;\n\t$jailps_rdr = \"tcp 192.0.2.2:80 -> 192.0.2.11:80\";");
        _f.Service.Invalidate();
        var ex = Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!)));
        Assert.Equal("JailPfUnavailable", ex.ErrorId);
        Assert.Contains("pfctl -e", ex.Message);
    }

    [Fact]
    public void The_same_external_port_cannot_go_to_two_jails()
    {
        PfConf(HookedPfConf);
        NewJail("a", true, "em0|192.0.2.11/24");
        NewJail("b", true, "em0|192.0.2.12/24");
        var svc = Forwards();
        PlanRunner.Execute(svc.PlanAdd(_f.Current("a"), svc.NewEntries(_f.Current("a"), "tcp", new[] { 80 }, IPAddress.Parse("192.0.2.2"), null, null)), _f);
        _f.Service.Invalidate();
        var ex = Assert.Throws<JailOperationException>(() => svc.PlanAdd(_f.Current("b"), svc.NewEntries(_f.Current("b"), "tcp", new[] { 80 }, IPAddress.Parse("192.0.2.2"), null, null)));
        Assert.Equal("JailPortForwardInUse", ex.ErrorId);
    }

    [Fact]
    public void A_failing_pfctl_rolls_the_start_back_and_a_failing_step_after_it_flushes_the_anchor()
    {
        PfConf(HookedPfConf);
        NewJail("db");
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/sbin/pfctl -a jailps/db -f -", ExitCode = 1, StandardError = "pfctl: DIOCADDRULENV: Invalid argument\n" });
        var ex = Assert.Throws<JailPlanException>(() => Start("db"));
        Assert.Equal("JailPfLoadFailed", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Equal(0, _f.RunningCount());
        Assert.DoesNotContain(_f.Sim.Kernel.InterfaceSummary, l => l.Contains("127.0.1.1", StringComparison.Ordinal));
        Assert.Empty(new JailInterfaceLedger(_f.Host.Files).Read("db"));
        _f.Sim.Processes.ClearResponses();

        _f.Sim.Kernel.InjectFault("jail_set", 1, JailPS.Native.Errno.EIO);
        Assert.ThrowsAny<Exception>(() => Start("db"));
        Assert.Empty(_f.Sim.Kernel.PfAnchors);
        Assert.Empty(new JailInterfaceLedger(_f.Host.Files).Read("db"));

        // A flush that fails at stop says so, and the next Stop-Jail (the cleanup half) finishes it.
        Start("db");
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/sbin/pfctl -a jailps/db -F all", ExitCode = 1, StandardError = "pfctl: Operation not permitted\n" });
        var stop = Assert.Throws<JailPlanException>(() => Stop("db"));
        Assert.Equal("JailPfFlushFailed", ((JailOperationException)stop.InnerException!).ErrorId);
        _f.Sim.Processes.ClearResponses();
        Assert.True(_f.Lifecycle().NeedsUnmountCleanup("db", _f.Spec(_f.Service.FindDefinition("db")!), "/usr/jails/db"));
        PlanRunner.Execute(_f.Lifecycle().PlanUnmountCleanup("db", _f.Spec(_f.Service.FindDefinition("db")!), "/usr/jails/db", force: false), _f);
        Assert.Empty(_f.Sim.Kernel.PfAnchors);
        Assert.Empty(new JailInterfaceLedger(_f.Host.Files).Read("db"));
    }

    [Fact]
    public void Entries_are_checked_when_the_definition_is_read()
    {
        Assert.Equal("tcp [2001:db8::7]:443 -> [2001:db8:1::5]:8443", JailPortForwardEntry.Parse("x", "tcp [2001:db8::7]:443 -> [2001:db8:1::5]:8443").ToString());
        foreach (string bad in new[] { "icmp 192.0.2.2:80 -> 10.0.0.5:80", "tcp 192.0.2.2:0 -> 10.0.0.5:80", "tcp 192.0.2.2:80 -> [2001:db8::5]:80", "tcp 192.0.2.2 -> 10.0.0.5:80" })
            Assert.Equal("JailPortForwardInvalid", Assert.Throws<JailOperationException>(() => JailPortForwardEntry.Parse("x", bad)).ErrorId);
        Assert.Equal("JailPfAnchorInvalid", Assert.Throws<JailOperationException>(() => JailPfService.AnchorOf("_hidden")).ErrorId);
    }
}
