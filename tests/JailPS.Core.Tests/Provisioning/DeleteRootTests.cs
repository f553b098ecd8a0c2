using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Provisioning;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// Remove-Jail -DeleteRoot: the definition goes, then the root with chflags -R noschg and rm -rf
/// (Bastille #570), never a root that is a link, the host's, or another jail's, never while
/// anything is mounted beneath it; a failed delete puts the definition back.
/// </summary>
public sealed class DeleteRootTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    private JailPS.Core.Config.JailDefinition Jail(string name, string path)
    {
        _f.Host.Files.CreateDirectory(path + "/etc");
        _f.WriteFile(path + "/etc/motd", "hello\n");
        return _f.Define(name, $"\tpath = \"{path}\";\n\tpersist;");
    }

    [Fact]
    public void The_definition_then_the_root_go_and_nothing_else()
    {
        var def = Jail("web", "/usr/jails/web");
        _f.Host.Files.CreateDirectory("/usr/jails/other");
        var plan = _f.Service.PlanRemoveDefinition(def, deleteRoot: true);
        Assert.Equal(new[] { "write", "delete root" }, plan.Steps.Select(s => s.Name));
        PlanRunner.Execute(plan, _f);
        Assert.False(Directory.Exists(Local("/usr/jails/web")));
        Assert.True(Directory.Exists(Local("/usr/jails/other")));
        _f.Service.Invalidate();
        Assert.Null(_f.Service.FindDefinition("web"));
        Assert.Equal(new[] { "/bin/chflags -R noschg /usr/jails/web", "/bin/rm -rf /usr/jails/web" },
            _f.Sim.Processes.Log.Select(c => string.Join(" ", c.Arguments)));
    }

    [Fact]
    public void A_root_that_is_a_link_the_host_or_shared_with_another_jail_is_refused()
    {
        Directory.CreateDirectory(Local("/data/web"));
        Directory.CreateDirectory(Local("/usr/jails"));
        File.CreateSymbolicLink(Local("/usr/jails/web"), "/data/web");
        var linked = _f.Define("web", "\tpath = \"/usr/jails/web\";\n\tpersist;");
        Assert.Equal("JailRootRefused", Assert.Throws<JailOperationException>(() => _f.Service.PlanRemoveDefinition(linked, true)).ErrorId);
        var top = _f.Define("usr", "\tpath = \"/usr\";\n\tpersist;");
        Assert.Equal("JailRootRefused", Assert.Throws<JailOperationException>(() => _f.Service.PlanRemoveDefinition(top, true)).ErrorId);
        var a = Jail("a", "/usr/jails/shared");
        _f.Define("b", "\tpath = \"/usr/jails/shared/inner\";\n\tpersist;");
        _f.Service.Invalidate();
        Assert.Equal("JailRootShared", Assert.Throws<JailOperationException>(() => _f.Service.PlanRemoveDefinition(_f.Service.FindDefinition("a")!, true)).ErrorId);
        Assert.True(Directory.Exists(Local("/data/web")));
    }

    [Fact]
    public void Nothing_is_deleted_through_a_mount_and_a_failed_delete_puts_the_definition_back()
    {
        var def = Jail("web", "/usr/jails/web");
        _f.Host.Files.CreateDirectory("/usr/jails/web/dev");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(_f.Define("web", "\tpath = \"/usr/jails/web\";\n\tpersist;\n\tmount.devfs;"))), _f);
        _f.Service.Invalidate();
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Service.PlanRemoveDefinition(_f.Service.FindDefinition("web")!, true), _f));
        Assert.Equal("JailRootBusy", ((JailOperationException)ex.InnerException!).ErrorId);
        Assert.True(File.Exists(Local("/usr/jails/web/etc/motd")));
        _f.Service.Invalidate();
        Assert.NotNull(_f.Service.FindDefinition("web"));   // rolled back

        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", _f.Host.Kernel.GetByName("web")!.Jid, _f.Spec(_f.Service.FindDefinition("web")!), 0, force: false), _f);
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Command = "/bin/rm -rf /usr/jails/web", ExitCode = 1, StandardError = "rm: /usr/jails/web/lib/libc.so.7: Operation not permitted\n" });
        var ex2 = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Service.PlanRemoveDefinition(_f.Service.FindDefinition("web")!, true), _f));
        var cause = (JailOperationException)ex2.InnerException!;
        Assert.Equal("JailRootDeleteFailed", cause.ErrorId);
        Assert.Contains("Operation not permitted", cause.Message);
        _f.Service.Invalidate();
        Assert.NotNull(_f.Service.FindDefinition("web"));
    }
}
