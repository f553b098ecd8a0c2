using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Tests.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Reliability;

/// <summary>
/// Reliability D: a stop cannot be undone, so a failed stop says exactly what was done, what is left
/// (is the jail still in the kernel, what is still mounted) and how to finish, never just "Nothing
/// had to be rolled back". A fault is injected at every step of jail(8)'s stop order (usr.sbin/jail
/// jail.c stopcommands: exec.prestop, exec.stop, stop.timeout, jail_remove, exec.poststop, the
/// unmounts in reverse mount order, exec.release) and JailPS's own final getfsstat check; each
/// time the message must list what is still mounted and a second stop must finish the job.
/// </summary>
public sealed class StopFaultTests : IDisposable
{
    private const string Root = "/usr/jails/web";
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    /// <summary>Every mount kind and every exec.* stop hook; dev/fd comes with the devfs mount.</summary>
    private (JailSpec Spec, int Jid) StartEverything()
    {
        _f.Host.Files.CreateDirectory("/usr/jails/basejail");
        foreach (string d in new[] { "basejail", "tmp", "dev", "proc" })
            _f.Host.Files.CreateDirectory($"{Root}/{d}");
        var spec = _f.Spec(_f.Define("web", $$"""
            mount = "/usr/jails/basejail {{Root}}/basejail nullfs ro 0 0";
            mount += "tmpfs {{Root}}/tmp tmpfs rw,size=64m 0 0";
            mount.devfs;
            mount.fdescfs;
            mount.procfs;
            persist;
            exec.prestop = "/usr/bin/true prestop";
            exec.stop = "/bin/sh /etc/rc.shutdown";
            exec.poststop = "/usr/bin/true poststop";
            exec.release = "/usr/bin/true release";
            """));
        PlanRunner.Execute(_f.Lifecycle().PlanStart(spec), _f);
        return (spec, _f.Host.Kernel.GetByName("web")!.Jid);
    }

    private string[] MountedBeneath() => _f.Sim.Kernel.Mounts.Where(m => m.MountedOn.StartsWith(Root + "/"))
        .Select(m => $"{m.FsType} on {m.MountedOn}").ToArray();

    private void FailCommand(string purpose) => _f.Sim.Processes.AddResponse(new SimulatedResponse { Purpose = purpose, ExitCode = 1, StandardError = purpose + " broke" });

    /// <summary>The fault points: a name, how to inject it, and the step the stop must fail at (null: the stop must succeed).</summary>
    public static TheoryData<string, bool, string?> Faults()
    {
        var d = new TheoryData<string, bool, string?>();
        foreach (bool force in new[] { false, true })
        {
            d.Add("exec.prestop", force, force ? null : "exec.prestop");   // -Force goes on with a warning
            d.Add("exec.stop", force, force ? null : "exec.stop");
            d.Add("stop.timeout", force, "stop.timeout");
            d.Add("jail_remove", force, "jail_remove");
            d.Add("exec.poststop", force, "exec.poststop");
            for (int k = 1; k <= 5; k++)
            {
                d.Add($"unmount {k} EBUSY", force, force ? null : "check mounts"); // -Force retries with MNT_FORCE
                d.Add($"unmount {k} EIO", force, "check mounts");
            }
            d.Add("getfsstat", force, "check mounts");
            d.Add("exec.release", force, "exec.release");
        }
        return d;
    }

