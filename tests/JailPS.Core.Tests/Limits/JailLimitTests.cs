using System.IO;
using System.Text.RegularExpressions;
using JailPS.Core.Lifecycle;
using JailPS.Core.Limits;
using JailPS.Core.Simulation;
using JailPS.Core.Tests.Lifecycle;
using JailPS.Core.Tests.Native;
using JailPS.Native;

namespace JailPS.Core.Tests.Limits;

/// <summary>
/// Resource limits through rctl(2): the simulated kernel answers as kern_rctl.c does (errno, the
/// buffer protocol, rules kept by jail name), the service reads and writes rules natively and
/// keeps /etc/rctl.conf as an admin wrote it, and Start-Jail / Stop-Jail apply and take back the
/// persisted rules.
/// </summary>
public sealed class JailLimitTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private JailLimitService Limits() => new(_f.Host, _f);

    private static unsafe (int Rc, int Errno, string Out) Call(SimulatedKernel k, string syscall, string input, int outSize = 4096, int? inLen = null)
    {
        byte[] i = System.Text.Encoding.UTF8.GetBytes(input + "\0");
        byte[] o = new byte[Math.Max(outSize, 1)];
        fixed (byte* ip = i)
        fixed (byte* op = o)
        {
            nuint il = (nuint)(inLen ?? i.Length);
            int rc = syscall switch
            {
                "get_racct" => k.RctlGetRacct(ip, il, op, (nuint)outSize),
                "get_rules" => k.RctlGetRules(ip, il, op, (nuint)outSize),
                "add" => k.RctlAddRule(ip, il, null, 0),
                _ => k.RctlRemoveRule(ip, il, null, 0),
            };
            int e = rc == 0 ? 0 : k.LastErrno;
            int n = Array.IndexOf(o, (byte)0);
            return (rc, e, rc == 0 && outSize > 0 ? System.Text.Encoding.UTF8.GetString(o, 0, n < 0 ? 0 : n) : "");
        }
    }

    [Fact]
    public void The_simulated_kernel_answers_rctl_as_kern_rctl_does()
    {
        var k = new SimulatedKernel();
        Assert.Equal(0, Call(k, "add", "jail:web:memoryuse:deny=1073741824").Rc);
        Assert.Equal(0, Call(k, "add", "JAIL:web:MemoryUse:deny=2147483648").Rc);         // names case-insensitive; a deny of the same key replaces
        Assert.Equal(0, Call(k, "add", "jail:web:pcpu:log=50/process").Rc);
        Assert.Equal("jail:web:memoryuse:deny=2147483648,jail:web:pcpu:log=50/process", Call(k, "get_rules", "jail:web:").Out);
        Assert.Equal("jail:web:pcpu:log=50/process", Call(k, "get_rules", "jail:web:pcpu").Out);
        Assert.Equal(Errno.EOPNOTSUPP, Call(k, "add", "jail:web:cputime:deny=10").Errno);      // not deniable
        Assert.Equal(0, Call(k, "add", "jail:web:vmemoryuse:deny=10").Rc);
        Assert.Equal(Errno.EOPNOTSUPP, Call(k, "add", "jail:web:pcpu:throttle=10").Errno);     // throttle: decaying, but not pcpu
        Assert.Equal(0, Call(k, "add", "jail:web:readbps:throttle=1000000").Rc);
        Assert.Equal(Errno.EOPNOTSUPP, Call(k, "add", "jail:web:swapuse:deny=10/process").Errno);   // sloppy per process
        Assert.Equal(Errno.EINVAL, Call(k, "add", "jail:web:memoryuse").Errno);                // add needs the whole rule
        Assert.Equal(Errno.EINVAL, Call(k, "add", "jail:web:memoryuse:deny=2g").Errno);        // suffixes are rctl(8)'s, not the kernel's
        Assert.Equal(Errno.EINVAL, Call(k, "add", "jail:web:nosuch:deny=1").Errno);
        Assert.Equal(Errno.EINVAL, Call(k, "add", "", inLen: 0).Errno);
        Assert.Equal(Errno.E2BIG, Call(k, "add", new string('x', 5000)).Errno);
        Assert.Equal(Errno.ERANGE, Call(k, "get_rules", "jail:", outSize: 10).Errno);
        Assert.Equal(Errno.ERANGE, Call(k, "add", $"jail:web:pcpu:deny={long.MaxValue / 100}").Errno);   // in millions: overflows
        Assert.Equal(0, Call(k, "remove", "jail:web:pcpu").Rc);
        Assert.Equal(Errno.ESRCH, Call(k, "remove", "jail:web:pcpu").Errno);
        Assert.StartsWith("cputime=0,datasize=0,", Call(k, "get_racct", "jail:web").Out);
        Assert.Equal(25, Call(k, "get_racct", "jail:web").Out.Split(',').Length);

        var off = new SimulatedKernel(new SimulatedKernelOptions { RacctEnabled = false });
        foreach (string s in new[] { "get_racct", "get_rules", "add", "remove" })
            Assert.Equal(Errno.ENOSYS, Call(off, s, "jail:web:memoryuse:deny=1").Errno);
    }

    [Fact]
    public void Syscall_numbers_and_limits_match_the_facts()
    {
        string facts = File.ReadAllText(NetAbiFactsTests.NetFactsFile());
        foreach (var (name, value) in new[] { ("rctl_get_racct", RctlConstants.SysRctlGetRacct), ("rctl_get_rules", RctlConstants.SysRctlGetRules),
                     ("rctl_get_limits", RctlConstants.SysRctlGetLimits), ("rctl_add_rule", RctlConstants.SysRctlAddRule), ("rctl_remove_rule", RctlConstants.SysRctlRemoveRule) })
            Assert.Matches(new Regex($@"\|\s*{name}\s*\|\s*{value}\s*\|"), facts);
        Assert.Contains("inbuflen > 4096", facts);
        Assert.Equal(RctlConstants.MaxInputBytes, 4096);
        // racct.h ids: the facts' table, id by id.
        foreach (Match m in Regex.Matches(facts, @"\|\s*(\d+)\s*\|\s*([a-z]+)\s*(?=\|)"))
        {
            int id = int.Parse(m.Groups[1].Value);
            if (id < RctlConstants.Resources.Length && m.Groups[2].Value.Length > 3 && RctlConstants.ResourceId(m.Groups[2].Value) >= 0)
                Assert.Equal(id, RctlConstants.ResourceId(m.Groups[2].Value));
        }
        Assert.Equal(24, RctlConstants.ResourceId("writeiops"));
    }

    [Fact]
    public void Set_with_persist_writes_rctl_conf_keeping_what_an_admin_wrote_and_an_undo_puts_both_back()
    {
        _f.WriteFile(JailLimitService.RctlConf, "# limits for the build users\nuser:1001:maxproc:deny=200   # the CI user\n\njail:web:memoryuse:deny=1073741824 # set in 2025\n");
        PlanRunner.Execute(Limits().PlanSet(JailLimitService.Rule("web", "memoryuse", "deny", JailLimitService.ParseAmount("2G", "web"), null), persist: true), _f);
        PlanRunner.Execute(Limits().PlanSet(JailLimitService.Rule("web", "pcpu", "deny", 50, null), persist: true), _f);
        Assert.Equal("# limits for the build users\nuser:1001:maxproc:deny=200   # the CI user\n\njail:web:memoryuse:deny=2147483648 # set in 2025\njail:web:pcpu:deny=50\n",
            _f.Host.Files.ReadAllText(JailLimitService.RctlConf));
        var limits = Limits().Limits("web");
        Assert.Equal(new[] { "memoryuse", "pcpu" }, limits.Select(l => l.Resource).ToArray());
        Assert.All(limits, l => Assert.Equal("Both", l.Source));
        Assert.Equal("bytes", limits[0].Unit);
        Assert.Contains(_f.Sim.Kernel.RctlRules, r => r == "jail:web:memoryuse:deny=2147483648");

        // A failure after the kernel took the rule takes it back out, and the file is as it was.
        var plan = Limits().PlanSet(JailLimitService.Rule("web", "maxproc", "deny", 100, null), persist: true);
        plan.Steps.Add(new PlanStep("fail", "injected", () => throw new JailOperationException("InjectedFault", "web", "injected")));
        string before = _f.Host.Files.ReadAllText(JailLimitService.RctlConf)!;
        Assert.Throws<JailPlanException>(() => PlanRunner.Execute(plan, _f));
        Assert.DoesNotContain(_f.Sim.Kernel.RctlRules, r => r.Contains("maxproc"));
        Assert.Equal(before, _f.Host.Files.ReadAllText(JailLimitService.RctlConf));

        PlanRunner.Execute(Limits().PlanRemove("web", new[] { JailLimitService.Parse("jail:web:pcpu:deny=50")! }, persist: true), _f);
        Assert.DoesNotContain("pcpu", _f.Host.Files.ReadAllText(JailLimitService.RctlConf));
        Assert.Contains("# the CI user", _f.Host.Files.ReadAllText(JailLimitService.RctlConf));
    }

    [Fact]
    public void Start_applies_the_persisted_rules_and_stop_takes_them_back_leaving_a_hand_made_one_with_a_warning()
    {
        _f.Define("web", "persist;");
        _f.WriteFile(JailLimitService.RctlConf, "jail:web:memoryuse:deny=2147483648\n");
        var spec = _f.Spec(_f.Service.FindDefinition("web")!);
        var start = _f.Lifecycle().PlanStart(spec);
        Assert.Contains(start.Steps, s => s.Name == "rctl");
        PlanRunner.Execute(start, _f);
        Assert.Equal(new[] { "jail:web:memoryuse:deny=2147483648" }, _f.Sim.Kernel.RctlRules);
        Limits().Add(JailLimitService.Rule("web", "maxproc", "deny", 100, null));   // as rctl -a would, by hand
        _f.Sim.Kernel.SetRacctUsage("web", "memoryuse", 123L << 20);
        var usage = Limits().Usage("web");
        Assert.Equal(25, usage.Count);
        Assert.Equal(123L << 20, usage["memoryuse"]);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, force: false), _f);
        Assert.Equal(new[] { "jail:web:maxproc:deny=100" }, _f.Sim.Kernel.RctlRules);
        Assert.Contains(_f.Warnings, w => w.Contains("jail:web:maxproc:deny=100 is only in the kernel"));
    }

    [Fact]
    public void A_jail_without_limits_makes_no_rctl_call_and_amounts_read_as_rctl8_reads_them()
    {
        _f.Define("db", "persist;");
        _f.Sim.Kernel.ResetCounts();
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Service.FindDefinition("db")!)), _f);
        Assert.Equal(0, _f.Sim.Kernel.CallCounts.Where(c => c.Key.StartsWith("rctl_", StringComparison.Ordinal)).Sum(c => c.Value));

        Assert.Equal("JailLimitInvalid", Assert.Throws<JailOperationException>(() => JailLimitService.ParseAmount("two gigs", "web")).ErrorId);
        Assert.Equal(2L << 30, JailLimitService.ParseAmount("2147483648", "web"));
        Assert.Equal(512L << 20, JailLimitService.ParseAmount("512M", "web"));
        Assert.Equal("JailLimitInvalid", Assert.Throws<JailOperationException>(() => JailLimitService.Rule("web", "nosuch", "deny", 1, null)).ErrorId);
    }

    [Fact]
    public void Usage_over_N_running_jails_is_N_rctl_get_racct_calls_and_no_process()
    {
        for (int i = 1; i <= 30; i++) _f.Define("j" + i, "persist;");
        foreach (var d in _f.Service.Definitions.ToList())
            PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(d)), _f);
        _f.Sim.Kernel.ResetCounts();
        int processes = _f.Sim.Processes.Log.Count;
        _f.Service.Invalidate();
        var usage = _f.Service.GetAll().Where(j => j.Jid is not null).Select(j => Limits().Usage(j.Name)).ToList();
        Assert.Equal(30, usage.Count);
        Assert.Equal(30, _f.Sim.Kernel.CallCounts["rctl_get_racct"]);
        Assert.Equal(31, _f.Sim.Kernel.CallCounts["jail_get"]);
        Assert.Equal(processes, _f.Sim.Processes.Log.Count);
    }
}
