using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Lifecycle;

/// <summary>
/// Stop-, Start- and Set-Jail hold the jail by a descriptor where the kernel has them (FreeBSD 15),
/// so a jail that replaced the one they looked at (same name, same jid) is never removed or changed.
/// </summary>
public sealed class JailDescriptorLifecycleTests
{
    /// <summary>Removes jid 7 and makes a new "web" with jid 7 when the given syscall is entered the first time.</summary>
    private static void ReplaceOn(SimulatedHostFixture f, string syscall, string path)
    {
        bool done = false;
        var sim = f.Sim.Kernel;
        sim.SyscallEntered = name =>
        {
            if (name != syscall || done) return;
            done = true;
            var raw = new JailKernel(sim);
            raw.Remove(7, "web");
            var c = raw.Catalog;
            raw.Set(new List<JailParameterSetting> { new(c.Find("name")!, "web"), new(c.Find("path")!, path), new(c.Find("persist")!, true), new(c.Find("jid")!, 7) }, JailFlags.Create, "web");
        };
    }

    [Fact]
    public void On_15_0_a_stop_never_removes_the_jail_that_replaced_the_one_it_checked()
    {
        using var f = new SimulatedHostFixture("15.0");
        var def = f.Define("web", "\tjid = 7;\n\tpersist;");
        PlanRunner.Execute(f.Lifecycle().PlanStart(f.Spec(def)), f);
        var sink = new OrchestratorTests.Sink();
        var orchestrator = new JailOrchestrator(f.Service, sink);
        var plan = orchestrator.Lifecycle.PlanStop("web", 7, f.Spec(def), 0, force: false);
        Assert.Contains(plan.Steps, s => s.Description.StartsWith("jail_remove_jd(", StringComparison.Ordinal));
        ReplaceOn(f, "jail_remove_jd", "/usr/jails/web");
        f.Sim.Kernel.ResetCounts();
        orchestrator.RunPlan(plan, "Stop");
        f.Sim.Kernel.SyscallEntered = null;
        var now = f.Host.Kernel.GetByName("web");
        Assert.NotNull(now);
        Assert.Equal(7, now!.Jid);
        Assert.Equal(1, f.Sim.Kernel.CallCounts["jail_remove_jd"]);
        Assert.Equal(1, f.Sim.Kernel.CallCounts["jail_remove"]); // the replacement's own removal in the hook
    }

    [Fact]
    public void On_14_3_the_same_race_removes_the_replacement_as_jail_8_does()
    {
        // The hazard the descriptors close: by jid, the replacement is the jail removed.
        using var f = new SimulatedHostFixture();
        var def = f.Define("web", "\tjid = 7;\n\tpersist;");
        PlanRunner.Execute(f.Lifecycle().PlanStart(f.Spec(def)), f);
        var orchestrator = new JailOrchestrator(f.Service, new OrchestratorTests.Sink());
        var plan = orchestrator.Lifecycle.PlanStop("web", 7, f.Spec(def), 0, force: false);
        Assert.DoesNotContain(plan.Steps, s => s.Description.StartsWith("jail_remove_jd(", StringComparison.Ordinal));
        // Replaced just before the stop's own jail_remove (after RemoveIfPresent's check by jid).
        ReplaceOn(f, "jail_remove", "/usr/jails/web");
        orchestrator.RunPlan(plan, "Stop");
        f.Sim.Kernel.SyscallEntered = null;
        Assert.Null(f.Host.Kernel.GetByName("web"));
    }

    [Fact]
    public void On_15_0_a_start_creates_with_a_descriptor_and_clears_the_temporary_persist_through_it()
    {
        using var f = new SimulatedHostFixture("15.0");
        var def = f.Define("web", "\texec.start = \"/bin/sh /etc/rc\";");
        var plan = f.Lifecycle().PlanStart(f.Spec(def));
        Assert.Contains(plan.Steps, s => s.Description.StartsWith("jail_set(JAIL_CREATE | JAIL_GET_DESC)", StringComparison.Ordinal));
        Assert.Contains(plan.Steps, s => s.Description.StartsWith("jail_set(JAIL_UPDATE | JAIL_USE_DESC)", StringComparison.Ordinal));
        PlanRunner.Execute(plan, f);
        // The plan closed its descriptor: no jail descriptor is left open in this process.
        Assert.Equal(0, f.Sim.Kernel.OpenJailDescriptorCount);
    }

    [Fact]
    public void On_15_0_a_live_change_is_refused_for_a_jail_that_was_replaced()
    {
        using var f = new SimulatedHostFixture("15.0");
        var def = f.Define("web", "\tjid = 7;\n\tpersist;");
        PlanRunner.Execute(f.Lifecycle().PlanStart(f.Spec(def)), f);
        var jail = f.Current("web");
        // Replaced by a jail of another name with the same jid after Set-Jail looked.
        var raw = new JailKernel(f.Sim);
        raw.Remove(7, "web");
        var c = raw.Catalog;
        raw.Set(new List<JailParameterSetting> { new(c.Find("name")!, "other"), new(c.Find("path")!, "/"), new(c.Find("persist")!, true), new(c.Find("jid")!, 7) }, JailFlags.Create, "other");
        var plan = f.Service.PlanUpdate(jail, new System.Collections.Hashtable { ["host.hostname"] = "changed" }, writeDefinition: false);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(plan, f));
        Assert.Contains("no longer jail \"web\" but \"other\"", ex.Message);
        Assert.NotEqual("changed", f.Host.Kernel.GetByJid(7)!["host.hostname"]);
        Assert.Equal(0, f.Sim.Kernel.OpenJailDescriptorCount);
    }
}
