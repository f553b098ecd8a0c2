using System.Net;
using System.Runtime.InteropServices;
using JailPS.Core.Kernel;
using JailPS.Core.Network;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// IP aliases through the interface ioctls (sys/netinet/in.c, in6.c) against the simulated kernel
/// and against a real FreeBSD kernel (trait Category=FreeBSD: as root; skipped elsewhere with the
/// reason). The real run uses lo0 and addresses of 127.0.0.0/8 and a ULA no host configures.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class IpAliasConformanceTests
{
    public static IEnumerable<object[]> Kernels() => new[] { new object[] { "simulated" }, new object[] { "freebsd" } };

    private static HostNetwork Open(string which)
    {
        if (which == "simulated")
            return new HostNetwork(new SimulatedKernel());
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "alias conformance runs only on FreeBSD (this is " + RuntimeInformation.OSDescription + ")");
        var libc = new FreeBsdLibc();
        Skip.If(libc.GetEuid() != 0, "alias conformance against the real kernel needs root");
        return new HostNetwork(libc);
    }

    private static JailIPAlias Alias(string entry, string param = "ip4.addr") => JailIPAlias.Parse(param, entry, null);

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void An_alias_is_added_listed_and_removed_and_a_second_removal_is_EADDRNOTAVAIL(string which)
    {
        var net = Open(which);
        var a4 = Alias("lo0|127.0.0.231/32");
        var a6 = Alias("lo0|fd00:6a61:696c::231/128", "ip6.addr");
        net.AddAlias(a4);
        net.AddAlias(a6);
        try
        {
            var lo0 = net.ReadInterfaces().Single(i => i.Name == "lo0");
            Assert.Contains(lo0.Addresses, x => x.Address.Equals(IPAddress.Parse("127.0.0.231")) && x.PrefixLength == 32);
            Assert.Contains(lo0.Addresses, x => x.Address.Equals(IPAddress.Parse("fd00:6a61:696c::231")) && x.PrefixLength == 128);
            // The same address again replaces it: 0, never EEXIST.
            net.AddAlias(a4);
        }
        finally
        {
            net.RemoveAlias(a4);
            net.RemoveAlias(a6);
        }
        Assert.DoesNotContain(net.ReadInterfaces().Single(i => i.Name == "lo0").Addresses, x => x.Address.Equals(IPAddress.Parse("127.0.0.231")));
        Assert.Equal(Errno.EADDRNOTAVAIL, Assert.Throws<JailKernelException>(() => net.RemoveAlias(a4)).Errno);
        Assert.Equal(Errno.EADDRNOTAVAIL, Assert.Throws<JailKernelException>(() => net.RemoveAlias(a6)).Errno);
    }

    [SkippableTheory]
    [MemberData(nameof(Kernels))]
    public void An_interface_the_host_does_not_have_is_ENXIO(string which)
    {
        var net = Open(which);
        Assert.Equal(Errno.ENXIO, Assert.Throws<JailKernelException>(() => net.AddAlias(Alias("jailps9|127.0.0.232"))).Errno);
    }
}
