using JailPS.Core.Config;
using JailPS.Core.Lifecycle;
using JailPS.Core.Network;
using JailPS.Core.Tests.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Network;

/// <summary>
/// VNET jails as New-Jail -Vnet -Bridge makes them: the epair created, renamed, given its MACs and
/// put on its bridge before jail_set, its jail side moved in after, taken back before jail_remove
/// and destroyed after it; natively (no ifconfig process), and nothing left after any failure.
/// The peers' bugs named in the test names are the ones of freebsd-net-prov-facts.md §6.2.
/// </summary>
public sealed class VnetLifecycleTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private JailDefinition NewVnetJail(string name = "app", string? bridge = "bridge0")
    {
        _f.Host.Files.CreateDirectory($"/usr/jails/{name}/etc");
        var req = new NewJailRequest
        {
            Name = name, Path = $"/usr/jails/{name}", Vnet = true, Bridge = bridge,
            IPv4Address = new[] { "10.0.0.5/24" }, IPv6Address = new[] { "2001:db8:1::5/64" }, DefaultGateway = new[] { "10.0.0.1" },
        };
        PlanRunner.Execute(_f.Service.PlanCreate(req), _f);
        _f.Service.Invalidate();
        return _f.Service.FindDefinition(name)!;
    }

    private IReadOnlyList<string> HostNames() => _f.Sim.Kernel.InterfaceSummary.Select(l => l.Split(' ')[0]).ToList();

    private int Jid(string name) => _f.Host.Kernel.GetByName(name)!.Jid;

    private void Stop(string name)
        => PlanRunner.Execute(_f.Lifecycle().PlanStop(name, Jid(name), _f.Spec(_f.Service.FindDefinition(name)!), 0, force: false), _f);

    [Fact]
    public void New_jail_vnet_writes_a_definition_jail8_reads_and_the_jails_own_rc_conf()
    {
        var def = NewVnetJail();
        string conf = _f.Host.Files.ReadAllText("/etc/jail.conf.d/app.conf")!;
        Assert.Contains("\tvnet;\n", conf);
        Assert.Contains("\tvnet.interface = e0b_app;\n", conf);
        Assert.Contains("\t$jailps_epair = \"e0a_app e0b_app\";\n", conf);
        Assert.Contains("\t$jailps_bridge = bridge0;\n", conf);
        Assert.Matches(@"\t\$jailps_mac = ""?02(:[0-9a-f]{2}){4}:0b""?;\n", conf);
        Assert.Contains("\texec.start = \"/bin/sh /etc/rc\";\n", conf);
        Assert.DoesNotContain("ip4.addr", conf); // a vnet jail cannot have IP restrictions
        string rc = _f.Host.Files.ReadAllText("/usr/jails/app/etc/rc.conf")!;
        Assert.Contains("ifconfig_e0b_app=\"inet 10.0.0.5/24\"\n", rc);
        Assert.Contains("ifconfig_e0b_app_ipv6=\"inet6 2001:db8:1::5/64\"\n", rc);
        Assert.Contains("defaultrouter=\"10.0.0.1\"\n", rc);
        var spec = _f.Spec(def);
        Assert.Equal(new[] { "e0b_app" }, spec.VnetInterfaces);
        Assert.Equal(("e0a_app", "e0b_app", "bridge0"), (spec.Epair!.HostSide, spec.Epair.JailSide, spec.Epair.Bridge));
    }

    [Fact]
    public void A_vnet_start_is_one_create_one_rename_per_side_one_move_and_no_process_but_the_jails_rc()
    {
        var def = NewVnetJail();
        var plan = _f.Lifecycle().PlanStart(_f.Spec(def));
        var names = plan.Steps.Select(s => s.Name).ToList();
        Assert.True(names.LastIndexOf("epair") < names.IndexOf("jail_set"));
        Assert.True(names.IndexOf("vnet.interface") > names.IndexOf("jail_set"));
        Assert.Contains(plan.Steps, s => s.Description.StartsWith("ifconfig epair create   [ioctl(SIOCIFCREATE2) epair]", StringComparison.Ordinal));
        Assert.Contains(plan.Steps, s => s.Description.StartsWith("ifconfig bridge0 addm e0a_app", StringComparison.Ordinal));
        Assert.Contains(plan.Steps, s => s.Description.StartsWith("ifconfig e0b_app vnet app", StringComparison.Ordinal));
        // The bridge exists already: only the epair is created.
        _f.Host.Network.CreateInterface("bridge0");
        plan = _f.Lifecycle().PlanStart(_f.Spec(def));
        _f.Sim.Kernel.ResetCounts();
        PlanRunner.Execute(plan, _f);
        var counts = _f.Sim.Kernel.IoctlCounts;
        Assert.Equal(1, counts["SIOCIFCREATE2"]);
        Assert.Equal(2, counts["SIOCSIFNAME"]);
        Assert.Equal(1, counts["SIOCSIFVNET"]);
        Assert.DoesNotContain(_f.Sim.Processes.Log, c => c.Arguments.Any(a => a.Contains("ifconfig", StringComparison.Ordinal)));
        Assert.Equal(new[] { "exec.start" }, _f.CommandPurposes().Where(p => p.StartsWith("exec", StringComparison.Ordinal)));

        Assert.Contains("e0a_app", HostNames());
        Assert.DoesNotContain("e0b_app", HostNames());
        Assert.Contains(_f.Sim.Kernel.InterfaceSummaryOf(Jid("app")), l => l.StartsWith("e0b_app", StringComparison.Ordinal));
        Assert.Equal(new[] { "e0a_app" }, _f.Sim.Kernel.BridgeMembers("bridge0"));
    }

    [Fact]
    public void A_stop_takes_the_jail_side_back_before_jail_remove_and_destroys_the_epair_after_it_pot_229()
    {
        var def = NewVnetJail();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        var stop = _f.Lifecycle().PlanStop("app", Jid("app"), _f.Spec(def), 0, force: false);
        var names = stop.Steps.Select(s => s.Name).ToList();
        Assert.True(names.IndexOf("vnet.interface") < names.IndexOf("jail_remove"));
        Assert.True(names.IndexOf("epair") > names.IndexOf("jail_remove"));
        _f.Sim.Kernel.ResetCounts();
        PlanRunner.Execute(stop, _f);
        Assert.Equal(1, _f.Sim.Kernel.IoctlCounts["SIOCSIFRVNET"]);
        Assert.Equal(1, _f.Sim.Kernel.IoctlCounts["SIOCIFDESTROY"]);
        Assert.DoesNotContain("e0a_app", HostNames());
        Assert.DoesNotContain("e0b_app", HostNames());
        Assert.Contains("bridge0", HostNames());             // shared with other jails: it stays
        Assert.Empty(_f.Sim.Kernel.BridgeMembers("bridge0"));
        Assert.Empty(new JailInterfaceLedger(_f.Host.Files).Read("app"));
        // And it starts again with the same names and MAC.
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        Assert.Contains("e0a_app", HostNames());
    }

    [Fact]
    public void Every_network_step_of_a_start_failing_in_turn_leaves_no_epair_no_bridge_member_and_no_ledger_iocage_757()
    {
        var def = NewVnetJail();
        var baseline = HostNames();
        // The first start makes bridge0, which stays; how many ioctls and sockets a start onto the
        // existing bridge makes is counted on the second: every one of them is a fault point.
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        Stop("app");
        _f.Sim.Kernel.ResetCounts();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        long ioctls = _f.Sim.Kernel.CallCounts["ioctl"], sockets = _f.Sim.Kernel.CallCounts["socket"];
        Stop("app");
        var after = HostNames().ToList();
        int tried = 0;
        foreach (var (syscall, n) in Enumerable.Range(1, (int)ioctls).Select(i => ("ioctl", i)).Concat(Enumerable.Range(1, (int)sockets).Select(i => ("socket", i))))
        {
            _f.Sim.Kernel.InjectFault(syscall, n, Errno.EIO);
            Assert.ThrowsAny<Exception>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f));
            _f.Sim.Kernel.ClearFaults();
            tried++;
            Assert.Null(_f.Host.Kernel.GetByName("app"));
            Assert.Equal(after, HostNames());
            Assert.Empty(_f.Sim.Kernel.BridgeMembers("bridge0"));
            Assert.Empty(new JailInterfaceLedger(_f.Host.Files).Read("app"));
        }
        Assert.True(tried >= 8, $"only {tried} fault points");
        Assert.Contains("bridge0", after);
        Assert.DoesNotContain("bridge0", baseline); // the first start made it, and it stays
    }

    [Fact]
    public void Every_network_step_of_a_stop_failing_in_turn_is_finished_by_stopping_again_with_nothing_left()
    {
        var def = NewVnetJail();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        var clean = HostNames().Where(n => n != "e0a_app").ToList();
        _f.Sim.Kernel.ResetCounts();
        Stop("app");
        long ioctls = _f.Sim.Kernel.CallCounts["ioctl"];
        Assert.True(ioctls >= 2, $"a stop made {ioctls} ioctls");
        for (int n = 1; n <= ioctls; n++)
        {
            PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
            _f.Sim.Kernel.InjectFault("ioctl", n, Errno.EIO);
            Assert.ThrowsAny<Exception>(() => Stop("app"));
            _f.Sim.Kernel.ClearFaults();
            // What a failed stop says to do: Stop-Jail again (the unmount half when the jail is gone).
            if (_f.Host.Kernel.GetByName("app") is not null) Stop("app");
            else PlanRunner.Execute(_f.Lifecycle().PlanUnmountCleanup("app", _f.Spec(def), null, force: false), _f);
            Assert.Equal(clean, HostNames());
            Assert.Empty(_f.Sim.Kernel.BridgeMembers("bridge0"));
            Assert.Empty(new JailInterfaceLedger(_f.Host.Files).Read("app"));
        }
    }

    [Fact]
    public void A_failed_first_start_destroys_the_bridge_it_created()
    {
        var def = NewVnetJail();
        _f.Sim.Kernel.InjectFault("jail_set", 1, Errno.EIO);
        Assert.ThrowsAny<Exception>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f));
        Assert.DoesNotContain("bridge0", HostNames());
    }

    [Fact]
    public void Names_always_fit_fifteen_characters_bastille_786_and_never_collide_when_truncated_bastille_1245()
    {
        var taken = new HashSet<string>();
        var a = JailEpair.AllocateNames("bridgenomacjail1", taken);
        var b = JailEpair.AllocateNames("bridgenomacjail2", taken);
        Assert.All(new[] { a.HostSide, a.JailSide, b.HostSide, b.JailSide }, n => Assert.True(n.Length <= 15, n));
        Assert.NotEqual(a.HostSide, b.HostSide);
        var dotted = JailEpair.AllocateNames("web.example", taken);
        var underscored = JailEpair.AllocateNames("web_example", taken);
        Assert.NotEqual(dotted.HostSide, underscored.HostSide);
        Assert.All(dotted.HostSide, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c == '_'));
    }

    [Fact]
    public void Names_the_host_or_another_jail_has_are_skipped_bastille_794_and_ten_or_more_still_fit_bastille_1276()
    {
        _f.Host.Network.CreateInterface("epair");
        _f.Host.Network.RenameInterface("epair0a", "e0a_app");
        NewVnetJail();
        Assert.Contains("$jailps_epair = \"e1a_app e1b_app\";", _f.Host.Files.ReadAllText("/etc/jail.conf.d/app.conf"));
        var taken = Enumerable.Range(0, 10).SelectMany(i => new[] { $"e{i}a_abcdefgh", $"e{i}b_abcdefgh" }).ToHashSet();
        var tenth = JailEpair.AllocateNames("abcdefgh", taken);
        Assert.Equal("e10a_abcdefgh", tenth.HostSide);
        Assert.True(JailEpair.AllocateNames("abcdefghij", Enumerable.Range(0, 10).SelectMany(i => new[] { $"e{i}a_abcdefghij" }).ToHashSet()).JailSide.Length <= 15);
    }

    [Fact]
    public void Every_jail_gets_its_own_stable_mac_bastille_1608_and_its_own_epair_cbsd_25()
    {
        var app = _f.Spec(NewVnetJail("app"));
        var db = _f.Spec(NewVnetJail("db"));
        Assert.NotEqual(app.Epair!.JailMac, db.Epair!.JailMac);
        Assert.Equal(JailEpair.AllocateMac("app", new HashSet<string>()), app.Epair.JailMac); // from the name, so stable
        var taken = new HashSet<string> { app.Epair.JailMac };
        Assert.NotEqual(app.Epair.JailMac, JailEpair.AllocateMac("app", taken));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(app), _f);
        PlanRunner.Execute(_f.Lifecycle().PlanStart(db), _f);
        Assert.Equal(new[] { "e0a_app", "e0a_db" }, _f.Sim.Kernel.BridgeMembers("bridge0"));
        Assert.Contains(_f.Host.Network.ReadInterfaces(), i => i.Name == "e0a_app" && i.LinkAddress == app.Epair.HostMac);
    }

    [Fact]
    public void An_interface_handed_over_is_taken_back_on_stop_and_never_destroyed_iocage_1299()
    {
        _f.Host.Network.CreateInterface("bridge7");   // stands for a VLAN or NIC the admin hands over
        var def = _f.Define("nic", "\tvnet;\n\tvnet.interface = bridge7;\n\tpersist;");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        Assert.DoesNotContain("bridge7", HostNames());
        Stop("nic");
        Assert.Contains("bridge7", HostNames());
        Assert.Empty(new JailInterfaceLedger(_f.Host.Files).Read("nic"));
    }

    [Fact]
    public void Vnet_interface_without_vnet_or_a_missing_interface_is_refused_before_anything_is_done()
    {
        var noVnet = _f.Define("a", "\tvnet.interface = em0;\n\tpersist;");
        Assert.Equal("JailVnetInvalid", Assert.Throws<JailOperationException>(() => _f.Spec(noVnet)).ErrorId);
        var missing = _f.Define("b", "\tvnet;\n\tvnet.interface = em7;\n\tpersist;");
        Assert.Equal("JailInterfaceNotFound", Assert.Throws<JailOperationException>(() => _f.Lifecycle().PlanStart(_f.Spec(missing))).ErrorId);
        Assert.Equal(0, _f.RunningCount());
    }

    [Fact]
    public void The_seed_style_private_loopback_clones_lo1_and_keeps_it()
    {
        var req = new NewJailRequest { Name = "db", Path = "/usr/jails/db", PrivateLoopback = true, Persist = true };
        PlanRunner.Execute(_f.Service.PlanCreate(req), _f);
        var req2 = new NewJailRequest { Name = "web", Path = "/usr/jails/web", PrivateLoopback = true, Persist = true };
        PlanRunner.Execute(_f.Service.PlanCreate(req2), _f);
        Assert.Contains("ip4.addr = \"lo1|127.0.1.1/32\";", _f.Host.Files.ReadAllText("/etc/jail.conf.d/db.conf"));
        Assert.Contains("ip4.addr = \"lo1|127.0.1.2/32\";", _f.Host.Files.ReadAllText("/etc/jail.conf.d/web.conf"));
        _f.Service.Invalidate();
        var plan = _f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("db")!));
        Assert.StartsWith("ifconfig lo1 create   [ioctl(SIOCIFCREATE2) lo1]", plan.Steps.First(s => s.Name == "ip alias").Description);
        PlanRunner.Execute(plan, _f);
        Assert.Contains(_f.Sim.Kernel.InterfaceSummary, l => l == "lo1 127.0.1.1/32");
        Stop("db");
        Assert.Contains(_f.Sim.Kernel.InterfaceSummary, l => l == "lo1"); // the clone stays, without the jail's address
    }

    [Fact]
    public void Drift_sees_a_vnet_jail_whose_epair_was_destroyed_by_hand()
    {
        var def = NewVnetJail();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        var drift = new JailDriftService(_f.Service, _f);
        Assert.Empty(drift.Differences(_f.Current("app")));
        _f.Host.Network.DestroyInterface("e0a_app");   // ifconfig e0a_app destroy, behind JailPS's back
        var d = Assert.Single(new JailDriftService(_f.Service, _f).Differences(_f.Current("app")));
        Assert.Equal(("Interface", "e0a_app"), (d.Kind, d.Item));
        Assert.Null(d.Actual);
    }
}
