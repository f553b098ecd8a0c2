using System;
using Xunit;
using System.IO;
using System.Linq;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>docs/examples/debian-jail.ps1, the Linux jail of the seeds, run in the hosted engine against the simulated host.</summary>
public sealed class DebianJailExampleTests : IDisposable
{
    private readonly ModuleSession _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void The_debian_jail_example_mounts_checks_devices_and_leaves_nothing_mounted()
    {
        string script = Path.Combine(RepoPaths.Root, "docs", "examples", "debian-jail.ps1");
        var r = _s.Run($"& '{script}' | Out-Default");
        Assert.True(r.Errors.Count == 0, string.Join(" | ", r.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)));
        string text = r.HostText;
        Assert.Contains("SIMULATED HOST", text);
        // -WhatIf lists the five nmount calls in jail(8)'s order: mount lines, then devfs, then fdescfs.
        string[] order = { "fstype=linprocfs fspath=/usr/jails/debian/proc", "fstype=linsysfs fspath=/usr/jails/debian/sys",
            "fstype=tmpfs fspath=/usr/jails/debian/run", "fstype=devfs fspath=/usr/jails/debian/dev from=devfs ruleset=4",
            "fstype=fdescfs fspath=/usr/jails/debian/dev/fd" };
        var positions = order.Select(o => text.IndexOf("nmount(" + o, StringComparison.Ordinal)).ToArray();
        Assert.All(positions, p => Assert.True(p >= 0));
        Assert.Equal(positions.OrderBy(p => p), positions);
        Assert.Contains("device check passed: True", text);
        Assert.DoesNotContain(" mem ", text.Split("the jail sees")[1].Split('\n')[0] + " ");
        Assert.Contains("mounts left under /usr/jails/debian: 0", text);
        Assert.Contains("exec.start: /bin/ln -sfn /run/shm /dev/shm", text);
        Assert.Contains("jails left: 0", text);
    }
}
