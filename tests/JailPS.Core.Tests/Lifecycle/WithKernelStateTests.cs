using System.Collections;
using JailPS.Core.Config;
using JailPS.Core.Kernel;
using JailPS.Native;

namespace JailPS.Core.Tests.Lifecycle;

/// <summary>
/// JailService.WithKernelState (Import-JailConfig's merge): the same jails as a lookup by name per
/// definition, in definition order, from one kernel listing.
/// </summary>
public sealed class WithKernelStateTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private const string Conf = """
        path = "/usr/jails/$name";
        persist;
        zeta { host.hostname = "zeta.example.org"; }
        alpha { ip4.addr = 192.0.2.1; }
        idle { }
        mid { host.hostname = "mid.example.org"; }
        """;

    private IReadOnlyList<JailDefinition> Definitions()
    {
        _f.WriteFile("/tmp/import.conf", Conf);
        return JailConfLoader.Load(_f.Host.Files, new[] { "/tmp/import.conf" });
    }

    private void Run(string name, string? hostname = null)
    {
        var c = _f.Host.Kernel.Catalog;
        _f.Host.Files.CreateDirectory("/usr/jails/" + name);
        var s = new List<JailParameterSetting>
        {
            new(c.Find("name")!, name), new(c.Find("path")!, "/usr/jails/" + name), new(c.Find("persist")!, true),
        };
        if (hostname != null) s.Add(new(c.Find("host.hostname")!, hostname));
        _f.Host.Kernel.Set(s, JailFlags.Create);
    }

    private static void AssertSameJail(Jail expected, Jail actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.State, actual.State);
        Assert.Equal(expected.Jid, actual.Jid);
        Assert.Equal(expected.Path, actual.Path);
        Assert.Equal(expected.Hostname, actual.Hostname);
        Assert.Equal(expected.IPv4Address, actual.IPv4Address);
        Assert.Equal(expected.IPv6Address, actual.IPv6Address);
        Assert.Equal(expected.Persist, actual.Persist);
        Assert.Equal(expected.DependsOn, actual.DependsOn);
        Assert.Equal(expected.ConfigFile, actual.ConfigFile);
        Assert.Same(expected.Definition, actual.Definition);
        Assert.Equal(expected.Parameters.Cast<DictionaryEntry>().Select(e => (e.Key, e.Value)),
            actual.Parameters.Cast<DictionaryEntry>().Select(e => (e.Key, e.Value)));
    }

    [Fact]
    public void Jails_come_in_definition_order_as_a_lookup_per_definition_gives_them()
    {
        var defs = Definitions();
        Run("mid", "live.example.org");   // running, and defined
        Run("other");                     // running, not in the file
        Run("zeta");
        var expected = defs.Select(d => _f.Service.ToJail(d.Name, d, _f.Host.Kernel.GetByName(d.Name))).ToList();

        _f.Sim.Kernel.ResetCounts();
        var actual = _f.Service.WithKernelState(defs);

        Assert.Equal(new[] { "zeta", "alpha", "idle", "mid" }, actual.Select(j => j.Name));
        Assert.Equal(4, expected.Count);
        foreach (var (e, a) in expected.Zip(actual)) AssertSameJail(e, a);
        Assert.Equal(new[] { "Running", "Stopped", "Stopped", "Running" }, actual.Select(j => j.State));
        Assert.Equal("live.example.org", actual[3].Hostname); // the kernel's value while running
        // One listing: 3 running jails, 4 jail_get; a lookup each would have made 4 requests too, but built 4.
        Assert.Equal(4, _f.Sim.Kernel.CallCounts["jail_get"]);
    }

    [Fact]
    public void The_filter_picks_definitions_and_a_single_one_is_looked_up_by_name()
    {
        var defs = Definitions();
        for (int i = 0; i < 5; i++) Run("r" + i);
        Run("alpha");

        _f.Sim.Kernel.ResetCounts();
        var one = _f.Service.WithKernelState(defs, n => n == "alpha");
        Assert.Equal("alpha", Assert.Single(one).Name);
        Assert.Equal("Running", one[0].State);
        Assert.Equal(1, _f.Sim.Kernel.CallCounts["jail_get"]); // not 7 for a listing

        _f.Sim.Kernel.ResetCounts();
        var two = _f.Service.WithKernelState(defs, n => n is "alpha" or "idle");
        Assert.Equal(new[] { "alpha", "idle" }, two.Select(j => j.Name));
        Assert.Equal(7, _f.Sim.Kernel.CallCounts["jail_get"]); // 6 running jails + 1

        _f.Sim.Kernel.ResetCounts();
        Assert.Empty(_f.Service.WithKernelState(defs, _ => false));
        Assert.Equal(0, _f.Sim.Kernel.CallCounts["jail_get"]);
    }
}