    /// <summary>Injects a fault once the plan is built (planning reads the mount table itself).</summary>
    private void Inject(string fault)
    {
        string[] w = fault.Split(' ');
        switch (w[0])
        {
            case "exec.prestop" or "exec.stop" or "exec.poststop" or "exec.release":
                FailCommand(fault);
                break;
            case "stop.timeout":
                _f.Sim.Kernel.InjectFault("jail_get", 1, Errno.EIO); // the wait's first look at the jail
                break;
            case "jail_remove":
                _f.Sim.Kernel.InjectFault("jail_remove", 1, Errno.EPERM);
                break;
            case "unmount":
                _f.Sim.Kernel.InjectFault("unmount", int.Parse(w[1]), w[2] == "EBUSY" ? Errno.EBUSY : Errno.EIO);
                break;
            case "getfsstat":
                _f.Sim.Kernel.InjectFault("getfsstat", 1, Errno.EIO); // the final check reads the table first
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public void A_failed_stop_says_what_is_left_and_a_second_stop_finishes(string fault, bool force, string? failsAt)
    {
        var (spec, jid) = StartEverything();
        var stop = _f.Lifecycle().PlanStop("web", jid, spec, fault == "stop.timeout" ? 1 : 0, force, Root);
        Inject(fault);

        if (failsAt is null)
        {
            PlanRunner.Execute(stop, _f);
            AssertStopped();
            return;
        }

        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(stop, _f));
        Assert.Equal(failsAt, ex.FailedStep);
        Assert.DoesNotContain("Nothing had to be rolled back", ex.Message);
        Assert.StartsWith($"stop of jail \"web\" failed at {failsAt}: ", ex.Message);
        Assert.NotNull(ex.State);

        bool running = _f.Host.Kernel.GetByName("web") != null;
        Assert.Contains(running ? "The jail is still running" : "The jail is removed from the kernel", ex.Message);
        var left = MountedBeneath();
        if (left.Length == 0)
            Assert.Contains($"nothing is mounted under {Root} any more", ex.Message);
        else
            Assert.All(left, m => Assert.Contains(m, ex.Message));
        // How to finish: Stop-Jail again while anything is left, else that nothing is.
        Assert.Contains(running || left.Length > 0 ? "Stop-Jail web" : "Nothing else is left to do", ex.NextStep);
        if (!running && failsAt != "exec.release")
            Assert.Contains("exec.release did not run", ex.Message);
        Assert.Contains(failsAt, string.Join(" ", ex.Done.Append(ex.FailedStep)));

        // The second stop, as Stop-Jail runs it: the whole stop for a running jail, the unmount half for one that is gone.
        _f.Sim.Kernel.ClearFaults();
        _f.Sim.Processes.ClearResponses();
        var lifecycle = _f.Lifecycle();
        var again = running
            ? lifecycle.PlanStop("web", _f.Host.Kernel.GetByName("web")!.Jid, spec, 0, force, Root)
            : lifecycle.PlanUnmountCleanup("web", spec, Root, force);
        PlanRunner.Execute(again, _f);
        AssertStopped();
    }

    [Fact]
    public void The_message_reads_as_the_review_asked_for_exec_poststop()
    {
        var (spec, jid) = StartEverything();
        FailCommand("exec.poststop");
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false, Root), _f));
        Assert.Equal(
            "stop of jail \"web\" failed at exec.poststop: exec.poststop \"/usr/bin/true poststop\" failed with exit code 1: exec.poststop broke. "
            + "Done before it: exec.prestop, exec.stop, jail_remove. Not done: unmount (5), check mounts, exec.release. "
            + $"The jail is removed from the kernel; still mounted: nullfs on {Root}/basejail, tmpfs on {Root}/tmp, devfs on {Root}/dev, fdescfs on {Root}/dev/fd, procfs on {Root}/proc. "
            + "Run Stop-Jail web again to finish the unmounts (or Stop-Jail web -Force to force a busy one); exec.release did not run and a second Stop-Jail does not run it: run it by hand if the host needs it.",
            ex.Message);
    }

    [Fact]
    public void A_failing_second_stop_says_the_same()
    {
        var (spec, jid) = StartEverything();
        FailCommand("exec.poststop");
        Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, spec, 0, false, Root), _f));
        _f.Sim.Kernel.SetMountBusy(Root + "/basejail", 1);

        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanUnmountCleanup("web", spec, Root, force: false), _f));
        Assert.Equal("JailMountBusy", Assert.IsType<JailOperationException>(ex.InnerException).ErrorId);
        Assert.Contains($"still mounted: nullfs on {Root}/basejail.", ex.Message);
        Assert.Contains("Stop-Jail web -Force", ex.NextStep);

        PlanRunner.Execute(_f.Lifecycle().PlanUnmountCleanup("web", spec, Root, force: true), _f);
        AssertStopped();
    }

    private void AssertStopped()
    {
        Assert.Null(_f.Host.Kernel.GetByName("web"));
        Assert.Empty(MountedBeneath());
        Assert.Empty(new MountLedger(_f.Host.Files).Read("web"));
    }
}
