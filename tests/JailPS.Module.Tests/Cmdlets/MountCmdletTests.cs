using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>
/// Mount-JailFileSystem, Get-JailMount and Dismount-JailFileSystem end to end, and the unmounts of
/// Stop-Jail and Remove-Jail, against a fresh simulated host per test.
/// </summary>
public sealed class MountCmdletTests : IDisposable
{
    private const string JailRoot = "/usr/jails/web";
    private const string Sim = "[JailPS.Core.Host.JailHost]::Simulated($env:JAILPS_SIMULATED_HOST)";

    private readonly ModuleSession _s = new();

    public void Dispose() => _s.Dispose();

    private string Root => _s.SimulatedHostPath!;

    private string Local(string hostPath) => Path.Combine(Root, hostPath.TrimStart('/'));

    private PSResult Ok(string script)
    {
        var r = _s.Run(script);
        Assert.True(r.Errors.Count == 0, "unexpected errors: " + string.Join(" | ", r.Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)));
        return r;
    }

    private static ErrorRecord OneError(PSResult r, string fqid)
    {
        var e = Assert.Single(r.Errors);
        Assert.Equal(fqid, e.FullyQualifiedErrorId);
        return e;
    }

    private static object? P(PSObject o, string name) => o.Properties[name].Value;

    /// <summary>The kernel's mounts strictly beneath the jail root, "fstype on" each, in mount order.</summary>
    private string[] KernelMountsUnderRoot()
        => Ok($"{Sim}.Simulation.Kernel.Mounts | ForEach-Object {{ if ($_.MountedOn.StartsWith('{JailRoot}/')) {{ $_.FsType + ' ' + $_.MountedOn }} }}")
            .Output.Select(o => o.ToString()).ToArray();

    private int KernelMountCount() => (int)Ok($"{Sim}.Simulation.Kernel.Mounts.Count").Output.Single().BaseObject;

    private void SetBusy(string hostPath, int count)
        => Ok($"$h = {Sim}; $h.Simulation.Kernel.SetMountBusy('{hostPath}', {count}); $h.Commit()");

    private void NewWeb(params string[] dirs)
    {
        Ok($"New-Jail -Name web -Path {JailRoot} -Persist");
        foreach (string d in dirs) Directory.CreateDirectory(Local(JailRoot + "/" + d));
    }

    /// <summary>A definition with jail(8)'s own mounts; devfs with ruleset 0 unless the default rulesets are loaded.</summary>
    private void DefineWebWithDevfsAndProcfs()
    {
        Directory.CreateDirectory(Local("/etc/jail.conf.d"));
        foreach (string d in new[] { "dev", "proc" }) Directory.CreateDirectory(Local(JailRoot + "/" + d));
        File.WriteAllText(Local("/etc/jail.conf.d/web.conf"),
            "web {\n\tpath = \"/usr/jails/web\";\n\tpersist;\n\tmount.devfs;\n\tdevfs_ruleset = 0;\n\tmount.procfs;\n}\n");
    }

    [Fact]
    public void Nullfs_read_only_mount_round_trip()
    {
        Directory.CreateDirectory(Local("/usr/jails/base/bin"));
        NewWeb("basejail");

        var m = Ok("Mount-JailFileSystem web -Type nullfs -Source /usr/jails/base -Target /basejail -ReadOnly -PassThru").Output.Single();
        Assert.Equal("JailPS.JailMount", m.TypeNames[0]);
        Assert.Equal("web", P(m, "JailName"));
        Assert.Equal("nullfs", P(m, "FsType"));
        Assert.Equal("/usr/jails/base", P(m, "Source"));
        Assert.Equal("/usr/jails/web/basejail", P(m, "MountPoint"));
        Assert.Equal("/basejail", P(m, "JailPath"));
        Assert.Equal("ro", P(m, "Options"));
        Assert.Equal(true, P(m, "ReadOnly"));
        Assert.Equal("Mount-JailFileSystem", P(m, "Origin"));
        Assert.Equal("Mounted", P(m, "State")!.ToString());
        Assert.StartsWith("FSID:", (string)P(m, "FsId")!);

        Assert.Equal(new[] { "nullfs /usr/jails/web/basejail" }, KernelMountsUnderRoot());
        Assert.Equal(true, Ok($"{Sim}.Simulation.Kernel.Mounts | Where-Object MountedOn -eq '/usr/jails/web/basejail' | ForEach-Object {{ [bool]($_.Flags -band 1) }}").Output.Single().BaseObject);
        Assert.True(File.Exists(Local("/var/run/jailps/mounts/web.json")), "the mount is in the ledger");

        var listed = Ok("Get-JailMount web").Output.Single();
        Assert.Equal("Mounted", P(listed, "State")!.ToString());
        Assert.Equal("Mount-JailFileSystem", P(listed, "Origin"));
        Assert.Equal("/basejail", P(listed, "JailPath"));

        string table = Ok("Get-JailMount web | Out-Default").HostText;
        Assert.Contains("JailName", table);
        Assert.Contains("Options", table);
        Assert.DoesNotContain("MountPoint", table);
        Assert.Contains("/basejail", table);

        Ok("Dismount-JailFileSystem web -Target /basejail");
        Assert.Empty(KernelMountsUnderRoot());
        Assert.Empty(Ok("Get-JailMount web").Output);
        Assert.False(File.Exists(Local("/var/run/jailps/mounts/web.json")), "the ledger entry is dropped");
    }

    [Fact]
    public void Tmpfs_with_options_into_a_running_jail_piped_from_Get_Jail_and_back_out_through_the_pipeline()
    {
        NewWeb("tmp");
        Ok("Start-Jail web");

        var m = Ok("Get-Jail web | Mount-JailFileSystem -Type tmpfs -Target /tmp -Option 'size=64m', 'mode=1777' -PassThru").Output.Single();
        Assert.Equal("tmpfs", P(m, "Source"));
        Assert.Equal("size=64m,mode=1777", P(m, "Options"));
        Assert.Equal(false, P(m, "ReadOnly"));

        var listed = Ok("Get-JailMount -Name w* -State Mounted").Output.Single();
        Assert.Equal("/tmp", P(listed, "JailPath"));
        Assert.Equal("size=64m,mode=1777", P(listed, "Options"));
        Assert.Empty(Ok("Get-JailMount web -State Leaked").Output);

        Ok("Get-JailMount web | Dismount-JailFileSystem");
        Assert.Empty(KernelMountsUnderRoot());
        Assert.Equal("Running", Ok("(Get-Jail web).State").Output.Single().ToString());
    }

    [Fact]
    public void WhatIf_prints_the_nmount_and_unmount_calls_and_changes_nothing()
    {
        NewWeb("tmp");
        int before = KernelMountCount();
        var r = Ok("Mount-JailFileSystem web -Type tmpfs -Target /tmp -Option size=64m -WhatIf -PassThru");
        Assert.Empty(r.Output);
        Assert.Contains("What if:", r.HostText);
        Assert.Contains("nmount(fstype=tmpfs fspath=/usr/jails/web/tmp from=tmpfs size=64m nocover)", r.HostText);
        Assert.Contains("mount -t tmpfs -o size=64m tmpfs /usr/jails/web/tmp", r.HostText);
        Assert.Equal(before, KernelMountCount());
        Assert.False(Directory.Exists(Local("/var/run/jailps/mounts")), "-WhatIf writes no ledger");

        Ok("Mount-JailFileSystem web -Type tmpfs -Target /tmp");
        var d = Ok("Dismount-JailFileSystem web -All -WhatIf");
        Assert.Contains("unmount(\"FSID:", d.HostText);
        Assert.Contains("MNT_BYFSID", d.HostText);
        Assert.Contains("umount /usr/jails/web/tmp", d.HostText);
        Assert.Equal(new[] { "tmpfs /usr/jails/web/tmp" }, KernelMountsUnderRoot());
    }

    [Fact]
    public void A_symlinked_target_inside_the_jail_root_is_refused_and_nothing_is_mounted()
    {
        Directory.CreateDirectory(Local("/usr/jails/base"));
        NewWeb();
        File.CreateSymbolicLink(Local(JailRoot + "/basejail"), "/etc");
        int before = KernelMountCount();

        var e = OneError(_s.Run("Mount-JailFileSystem web -Type nullfs -Source /usr/jails/base -Target /basejail"),
            "JailPathEscape,JailPS.Commands.MountJailFileSystemCommand");
        Assert.Equal(ErrorCategory.SecurityError, e.CategoryInfo.Category);
        Assert.Equal(before, KernelMountCount());
        Assert.Empty(KernelMountsUnderRoot());

        // A link further down the path is refused the same way.
        Directory.CreateDirectory(Local(JailRoot + "/usr"));
        File.CreateSymbolicLink(Local(JailRoot + "/usr/ports"), "../../../../etc");
        OneError(_s.Run("Mount-JailFileSystem web -Type tmpfs -Target /usr/ports"), "JailPathEscape,JailPS.Commands.MountJailFileSystemCommand");
        Assert.Equal(before, KernelMountCount());
    }

    [Fact]
    public void Targets_that_leave_the_root_or_are_not_jail_paths_are_refused()
    {
        NewWeb("tmp");
        Directory.CreateDirectory(Local("/usr/jails/etc"));
        int before = KernelMountCount();

        var dotdot = OneError(_s.Run("Mount-JailFileSystem web -Type tmpfs -Target /../etc"), "JailPathEscape,JailPS.Commands.MountJailFileSystemCommand");
        Assert.Equal(ErrorCategory.SecurityError, dotdot.CategoryInfo.Category);
        OneError(_s.Run("Mount-JailFileSystem web -Type tmpfs -Target /tmp/../../etc"), "JailPathEscape,JailPS.Commands.MountJailFileSystemCommand");

        var relative = OneError(_s.Run("Mount-JailFileSystem web -Type tmpfs -Target tmp"), "JailMountInvalid,JailPS.Commands.MountJailFileSystemCommand");
        Assert.Equal(ErrorCategory.InvalidArgument, relative.CategoryInfo.Category);
        OneError(_s.Run("Mount-JailFileSystem web -Type tmpfs -Target /"), "JailMountInvalid,JailPS.Commands.MountJailFileSystemCommand");

        var noSource = OneError(_s.Run("Mount-JailFileSystem web -Type nullfs -Target /tmp"), "JailMountSourceMissing,JailPS.Commands.MountJailFileSystemCommand");
        Assert.Equal(ErrorCategory.InvalidArgument, noSource.CategoryInfo.Category);

        var missing = OneError(_s.Run("Mount-JailFileSystem web -Type tmpfs -Target /nosuch"), "JailMountPointMissing,JailPS.Commands.MountJailFileSystemCommand");
        Assert.Equal(ErrorCategory.ObjectNotFound, missing.CategoryInfo.Category);
        Assert.Equal(before, KernelMountCount());

        OneError(_s.Run("Dismount-JailFileSystem web -Target /../etc"), "JailPathEscape,JailPS.Commands.DismountJailFileSystemCommand");
        var notMounted = OneError(_s.Run("Dismount-JailFileSystem web -Target /tmp"), "JailMountNotFound,JailPS.Commands.DismountJailFileSystemCommand");
        Assert.Equal(ErrorCategory.ObjectNotFound, notMounted.CategoryInfo.Category);
    }

    [Fact]
    public void A_busy_mount_is_JailMountBusy_until_Force()
    {
        NewWeb("tmp");
        Ok("Mount-JailFileSystem web -Type tmpfs -Target /tmp");
        SetBusy(JailRoot + "/tmp", 1);

        var e = OneError(_s.Run("Dismount-JailFileSystem web -Target /tmp"), "JailMountBusy,JailPS.Commands.DismountJailFileSystemCommand");
        Assert.Equal(ErrorCategory.ResourceBusy, e.CategoryInfo.Category);
        Assert.Equal("JailPS.JailMount", e.TargetObject!.GetType().FullName);
        Assert.Contains("-Force", e.ErrorDetails!.RecommendedAction);
        Assert.Equal(new[] { "tmpfs /usr/jails/web/tmp" }, KernelMountsUnderRoot());
        Assert.Equal("Mounted", Ok("(Get-JailMount web).State").Output.Single().ToString());

        Ok("Dismount-JailFileSystem web -Target /tmp -Force");
        Assert.Empty(KernelMountsUnderRoot());
        Assert.Empty(Ok("Get-JailMount web").Output);
    }

    [Fact]
    public void All_takes_everything_down_newest_first()
    {
        Directory.CreateDirectory(Local("/usr/jails/base"));
        NewWeb("tmp/cache", "basejail");
        Ok("Mount-JailFileSystem web -Type tmpfs -Target /tmp");
        Ok("Mount-JailFileSystem web -Type nullfs -Source /usr/jails/base -Target /basejail -ReadOnly");
        Ok("Mount-JailFileSystem web -Type tmpfs -Target /tmp/cache");

        var plan = Ok("Dismount-JailFileSystem web -All -WhatIf").HostText;
        int cache = plan.IndexOf("umount /usr/jails/web/tmp/cache", StringComparison.Ordinal);
        int basejail = plan.IndexOf("umount /usr/jails/web/basejail", StringComparison.Ordinal);
        int tmp = plan.IndexOf("umount /usr/jails/web/tmp ", StringComparison.Ordinal);
        Assert.True(cache >= 0 && basejail > cache && tmp > basejail, plan);

        Ok("Get-Jail web | Dismount-JailFileSystem -All");
        Assert.Empty(KernelMountsUnderRoot());
        Assert.False(File.Exists(Local("/var/run/jailps/mounts/web.json")));
    }

    [Fact]
    public void Get_JailMount_flags_mounts_nobody_recorded_as_Leaked()
    {
        NewWeb("tmp", "proc");
        Ok("Mount-JailFileSystem web -Type tmpfs -Target /tmp");
        File.Delete(Local("/var/run/jailps/mounts/web.json"));
        // And one made behind JailPS's back, straight through the kernel.
        Ok($$"""
            $h = {{Sim}}
            $m = [JailPS.Core.Mounts.JailMounter]::new($h)
            $req = [JailPS.Core.Mounts.MountRequest]::new('procfs', 'procfs', '/usr/jails/web/proc', [JailPS.Core.Mounts.MountOption[]]@(), 'test')
            $entry = $m.Mount('web', '/usr/jails/web', $req)
            $m.Ledger.Remove('web', $entry.FsIdText)
            $h.Commit()
            """);

        var leaked = Ok("Get-JailMount web -State Leaked").Output;
        Assert.Equal(new[] { "/proc", "/tmp" }, leaked.Select(o => (string)P(o, "JailPath")!).OrderBy(p => p, StringComparer.Ordinal));
        Assert.All(leaked, o => Assert.Equal("", P(o, "Origin")));

        Ok("Get-JailMount web | Where-Object State -eq Leaked | Dismount-JailFileSystem");
        Assert.Empty(KernelMountsUnderRoot());
    }

    [Fact]
    public void Stop_Jail_takes_jail8_mounts_down_and_leaves_nothing_under_the_root()
    {
        DefineWebWithDevfsAndProcfs();
        Ok("Start-Jail web");
        var mounted = Ok("Get-JailMount web").Output;
        Assert.Equal(new[] { "mount.devfs", "mount.procfs" }, mounted.Select(o => (string)P(o, "Origin")!));
        Assert.All(mounted, o => Assert.Equal("Mounted", P(o, "State")!.ToString()));
        Assert.Equal(new[] { "devfs /usr/jails/web/dev", "procfs /usr/jails/web/proc" }, KernelMountsUnderRoot());

        var stop = Ok("Stop-Jail web");
        Assert.Empty(stop.Output);
        Assert.Empty(KernelMountsUnderRoot());
        var after = Ok("Get-JailMount web").Output;
        Assert.All(after, o => Assert.Equal("NotMounted", P(o, "State")!.ToString()));
        Assert.Equal(2, after.Count);
        Assert.False(File.Exists(Local("/var/run/jailps/mounts/web.json")));
    }

    [Fact]
    public void Stop_Jail_with_a_busy_mount_reports_it_and_a_second_Stop_Jail_completes()
    {
        DefineWebWithDevfsAndProcfs();
        Ok("Start-Jail web");
        SetBusy(JailRoot + "/proc", 1);

        var e = OneError(_s.Run("Stop-Jail web"), "JailMountBusy,JailPS.Commands.StopJailCommand");
        Assert.Equal(ErrorCategory.ResourceBusy, e.CategoryInfo.Category);
        Assert.Equal("Stopped", Ok("(Get-Jail web).State").Output.Single().ToString());
        Assert.Equal(new[] { "procfs /usr/jails/web/proc" }, KernelMountsUnderRoot());
        Assert.Equal("Mounted", Ok("(Get-JailMount web | Where-Object FsType -eq procfs).State").Output.Single().ToString());

        SetBusy(JailRoot + "/proc", 0);
        Ok("Stop-Jail web");
        Assert.Empty(KernelMountsUnderRoot());
        Assert.Empty(Ok("Get-JailMount web -State Mounted, Leaked, Missing").Output);
    }

    [Fact]
    public void Remove_Jail_refuses_while_something_is_mounted_under_the_root_and_Force_unmounts_first()
    {
        NewWeb("tmp");
        Ok("Mount-JailFileSystem web -Type tmpfs -Target /tmp");

        var e = OneError(_s.Run("Remove-Jail web -Confirm:$false"), "JailMountsPresent,JailPS.Commands.RemoveJailCommand");
        Assert.Equal(ErrorCategory.ResourceBusy, e.CategoryInfo.Category);
        Assert.True(File.Exists(Local("/etc/jail.conf.d/web.conf")));
        Assert.Equal(new[] { "tmpfs /usr/jails/web/tmp" }, KernelMountsUnderRoot());

        Ok("Remove-Jail web -Force -Confirm:$false");
        Assert.Empty(KernelMountsUnderRoot());
        Assert.False(File.Exists(Local("/etc/jail.conf.d/web.conf")));
        Assert.True(Directory.Exists(Local(JailRoot + "/tmp")), "the root directory is never deleted");
    }
    [Fact]
    public void Piped_mount_objects_are_unmounted_newest_first_so_nested_mounts_go_before_their_parent()
    {
        NewWeb("dev", "dev/fd");
        Ok($"Set-Jail web -Parameter @{{ 'mount.devfs' = $true; 'mount.fdescfs' = $true }} -Persist");
        Ok("Start-Jail web");
        Assert.Equal(new[] { $"devfs {JailRoot}/dev", $"fdescfs {JailRoot}/dev/fd" }, KernelMountsUnderRoot());
        // Get-JailMount lists them in mount order (devfs first); devfs alone would be busy under fdescfs.
        Ok("Get-JailMount web | Dismount-JailFileSystem -Confirm:$false");
        Assert.Empty(KernelMountsUnderRoot());
    }

    [Fact]
    public void Start_Jail_with_a_devfs_line_without_ruleset_is_a_typed_error_and_mounts_nothing()
    {
        NewWeb("dev");
        Ok($"Set-Jail web -Parameter @{{ 'mount' = 'devfs {JailRoot}/dev devfs rw 0 0' }} -Persist");
        var r = _s.Run("Start-Jail web");
        var e = OneError(r, "DevfsRulesetMissing,JailPS.Commands.StartJailCommand");
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        Assert.Empty(KernelMountsUnderRoot());
    }
}
