using System.Net;
using JailPS.Core.Kernel;

namespace JailPS.Core.Tests.Kernel;

public class JailParameterCodecTests
{
    private static readonly JailParameterInfo Persist = new("persist", JailParameterType.Bool, JailParameterAccess.ReadWrite);
    private static readonly JailParameterInfo Securelevel = new("securelevel", JailParameterType.Int, JailParameterAccess.ReadWrite);
    private static readonly JailParameterInfo HostId = new("host.hostid", JailParameterType.ULong, JailParameterAccess.ReadWrite);
    private static readonly JailParameterInfo Hostname = new("host.hostname", JailParameterType.String, JailParameterAccess.ReadWrite, maxLength: 256);
    private static readonly JailParameterInfo Vnet = new("vnet", JailParameterType.JailSys, JailParameterAccess.CreateOnly);
    private static readonly JailParameterInfo Ip4 = new("ip4.addr", JailParameterType.IPv4Array, JailParameterAccess.ReadWrite, elementSize: 4);
    private static readonly JailParameterInfo Ip6 = new("ip6.addr", JailParameterType.IPv6Array, JailParameterAccess.ReadWrite, elementSize: 16);

    [Theory]
    [InlineData("persist", "nopersist")]
    [InlineData("allow.mount", "allow.nomount")]
    [InlineData("allow.mount.devfs", "allow.mount.nodevfs")]
    [InlineData("ip4.saddrsel", "ip4.nosaddrsel")]
    public void No_names_insert_no_after_the_last_dot(string name, string no)
    {
        Assert.Equal(no, JailParameterInfo.NoNameOf(name));
        Assert.Equal(name, JailParameterInfo.PositiveNameOf(no));
    }

    [Theory]
    [InlineData(new string[0], false, true)]
    [InlineData(new[] { "true" }, false, true)]
    [InlineData(new[] { "FALSE" }, false, false)]
    [InlineData(new[] { "0" }, false, false)]
    [InlineData(new[] { "2" }, false, true)]
    [InlineData(new string[0], true, false)]
    [InlineData(new[] { "false" }, true, true)]
    public void Booleans_follow_jailparam_import(string[] values, bool negated, bool expected)
        => Assert.Equal(expected, JailParameterCodec.FromText(Persist, values, negated));

    [Theory]
    [InlineData("3", 3)]
    [InlineData("-1", -1)]
    public void Integers_parse_whole_decimal(string text, int expected)
        => Assert.Equal(expected, JailParameterCodec.FromText(Securelevel, new[] { text }, false));

    [Theory]
    [InlineData("3x")]
    [InlineData("")]
    [InlineData("0x10")]
    [InlineData("99999999999")]
    public void Integers_reject_partial_or_out_of_range(string text)
    {
        var ex = Assert.Throws<JailParameterException>(() => JailParameterCodec.FromText(Securelevel, new[] { text }, false));
        Assert.Equal("JailParameterInvalidValue", ex.ErrorId);
        Assert.Contains("securelevel", ex.Message);
    }

    [Fact]
    public void No_form_of_a_non_boolean_is_refused()
        => Assert.Throws<JailParameterException>(() => JailParameterCodec.FromText(Securelevel, new[] { "1" }, negated: true));

    [Theory]
    [InlineData("new", JailSysMode.New)]
    [InlineData("inherit", JailSysMode.Inherit)]
    [InlineData("disable", JailSysMode.Disable)]
    [InlineData("", JailSysMode.New)]
    [InlineData("2", JailSysMode.Inherit)]
    public void Jailsys_names_and_numbers(string text, JailSysMode expected)
        => Assert.Equal(expected, JailParameterCodec.FromText(Vnet, new[] { text }, false));

    [Fact]
    public void Address_lists_accept_commas_interfaces_and_masks_and_keep_order()
    {
        var v = (IPAddress[])JailParameterCodec.FromText(Ip4, new[] { "em0|10.1.0.5/24", "10.1.0.6,10.1.0.7" }, false);
        Assert.Equal(new[] { "10.1.0.5", "10.1.0.6", "10.1.0.7" }, v.Select(a => a.ToString()));
    }

