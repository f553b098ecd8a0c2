using JailPS.Core.Lifecycle;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Fidelity;

/// <summary>
/// Issue 10 #6: a numeric block with a name ("5309 { name = basejail; }", usr.sbin/jail/tests
/// jail_basic_test.sh jid_name_set) is one jail, jid 5309 named basejail, found by either name, and
/// its exec.* hooks run whichever name the stop is given.
/// </summary>
public sealed class NumericBlockTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly OrchestratorTests.Sink _sink = new();

    public void Dispose() => _f.Dispose();

    private Jail Get(string name) => _f.Current(name);

    [Theory]
    [InlineData("basejail")]
    [InlineData("5309")]
    public void A_numeric_block_with_a_name_is_one_jail_and_its_hooks_run_by_either_name(string stopBy)
    {
        _f.Host.Files.CreateDirectory("/usr/jails/basejail");
        _f.WriteFile("/etc/jail.conf", "5309 {\n\tname = basejail;\n\tpath = /usr/jails/basejail;\n\tpersist;\n\texec.prestop = \"/bin/echo STOP\";\n}\n");

        var listed = _f.Service.GetAll();
        var only = Assert.Single(listed);
        Assert.Equal(("basejail", JailState.Stopped, true), (only.Name, only.Status, only.IsDefined));

        new JailOrchestrator(_f.Service, _sink).Start(new[] { Get("basejail") }, force: false, passThru: false);
        Assert.Empty(_sink.Errors);
        var rec = _f.Host.Kernel.GetByName("basejail")!;
        Assert.Equal(5309, rec.Jid);
        only = Assert.Single(_f.Service.GetAll());
        Assert.Equal(("basejail", JailState.Running, true), (only.Name, only.Status, only.IsDefined));

        new JailOrchestrator(_f.Service, _sink).Stop(new[] { Get(stopBy) }, timeout: 0, force: false, passThru: false);
        Assert.Empty(_sink.Errors);
        Assert.Null(_f.Host.Kernel.GetByName("basejail"));
        Assert.Contains("exec.prestop", _f.CommandPurposes());
    }

    [Fact]
    public void Set_Jail_Persist_edits_the_numeric_block()
    {
        _f.Host.Files.CreateDirectory("/usr/jails/basejail");
        _f.WriteFile("/etc/jail.conf", "5309 {\n\tname = basejail;\n\tpath = /usr/jails/basejail;\n}\n");
        PlanRunner.Execute(_f.Service.PlanUpdate(Get("basejail"), new System.Collections.Hashtable { ["persist"] = true }, writeDefinition: true), _f);
        Assert.Contains("5309 {\n\tname = basejail;\n\tpath = /usr/jails/basejail;\n\tpersist;\n}",
            System.IO.File.ReadAllText(_f.Host.Files.ToLocalPath("/etc/jail.conf")), StringComparison.Ordinal);
        Assert.True(Get("basejail").Persist);
    }
}
