using System.IO;
using System.Runtime.InteropServices;
using JailPS.Core.Kernel;
using JailPS.Core.Network;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// Interface cloning (lo, epair, bridge), renames, link addresses, bridge membership and vnet moves
/// through the ioctls of HostNetwork, against the simulated kernel and a real FreeBSD kernel (trait
/// Category=FreeBSD: as root on a VIMAGE kernel; skipped elsewhere with the reason). Every real-run
/// interface is named jps* and destroyed afterwards; its jail is jailps-conf-*, removed afterwards.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class InterfaceConformanceTests : IDisposable
{
    private readonly List<(HostNetwork Net, string Name)> _made = new();
    private readonly List<(JailKernel Kernel, int Jid)> _jails = new();
    private readonly string _root = Path.Combine(Path.GetTempPath(), "jailps-ifconf-" + Guid.NewGuid().ToString("N")[..8]);

    public InterfaceConformanceTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        foreach (var (net, name) in _made)
            try { net.DestroyInterface(name); } catch (JailKernelException) { }
        foreach (var (k, jid) in _jails)
            try { k.Remove(jid); } catch (JailKernelException) { }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    public static IEnumerable<object[]> Kernels() => new[] { new object[] { "simulated" }, new object[] { "freebsd" } };

    private (HostNetwork Net, JailKernel Kernel) Open(string which)
    {
        if (which == "simulated")
        {
            var sim = new SimulatedKernel();
            return (new HostNetwork(sim), new JailKernel(sim));
        }
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "interface conformance runs only on FreeBSD (this is " + RuntimeInformation.OSDescription + ")");
        var libc = new FreeBsdLibc();
        Skip.If(libc.GetEuid() != 0, "interface conformance against the real kernel needs root");
        return (new HostNetwork(libc), new JailKernel(libc));
    }

    private string Make(HostNetwork net, string cloner)
    {
        string name = net.CreateInterface(cloner);
        _made.Add((net, name));
        return name;
    }

    private static string Unique(string stem) => "jps" + stem + Guid.NewGuid().ToString("N")[..5];

    private static bool Has(HostNetwork net, string name) => net.ReadInterfaces().Any(i => i.Name == name);

    private static int ErrnoOf(Action a) => Assert.Throws<JailKernelException>(a).Errno;

    private int VnetJail(JailKernel k, bool vnet)
    {
        string name = "jailps-conf-" + Guid.NewGuid().ToString("N")[..6];
        string dir = Path.Combine(_root, name);
        Directory.CreateDirectory(dir);
        var c = k.Catalog;
        var list = new List<JailParameterSetting> { new(c.Find("name")!, name), new(c.Find("path")!, dir), new(c.Find("persist")!, true) };
        if (vnet) list.Add(new(c.Find("vnet")!, JailSysValues.New));
        int jid = k.Set(list, JailFlags.Create, name);
        _jails.Add((k, jid));
        return jid;
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void A_loopback_clone_gets_the_next_unit_and_lo0_or_an_unknown_cloner_cannot_be_made_or_destroyed(string which)
    {
        var (net, _) = Open(which);
        string lo = Make(net, "lo");
        Assert.Matches(@"^lo[1-9][0-9]*$", lo);
        Assert.True(Has(net, lo));
        Assert.Equal(Errno.EEXIST, ErrnoOf(() => net.CreateInterface(lo)));
        Assert.Equal(Errno.EINVAL, ErrnoOf(() => net.CreateInterface("jpsnocloner")));
        Assert.Equal(Errno.EINVAL, ErrnoOf(() => net.CreateInterface("lo01")));
        Assert.Equal(Errno.EINVAL, ErrnoOf(() => net.DestroyInterface("lo0")));
        net.DestroyInterface(lo);
        Assert.False(Has(net, lo));
        Assert.Equal(Errno.ENXIO, ErrnoOf(() => net.DestroyInterface(lo)));
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void An_epair_is_made_a_side_first_renamed_given_a_mac_and_destroying_one_side_takes_both(string which)
    {
        var (net, _) = Open(which);
        string a = Make(net, "epair");
        Assert.Matches(@"^epair[0-9]+a$", a);
        string b = a[..^1] + "b";
        Assert.True(Has(net, b));
        string ha = Unique("a"), hb = Unique("b");
        net.RenameInterface(a, ha);
        _made.Add((net, ha));
        net.RenameInterface(b, hb);
        Assert.Equal(Errno.EEXIST, ErrnoOf(() => net.RenameInterface(ha, hb)));
        Assert.Equal(Errno.ENXIO, ErrnoOf(() => net.RenameInterface(a, Unique("x"))));
        net.SetLinkAddress(hb, new byte[] { 0x02, 0x6a, 0x70, 0x73, 0x01, 0x0b });
        Assert.Equal("02:6a:70:73:01:0b", net.ReadInterfaces().Single(i => i.Name == hb).LinkAddress);
        Assert.Equal(Errno.EINVAL, ErrnoOf(() => net.SetLinkAddress("lo0", new byte[] { 2, 0, 0, 0, 0, 1 })));
        net.SetInterfaceUp(ha, true);
        Assert.True(net.ReadInterfaces().Single(i => i.Name == ha).IsUp);
        net.DestroyInterface(ha);
        Assert.False(Has(net, ha));
        Assert.False(Has(net, hb));
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void A_bridge_takes_an_ethernet_member_once_and_refuses_what_it_cannot_take(string which)
    {
        var (net, _) = Open(which);
        string bridge = Make(net, "bridge");
        string a = Make(net, "epair");
        Assert.Empty(net.ReadBridgeMembers(bridge));
        net.AddBridgeMember(bridge, a);
        Assert.Equal(new[] { a }, net.ReadBridgeMembers(bridge));
        Assert.Equal(Errno.EEXIST, ErrnoOf(() => net.AddBridgeMember(bridge, a)));
        Assert.Equal(Errno.ENOENT, ErrnoOf(() => net.AddBridgeMember(bridge, Unique("none"))));
        Assert.Equal(Errno.EINVAL, ErrnoOf(() => net.AddBridgeMember(bridge, "lo0")));
        net.RemoveBridgeMember(bridge, a);
        Assert.Empty(net.ReadBridgeMembers(bridge));
        Assert.Equal(Errno.ENOENT, ErrnoOf(() => net.RemoveBridgeMember(bridge, a)));
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void An_interface_moved_into_a_vnet_jail_leaves_the_host_and_comes_back_by_SIOCSIFRVNET(string which)
    {
        var (net, k) = Open(which);
        int vnetJid = VnetJail(k, vnet: true);
        int plainJid = VnetJail(k, vnet: false);
        string a = Make(net, "epair");
        string b = a[..^1] + "b";
        Assert.Equal(Errno.EEXIST, ErrnoOf(() => net.MoveToJail(b, plainJid)));   // shares the host's vnet
        Assert.Equal(Errno.ENXIO, ErrnoOf(() => net.MoveToJail(b, 999_999)));     // no such jail
        Assert.Equal(b, net.MoveToJail(b, vnetJid));
        Assert.False(Has(net, b));
        Assert.Equal(Errno.ENXIO, ErrnoOf(() => net.ReclaimFromJail(Unique("none"), vnetJid)));
        Assert.Equal(b, net.ReclaimFromJail(b, vnetJid));
        Assert.True(Has(net, b));
        // Destroying the host side takes the side inside the jail with it (if_epair.c).
        net.MoveToJail(b, vnetJid);
        net.DestroyInterface(a);
        Assert.False(Has(net, a));
        Assert.Equal(Errno.ENXIO, ErrnoOf(() => net.ReclaimFromJail(b, vnetJid)));
    }
}
