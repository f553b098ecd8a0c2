using System.IO;
using JailPS.Core.Kernel;
using JailPS.Core.Network;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation;

/// <summary>
/// What the model does that the conformance scenarios cannot show on a real kernel in a test's
/// time: a dying vnet jail keeps what it was lent until it is freed (freebsd-net-prov-facts.md
/// §1.10, iocage #59), what was made inside it goes with it, and all of it survives the state file.
/// </summary>
public sealed class VnetModelTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "jailps-vnetmodel-" + Guid.NewGuid().ToString("N")[..8]);

    public VnetModelTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int VnetJail(JailKernel k, string name)
    {
        var c = k.Catalog;
        return k.Set(new List<JailParameterSetting> { new(c.Find("name")!, name), new(c.Find("path")!, "/"), new(c.Find("persist")!, true), new(c.Find("vnet")!, JailSysValues.New) }, JailFlags.Create, name);
    }

    [Fact]
    public void A_dying_vnet_jail_keeps_a_lent_interface_until_it_is_freed_then_it_returns_without_addresses()
    {
        var sim = new SimulatedKernel();
        var net = new HostNetwork(sim);
        var k = new JailKernel(sim);
        int jid = VnetJail(k, "v");
        string a = net.CreateInterface("epair");
        string b = a[..^1] + "b";
        net.SetInterfaceUp(b, true);
        net.MoveToJail(b, jid);
        Assert.Equal(new[] { "lo0", b }, sim.InterfaceSummaryOf(jid).Select(l => l.Split(' ')[0]));
        sim.HoldDyingReference(jid);
        k.Remove(jid);
        Assert.DoesNotContain(sim.InterfaceSummary, l => l.StartsWith(b, StringComparison.Ordinal)); // still in the dying jail
        sim.ReleaseDyingReference(jid);
        Assert.Contains(b, sim.InterfaceSummary);    // freed: home again, no addresses
        Assert.False(net.ReadInterfaces().Single(i => i.Name == b).IsUp); // if_vmove brought it down
    }

    [Fact]
    public void Units_stay_reserved_through_a_rename_and_the_wildcard_takes_the_next_free_one()
    {
        var sim = new SimulatedKernel();
        var net = new HostNetwork(sim);
        string first = net.CreateInterface("epair");
        net.RenameInterface(first, "e0a_web");
        Assert.Equal("epair1a", net.CreateInterface("epair"));
        net.DestroyInterface("e0a_web");
        Assert.Equal("epair0a", net.CreateInterface("epair"));
        Assert.Equal("lo1", net.CreateInterface("lo"));
        Assert.Equal("bridge0", net.CreateInterface("bridge"));
        Assert.Equal(Errno.EEXIST, Assert.Throws<JailKernelException>(() => net.CreateInterface("epair1")).Errno);
        Assert.Equal(1, sim.IoctlCounts["SIOCSIFNAME"]);
        Assert.Equal(6, sim.IoctlCounts["SIOCIFCREATE2"]); // the refused one is counted too
    }

    [Fact]
    public void Epairs_bridges_members_macs_and_moves_survive_the_state_file()
    {
        string file = Path.Combine(_dir, "kernel.json");
        var sim = new SimulatedKernel();
        var net = new HostNetwork(sim);
        int jid = VnetJail(new JailKernel(sim), "v");
        string a = net.CreateInterface("epair");
        net.CreateInterface("bridge");
        net.AddBridgeMember("bridge0", a);
        net.SetLinkAddress(a, new byte[] { 2, 1, 2, 3, 4, 0x0a });
        net.MoveToJail(a[..^1] + "b", jid);
        sim.SaveState(file);

        var again = SimulatedKernel.LoadState(file, new SimulatedKernelOptions());
        var net2 = new HostNetwork(again);
        Assert.Equal(new[] { a }, again.BridgeMembers("bridge0"));
        Assert.Equal("02:01:02:03:04:0a", net2.ReadInterfaces().Single(i => i.Name == a).LinkAddress);
        Assert.Contains(again.InterfaceSummaryOf(jid), l => l == a[..^1] + "b");
        Assert.Equal("epair1a", net2.CreateInterface("epair"));
        net2.DestroyInterface(a);                    // both sides, the one in the jail too
        Assert.DoesNotContain(again.InterfaceSummaryOf(jid), l => l == a[..^1] + "b");
        Assert.Empty(again.BridgeMembers("bridge0"));
    }

    [Fact]
    public void Only_root_may_create_rename_move_or_bridge()
    {
        var sim = new SimulatedKernel();
        var net = new HostNetwork(sim);
        string a = net.CreateInterface("epair");
        net.CreateInterface("bridge");
        sim.CallerUid = 1001;
        Assert.Equal(Errno.EPERM, Assert.Throws<JailKernelException>(() => net.CreateInterface("lo")).Errno);
        Assert.Equal(Errno.EPERM, Assert.Throws<JailKernelException>(() => net.RenameInterface(a, "x")).Errno);
        Assert.Equal(Errno.EPERM, Assert.Throws<JailKernelException>(() => net.AddBridgeMember("bridge0", a)).Errno);
        Assert.Equal(Errno.EPERM, Assert.Throws<JailKernelException>(() => net.MoveToJail(a, 1)).Errno);
        Assert.Equal(Errno.EPERM, Assert.Throws<JailKernelException>(() => net.DestroyInterface(a)).Errno);
    }
}
