using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Processes;
using JailPS.Core.Provisioning;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// Fault injection at every provisioning step: for each kind of New-Jail a root is built by
/// (thick, thin, on ZFS, Debian, an OCI image), each step in turn fails before it does anything, and the
/// rollback of the steps before it must leave the host exactly as it was: the same files, no
/// dataset, snapshot or mount more, no definition registered.
/// </summary>
public sealed class ProvisioningFaultTests
{
    public static TheoryData<string> Kinds => new() { "thick", "thin", "zfs-thick", "zfs-thin", "debian", "zfs-debian", "image", "zfs-image" };

    /// <summary>A two-layer image (the second with a whiteout) for the image kinds, as an OCI layout.</summary>
    private static readonly JailPS.Core.Tests.Images.TestImage s_image = JailPS.Core.Tests.Images.OciTestImages.Image(new[]
    {
        JailPS.Core.Tests.Images.OciTestImages.Layer(JailPS.Core.Images.LayerCompression.Gzip, new[] { Images.LayerEntry.Dir("etc"), Images.LayerEntry.Regular("etc/motd", "a\n"), Images.LayerEntry.Regular("etc/old", "b\n"), Images.LayerEntry.Dir("dev") }),
        JailPS.Core.Tests.Images.OciTestImages.Layer(JailPS.Core.Images.LayerCompression.Zstd, new[] { Images.LayerEntry.Dir("etc"), Images.LayerEntry.Regular("etc/.wh.old"), Images.LayerEntry.Regular("etc/rc", "#!/bin/sh\n") }),
    });

    private static SimulatedHostFixture Host(string kind, ReleaseMedia media)
    {
        var f = new SimulatedHostFixture();
        media.SaveInto(f.Host, f, "14.3-RELEASE");
        if (kind.EndsWith("image", StringComparison.Ordinal))
        {
            string layout = JailPS.Core.Tests.Images.OciTestImages.WriteLayout(Path.Combine(media.Path, "layout-" + Guid.NewGuid().ToString("N")[..6]), s_image, "app:1");
            PlanRunner.Execute(new JailPS.Core.Images.JailImageService(f.Host, f).PlanSave(new JailPS.Core.Images.SaveImageRequest { Path = layout, Name = "example.org/app:1" }), f);
        }
        if (kind.StartsWith("zfs", StringComparison.Ordinal))
            Assert.Equal(0, f.Sim.Processes.Run(new ProcessRequest { Arguments = new[] { "/sbin/zfs", "create", "-o", "mountpoint=/usr/jails", "zroot/jails" } }).ExitCode);
        else
            f.Host.Files.CreateDirectory("/usr/jails");
        f.Sim.Processes.ClearResponses();
        return f;
    }

    private static NewJailRequest Request(string kind) => new()
    {
        Name = "web", Path = "/usr/jails/web", Persist = true, Hostname = "web.example.org", IPv4Address = new[] { "10.1.0.30" },
        Release = kind.EndsWith("debian", StringComparison.Ordinal) || kind.EndsWith("image", StringComparison.Ordinal) ? null : "14.3-RELEASE",
        Image = kind.EndsWith("image", StringComparison.Ordinal) ? "example.org/app:1" : null,
        Thin = kind.EndsWith("thin", StringComparison.Ordinal),
        Distribution = kind.EndsWith("debian", StringComparison.Ordinal) ? "Debian" : null,
    };

    /// <summary>Everything a failed create could leave: files (not the state directory, the release cache or lock files), datasets and snapshots, mounts.</summary>
    private static string State(SimulatedHostFixture f)
    {
        var paths = Directory.EnumerateFileSystemEntries(f.Root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => "/" + Path.GetRelativePath(f.Root, p))
            .Where(p => !p.StartsWith("/.simulation", StringComparison.Ordinal) && !p.StartsWith("/var/run", StringComparison.Ordinal) && !p.StartsWith("/var/db/jailps/releases", StringComparison.Ordinal) && !p.StartsWith("/var/db/jailps/images", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        return string.Join("\n", paths) + "\n--\n" + string.Join("\n", f.Sim.Kernel.ZfsDatasets.Select(d => d.Name)) + "\n--\n"
            + string.Join("\n", f.Sim.Kernel.Mounts.Select(m => m.FsType + " " + m.MountedOn)) + "\n--\n" + string.Join("\n", f.Sim.Kernel.ImmutableFiles);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_failure_at_any_step_leaves_the_host_as_it_was(string kind)
    {
        using var media = new ReleaseMedia();
        int steps;
        using (var probe = Host(kind, media)) steps = probe.Service.PlanCreate(Request(kind)).Steps.Count;
        Assert.True(steps >= 3, $"{kind}: {steps} steps");
        var wrong = new List<string>();
        for (int i = 0; i < steps; i++)
        {
            using var f = Host(kind, media);
            string before = State(f);
            var plan = f.Service.PlanCreate(Request(kind));
            string failing = plan.Steps[i].Name;
            plan.Steps[i] = new PlanStep(failing, plan.Steps[i].Description, () => throw new JailOperationException("InjectedFault", "web", $"step {failing} failed (injected)"));
            var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(plan, f));
            if (ex.RollbackFailures.Count > 0) wrong.Add($"failing at {i} ({failing}): rollback failed: {string.Join("; ", ex.RollbackFailures)}");
            string after = State(f);
            if (before != after)
                wrong.Add($"failing at {i} ({failing}): left " + string.Join(", ", after.Split('\n').Except(before.Split('\n'))) + "; took " + string.Join(", ", before.Split('\n').Except(after.Split('\n'))));
            f.Service.Invalidate();
            if (f.Service.FindDefinition("web") is not null) wrong.Add($"failing at {i} ({failing}): the definition is still there");
        }
        Assert.True(wrong.Count == 0, kind + ":\n" + string.Join("\n", wrong));
    }
}
