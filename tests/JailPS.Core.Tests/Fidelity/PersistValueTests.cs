using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Fidelity;

/// <summary>A stopped jail's Persist is jail(8)'s bool_param() of its definition: the "no" form inverts, the last value counts.</summary>
public sealed class PersistValueTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Theory]
    [InlineData("persist;", true)]
    [InlineData("nopersist;", false)]
    [InlineData("persist = 1, 0;", false)]
    [InlineData("persist = 0, true;", true)]
    [InlineData("nopersist = 0;", true)]
    [InlineData("persist = false;", false)]
    public void Persist_of_a_stopped_jail_is_what_jail_8_reads(string statement, bool expected)
    {
        _f.WriteFile("/etc/jail.conf", "web { path = /usr/jails/web; " + statement + " }\n");
        Assert.Equal(expected, _f.Current("web").Persist);
    }
}
