using JailPS.Core.Lifecycle;
using JailPS.Core.Limits;
using JailPS.Core.Simulation;
using JailPS.Core.Tests.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Limits;

/// <summary>
/// A jail's CPUs through cpuset(2): the simulated kernel answers as kern_cpuset.c does (ERANGE,
/// ESRCH, a running jail's set narrowed and widened within the host's CPUs), the list is kept in the definition and
/// applied on start with no process.
/// </summary>
public sealed class JailCpuSetTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private JailCpuSetService CpuSets() => new(_f.Host);

    [Fact]
    public void Syscall_numbers_and_constants_match_the_facts()
    {
        string facts = System.IO.File.ReadAllText(JailPS.Core.Tests.Native.NetAbiFactsTests.NetFactsFile());
        Assert.Matches(new System.Text.RegularExpressions.Regex($@"\|\s*cpuset_getaffinity\s*\|\s*{CpusetConstants.SysCpusetGetAffinity}\s*\|"), facts);
        Assert.Matches(new System.Text.RegularExpressions.Regex($@"\|\s*cpuset_setaffinity\s*\|\s*{CpusetConstants.SysCpusetSetAffinity}\s*\|"), facts);
        foreach (var (name, value) in new[] { ("CPU_LEVEL_ROOT", CpusetConstants.LevelRoot), ("CPU_LEVEL_CPUSET", CpusetConstants.LevelCpuset), ("CPU_LEVEL_WHICH", CpusetConstants.LevelWhich),
                     ("CPU_WHICH_TID", CpusetConstants.WhichTid), ("CPU_WHICH_PID", CpusetConstants.WhichPid), ("CPU_WHICH_CPUSET", CpusetConstants.WhichCpuset), ("CPU_WHICH_IRQ", CpusetConstants.WhichIrq) })
            Assert.Matches(new System.Text.RegularExpressions.Regex($@"\|\s*{name}\s*\|\s*{value}\s*\|"), facts);
        Assert.Matches(new System.Text.RegularExpressions.Regex($@"\*\*CPU_WHICH_JAIL\*\*\s*\|\s*\*\*{CpusetConstants.WhichJail}\*\*"), facts);
        Assert.Contains("1024 bits → 128 bytes", facts);
        Assert.Equal(128, CpusetConstants.MaskBytes);
    }

    [Fact]
    public void Lists_read_and_print_as_cpuset1_takes_them()
    {
        Assert.Equal(new[] { 0, 1, 2, 3, 6 }, JailCpuSetService.ParseList("0-3,6", "web"));
        Assert.Equal("0-3,6,8-9", JailCpuSetService.Format(new[] { 9, 8, 6, 3, 2, 1, 0 }));
        foreach (string bad in new[] { "", "3-1", "a", "0-1024", "1,,2" })
            Assert.Equal("JailCpuSetInvalid", Assert.Throws<JailOperationException>(() => JailCpuSetService.ParseList(bad, "web")).ErrorId);
    }

    [Fact]
    public unsafe void The_simulated_kernel_answers_cpuset_as_kern_cpuset_does()
    {
        var k = new SimulatedKernel(new SimulatedKernelOptions { Cpus = 8 });
        byte* mask = stackalloc byte[128];
        Assert.Equal(-1, k.CpusetGetAffinity(CpusetConstants.LevelWhich, CpusetConstants.WhichJail, 5, 64, mask));
        Assert.Equal(Errno.ERANGE, k.LastErrno);
        Assert.Equal(-1, k.CpusetGetAffinity(CpusetConstants.LevelWhich, CpusetConstants.WhichJail, 5, 128, mask));
        Assert.Equal(Errno.ESRCH, k.LastErrno);
        Assert.Equal(0, k.CpusetGetAffinity(CpusetConstants.LevelRoot, CpusetConstants.WhichPid, -1, 128, mask));
        Assert.Equal(0xff, mask[0]);
        Assert.Equal(0, mask[1]);
    }

    [Fact]
    public void Start_applies_the_definitions_list_and_a_running_jail_narrows_and_widens_within_the_hosts_cpus()
    {
        _f.Define("web", "persist;\n\t$jailps_cpuset = \"1-2\";");
        _f.Sim.Kernel.ResetCounts();
        var start = _f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("web")!));
        Assert.Contains(start.Steps, s => s.Description.Contains("cpuset -l 1-2 -j web"));
        int processes = _f.Sim.Processes.Log.Count;
        PlanRunner.Execute(start, _f);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        Assert.Equal(new[] { 1, 2 }, _f.Sim.Kernel.JailCpus(jid));
        Assert.Equal(1, _f.Sim.Kernel.CallCounts["cpuset_setaffinity"]);
        Assert.Equal(processes, _f.Sim.Processes.Log.Count);   // no cpuset(1)

        var jail = _f.Current("web");
        PlanRunner.Execute(CpuSets().PlanSet(_f.Service, jail, new[] { 2 }, persist: false), _f);
        Assert.Equal(new[] { 2 }, _f.Sim.Kernel.JailCpus(jid));
        // FreeBSD 14's cpuset_modify checks a jail's root set against its parent: wider is fine.
        PlanRunner.Execute(CpuSets().PlanSet(_f.Service, _f.Current("web"), new[] { 0, 1, 2, 3 }, persist: false), _f);
        Assert.Equal(new[] { 0, 1, 2, 3 }, _f.Sim.Kernel.JailCpus(jid));
        // A kernel refusal rolls the definition edit back, and the set stays as it was.
        _f.Sim.Kernel.InjectFault("cpuset_setaffinity", 1, Errno.EINVAL);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(CpuSets().PlanSet(_f.Service, _f.Current("web"), new[] { 3 }, persist: true), _f));
        Assert.Equal("JailCpuSetInvalid", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.Contains("$jailps_cpuset = \"1-2\";", _f.Host.Files.ReadAllText("/etc/jail.conf.d/web.conf"));   // the definition edit was rolled back
        Assert.Equal(new[] { 0, 1, 2, 3 }, _f.Sim.Kernel.JailCpus(jid));
        Assert.Equal("JailCpuSetInvalid", Assert.Throws<JailOperationException>(() => CpuSets().PlanSet(_f.Service, _f.Current("web"), new[] { 9 }, persist: true)).ErrorId);
    }

    [Fact]
    public void Persist_on_a_stopped_jail_keeps_the_list_for_its_next_start()
    {
        _f.Define("db", "persist;");
        Assert.Equal("JailNotRunning", Assert.Throws<JailOperationException>(() => CpuSets().PlanSet(_f.Service, _f.Current("db"), new[] { 0 }, persist: false)).ErrorId);
        PlanRunner.Execute(CpuSets().PlanSet(_f.Service, _f.Current("db"), new[] { 0, 3 }, persist: true), _f);
        Assert.Contains("$jailps_cpuset = \"0,3\";", _f.Host.Files.ReadAllText("/etc/jail.conf.d/db.conf"));
        _f.Service.Invalidate();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("db")!)), _f);
        Assert.Equal(new[] { 0, 3 }, _f.Sim.Kernel.JailCpus(_f.Host.Kernel.GetByName("db")!.Jid));
    }
}
