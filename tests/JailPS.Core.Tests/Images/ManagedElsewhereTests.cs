using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Core.Tests.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Tests.Images;

/// <summary>
/// Jails JailPS did not make, beside its own: a podman container jail (ocijail's state.json under
/// /var/run/ocijail, named by the container's ID) and Bastille's, shown with who manages them and
/// never stopped by accident.
/// </summary>
public sealed class ManagedElsewhereTests : IDisposable
{
    private const string ContainerId = "3f2a9c0d4b5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    private readonly SimulatedHostFixture _f = new();
    private readonly OrchestratorTests.Sink _sink = new();

    public void Dispose() => _f.Dispose();

    private int Run(string name, string path)
    {
        var c = _f.Host.Kernel.Catalog;
        _f.Host.Files.CreateDirectory(path);
        _f.Host.Kernel.Set(new List<JailParameterSetting> { new(c.Find("name")!, name), new(c.Find("path")!, path), new(c.Find("persist")!, true) }, JailFlags.Create);
        return _f.Host.Kernel.GetByName(name)!.Jid;
    }

    [Fact]
    public void Podmans_and_Bastilles_jails_are_listed_with_their_manager_and_not_stopped_without_force()
    {
        string graph = "/var/db/containers/storage/zfs/graph/" + new string('b', 64);
        int jid = Run(ContainerId, graph);
        _f.WriteFile($"/var/run/ocijail/{ContainerId}/state.json",
            $"{{\"root_path\":\"{graph}\",\"bundle\":\"/var/run/containers/storage/zfs-containers/{ContainerId}/userdata\",\"status\":\"running\",\"pid\":812,\"jid\":{jid}}}");
        Run("web", "/usr/local/bastille/jails/web/root");
        _f.Define("mine", "persist;");
        _f.Service.Invalidate();
        var all = _f.Service.GetAll().ToDictionary(j => j.Name, j => j.ManagedBy);
        Assert.Equal("ocijail", all[ContainerId]);
        Assert.Equal("bastille", all["web"]);
        Assert.Equal("jail.conf", all["mine"]);

        new JailOrchestrator(_f.Service, _sink).Stop(new[] { _f.Service.Get(ContainerId)!, _f.Service.Get("web")! }, timeout: 0, force: false, passThru: false);
        Assert.Equal(2, _sink.Errors.Count);
        var podman = Assert.IsType<JailOperationException>(_sink.Errors[0].Error);
        Assert.Equal("JailManagedElsewhere", podman.ErrorId);
        Assert.Contains("managed by ocijail", podman.Message);
        Assert.Contains($"podman stop {ContainerId}", podman.RecommendedAction);
        Assert.Contains("bastille stop web", ((JailOperationException)_sink.Errors[1].Error).RecommendedAction);
        Assert.NotNull(_f.Host.Kernel.GetByName(ContainerId));
        Assert.NotNull(_f.Host.Kernel.GetByName("web"));

        // With -Force the admin takes responsibility, and the jail stops.
        _sink.Errors.Clear();
        new JailOrchestrator(_f.Service, _sink).Stop(new[] { _f.Service.Get("web")! }, timeout: 0, force: true, passThru: false);
        Assert.Empty(_sink.Errors);
        Assert.Null(_f.Host.Kernel.GetByName("web"));
    }

    [Fact]
    public void A_stale_state_file_of_another_container_does_not_make_a_jail_podmans()
    {
        Run(ContainerId, "/usr/jails/ordinary");
        _f.WriteFile($"/var/run/ocijail/{ContainerId}/state.json", "{\"root_path\":\"/elsewhere\",\"jid\":9999}");
        _f.Service.Invalidate();
        Assert.Null(_f.Service.Get(ContainerId)!.ManagedBy);
    }
}
