using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>Get-JailIPAddress, Add-JailIPAddress and Remove-JailIPAddress end to end on a fresh simulated host.</summary>
public sealed class NetworkCmdletTests : IDisposable
{
    private const string Sim = "[JailPS.Core.Host.JailHost]::Simulated($env:JAILPS_SIMULATED_HOST)";
    private readonly ModuleSession _s = new();

    public void Dispose() => _s.Dispose();

    private PSResult Ok(string script)
    {
        var r = _s.Run(script);
        Assert.True(r.Errors.Count == 0, "unexpected errors: " + string.Join(" | ", r.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)));
        return r;
    }

    private string Em0() => Ok($"{Sim}.Simulation.Kernel.InterfaceSummary | Where-Object {{ $_ -like 'em0 *' }}").Output.Single().ToString();

    private void StartWeb()
    {
        Directory.CreateDirectory(Path.Combine(_s.SimulatedHostPath!, "usr/jails/web"));
        Ok("New-Jail web -Path /usr/jails/web -IPv4Address 'em0|192.0.2.11/24' -Persist | Out-Null; Start-Jail web");
    }

    [Fact]
    public void Addresses_are_objects_with_the_default_table_view()
    {
        StartWeb();
        var r = Ok("Get-JailIPAddress web");
        var a = r.Output.Single();
        Assert.Equal("JailPS.JailIPAddress", a.TypeNames[0]);
        Assert.Equal(("web", "em0", "IPv4", "Definition", "Active", 24),
            ((string)a.Properties["JailName"].Value, (string)a.Properties["Interface"].Value, (string)a.Properties["Family"].Value,
             (string)a.Properties["Source"].Value, (string)a.Properties["State"].Value, (int)a.Properties["PrefixLength"].Value));
        string table = Ok("Get-JailIPAddress web | Out-String -Width 80").Output.Single().ToString();
        Assert.Contains("JailName", table);
        Assert.Matches(@"web\s+Active\s+IPv4\s+em0\s+Definition\s+192\.0\.2\.11/24", table);
        Assert.Empty(Ok("Get-JailIPAddress web -Family IPv6").Output);
        Assert.Empty(Ok("Get-JailIPAddress -State NotInJail").Output);
    }

    [Fact]
    public void Add_whatif_reads_like_ifconfig_and_jail_m_and_changes_nothing()
    {
        StartWeb();
        var r = Ok("Add-JailIPAddress web -Interface em0 -Address 192.0.2.12/24 -Persist -WhatIf");
        Assert.Contains("ifconfig em0 inet 192.0.2.12/24 alias   [ioctl(SIOCAIFADDR) em0 192.0.2.12/24]", r.HostText);
        Assert.Contains("jail_set(JAIL_UPDATE) jid=1 ip4.addr=192.0.2.11,192.0.2.12", r.HostText);
        Assert.DoesNotContain("192.0.2.12", Em0());
    }

    [Fact]
    public void Added_then_piped_back_into_remove_by_property_name()
    {
        StartWeb();
        var added = Ok("Add-JailIPAddress web em0 -Address 2001:db8::12/64 -PassThru").Output;
        Assert.Contains(added, o => (string)o.Properties["Family"].Value == "IPv6" && (string)o.Properties["Source"].Value == "Live");
        Assert.Contains("2001:db8::12/64", Em0());
        Ok("Get-JailIPAddress web -Family IPv6 | Remove-JailIPAddress");
        Assert.DoesNotContain("2001:db8::12", Em0());
        Assert.Single(Ok("Get-JailIPAddress web").Output);
    }

    [Fact]
    public void Errors_are_typed_with_the_target_and_an_action()
    {
        StartWeb();
        var r = _s.Run("Add-JailIPAddress web -Address 192.0.2.11/24");
        var e = Assert.Single(r.Errors);
        Assert.Equal("JailIPAddressExists,JailPS.Commands.AddJailIPAddressCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, e.CategoryInfo.Category);
        Assert.False(string.IsNullOrEmpty(e.ErrorDetails?.RecommendedAction));

        var bad = Assert.Single(_s.Run("Remove-JailIPAddress web -Address not-an-address").Errors);
        Assert.Equal("JailIPAddressInvalid,JailPS.Commands.RemoveJailIPAddressCommand", bad.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, bad.CategoryInfo.Category);
        Assert.Equal("not-an-address", bad.TargetObject);

        var iface = Assert.Single(_s.Run("Add-JailIPAddress web -Interface 'em0;rm' -Address 192.0.2.13").Errors);
        Assert.StartsWith("JailParameterInvalidValue", iface.FullyQualifiedErrorId);
        Assert.DoesNotContain("192.0.2.13", Em0());
    }

    [Fact]
    public void A_vnet_jail_on_a_bridge_starts_lists_its_adapter_and_stops_with_nothing_left()
    {
        Directory.CreateDirectory(Path.Combine(_s.SimulatedHostPath!, "usr/jails/app/etc"));
        var plan = Ok("New-Jail app -Path /usr/jails/app -Vnet -Bridge bridge0 -IPv4Address 10.0.0.5/24 -DefaultGateway 10.0.0.1 -Persist | Out-Null; Start-Jail app -WhatIf");
        Assert.Contains("ifconfig epair create   [ioctl(SIOCIFCREATE2) epair]", plan.HostText);
        Assert.Contains("ifconfig bridge0 addm e0a_app", plan.HostText);
        Ok("Start-Jail app");
        var a = Ok("Get-JailNetworkAdapter app").Output.Single();
        Assert.Equal("JailPS.JailNetworkAdapter", a.TypeNames[0]);
        Assert.Equal(("e0a_app", "e0b_app", "bridge0", "Attached"),
            ((string)a.Properties["HostInterface"].Value, (string)a.Properties["JailInterface"].Value, (string)a.Properties["Bridge"].Value, a.Properties["State"].Value.ToString()));
        Assert.Equal("02:a1:72:ce:dc:0b", (string)a.Properties["MacAddress"].Value);
        Assert.Equal(new object[] { "e0a_app" }, Ok($"{Sim}.Simulation.Kernel.BridgeMembers('bridge0')").Output.Select(o => o.BaseObject).ToArray());
        Ok("Stop-Jail app");
        var names = Ok($"{Sim}.Simulation.Kernel.InterfaceSummary").Output.Select(o => o.ToString()).ToList();
        Assert.DoesNotContain(names, n => n.StartsWith("e0", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("bridge0", StringComparison.Ordinal));
        Assert.Equal("NotCreated", Ok("Get-JailNetworkAdapter app").Output.Single().Properties["State"].Value.ToString());
    }

    [Fact]
    public void Port_forwards_show_the_pf_rule_in_whatif_and_a_table_that_fits_80_columns()
    {
        Directory.CreateDirectory(Path.Combine(_s.SimulatedHostPath!, "etc"));
        File.WriteAllText(Path.Combine(_s.SimulatedHostPath!, "etc/pf.conf"), "rdr-anchor \"jailps/*\"\nanchor \"jailps/*\"\npass all\n");
        StartWeb();
        var plan = Ok("Add-JailPortForward web -Port 80, 443 -ExternalAddress 192.0.2.2 -WhatIf");
        Assert.Contains("pfctl -a jailps/web -f -", plan.HostText);
        Assert.Contains("rdr pass on em0 inet proto tcp from any to 192.0.2.2 port 443 -> 192.0.2.11 port 443", plan.HostText);
        Assert.Empty(Ok("Get-JailPortForward web").Output);
        var added = Ok("Add-JailPortForward web -Port 80 -ExternalAddress 192.0.2.2 -JailPort 8080 -PassThru").Output.Single();
        Assert.Equal("JailPS.JailPortForward", added.TypeNames[0]);
        Assert.Equal("Active", added.Properties["State"].Value);
        string table = Ok("Get-JailPortForward | Out-String -Width 80").Output.Single().ToString();
        Assert.Matches(@"web\s+Active\s+tcp\s+192\.0\.2\.2:80\s+192\.0\.2\.11:8080", table);
        var r = _s.Run("Add-JailPortForward web -Port 80, 81 -ExternalAddress 192.0.2.2 -JailPort 8080");
        var e = Assert.Single(r.Errors);
        Assert.Equal("JailPortForwardInvalid,JailPS.Commands.AddJailPortForwardCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.NotNull(e.ErrorDetails?.RecommendedAction);
    }
}
