using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation;

/// <summary>jail_remove, jail_attach, persistence, processes and dying jails.</summary>
public sealed class LifeCycleTests
{
    [Fact]
    public void Remove_NonRoot_IsEperm()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        k.CallerUid = 1001;
        Assert.Equal(-1, k.JailRemove(jid));
        Assert.Equal(Errno.EPERM, k.LastErrno);
        Assert.Single(k.Jails);
    }

    [Fact]
    public void Remove_UnknownJid_IsEinval()
    {
        var k = K.NewKernel();
        Assert.Equal(-1, k.JailRemove(99));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
    }

    [Fact]
    public void Remove_KillsTheJailsProcesses_AndRemovesDescendants()
    {
        var k = K.NewKernel();
        int p = K.Create(k, i => i.Str("name", "p").Bool("persist").Int("children.max", 4));
        int c = K.Create(k, "p.c");
        k.Spawn(p, "/bin/sh", ignoresSigterm: true);
        k.Spawn(c, "/usr/sbin/daemon");
        int other = K.Create(k, "other");
        int keep = k.Spawn(other, "/bin/sleep");
        Assert.Equal(0, k.JailRemove(p));
        Assert.Equal(new[] { other }, k.Jails.Select(j => j.Jid));
        Assert.Empty(k.ProcessesIn(p));
        Assert.Empty(k.ProcessesIn(c));
        Assert.Equal(keep, k.ProcessesIn(other).Single().Pid);
    }

    [Fact]
    public void Remove_OfADyingJail_ReturnsZero()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        k.HoldDyingReference(jid);
        Assert.Equal(0, k.JailRemove(jid));
        Assert.Equal(SimulatedJailState.Dying, k.Jails.Single().State);
        Assert.Equal(0, k.JailRemove(jid));
        Assert.Equal(SimulatedJailState.Dying, k.Jails.Single().State);
    }

    [Fact]
    public void Attach_Rules()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        Assert.Equal(0, k.JailAttach(jid));
        Assert.Equal(-1, k.JailAttach(77));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
        k.HoldDyingReference(jid);
        k.JailRemove(jid);
        Assert.Equal(-1, k.JailAttach(jid));
        Assert.Equal(Errno.EINVAL, k.LastErrno);
        k.CallerUid = 65534;
        Assert.Equal(-1, k.JailAttach(jid));
        Assert.Equal(Errno.EPERM, k.LastErrno);
        Assert.Equal(4, k.CallCounts["jail_attach"]);
    }

    [Fact]
    public void ClearingPersist_OnAJailWithoutProcesses_MakesItVanish()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        Assert.Equal(jid, K.Create(k, i => i.Int("jid", jid).Bool("nopersist"), K.U));
        Assert.Empty(k.Jails);
        Assert.Equal("jail " + jid + " not found", K.GetFails(k, i => i.Int("jid", jid), JailFlags.Dying).Msg);
    }

    [Fact]
    public void ClearingPersist_WithProcesses_KeepsItAliveUntilTheLastExits()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        int pid1 = k.Spawn(jid, "/usr/sbin/cron");
        int pid2 = k.Spawn(jid, "/usr/sbin/syslogd");
        K.Create(k, i => i.Int("jid", jid).Bool("nopersist"), K.U);
        Assert.Equal(SimulatedJailState.Alive, k.Jails.Single().State);
        Assert.False(k.Jails.Single().Persist);
        Assert.True(k.Exit(pid1));
        Assert.Equal(1, k.Jails.Single().ProcessCount);
        Assert.True(k.Exit(pid2));
        Assert.Empty(k.Jails);
        Assert.False(k.Exit(pid2));
    }

    [Fact]
    public void Signal_SigtermKillsThoseNotIgnoringIt_SigkillKillsAll()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        k.Spawn(jid, "a");
        k.Spawn(jid, "b", ignoresSigterm: true);
        k.Spawn(jid, "c");
        Assert.Equal(3, k.Signal(jid, 0));
        Assert.Equal(3, k.ProcessesIn(jid).Count);
        Assert.Equal(3, k.Signal(jid, SimulatedKernel.SigTerm));
        Assert.Equal("b", k.ProcessesIn(jid).Single().Command);
        Assert.Equal(1, k.Signal(jid, SimulatedKernel.SigKill));
        Assert.Empty(k.ProcessesIn(jid));
        Assert.Equal(SimulatedJailState.Alive, k.Jails.Single().State); // still persistent
        Assert.Equal(0, k.Signal(12345, SimulatedKernel.SigKill));
    }

    [Fact]
    public void Signal_ReachesDescendantJails()
    {
        var k = K.NewKernel();
        int p = K.Create(k, i => i.Str("name", "p").Bool("persist").Int("children.max", 1));
        int c = K.Create(k, "p.c");
        k.Spawn(c, "inner");
        Assert.Equal(1, k.Signal(p, SimulatedKernel.SigKill));
        Assert.Empty(k.ProcessesIn(c));
    }

    [Fact]
    public void NonPersistentJail_DiesWhenItsLastProcessIsKilled()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "x"), K.C | K.A);
        k.Spawn(jid, "child");
        Assert.Equal(2, k.Signal(jid, SimulatedKernel.SigKill));
        Assert.Empty(k.Jails);
    }

    [Fact]
    public void Spawn_IntoAMissingOrDyingJail_Throws()
    {
        var k = K.NewKernel();
        Assert.Throws<InvalidOperationException>(() => k.Spawn(5, "x"));
        int jid = K.Create(k, "x");
        k.HoldDyingReference(jid);
        k.JailRemove(jid);
        Assert.Throws<InvalidOperationException>(() => k.Spawn(jid, "x"));
    }

    [Fact]
    public void HeldDyingJail_StaysVisibleWithJailDying_UntilReleased()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "tw");
        k.HoldDyingReference(jid);
        k.JailRemove(jid);
        Assert.Equal(SimulatedJailState.Dying, k.Jails.Single().State);
        Assert.False(k.Jails.Single().Persist);
        Assert.Equal(1, K.GetInt(k, jid, "dying", JailFlags.Dying));
        k.ReleaseDyingReference(jid);
        Assert.Empty(k.Jails);
        Assert.Throws<ArgumentException>(() => k.ReleaseDyingReference(jid));
    }

    [Fact]
    public void ReleaseWithoutHold_Throws()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "x");
        Assert.Throws<InvalidOperationException>(() => k.ReleaseDyingReference(jid));
    }

    [Fact]
    public void DyingJail_CannotBeUpdatedWithoutJailDying()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "d");
        k.HoldDyingReference(jid);
        k.JailRemove(jid);
        Assert.Equal("jail " + jid + " is dying", K.SetFails(k, i => i.Int("jid", jid).Bool("persist"), K.U).Msg);
        Assert.Equal("jail \"d\" is dying", K.SetFails(k, i => i.Str("name", "d").Bool("persist"), K.U).Msg);
        // Plain create of the jid is EEXIST even while it is dying.
        Assert.Equal(Errno.EEXIST, K.SetFails(k, i => i.Int("jid", jid).Bool("persist"), K.C).Errno);
    }

    [Fact]
    public void DyingJail_IsRevivedByUpdateWithJailDyingAndPersist()
    {
        // FreeBSD <= 14 semantics (kern_jail_set before the 15 change that renumbers dying jails).
        var k = K.NewKernel();
        int jid = K.Create(k, "rev");
        k.HoldDyingReference(jid);
        k.JailRemove(jid);
        Assert.Equal(jid, K.Create(k, i => i.Int("jid", jid).Bool("persist"), K.C | K.U | K.D));
        var info = k.Jails.Single();
        Assert.Equal(SimulatedJailState.Alive, info.State);
        Assert.True(info.Persist);
        Assert.Equal("rev", info.Name);
    }

    [Fact]
    public void DyingJail_RevivalFails_WhenAnotherLiveJailTookItsName()
    {
        var k = K.NewKernel();
        int old = K.Create(k, "same");
        k.HoldDyingReference(old);
        k.JailRemove(old);
        int fresh = K.Create(k, "same");
        Assert.NotEqual(old, fresh);
        var (e, msg) = K.SetFails(k, i => i.Int("jid", old).Bool("persist"), K.U | K.D);
        Assert.Equal(Errno.EEXIST, e);
        Assert.Equal("jail \"same\" already exists", msg);
    }

    [Fact]
    public void ParentStaysAliveWhileItHasChildren()
    {
        var k = K.NewKernel();
        int p = K.Create(k, i => i.Str("name", "p").Bool("persist").Int("children.max", 2));
        int c = K.Create(k, "p.c");
        K.Create(k, i => i.Int("jid", p).Bool("nopersist"), K.U);
        Assert.Equal(SimulatedJailState.Alive, k.Jails.Single(j => j.Jid == p).State);
        Assert.Equal(0, k.JailRemove(c));
        Assert.Empty(k.Jails);
    }
}
