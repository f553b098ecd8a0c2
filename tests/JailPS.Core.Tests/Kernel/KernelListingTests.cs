using System.Collections;
using System.IO;
using System.Net;
using JailPS.Core.Host;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Kernel;

/// <summary>
/// The listing's cheaper representation (shared record layout, values shared between consecutive
/// records, a SortedList that reads the record) must behave exactly as the SortedList of
/// display values Jail.Parameters used to be.
/// </summary>
public sealed class KernelListingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "jailps-listing-" + Guid.NewGuid().ToString("N"));
    private readonly JailHost _host;

    public KernelListingTests()
    {
        _host = JailHost.Simulated(_root);
        var c = _host.Kernel.Catalog;
        for (int i = 1; i <= 3; i++)
        {
            _host.Files.CreateDirectory("/usr/jails/j" + i);
            var settings = new List<JailParameterSetting>
            {
                new(c.Find("name")!, "j" + i),
                new(c.Find("path")!, "/usr/jails/j" + i),
                new(c.Find("host.hostname")!, "j" + i + ".example.org"),
                new(c.Find("persist")!, true),
            };
            if (i != 2) settings.Add(new(c.Find("ip4.addr")!, new[] { IPAddress.Parse("192.0.2." + i), IPAddress.Parse("192.0.2.10" + i) }));
            _host.Kernel.Set(settings, JailFlags.Create);
        }
    }

    public void Dispose()
    {
        JailHost.ForgetSimulated(_root);
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Jail.Parameters as it was built before: a SortedList of ToDisplayValue of every value.</summary>
    private static SortedList Reference(JailRecord rec)
    {
        var sorted = new SortedList(StringComparer.Ordinal, rec.Values.Count);
        foreach (var kv in rec.Values)
            sorted.Add(kv.Key, JailParameterCodec.ToDisplayValue(kv.Value));
        return sorted;
    }

    private static void AssertSame(IDictionary expected, IDictionary actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        var e = expected.GetEnumerator();
        var a = actual.GetEnumerator();
        while (e.MoveNext())
        {
            Assert.True(a.MoveNext());
            Assert.Equal(e.Key, a.Key);
            Assert.Equal(e.Value, a.Value);
            Assert.Equal(e.Value, actual[e.Key]);
            Assert.True(actual.Contains(e.Key));
        }
        Assert.False(a.MoveNext());
        // Through IEnumerable too (what ConvertTo-Json and Format-List use).
        Assert.Equal(expected.Cast<DictionaryEntry>().Select(x => x.Key), actual.Cast<DictionaryEntry>().Select(x => x.Key));
    }

    [Fact]
    public void Listed_parameters_read_as_the_sorted_display_values_did()
    {
        var service = new JailService(_host, NullJailOutput.Instance);
        var records = _host.Kernel.List().ToList();
        var jails = service.GetAll();
        Assert.Equal(3, jails.Count);
        foreach (var (rec, jail) in records.Zip(jails))
        {
            Assert.Equal(rec.Name, jail.Name);
            var p = Assert.IsAssignableFrom<SortedList>(jail.Parameters);
            AssertSame(Reference(rec), p);
            Assert.Equal("new", p["host"]);                     // jailsys as its name
            Assert.Null(p["no.such.parameter"]);
            Assert.False(p.ContainsKey("no.such.parameter"));
            Assert.Equal(Reference(rec).IndexOfKey("path"), p.IndexOfKey("path"));
            Assert.Equal("path", p.GetKey(p.IndexOfKey("path")));
            Assert.Same(p["ip4.addr"], p["ip4.addr"]);          // one array per read, as a SortedList holds it
        }
        Assert.Equal(new[] { "192.0.2.1", "192.0.2.101" }, (string[])jails[0].Parameters["ip4.addr"]!);
        Assert.Empty((string[])jails[1].Parameters["ip4.addr"]!);
        Assert.Equal(new[] { "192.0.2.1", "192.0.2.101" }, jails[0].IPv4Address);
    }

    [Fact]
    public void A_changed_parameter_table_is_a_plain_sorted_list_and_changes_no_other_jail()
    {
        var jails = new JailService(_host, NullJailOutput.Instance).GetAll();
        var p = jails[0].Parameters;
        var reference = Reference(_host.Kernel.GetByName("j1")!);
        p["securelevel"] = 3;
        reference["securelevel"] = 3;
        p.Add("zz.mine", "x");
        reference.Add("zz.mine", "x");
        p.Remove("path");
        reference.Remove("path");
        AssertSame(reference, p);
        Assert.Equal(reference.Keys.Cast<object>(), p.Keys.Cast<object>());
        // The other jails share values with this one (equal boxes, strings) but not the table.
        Assert.Equal(Reference(_host.Kernel.GetByName("j2")!)["securelevel"], jails[1].Parameters["securelevel"]);
        Assert.NotEqual(3, jails[1].Parameters["securelevel"]);
        Assert.Equal("/usr/jails/j2", jails[1].Parameters["path"]);
        Assert.Throws<ArgumentNullException>(() => p[null!]);
    }

    [Fact]
    public void Records_keep_their_typed_values_and_a_lookup_by_name_the_same_entries()
    {
        var records = _host.Kernel.List().ToList();
        Assert.Equal(new[] { "j1", "j2", "j3" }, records.Select(r => r.Name));
        Assert.Equal("/usr/jails/j3", records[2].Path);
        Assert.True(records.All(r => r.Persist && !r.Dying));
        Assert.Equal(new[] { "192.0.2.3", "192.0.2.103" }, ((IPAddress[])records[2]["ip4.addr"]!).Select(a => a.ToString()));
        Assert.Empty((IPAddress[])records[1]["ip4.addr"]!);
        Assert.Equal(JailSysMode.New, records[0]["host"]);
        var byName = _host.Kernel.GetByName("j2")!;
        Assert.Equal(records[1].Values.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key),
            byName.Values.Select(kv => kv.Key));
        Assert.Equal(records[1].Values.Count, byName.Values.Count);
        Assert.True(byName.Values.ContainsKey("name") && byName.Values.TryGetValue("jid", out var jid) && (int)jid! == records[1].Jid);
    }
}