    [Theory]
    [InlineData("10.1")]
    [InlineData("fe80::1")]
    [InlineData("not-an-ip")]
    public void IPv4_lists_reject_other_families_and_short_forms(string text)
        => Assert.Throws<JailParameterException>(() => JailParameterCodec.FromText(Ip4, new[] { text }, false));

    [Fact]
    public void Empty_or_dash_is_an_empty_list()
    {
        Assert.Empty((IPAddress[])JailParameterCodec.FromText(Ip6, new[] { "-" }, false));
        Assert.Empty((IPAddress[])JailParameterCodec.FromText(Ip6, new[] { "" }, false));
    }

    [Fact]
    public void Strings_longer_than_the_kernel_buffer_are_refused()
    {
        JailParameterCodec.FromText(Hostname, new[] { new string('a', 255) }, false);
        Assert.Throws<JailParameterException>(() => JailParameterCodec.FromText(Hostname, new[] { new string('a', 256) }, false));
    }

    [Fact]
    public void Encodings_are_what_the_kernel_expects()
    {
        Assert.Equal(new byte[] { 3, 0, 0, 0 }, JailParameterCodec.Encode(Securelevel, 3));
        Assert.Equal(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0 }, JailParameterCodec.Encode(HostId, 1UL));
        Assert.Equal(new byte[] { (byte)'w', (byte)'e', (byte)'b', 0 }, JailParameterCodec.Encode(Hostname, "web"));
        Assert.Equal(new byte[] { 10, 1, 0, 5, 192, 0, 2, 1 }, JailParameterCodec.Encode(Ip4, new[] { IPAddress.Parse("10.1.0.5"), IPAddress.Parse("192.0.2.1") }));
        Assert.Equal(new byte[] { 2, 0, 0, 0 }, JailParameterCodec.Encode(Vnet, JailSysMode.Inherit));
        Assert.Empty(JailParameterCodec.Encode(Persist, true));
    }

    [Fact]
    public void Decode_inverts_encode_for_every_type()
    {
        var cases = new (JailParameterInfo Info, object Value)[]
        {
            (Securelevel, -1), (HostId, ulong.MaxValue), (Hostname, "www.example.org"), (Vnet, JailSysMode.New),
            (Ip4, new[] { IPAddress.Parse("10.0.0.1") }), (Ip6, new[] { IPAddress.Parse("2001:db8::5"), IPAddress.Parse("::1") }),
        };
        foreach (var (info, value) in cases)
        {
            object? back = JailParameterCodec.Decode(info, JailParameterCodec.Encode(info, value));
            if (value is IPAddress[] a) Assert.Equal(a, (IPAddress[])back!);
            else Assert.Equal(value, back);
        }
        Assert.Equal(true, JailParameterCodec.Decode(Persist, new byte[] { 1, 0, 0, 0 }));
        Assert.Equal(false, JailParameterCodec.Decode(Persist, new byte[] { 0, 0, 0, 0 }));
    }

    [Fact]
    public void FromObject_takes_PowerShell_values()
    {
        Assert.Equal(false, JailParameterCodec.FromObject(Persist, false, false));
        Assert.Equal(true, JailParameterCodec.FromObject(Persist, 1, false));
        Assert.Equal(3, JailParameterCodec.FromObject(Securelevel, 3L, false));
        Assert.Equal(3, JailParameterCodec.FromObject(Securelevel, "3", false));
        var ips = (IPAddress[])JailParameterCodec.FromObject(Ip4, new object[] { "10.0.0.1", IPAddress.Parse("10.0.0.2") }, false);
        Assert.Equal(2, ips.Length);
        Assert.Throws<JailParameterException>(() => JailParameterCodec.FromObject(Securelevel, true, false));
        Assert.Throws<JailParameterException>(() => JailParameterCodec.FromObject(Securelevel, new object[] { 1, 2 }, false));
    }
}
