using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Tests.Lifecycle;
using Xunit.Abstractions;

namespace JailPS.Core.Tests.Reliability.Suite;

/// <summary>
/// The fault sweep: a fault at every step of the start, stop, create and remove plans, and for
/// start and create a second fault in every undo that the rollback then runs. Residue is anything
/// a failure leaves that its error does not report: for start, create and remove, any difference
/// from the host before the command (files, kernel jails, mounts) when the rollback reported no
/// failure; for stop (which cannot be undone), anything still there after the stop the error
/// advises has run.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class FaultSweepTests
{
    private const string Root = "/usr/jails/web";
    private readonly ITestOutputHelper _out;

    public FaultSweepTests(ITestOutputHelper output) => _out = output;

    private sealed class InjectedFault : System.IO.IOException
    {
        public InjectedFault(string where) : base("injected fault: " + where) { }
    }

    private static JailSpec SpecOfWeb(SimulatedHostFixture f) => f.Spec(f.Service.FindDefinition("web")!);

    private static JailSpec DefineEverything(SimulatedHostFixture f)
    {
        f.Host.Files.CreateDirectory("/usr/jails/basejail");
        f.Host.Files.CreateDirectory("/var/log");
        foreach (string d in new[] { "basejail", "tmp", "dev", "proc", "var/log" })
            f.Host.Files.CreateDirectory($"{Root}/{d}");
        return f.Spec(f.Define("web", $$"""
            mount = "/usr/jails/basejail {{Root}}/basejail nullfs ro 0 0";
            mount += "tmpfs {{Root}}/tmp tmpfs rw,size=64m 0 0";
            mount.devfs;
            mount.fdescfs;
            mount.procfs;
            persist;
            exec.prepare = "/usr/bin/true prepare";
            exec.prestart = "/usr/bin/true prestart";
            exec.created = "/usr/bin/true created";
            exec.start = "/bin/sh /etc/rc";
            exec.poststart = "/usr/bin/true poststart";
            exec.prestop = "/usr/bin/true prestop";
            exec.stop = "/bin/sh /etc/rc.shutdown";
            exec.poststop = "/usr/bin/true poststop";
            exec.release = "/usr/bin/true release";
            exec.consolelog = "/var/log/jail_web_console.log";
            """));
    }

    /// <summary>Replaces step <paramref name="i"/> by one that fails before it acts, and optionally the undo of step <paramref name="badUndo"/> by one that fails.</summary>
    private static void Inject(JailPlan plan, int i, int? badUndo)
    {
        var s = plan.Steps[i];
        plan.Steps[i] = new PlanStep(s.Name, s.Description, () => throw new InjectedFault(s.Name), s.Undo, s.UndoDescription);
        if (badUndo is { } j)
        {
            var u = plan.Steps[j];
            plan.Steps[j] = new PlanStep(u.Name, u.Description, u.Execute, () => throw new InjectedFault("undo of " + u.Name), u.UndoDescription);
        }
    }

    /// <summary>Runs one faulted plan; returns true when it left residue its error does not report.</summary>
    private bool UnreportedResidue(string what, Func<SimulatedHostFixture, JailPlan> plan, int i, int? badUndo, Action<SimulatedHostFixture>? setUp = null)
    {
        using var f = new SimulatedHostFixture();
        setUp?.Invoke(f);
        var before = HostSnapshot.Take(f, "/var/log/jail_web_console.log");
        var p = plan(f);
        Inject(p, i, badUndo);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(p, f));
        Assert.IsType<InjectedFault>(ex.InnerException);
        var residue = HostSnapshot.Take(f, "/var/log/jail_web_console.log").Residue(before);
        bool reported = ex.RollbackFailures.Count > 0;
        if (badUndo is not null)
            Assert.True(reported, $"{what}: a failed undo of step {badUndo} was not reported");
        if (residue.Count > 0 && !reported)
        {
            _out.WriteLine($"{what}, fault at step {i} ({p.Steps[i].Name}): unreported residue: {string.Join("; ", residue)}");
            return true;
        }
        return false;
    }

    private (int Tried, int Residue) Sweep(string what, Func<SimulatedHostFixture, JailPlan> plan, Action<SimulatedHostFixture>? setUp = null)
    {
        int steps, tried = 0, bad = 0;
        using (var probe = new SimulatedHostFixture())
        {
            setUp?.Invoke(probe);
            var p = plan(probe);
            steps = p.Steps.Count;
            var undoable = Enumerable.Range(0, steps).Where(k => p.Steps[k].Undo is not null).ToList();
            for (int i = 0; i < steps; i++)
            {
                tried++;
                if (UnreportedResidue(what, plan, i, null, setUp)) bad++;
                foreach (int j in undoable.Where(j => j < i))
                {
                    tried++;
                    if (UnreportedResidue(what, plan, i, j, setUp)) bad++;
                }
            }
        }
        _out.WriteLine($"{what}: {steps} steps, {tried} fault points, {bad} with unreported residue");
        Assert.True(steps > 0);
        return (tried, bad);
    }

    [Fact]
    public void Start_create_and_remove_leave_nothing_they_do_not_report_and_stop_always_finishes()
    {
        var start = Sweep("start", f => f.Lifecycle().PlanStart(SpecOfWeb(f)), f => DefineEverything(f));
        var create = Sweep("create", f => f.Service.PlanCreate(new NewJailRequest { Name = "db", Path = "/usr/jails/db", Persist = true }),
            f => f.Define("web", "\tpersist;"));
        var remove = Sweep("remove", f => f.Service.PlanRemoveDefinition(f.Service.FindDefinition("web")!),
            f => f.Define("web", "\tpersist;"));
        var stop = StopSweep();

        long tried = start.Tried + create.Tried + remove.Tried + stop.Tried;
        long bad = start.Residue + create.Residue + remove.Residue + stop.Residue;
        ReliabilityFigures.Record("fault-points", tried, bad,
            $"fault points (start {start.Tried}, stop {stop.Tried}, create {create.Tried}, remove {remove.Tried}; with a fault in every undo the rollback runs) / with residue their error does not report");
        Assert.Equal(0, bad);
    }

    /// <summary>
    /// A stop faulted at each step, with and without -Force: the error must say what is left (State),
    /// and the stop it advises (Stop-Jail again, with -Force) must leave no jail, mount or ledger entry.
    /// </summary>
    private (int Tried, int Residue) StopSweep()
    {
        int tried = 0, bad = 0, steps;
        using (var probe = new SimulatedHostFixture())
        {
            var spec = DefineEverything(probe);
            PlanRunner.Execute(probe.Lifecycle().PlanStart(spec), probe);
            steps = probe.Lifecycle().PlanStop("web", probe.Host.Kernel.GetByName("web")!.Jid, spec, 0, false, Root).Steps.Count;
        }
        foreach (bool force in new[] { false, true })
            for (int i = 0; i < steps; i++)
            {
                tried++;
                using var f = new SimulatedHostFixture();
                var spec = DefineEverything(f);
                var before = HostSnapshot.Take(f, "/var/log/jail_web_console.log");
                PlanRunner.Execute(f.Lifecycle().PlanStart(spec), f);
                var p = f.Lifecycle().PlanStop("web", f.Host.Kernel.GetByName("web")!.Jid, spec, 0, force, Root);
                Inject(p, i, null);
                var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(p, f));
                Assert.False(string.IsNullOrEmpty(ex.State), $"stop step {i}: the error does not say what is left");

                f.Service.Invalidate();
                // The advised next step (Stop-Jail NAME -Force); a stopped jail still gets its mounts cleaned up.
                new JailOrchestrator(f.Service, new OrchestratorTests.Sink()).Stop(new[] { f.Service.Get("web")! }, timeout: 0, force: true, passThru: false);
                var residue = HostSnapshot.Take(f, "/var/log/jail_web_console.log", MountLedger.Directory).Residue(before);
                if (new MountLedger(f.Host.Files).Read("web").Count > 0) residue = residue.Append("ledger entries for web").ToList();
                if (residue.Count > 0)
                {
                    bad++;
                    _out.WriteLine($"stop{(force ? " -Force" : "")}, fault at step {i} ({p.Steps[i].Name}): left after the advised stop: {string.Join("; ", residue)}");
                }
            }
        _out.WriteLine($"stop: {steps} steps, {tried} fault points, {bad} with residue after the advised stop");
        return (tried, bad);
    }
}
