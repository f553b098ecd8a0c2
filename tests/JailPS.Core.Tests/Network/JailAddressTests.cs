using System.Collections;
using System.Net;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Core.Network;
using JailPS.Core.Tests.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Network;

/// <summary>
/// Get-JailIPAddress's listing and the plans of Add-JailIPAddress / Remove-JailIPAddress (and
/// Set-Jail's live ip4.addr changes): live changes as jail -m with the aliases, the definition
/// with -Persist, rolled back whole when a step fails.
/// </summary>
public sealed class JailAddressTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private IReadOnlyList<string> Em0() => _f.Sim.Kernel.InterfaceSummary.Single(l => l.StartsWith("em0 ", StringComparison.Ordinal)).Split(' ');

    private JailAddressService Addresses() => new(_f.Service);

    private Jail StartWeb(string body = "\tip4.addr = \"em0|192.0.2.11/24\";\n\tpersist;")
    {
        var def = _f.Define("web", body);
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        return _f.Current("web");
    }

    private IReadOnlyList<JailIPAddress> List(string name) => Addresses().AddressesOf(_f.Current(name), _f.Host.Network.ReadInterfaces());

    private string DefinitionText(string name) => _f.Host.Files.ReadAllText($"/etc/jail.conf.d/{name}.conf")!;

    [Fact]
    public void A_running_jail_lists_its_addresses_with_interface_prefix_source_and_state()
    {
        StartWeb("\tip4.addr = \"em0|192.0.2.11/24\", 127.0.0.1;\n\tip6.addr = \"em0|2001:db8::11/64\";\n\tpersist;");
        var list = List("web");
        Assert.Equal(new[] { "192.0.2.11/24 em0 Active", "127.0.0.1/8 lo0 Active", "2001:db8::11/64 em0 Active" },
            list.Select(a => $"{a} {a.Interface} {a.State}"));
        Assert.All(list, a => Assert.Equal("Definition", a.Source));
        Assert.Equal(new[] { "IPv4", "IPv4", "IPv6" }, list.Select(a => a.Family));
        Assert.Equal(new[] { true, false, true }, list.Select(a => a.AddedByJailPS)); // 127.0.0.1 is the host's

        // Removed by hand from the interface: the jail still has it, the host no longer does.
        _f.Host.Network.RemoveAlias(JailIPAlias.Parse("ip4.addr", "em0|192.0.2.11/24", null));
        Assert.Equal("AliasMissing", List("web").First().State);
    }

    [Fact]
    public void A_stopped_jail_lists_its_definition_and_what_an_interrupted_stop_left()
    {
        var def = _f.Define("web", "\tip4.addr = \"em0|192.0.2.11/24\";\n\tpersist;");
        Assert.Equal("Configured", List("web").Single().State);
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        // jail -R: the jail goes, its alias stays.
        _f.Host.Kernel.Remove(_f.Host.Kernel.GetByName("web")!.Jid, "web");
        var left = List("web").Single();
        Assert.Equal("Leftover", left.State);
        Assert.True(left.AddedByJailPS);
    }

    [Fact]
    public void Listing_a_thousand_jails_reads_the_interface_table_once_and_calls_jail_get_n_plus_one_times()
    {
        var catalog = _f.Host.Kernel.Catalog;
        for (int i = 0; i < 1000; i++)
            _f.Host.Kernel.Set(new[]
            {
                new JailParameterSetting(catalog.Find("name")!, "j" + i),
                new JailParameterSetting(catalog.Find("persist")!, true),
                new JailParameterSetting(catalog.Find("ip4.addr")!, new[] { IPAddress.Parse($"10.{i / 250}.{i % 250}.1") }),
            }, JailFlags.Create);
        _f.Service.Invalidate();
        _f.Sim.Kernel.ResetCounts();
        var service = new JailAddressService(_f.Service);
        var table = _f.Host.Network.ReadInterfaces();
        int n = _f.Service.GetAll().Sum(j => service.AddressesOf(j, table).Count);
        Assert.Equal(1000, n);
        Assert.Equal(1, _f.Sim.Kernel.CallCounts["getifaddrs"]);
        Assert.Equal(1001, _f.Sim.Kernel.CallCounts["jail_get"]);
    }

    [Fact]
    public void Add_with_persist_adds_the_alias_then_the_address_then_the_definition_entry()
    {
        var web = StartWeb();
        var plan = Addresses().PlanAdd(web, "em0", "192.0.2.12/24", persist: true);
        Assert.Equal(new[] { "ip alias", "jail_set", "write" }, plan.Steps.Select(s => s.Name));
        Assert.StartsWith("ifconfig em0 inet 192.0.2.12/24 alias   [ioctl(SIOCAIFADDR) em0 192.0.2.12/24]", plan.Steps[0].Description);
        _f.Sim.Kernel.ResetCounts();
        int processes = _f.Sim.Processes.Log.Count;
        PlanRunner.Execute(plan, _f);
        Assert.Equal(1, _f.Sim.Kernel.CallCounts["ioctl"]);
        Assert.Equal(processes, _f.Sim.Processes.Log.Count);
        Assert.Equal(new[] { "192.0.2.11", "192.0.2.12" }, _f.Current("web").IPv4Address);
        Assert.Contains("192.0.2.12/24", Em0());
        Assert.Contains("ip4.addr = \"em0|192.0.2.11/24\", \"em0|192.0.2.12/24\";", DefinitionText("web"));

        // The stop removes both, as the ledger has both.
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, _f.Spec(_f.Service.FindDefinition("web")!), 0, force: false), _f);
        Assert.Equal(new[] { "em0", "192.0.2.2/24", "2001:db8::2/64" }, Em0());
    }

    [Fact]
    public void A_live_add_leaves_the_definition_alone_and_is_listed_as_live()
    {
        var web = StartWeb();
        string before = DefinitionText("web");
        PlanRunner.Execute(Addresses().PlanAdd(web, "em0", "2001:db8::12/64", persist: false), _f);
        Assert.Equal(before, DefinitionText("web"));
        var added = List("web").Single(a => a.Family == "IPv6");
        Assert.Equal(("Live", "Active", "em0", 64), (added.Source, added.State, added.Interface, added.PrefixLength));
    }

    [Theory]
    [InlineData("ioctl", 1)]     // the alias
    [InlineData("jail_set", 1)]  // the address in the jail
    public void A_failing_step_leaves_neither_alias_nor_address_nor_definition_change(string syscall, int nth)
    {
        var web = StartWeb();
        string before = DefinitionText("web");
        var plan = Addresses().PlanAdd(web, "em0", "192.0.2.12/24", persist: true);
        _f.Sim.Kernel.InjectFault(syscall, nth, Errno.EIO);
        Assert.Throws<JailPlanException>(() => PlanRunner.Execute(plan, _f));
        Assert.DoesNotContain("192.0.2.12/24", Em0());
        Assert.Equal(new[] { "192.0.2.11" }, _f.Current("web").IPv4Address);
        Assert.Equal(before, DefinitionText("web"));
        Assert.DoesNotContain(new JailAliasLedger(_f.Host.Files).Read("web"), e => e.Address == "192.0.2.12");
    }

    [Fact]
    public void Remove_takes_the_address_out_of_the_jail_before_its_alias_and_never_removes_a_host_address()
    {
        var web = StartWeb("\tip4.addr = \"em0|192.0.2.11/24\", \"em0|192.0.2.2/24\";\n\tpersist;");
        var plan = Addresses().PlanRemove(web, IPAddress.Parse("192.0.2.11"), persist: true);
        Assert.Equal(new[] { "jail_set", "ip alias", "write" }, plan.Steps.Select(s => s.Name));
        PlanRunner.Execute(plan, _f);
        Assert.DoesNotContain("192.0.2.11/24", Em0());
        Assert.Contains("ip4.addr = \"em0|192.0.2.2/24\";", DefinitionText("web"));

        // 192.0.2.2 was the host's before the jail started: out of the jail, never off em0.
        web = _f.Current("web");
        var host = Addresses().PlanRemove(web, IPAddress.Parse("192.0.2.2"), persist: true);
        Assert.DoesNotContain(host.Steps, s => s.Name == "ip alias");
        PlanRunner.Execute(host, _f);
        Assert.Contains("192.0.2.2/24", Em0());
        Assert.Empty(_f.Current("web").IPv4Address);
        Assert.DoesNotContain("ip4.addr", DefinitionText("web"));
    }

    [Fact]
    public void Bad_requests_are_refused_with_their_own_error_ids_and_nothing_changed()
    {
        var web = StartWeb();
        string Id(Action a) => Assert.Throws<JailOperationException>(a).ErrorId;
        Assert.Equal("JailIPAddressExists", Id(() => Addresses().PlanAdd(web, "em0", "192.0.2.11/24", persist: false)));
        Assert.Equal("JailIPAddressInvalid", Id(() => Addresses().PlanAdd(web, null, "em0|192.0.2.12", persist: false)));
        Assert.Equal("JailIPAddressInvalid", Id(() => Addresses().PlanAdd(web, null, "192.0.2.300", persist: false)));
        Assert.Equal("JailIPAddressInvalid", Id(() => Addresses().PlanAdd(web, null, "192.0.2.12/33", persist: false)));
        Assert.Equal("JailIPAddressNotFound", Id(() => Addresses().PlanRemove(web, IPAddress.Parse("192.0.2.99"), persist: true)));
        var exists = Assert.Throws<JailOperationException>(() => Addresses().PlanAdd(web, "em0", "192.0.2.11/24", persist: false));
        Assert.Equal(JailErrorCategory.ResourceExists, JailErrorClassifier.Classify(exists, null, true).Category);
        var missing = Assert.Throws<JailOperationException>(() => Addresses().PlanRemove(web, IPAddress.Parse("192.0.2.99"), persist: false));
        Assert.Equal(JailErrorCategory.ObjectNotFound, JailErrorClassifier.Classify(missing, null, true).Category);

        var stopped = _f.Define("db", "\tpersist;");
        Assert.Equal("JailNotRunning", Id(() => Addresses().PlanAdd(_f.Current("db"), "em0", "192.0.2.21/24", persist: false)));
        Assert.Equal(new[] { "write" }, Addresses().PlanAdd(_f.Current("db"), "em0", "192.0.2.21/24", persist: true).Steps.Select(s => s.Name));
    }

    [Fact]
    public void Set_jail_with_an_interface_entry_adds_the_alias_live_and_drops_the_one_it_no_longer_lists()
    {
        var web = StartWeb();
        var plan = _f.Service.PlanUpdate(web, new Hashtable { ["ip4.addr"] = "em0|192.0.2.13/24" }, writeDefinition: false);
        Assert.Equal(new[] { "ip alias", "jail_set", "ip alias" }, plan.Steps.Select(s => s.Name));
        PlanRunner.Execute(plan, _f);
        Assert.Contains("192.0.2.13/24", Em0());
        Assert.DoesNotContain("192.0.2.11/24", Em0());
        Assert.Equal(new[] { "192.0.2.13" }, _f.Current("web").IPv4Address);
    }
}
