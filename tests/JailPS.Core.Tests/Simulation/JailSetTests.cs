using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation;

/// <summary>jail_set: operations, jail selection, jid allocation and names (kern_jail_set).</summary>
public sealed unsafe class JailSetTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(JailFlags.Attach)]
    [InlineData(JailFlags.Dying)]
    [InlineData(JailFlags.Attach | JailFlags.Dying)]
    public void NoCreateOrUpdate_IsEinvalWithMessage(int flags)
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "a").Bool("persist"), flags);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("no valid operation (create or update)", msg);
    }

    [Theory]
    [InlineData(JailFlags.Create | JailFlags.UseDesc)]
    [InlineData(JailFlags.Create | 0x100)]
    public void FlagsOutsideTheFreeBsd14Mask_AreEinvalWithoutMessage(int flags)
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "a").Bool("persist"), flags);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("", msg);
    }

    [Fact]
    public void NonRootCaller_IsEperm_BeforeAnyOtherCheck()
    {
        var k = K.NewKernel(uid: 1001);
        // Even a call that would be EINVAL for root (no operation, bad flags, unknown params).
        Assert.Equal(Errno.EPERM, K.SetFails(k, i => i.Bool("bogus"), 0).Errno);
        Assert.Equal(Errno.EPERM, K.SetFails(k, i => i.Bool("persist"), 0x100).Errno);
        Assert.Equal(Errno.EPERM, K.SetFails(k, i => i.Bool("persist"), K.C).Errno);
        Assert.Empty(k.Jails);
    }

    [Fact]
    public void CreateWithoutPersistOrAttach_IsEinval()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "a"), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("new jail must persist or attach", msg);
    }

    [Fact]
    public void CreateWithAttach_NeedsNoPersist_AndTheAttachedCallerKeepsItAlive()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "att"), K.C | K.A);
        var procs = k.ProcessesIn(jid);
        Assert.Single(procs);
        Assert.Equal(SimulatedJailState.Alive, k.Jails.Single().State);
        Assert.True(k.Exit(procs[0].Pid));
        Assert.Empty(k.Jails);
    }

    [Fact]
    public void CreateExistingJid_IsEexist()
    {
        var k = K.NewKernel();
        K.Create(k, i => i.Int("jid", 5).Bool("persist"));
        var (e, msg) = K.SetFails(k, i => i.Int("jid", 5).Bool("persist"), K.C);
        Assert.Equal(Errno.EEXIST, e);
        Assert.Equal("jail 5 already exists", msg);
    }

    [Fact]
    public void CreateExistingName_IsEexist()
    {
        var k = K.NewKernel();
        K.Create(k, "www");
        var (e, msg) = K.SetFails(k, i => i.Str("name", "www").Bool("persist"), K.C);
        Assert.Equal(Errno.EEXIST, e);
        Assert.Equal("jail \"www\" already exists", msg);
    }

    [Fact]
    public void UpdateWithoutJidOrName_IsEnoent()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Bool("persist"), K.U);
        Assert.Equal(Errno.ENOENT, e);
        Assert.Equal("update specified no jail", msg);
    }

    [Fact]
    public void UpdateUnknownJid_IsEnoent()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Int("jid", 7).Bool("persist"), K.U);
        Assert.Equal(Errno.ENOENT, e);
        Assert.Equal("jail 7 not found", msg);
    }

    [Fact]
    public void UpdateUnknownName_IsEnoent()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "nope").Bool("persist"), K.U);
        Assert.Equal(Errno.ENOENT, e);
        Assert.Equal("jail \"nope\" not found", msg);
    }

    [Fact]
    public void UpdateByName_ChangesParameters()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, "web");
        int r = K.Create(k, i => i.Str("name", "web").Str("host.hostname", "web.example"), K.U);
        Assert.Equal(jid, r);
        Assert.Equal("web.example", K.GetStr(k, jid, "host.hostname"));
    }

    [Fact]
    public void CreateOrUpdate_CreatesWhenAbsent_UpdatesWhenPresent()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Str("name", "cu").Bool("persist").Int("securelevel", 1), K.C | K.U);
        // JAIL_CREATE without JAIL_ATTACH needs persist even when the jail exists.
        Assert.Equal("new jail must persist or attach",
            K.SetFails(k, i => i.Str("name", "cu").Int("securelevel", 2), K.C | K.U).Msg);
        int again = K.Create(k, i => i.Str("name", "cu").Bool("persist").Int("securelevel", 2), K.C | K.U);
        Assert.Equal(jid, again);
        Assert.Single(k.Jails);
        Assert.Equal(2, K.GetInt(k, jid, "securelevel"));
    }

    [Fact]
    public void CreateOrUpdate_StillRejectsCreateOnlyParameters()
    {
        // kern_jail_set tests (flags & JAIL_UPDATE), so path is refused even when the jail is new.
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "cu").Bool("persist").Str("path", "/"), K.C | K.U);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("path cannot be changed after creation", msg);
    }

    [Fact]
    public void AutomaticJids_AreSequential()
    {
        var k = K.NewKernel();
        Assert.Equal(1, K.Create(k, "a"));
        Assert.Equal(2, K.Create(k, "b"));
        Assert.Equal(3, K.Create(k, "c"));
    }

    [Fact]
    public void AutomaticJid_ContinuesAfterTheLastAllocated_NotAfterExplicitOnes()
    {
        var k = K.NewKernel();
        Assert.Equal(1, K.Create(k, "a"));
        Assert.Equal(10, K.Create(k, i => i.Int("jid", 10).Bool("persist")));
        Assert.Equal(2, K.Create(k, "b"));
        Assert.Equal(0, k.JailRemove(1));
        // lastprid is 2: the next one is 3, not the freed 1.
        Assert.Equal(3, K.Create(k, "c"));
    }

    [Fact]
    public void AutomaticJid_SkipsJidsInUse()
    {
        var k = K.NewKernel();
        K.Create(k, i => i.Int("jid", 1).Bool("persist"));
        K.Create(k, i => i.Int("jid", 2).Bool("persist"));
        K.Create(k, i => i.Int("jid", 4).Bool("persist"));
        Assert.Equal(3, K.Create(k, "x"));
        Assert.Equal(5, K.Create(k, "y"));
    }

    [Fact]
    public void AutomaticJid_WrapsAtJailMax_ToTheLowestFreeJid()
    {
        var k = K.NewKernel();
        k.JidLimit = 5;
        for (int i = 1; i <= 5; i++) Assert.Equal(i, K.Create(k, "j" + i));
        Assert.Equal(0, k.JailRemove(2));
        Assert.Equal(0, k.JailRemove(4));
        Assert.Equal(2, K.Create(k, "again"));
        Assert.Equal(4, K.Create(k, "again2"));
    }

    [Fact]
    public void AutomaticJid_NoneFree_IsEagain()
    {
        var k = K.NewKernel();
        k.JidLimit = 3;
        for (int i = 1; i <= 3; i++) K.Create(k, "j" + i);
        var (e, msg) = K.SetFails(k, i => i.Str("name", "full").Bool("persist"), K.C);
        Assert.Equal(Errno.EAGAIN, e);
        Assert.Equal("no available jail IDs", msg);
    }

    [Fact]
    public void ExplicitJid_AboveJailMax_IsAccepted()
    {
        // Only negative jids are refused; JAIL_MAX bounds automatic allocation only.
        var k = K.NewKernel();
        Assert.Equal(JailLimits.JailMax + 5, K.Create(k, i => i.Int("jid", JailLimits.JailMax + 5).Bool("persist")));
    }

    [Fact]
    public void NegativeJid_IsEinval()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Int("jid", -3).Bool("persist"), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("negative jid", msg);
    }

    [Fact]
    public void NumericLastNameComponent_IsUsedAsJid_OnCreate()
    {
        var k = K.NewKernel();
        Assert.Equal(17, K.Create(k, "17"));
        Assert.Equal("17", K.GetStr(k, 17, "name"));
        K.Create(k, "outer");
        Assert.Equal(18, K.Create(k, "outer.18"));
        Assert.Equal("outer.18", K.GetStr(k, 18, "name"));
    }

    [Fact]
    public void NumericName_ThatIsNotTheJid_IsEinval()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Int("jid", 3).Str("name", "7").Bool("persist"), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("name cannot be numeric (unless it is the jid)", msg);
    }

    [Fact]
    public void NumericName_WithLeadingZero_IsEinval_EvenThoughItParsesToTheJid()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "07").Bool("persist"), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("name cannot be numeric (unless it is the jid)", msg);
    }

    [Fact]
    public void NameWithNegativeNumber_BecomesANegativeJid()
    {
        // strtoul accepts a sign: "-5" yields jid -5.
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "-5").Bool("persist"), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("negative jid", msg);
    }

    [Fact]
    public void DefaultName_IsTheJidString()
    {
        var k = K.NewKernel();
        int jid = K.Create(k, i => i.Bool("persist"));
        Assert.Equal(jid.ToString(), K.GetStr(k, jid, "name"));
    }

    [Fact]
    public void HierarchicalName_CreatesAChildOfTheNamedParent()
    {
        var k = K.NewKernel();
        int a = K.Create(k, i => i.Str("name", "a").Bool("persist").Int("children.max", 5));
        int b = K.Create(k, "a.b");
        Assert.Equal(a, K.GetInt(k, b, "parent"));
        Assert.Equal(1, K.GetInt(k, a, "children.cur"));
        Assert.Equal(a, k.Jails.Single(j => j.Jid == b).ParentJid);
    }

    [Fact]
    public void HierarchicalName_MissingParent_IsEnoent()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "nope.child").Bool("persist"), K.C);
        Assert.Equal(Errno.ENOENT, e);
        Assert.Equal("jail \"nope\" not found", msg);
    }

    [Fact]
    public void HierarchicalName_DyingParent_IsEnoentIsDying()
    {
        // The facts sheet lists EAGAIN for a dying parent; kern_jail_set returns EAGAIN only when
        // the caller's own jail is dying. A dying parent named in "a.b" gives ENOENT.
        var k = K.NewKernel();
        int a = K.Create(k, "a");
        k.HoldDyingReference(a);
        Assert.Equal(0, k.JailRemove(a));
        var (e, msg) = K.SetFails(k, i => i.Str("name", "a.b").Bool("persist"), K.C);
        Assert.Equal(Errno.ENOENT, e);
        Assert.Equal("jail \"a\" is dying", msg);
    }

    [Fact]
    public void SiblingNames_MustBeUnique_ButTheSameNameMayExistUnderAnotherParent()
    {
        var k = K.NewKernel();
        K.Create(k, "x");
        K.Create(k, "y");
        K.Create(k, "x.web");
        K.Create(k, "y.web");
        var (e, msg) = K.SetFails(k, i => i.Str("name", "x.web").Bool("persist"), K.C);
        Assert.Equal(Errno.EEXIST, e);
        Assert.Equal("jail \"x.web\" already exists", msg);
    }

    [Fact]
    public void NameLongerThan255Bytes_IsEnametoolong()
    {
        var k = K.NewKernel();
        Assert.True(K.Create(k, new string('n', 255)) > 0);
        var (e, msg) = K.SetFails(k, i => i.Str("name", new string('m', 256)).Bool("persist"), K.C);
        Assert.Equal(Errno.ENAMETOOLONG, e);
        Assert.Equal("", msg);
    }

    [Fact]
    public void RenameThatWouldMakeADescendantsNameTooLong_IsEnametoolong()
    {
        var k = K.NewKernel();
        int p = K.Create(k, new string('p', 200));
        K.Create(k, new string('p', 200) + "." + new string('c', 54)); // 255 bytes: the maximum
        var (e, _) = K.SetFails(k, i => i.Int("jid", p).Str("name", new string('p', 201)), K.U);
        Assert.Equal(Errno.ENAMETOOLONG, e);
    }

    [Fact]
    public void UpdateByJid_WithADifferentParentPrefix_IsEinval()
    {
        var k = K.NewKernel();
        K.Create(k, "p");
        int jid = K.Create(k, "q");
        var (e, msg) = K.SetFails(k, i => i.Int("jid", jid).Str("name", "p.q"), K.U);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("cannot change jail's parent", msg);
    }

    [Fact]
    public void RenamingATopLevelJail_RenamesItsDescendants()
    {
        var k = K.NewKernel();
        int a = K.Create(k, i => i.Str("name", "old").Bool("persist").Int("children.max", 3));
        int b = K.Create(k, "old.kid");
        Assert.Equal(a, K.Create(k, i => i.Int("jid", a).Str("name", "renamed"), K.U));
        Assert.Equal("renamed", K.GetStr(k, a, "name"));
        Assert.Equal("renamed.kid", K.GetStr(k, b, "name"));
    }

    [Fact]
    public void RenamingANestedJail_RewritesDescendantsTheWayKernJailSetDoes()
    {
        // kern_jail_set rewrites descendants' names using the component lengths as offsets from the
        // start of the full name, so below a nested jail the old component survives.
        var k = K.NewKernel();
        K.Create(k, i => i.Str("name", "a").Bool("persist").Int("children.max", 5));
        int b = K.Create(k, i => i.Str("name", "a.b").Bool("persist").Int("children.max", 2));
        int c = K.Create(k, "a.b.c");
        K.Create(k, i => i.Int("jid", b).Str("name", "a.x"), K.U);
        Assert.Equal("a.x", K.GetStr(k, b, "name"));
        Assert.Equal("a.b.c", K.GetStr(k, c, "name"));
    }

    [Fact]
    public void RenameToASiblingsName_IsEexist()
    {
        var k = K.NewKernel();
        K.Create(k, "one");
        int two = K.Create(k, "two");
        var (e, msg) = K.SetFails(k, i => i.Int("jid", two).Str("name", "one"), K.U);
        Assert.Equal(Errno.EEXIST, e);
        Assert.Equal("jail \"one\" already exists", msg);
    }

    [Fact]
    public void UpdateOfANumericallyNamedJail_ByNameAlone_IsRefused()
    {
        // Keyed by name, jid stays 0, so the numeric-name rule rejects the jail's own name.
        var k = K.NewKernel();
        Assert.Equal(9, K.Create(k, "9"));
        var (e, msg) = K.SetFails(k, i => i.Str("name", "9").Int("securelevel", 1), K.U);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("name cannot be numeric (unless it is the jid)", msg);
        Assert.Equal(9, K.Create(k, i => i.Int("jid", 9).Str("name", "9").Int("securelevel", 1), K.U));
    }

    [Fact]
    public void FailedCreate_ChangesNoJailButConsumesTheAllocatedJid()
    {
        var k = K.NewKernel();
        var (e, msg) = K.SetFails(k, i => i.Str("name", "x").Bool("persist").Bool("not.a.param"), K.C);
        Assert.Equal(Errno.EINVAL, e);
        Assert.Equal("unknown parameter: not.a.param", msg);
        Assert.Empty(k.Jails);
        // get_next_prid advanced lastprid before the failure.
        Assert.Equal(2, K.Create(k, "y"));
    }
}
