using JailPS.Core.Lifecycle;
using JailPS.Core.Network;
using JailPS.Core.Tests.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Network;

/// <summary>
/// ip4.addr/ip6.addr entries with an interface, as both seeds write them: aliases added with one
/// ioctl each before jail_set and removed after jail_remove, with no process, and never a host address taken.
/// </summary>
public sealed class IpAliasLifecycleTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private IReadOnlyList<string> Em0() => _f.Sim.Kernel.InterfaceSummary.Single(l => l.StartsWith("em0 ", StringComparison.Ordinal)).Split(' ');

    [Fact]
    public void A_seed_style_jail_gets_its_aliases_before_jail_set_and_loses_them_after_jail_remove()
    {
        var def = _f.Define("web", "\tip4.addr = \"em0|192.0.2.11/24\", \"em0|192.0.2.12\";\n\tip6.addr = \"em0|2001:db8::11/64\";\n\tpersist;");
        var plan = _f.Lifecycle().PlanStart(_f.Spec(def));
        var names = plan.Steps.Select(s => s.Name).ToList();
        Assert.True(names.IndexOf("ip alias") < names.IndexOf("jail_set"));
        Assert.Contains(plan.Steps, s => s.Description.StartsWith("ifconfig em0 inet 192.0.2.11/24 alias   [ioctl(SIOCAIFADDR) em0 192.0.2.11/24]", StringComparison.Ordinal));
        Assert.Contains(plan.Steps, s => s.Description.StartsWith("ifconfig em0 inet 192.0.2.12 netmask 255.255.255.255 alias", StringComparison.Ordinal));
        Assert.Contains(plan.Steps, s => s.Description.StartsWith("ifconfig em0 inet6 2001:db8::11/64 alias", StringComparison.Ordinal));
        _f.Sim.Kernel.ResetCounts();
        int processes = _f.Sim.Processes.Log.Count;
        PlanRunner.Execute(plan, _f);
        Assert.Equal(3, _f.Sim.Kernel.CallCounts["ioctl"]);       // one address ioctl per alias
        Assert.Equal(processes, _f.Sim.Processes.Log.Count);       // and no ifconfig process
        Assert.Contains("192.0.2.11/24", Em0());
        Assert.Contains("192.0.2.12/32", Em0());
        Assert.Contains("2001:db8::11/64", Em0());
        // The kernel got the bare addresses.
        Assert.Equal(new[] { "192.0.2.11", "192.0.2.12" }, _f.Current("web").IPv4Address);

        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        var stop = _f.Lifecycle().PlanStop("web", jid, _f.Spec(def), 0, force: false);
        var stopNames = stop.Steps.Select(s => s.Name).ToList();
        Assert.True(stopNames.IndexOf("ip alias") > stopNames.IndexOf("jail_remove"));
        Assert.StartsWith("ifconfig em0 inet6 2001:db8::11/64 -alias", stop.Steps.First(s => s.Name == "ip alias").Description);
        PlanRunner.Execute(stop, _f);
        Assert.Equal(new[] { "em0", "192.0.2.2/24", "2001:db8::2/64" }, Em0());
        Assert.Empty(new JailAliasLedger(_f.Host.Files).Read("web"));
    }

    [Fact]
    public void An_address_the_interface_already_has_is_the_hosts_and_is_never_removed()
    {
        var def = _f.Define("web", "\tip4.addr = \"em0|192.0.2.2/24\";\n\tpersist;");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, _f.Spec(def), 0, force: false), _f);
        Assert.Contains("192.0.2.2/24", Em0());
        Assert.Contains(_f.VerboseLines, l => l.Contains("it is the host's", StringComparison.Ordinal));
    }

    [Fact]
    public void An_address_on_another_interface_or_a_missing_interface_is_refused_with_nothing_left()
    {
        var def = _f.Define("web", "\tip4.addr = \"em0|192.0.2.11/24\", \"em0|127.0.0.1\";\n\tpersist;");
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f));
        Assert.Contains("already configured on lo0", ex.Message);
        Assert.DoesNotContain("192.0.2.11/24", Em0()); // the first alias was rolled back
        Assert.Null(_f.Host.Kernel.GetByName("web"));

        var def2 = _f.Define("db", "\tip4.addr = \"em9|192.0.2.21\";\n\tpersist;");
        var ex2 = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def2)), _f));
        Assert.Contains("em9, which this host does not have", ex2.Message);
    }

    [Fact]
    public void The_interface_parameter_puts_every_entry_on_it()
    {
        var def = _f.Define("web", "\tinterface = em0;\n\tip4.addr = 192.0.2.31;\n\tpersist;");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        Assert.Contains("192.0.2.31/32", Em0());
    }

    [Fact]
    public void Every_fault_in_an_alias_ioctl_or_the_jail_set_after_it_leaves_no_alias()
    {
        var def = _f.Define("web", "\tip4.addr = \"em0|192.0.2.11/24\", \"em0|192.0.2.12/24\";\n\tpersist;");
        int tried = 0;
        foreach (var (call, n) in new[] { ("ioctl", 1), ("ioctl", 2), ("jail_set", 1), ("socket", 2) })
        {
            _f.Sim.Kernel.InjectFault(call, n, Errno.EIO);
            Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f));
            _f.Sim.Kernel.ClearFaults();
            Assert.Equal(new[] { "em0", "192.0.2.2/24", "2001:db8::2/64" }, Em0());
            Assert.Empty(new JailAliasLedger(_f.Host.Files).Read("web"));
            tried++;
        }
        Assert.Equal(4, tried);
    }
}
