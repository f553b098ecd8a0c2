using System.Net;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Reliability;

/// <summary>
/// Reliability B: ip4.addr and ip6.addr entries follow jail(8)'s "[iface|]addr[/mask]" (usr.sbin/jail
/// config.c check_intparams): the mask is a prefix length 0-32 / 0-128 or, for IPv4, a dotted
/// netmask; anything else in an entry is an error that names the entry, never cut off silently.
/// </summary>
public sealed class AddressInputTests : IDisposable
{
    private static readonly JailParameterInfo Ip4 = new("ip4.addr", JailParameterType.IPv4Array, JailParameterAccess.ReadWrite, elementSize: 4);
    private static readonly JailParameterInfo Ip6 = new("ip6.addr", JailParameterType.IPv6Array, JailParameterAccess.ReadWrite, elementSize: 16);

    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("10.0.0.1/0", "10.0.0.1")]
    [InlineData("10.0.0.1/24", "10.0.0.1")]
    [InlineData("10.0.0.1/32", "10.0.0.1")]
    [InlineData("10.0.0.1/255.255.255.0", "10.0.0.1")]
    [InlineData(" 10.0.0.1 ", "10.0.0.1")]
    [InlineData("em0|10.0.0.1/24", "10.0.0.1")]
    public void IPv4_entries_jail8_accepts(string entry, string address)
        => Assert.Equal(address, Assert.Single((IPAddress[])JailParameterCodec.FromText(Ip4, new[] { entry }, false)).ToString());

    [Theory]
    [InlineData("10.0.0.1 ; rm -rf /")]
    [InlineData("10.0.0.1 extra")]
    [InlineData("10.0.0.1/33")]
    [InlineData("10.0.0.1/-1")]
    [InlineData("10.0.0.1/")]
    [InlineData("10.0.0.1/24x")]
    [InlineData("10.0.0.1/+24")]
    [InlineData("10.0.0.1/255.255.255")]
    [InlineData("10.0.0.1/255.255.255.256")]
    [InlineData("10.0.0.1/24/8")]
    [InlineData("|10.0.0.1")]
    [InlineData("10.0.0.1;reboot")]
    [InlineData("010.0.0.1")]
    public void IPv4_entries_jail8_refuses_are_errors_naming_the_entry(string entry)
    {
        var ex = Assert.Throws<JailParameterException>(() => JailParameterCodec.FromText(Ip4, new[] { entry }, false));
        Assert.Equal("JailParameterInvalidValue", ex.ErrorId);
        Assert.Equal("ip4.addr", ex.ParameterName);
        Assert.Contains($"\"{entry.Trim()}\"", ex.Message);
    }

    [Theory]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("2001:db8::1/0", "2001:db8::1")]
    [InlineData("2001:db8::1/64", "2001:db8::1")]
    [InlineData("2001:db8::1/128", "2001:db8::1")]
    [InlineData("em0|2001:db8::1/64", "2001:db8::1")]
    public void IPv6_entries_jail8_accepts(string entry, string address)
        => Assert.Equal(address, Assert.Single((IPAddress[])JailParameterCodec.FromText(Ip6, new[] { entry }, false)).ToString());

    [Theory]
    [InlineData("2001:db8::1/129")]
    [InlineData("2001:db8::1/ffff:ffff::")]
    [InlineData("2001:db8::1/255.255.255.0")]
    [InlineData("2001:db8::1 ; reboot")]
    [InlineData("fe80::1%em0")]
    public void IPv6_entries_jail8_refuses_are_errors_naming_the_entry(string entry)
    {
        var ex = Assert.Throws<JailParameterException>(() => JailParameterCodec.FromText(Ip6, new[] { entry }, false));
        Assert.Equal("JailParameterInvalidValue", ex.ErrorId);
        Assert.Contains($"\"{entry}\"", ex.Message);
    }

    [Fact]
    public void A_bad_prefix_says_what_jail8_would_call_it()
    {
        Assert.Contains("bad netmask \"/33\"", Assert.Throws<JailParameterException>(() => JailParameterCodec.FromText(Ip4, new[] { "10.0.0.1/33" }, false)).Message);
        Assert.Contains("bad prefixlen \"/129\"", Assert.Throws<JailParameterException>(() => JailParameterCodec.FromText(Ip6, new[] { "::1/129" }, false)).Message);
    }

    [Theory]
    [InlineData("ip4.addr = \"10.0.0.1 ; rm -rf /\";")]
    [InlineData("ip4.addr = 10.0.0.1/33;")]
    [InlineData("ip4.addr = 10.0.0.2, \"10.0.0.1 x\";")]
    [InlineData("ip6.addr = \"2001:db8::1/200\";")]
    public void A_definition_with_such_an_entry_is_refused_before_anything_runs(string line)
    {
        var def = _f.Define("web", line + "\npersist;");
        var ex = Assert.Throws<JailParameterException>(() => _f.Spec(def));
        Assert.Equal("JailParameterInvalidValue", ex.ErrorId);
        Assert.Contains("jail \"web\"", ex.Message);
        Assert.Equal(0, _f.RunningCount());
    }

    [Fact]
    public void An_interface_entry_with_ifconfig_words_is_refused_as_an_option_JailPS_does_not_take()
    {
        // jail(8) hands the words to ifconfig; JailPS adds aliases with ioctls and says so.
        var def = _f.Define("web", "ip4.addr = \"em0|10.0.0.1/24 vhid 1 pass x\";\npersist;");
        var ex = Assert.Throws<JailParameterException>(() => _f.Spec(def));
        Assert.Equal("JailIPAddressOptionUnsupported", ex.ErrorId);
        Assert.Contains("vhid 1 pass x", ex.Message);
    }
}
