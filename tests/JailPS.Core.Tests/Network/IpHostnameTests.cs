using JailPS.Core.Lifecycle;
using JailPS.Core.Network;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Network;

/// <summary>
/// ip_hostname as jail(8) does it (usr.sbin/jail/config.c): every address host.hostname resolves to
/// is appended to ip4.addr / ip6.addr, and is an alias too when the interface parameter is set. The
/// simulated host resolves from its own /etc/hosts.
/// </summary>
public sealed class IpHostnameTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void Every_address_of_the_name_is_added_after_the_configured_ones_and_aliased_on_the_interface()
    {
        _f.WriteFile("/etc/hosts", "127.0.0.1 localhost\n192.0.2.41 web.example.org web # the jail\n2001:db8::41 web.example.org\n192.0.2.42\tweb.example.org\n");
        var def = _f.Define("web", "\thost.hostname = web.example.org;\n\tip_hostname;\n\tinterface = em0;\n\tip4.addr = 192.0.2.40;\n\tpersist;");
        var plan = _f.Lifecycle().PlanStart(_f.Spec(def));
        Assert.Contains("ip_hostname: host.hostname web.example.org resolves to 192.0.2.41, 2001:db8::41, 192.0.2.42",
            plan.Steps.Single(s => s.Name == "jail_set").Description);
        Assert.Equal(new[] { "192.0.2.40", "192.0.2.41", "192.0.2.42", "2001:db8::41" },
            plan.Steps.Where(s => s.Name == "ip alias").Select(s => s.Description.Split(' ')[3]));
        PlanRunner.Execute(plan, _f);
        var web = _f.Current("web");
        Assert.Equal(new[] { "192.0.2.40", "192.0.2.41", "192.0.2.42" }, web.IPv4Address);
        Assert.Equal(new[] { "2001:db8::41" }, web.IPv6Address);
        Assert.Contains(_f.Sim.Kernel.InterfaceSummary, l => l.StartsWith("em0 ", StringComparison.Ordinal) && l.Contains("192.0.2.41/32") && l.Contains("2001:db8::41/128"));
    }

    [Fact]
    public void Without_an_interface_the_addresses_only_restrict_the_jail()
    {
        _f.WriteFile("/etc/hosts", "192.0.2.2 host.example.org\n");
        var def = _f.Define("web", "\thost.hostname = host.example.org;\n\tip_hostname = 1;\n\tpersist;");
        var plan = _f.Lifecycle().PlanStart(_f.Spec(def));
        Assert.DoesNotContain(plan.Steps, s => s.Name == "ip alias");
        PlanRunner.Execute(plan, _f);
        Assert.Equal(new[] { "192.0.2.2" }, _f.Current("web").IPv4Address);
    }

    [Fact]
    public void A_name_that_does_not_resolve_fails_the_start_before_anything_is_done()
    {
        var def = _f.Define("web", "\thost.hostname = nowhere.example.org;\n\tip_hostname;\n\tpersist;");
        var ex = Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(_f.Spec(def)));
        Assert.Equal("JailHostnameUnresolved", ex.ErrorId);
        Assert.Contains("host.hostname nowhere.example.org: hostname nor servname provided, or not known", ex.Message);
        Assert.Equal(0, _f.RunningCount());
    }

    [Fact]
    public void No_hostname_or_ip_hostname_off_resolves_nothing()
    {
        var def = _f.Define("web", "\tip_hostname;\n\tpersist;");
        Assert.DoesNotContain("ip_hostname", _f.Lifecycle().PlanStart(_f.Spec(def)).Steps.Single(s => s.Name == "jail_set").Description);
        var off = _f.Define("db", "\thost.hostname = nowhere.example.org;\n\tip_hostname = false;\n\tpersist;");
        _f.Lifecycle().PlanStart(_f.Spec(off)); // would throw if it resolved
    }

    [Fact]
    public void The_hosts_file_resolver_reads_only_the_simulated_hosts_file()
    {
        var r = new HostsFileNameResolver(_f.Host.Files);
        Assert.Throws<HostNameResolveException>(() => r.Resolve("localhost")); // no /etc/hosts in the simulated root yet
        _f.WriteFile("/etc/hosts", "#192.0.2.9 web\n::1 localhost\n");
        Assert.Equal("::1", Assert.Single(r.Resolve("LOCALHOST")).ToString());
        Assert.Throws<HostNameResolveException>(() => r.Resolve("web"));
        Assert.Equal("192.0.2.7", Assert.Single(r.Resolve("192.0.2.7")).ToString());
    }
}
