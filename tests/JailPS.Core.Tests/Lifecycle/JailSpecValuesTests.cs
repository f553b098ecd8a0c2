using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Tests.Lifecycle;

/// <summary>
/// A list given to a parameter that takes one value. usr.sbin/jail/config.c import_params() passes
/// a scalar kernel parameter's last value to jailparam_import() and drops the others without a word
/// (only arrays, ip4.addr and ip6.addr, get every value); check_intparams() and bool_param() read
/// jail(8)'s own booleans and integers from their last value too.
/// </summary>
public sealed class JailSpecValuesTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private JailSpec Spec(string body) => _f.Spec(_f.Define("web", body));

    private static object? Kernel(JailSpec spec, string name) => spec.KernelSettings.Single(s => s.Info.Name == name).Value;

    [Fact]
    public void A_string_parameter_with_a_list_gets_its_last_value_as_jail8_passes_it()
    {
        var spec = Spec("host.hostname = a, b;\npersist;");
        Assert.Equal("b", Kernel(spec, "host.hostname"));

        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        Assert.Equal("b", _f.Host.Kernel.GetByName("web")!["host.hostname"]);
        // The definition keeps what was written (jail -e shows host.hostname=a,b).
        Assert.Equal(new[] { "a", "b" }, spec.Definition.Get("host.hostname")!.Values);
    }

    [Fact]
    public void The_plan_says_which_value_the_kernel_gets()
    {
        var plan = _f.Lifecycle().PlanStart(Spec("host.hostname = a, b;\nsecurelevel = 1, 2;"));
        string jailSet = plan.Steps.Single(s => s.Name == "jail_set").Description;
        Assert.Contains("host.hostname=b", jailSet);
        Assert.Contains("host.hostname = a, b: the kernel gets the last value, b", jailSet);
        Assert.Contains("securelevel = 1, 2: the kernel gets the last value, 2", jailSet);
        // Not a warning: jail(8) says nothing, and the plan is where the value is shown.
        Assert.DoesNotContain(plan.Notes, n => n.Contains("host.hostname"));
    }

    [Fact]
    public void Only_the_last_value_is_checked_and_a_bad_last_value_is_refused_as_jail8_refuses_it()
    {
        Assert.Equal(3, Kernel(Spec("securelevel = x, 3;"), "securelevel"));
        Assert.Equal(false, Kernel(Spec("persist = 1, 0;"), "persist"));

        var e = Assert.Throws<JailParameterException>(() => Spec("securelevel = 3, x;"));
        Assert.Equal("JailParameterInvalidValue", e.ErrorId);
        Assert.Contains("\"x\"", e.Message);
    }

    [Fact]
    public void Address_lists_keep_every_value()
    {
        var spec = Spec("ip4.addr = 10.0.0.1, 10.0.0.2;");
        Assert.Equal(new[] { "10.0.0.1", "10.0.0.2" }, ((System.Net.IPAddress[])Kernel(spec, "ip4.addr")!).Select(a => a.ToString()));
        Assert.DoesNotContain("last value", _f.Lifecycle().PlanStart(spec).Steps.Single(s => s.Name == "jail_set").Description);
    }

    [Fact]
    public void Jail8s_own_booleans_read_their_last_value()
    {
        _f.Host.Files.CreateDirectory("/usr/jails/web/dev");
        Assert.True(Spec("mount.devfs = 0, 1;").MountDevfs);
        Assert.False(Spec("mount.devfs = 1, 0;").MountDevfs);
        Assert.Throws<JailParameterException>(() => Spec("mount.devfs = 1, maybe;"));
    }
}
