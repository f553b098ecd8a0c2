using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>The devfs cmdlets end to end against a freshly booted simulated host (rulesets 1-5 loaded).</summary>
public sealed class DevfsCmdletTests : IDisposable
{
    private readonly ModuleSession _s = new();

    public void Dispose() => _s.Dispose();

    private string Root => _s.SimulatedHostPath!;

    /// <summary>
    /// Mounts a devfs through the simulated kernel's nmount(2) seam (the raw iovec protocol, built
    /// with Marshal; the pointer parameter takes an IntPtr through reflection), as jail(8)'s
    /// mount.devfs step would: fstype=devfs fspath=MP from=devfs ruleset=N.
    /// </summary>
    private const string MountDevfs = """
        function Mount-TestDevfs([string]$MountPoint, [string]$Ruleset) {
            $h = [JailPS.Core.Host.JailHost]::Simulated($env:JAILPS_SIMULATED_HOST)
            $pairs = @('fstype', 'devfs', 'fspath', $MountPoint, 'from', 'devfs', 'ruleset', $Ruleset)
            $M = [System.Runtime.InteropServices.Marshal]
            $iov = $M::AllocHGlobal(16 * $pairs.Count)
            for ($i = 0; $i -lt $pairs.Count; $i++) {
                $b = [System.Text.Encoding]::UTF8.GetBytes($pairs[$i] + [char]0)
                $p = $M::AllocHGlobal($b.Length)
                $M::Copy($b, 0, $p, $b.Length)
                $M::WriteIntPtr($iov, 16 * $i, $p)
                $M::WriteInt64($iov, 16 * $i + 8, [long]$b.Length)
            }
            $rc = [JailPS.Native.IMountLibc].GetMethod('Nmount').Invoke($h.MountLibc, @($iov, [uint32]$pairs.Count, 0))
            if ($rc -ne 0) { throw "nmount failed: errno $($h.MountLibc.LastErrno)" }
        }
        """;

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

    private int[] KernelRulesets() =>
        Ok("[JailPS.Core.Host.JailHost]::Simulated($env:JAILPS_SIMULATED_HOST).Simulation.Kernel.DevfsRulesets").Output.Select(o => (int)o.BaseObject).ToArray();

    [Fact]
    public void Get_DevfsRuleset_shows_the_booted_rulesets_with_names_and_rule_objects()
    {
        var all = Ok("Get-DevfsRuleset").Output;
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, all.Select(o => (int)o.Properties["Number"].Value));
        Assert.Equal("JailPS.DevfsRuleset", all[0].TypeNames[0]);
        Assert.Equal("devfsrules_jail", all[3].Properties["Name"].Value);

        var rules = Ok("(Get-DevfsRuleset 4).Rules").Output;
        Assert.Equal("JailPS.DevfsRule", rules[0].TypeNames[0]);
        Assert.Equal(new[] { "100 include 1", "200 include 2", "300 include 3", "400 path fuse unhide", "500 path zfs unhide" },
            rules.Select(r => (string)r.Properties["Text"].Value));
        Assert.Equal("fuse", rules[3].Properties["Path"].Value);
        Assert.Equal("unhide", rules[3].Properties["Action"].Value);
        Assert.Equal(1, rules[0].Properties["Include"].Value);

        Assert.Equal(new object[] { 4, 5 }, Ok("Get-DevfsRuleset -Name devfsrules_jail* | ForEach-Object Number").Output.Select(o => o.BaseObject));
        Assert.Equal(new object[] { 2 }, Ok("2 | Get-DevfsRuleset | ForEach-Object Number").Output.Select(o => o.BaseObject));

        var nf = _s.Run("Get-DevfsRuleset 99");
        var e = OneError(nf, "DevfsRulesetNotFound,JailPS.Commands.GetDevfsRulesetCommand");
        Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category);
        Assert.Equal(99, e.TargetObject);
    }

    [Fact]
    public void New_DevfsRuleset_WhatIf_prints_the_ioctls_and_leaves_the_kernel_untouched()
    {
        var r = Ok("New-DevfsRuleset -Number 10 -Rule 'include $devfsrules_hide_all', 'path null unhide', \"path 'pts/*' unhide\" -WhatIf");
        Assert.Empty(r.Output);
        Assert.Contains("What if:", r.HostText);
        Assert.Contains("ioctl(/dev, DEVFSIO_RADD, {id=10:100 include 1})  # devfs rule -s 10 add 100 include 1", r.HostText);
        Assert.Contains("ioctl(/dev, DEVFSIO_RADD, {id=10:200 path 'null' unhide})  # devfs rule -s 10 add 200 path null unhide", r.HostText);
        Assert.Contains("ioctl(/dev, DEVFSIO_RADD, {id=10:300 path 'pts/*' unhide})  # devfs rule -s 10 add 300 path 'pts/*' unhide", r.HostText);
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, KernelRulesets());
        Assert.False(Directory.Exists(Path.Combine(Root, "var")), "-WhatIf must not even take a lock");
    }

    [Fact]
    public void Confirm_shows_the_ioctls_of_the_plan_before_it_asks()
    {
        _s.Answer("N");
        Ok("New-DevfsRuleset -Number 10 -Rule 'path null unhide' -Confirm");
        string prompt = Assert.Single(_s.Host.Prompts);
        Assert.Contains("ioctl(/dev, DEVFSIO_RADD, {id=10:100 path 'null' unhide})  # devfs rule -s 10 add 100 path null unhide", prompt);
        Assert.EndsWith("?", prompt.TrimEnd());
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, KernelRulesets());
    }

    [Fact]
    public void New_refuses_an_existing_ruleset_unless_Force_and_PassThru_returns_the_kernel_view()
    {
        var created = Ok("New-DevfsRuleset 10 -Name web_jail -Rule 'include 4', \"path 'bpf*' unhide\" -PassThru").Output.Single();
        Assert.Equal("JailPS.DevfsRuleset", created.TypeNames[0]);
        Assert.Equal("web_jail", created.Properties["Name"].Value);
        Assert.Equal(2, created.Properties["RuleCount"].Value);
        Assert.Equal("kernel", created.Properties["Source"].Value);
        Assert.Equal(true, created.Properties["IsSimulated"].Value);

        var dup = OneError(_s.Run("New-DevfsRuleset 10 -Rule 'path null unhide'"), "DevfsRulesetExists,JailPS.Commands.NewDevfsRulesetCommand");
        Assert.Equal(ErrorCategory.ResourceExists, dup.CategoryInfo.Category);
        Assert.NotNull(dup.ErrorDetails?.RecommendedAction);

        Ok("New-DevfsRuleset 10 -Rule 'path null unhide' -Force -Confirm:$false");
        Assert.Equal(new object[] { "100 path null unhide" }, Ok("(Get-DevfsRuleset 10).Rules.Text").Output.Select(o => o.BaseObject));

        var bad = OneError(_s.Run("New-DevfsRuleset 11 -Rule 'path null blink'"), "DevfsRuleInvalid,JailPS.Commands.NewDevfsRulesetCommand");
        Assert.Equal(ErrorCategory.InvalidArgument, bad.CategoryInfo.Category);
        var inc = OneError(_s.Run("New-DevfsRuleset 11 -Rule 'include 77'"), "DevfsRulesetNotFound,JailPS.Commands.NewDevfsRulesetCommand");
        Assert.Equal(ErrorCategory.ObjectNotFound, inc.CategoryInfo.Category);
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 10 }, KernelRulesets());
    }

    [Fact]
    public void A_failing_RADD_leaves_no_rule_behind_and_reports_the_errno()
    {
        var r = _s.Run("""
            $k = [JailPS.Core.Host.JailHost]::Simulated($env:JAILPS_SIMULATED_HOST).Simulation.Kernel
            $rules = 1..20 | ForEach-Object { "path 'dev$_' unhide" }
            # Planning reads: RGETNEXT of set 30 (1 ioctl); then the 7th RADD is the 8th ioctl.
            $k.InjectFault('ioctl', 8, 5)
            New-DevfsRuleset 30 -Rule $rules
            """);
        var e = OneError(r, "DevfsIoctlFailed,JailPS.Commands.NewDevfsRulesetCommand");
        Assert.Contains("step 7 of 20", e.Exception.Message);
        Assert.Contains("EIO", e.Exception.Message);
        Assert.Equal(6, ((System.Collections.ICollection)e.Exception.GetType().GetProperty("RolledBack")!.GetValue(e.Exception)!).Count);
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, KernelRulesets());
    }

    [Fact]
    public void Import_DevfsRules_pipes_into_New_DevfsRuleset_and_names_show_up()
    {
        Directory.CreateDirectory(Path.Combine(Root, "etc"));
        File.WriteAllText(Path.Combine(Root, "etc/devfs.rules"),
            "# local rules\n[web_jail=10]\nadd include $devfsrules_jail\nadd path 'bpf*' unhide\n\n[db_jail=11]\nadd include $devfsrules_hide_all\nadd path null unhide\n");
        var imported = Ok("Import-DevfsRules").Output;
        Assert.Equal(new[] { "web_jail", "db_jail" }, imported.Select(o => (string)o.Properties["Name"].Value));
        Assert.Equal("/etc/devfs.rules", imported[0].Properties["Source"].Value);
        Assert.Equal(false, imported[0].Properties["InKernel"].Value);
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, KernelRulesets()); // importing loads nothing

        var loaded = Ok("Import-DevfsRules /etc/devfs.rules | New-DevfsRuleset -PassThru").Output;
        Assert.Equal(new object[] { 10, 11 }, loaded.Select(o => o.Properties["Number"].Value));
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 10, 11 }, KernelRulesets());
        Assert.Equal("db_jail", Ok("(Get-DevfsRuleset 11).Name").Output.Single().BaseObject);
        Assert.Equal(new object[] { 10 }, Ok("Get-DevfsRuleset -Name web* | ForEach-Object Number").Output.Select(o => o.BaseObject));

        var missing = OneError(_s.Run("Import-DevfsRules /etc/nosuch.rules"), "DevfsRulesFileNotFound,JailPS.Commands.ImportDevfsRulesCommand");
        Assert.Equal(ErrorCategory.ObjectNotFound, missing.CategoryInfo.Category);
        File.WriteAllText(Path.Combine(Root, "etc/bad.rules"), "[x=1]\nadd path\n");
        var bad = OneError(_s.Run("Import-DevfsRules /etc/bad.rules"), "DevfsRulesFileInvalid,JailPS.Commands.ImportDevfsRulesCommand");
        Assert.Equal(ErrorCategory.ParserError, bad.CategoryInfo.Category);
        Assert.Contains(":2:", bad.Exception.Message);
    }

    [Fact]
    public void Set_DevfsRuleset_replaces_rules_and_applies_to_a_mount()
    {
        Ok("New-DevfsRuleset 10 -Rule 'include 1', 'path null unhide'");
        var w = Ok("Set-DevfsRuleset 10 -Rule 'include 1', 'path zero unhide' -WhatIf");
        Assert.Contains("ioctl(/dev, DEVFSIO_RDEL, 10:100)  # devfs rule -s 10 del 100", w.HostText);
        Assert.Contains("ioctl(/dev, DEVFSIO_RADD, {id=10:200 path 'zero' unhide})", w.HostText);
        Assert.Equal(new object[] { "100 include 1", "200 path null unhide" }, Ok("(Get-DevfsRuleset 10).Rules.Text").Output.Select(o => o.BaseObject));

        var set = Ok("Set-DevfsRuleset 10 -Rule 'include 1', 'path zero unhide' -PassThru").Output.Single();
        Assert.Equal(new[] { "100 include 1", "200 path zero unhide" }, ((object[])set.Properties["Rules"].Value).Select(x => x.ToString()));

        var nf = OneError(_s.Run("Set-DevfsRuleset 12 -Rule 'hide'"), "DevfsRulesetNotFound,JailPS.Commands.SetDevfsRulesetCommand");
        Assert.Equal(ErrorCategory.ObjectNotFound, nf.CategoryInfo.Category);
        var nomount = OneError(_s.Run("Set-DevfsRuleset 10 -MountPoint /usr/jails/web/dev"), "DevfsMountNotFound,JailPS.Commands.SetDevfsRulesetCommand");
        Assert.Equal(ErrorCategory.ObjectNotFound, nomount.CategoryInfo.Category);

        Directory.CreateDirectory(Path.Combine(Root, "usr/jails/web/dev"));
        Ok(MountDevfs + "\nMount-TestDevfs /usr/jails/web/dev 0");
        var a = Ok("Set-DevfsRuleset 10 -MountPoint /usr/jails/web/dev -Use -WhatIf");
        Assert.Contains("ioctl(/usr/jails/web/dev, DEVFSIO_SUSE, 10)  # devfs -m /usr/jails/web/dev ruleset 10", a.HostText);
        Assert.Contains("ioctl(/usr/jails/web/dev, DEVFSIO_SAPPLY, 10)  # devfs -m /usr/jails/web/dev rule -s 10 applyset", a.HostText);
        Ok("Set-DevfsRuleset 10 -MountPoint /usr/jails/web/dev -Use");
        var visible = Ok("[JailPS.Core.Host.JailHost]::Simulated($env:JAILPS_SIMULATED_HOST).DevfsNodes.VisibleNodes('/usr/jails/web/dev')").Output.Select(o => o.ToString());
        Assert.Equal(new[] { "zero" }, visible);
    }

    [Fact]
    public void Remove_DevfsRuleset_refuses_a_ruleset_in_use_and_empties_one_that_is_not()
    {
        var busy = OneError(_s.Run("Remove-DevfsRuleset 1 -Confirm:$false"), "DevfsRulesetInUse,JailPS.Commands.RemoveDevfsRulesetCommand");
        Assert.Equal(ErrorCategory.ResourceBusy, busy.CategoryInfo.Category);
        Assert.Contains("ruleset 4 includes it", busy.Exception.Message);

        Ok("New-DevfsRuleset 10 -Rule 'path null unhide', 'path zero unhide'");
        var w = Ok("Get-DevfsRuleset 10 | Remove-DevfsRuleset -WhatIf");
        Assert.Contains("ioctl(/dev, DEVFSIO_RDEL, 10:200)  # devfs rule -s 10 del 200", w.HostText);
        Assert.Contains(10, KernelRulesets());
        Ok("Remove-DevfsRuleset 10 -Confirm:$false");
        Assert.Equal(new[] { 1, 2, 3, 4, 5 }, KernelRulesets());

        var nf = OneError(_s.Run("Remove-DevfsRuleset 10 -Confirm:$false"), "DevfsRulesetNotFound,JailPS.Commands.RemoveDevfsRulesetCommand");
        Assert.Equal(ErrorCategory.ObjectNotFound, nf.CategoryInfo.Category);
    }

    [Fact]
    public void Test_JailDevice_passes_and_fails_on_a_mounted_jail_devfs()
    {
        Ok("New-Jail -Name web -Path /usr/jails/web");
        var none = OneError(_s.Run("Test-JailDevice web -Required null"), "DevfsNotMounted,JailPS.Commands.TestJailDeviceCommand");
        Assert.Equal(ErrorCategory.ResourceUnavailable, none.CategoryInfo.Category);
        OneError(_s.Run("Test-JailDevice nosuch"), "JailNotFound,JailPS.Commands.TestJailDeviceCommand");

        Directory.CreateDirectory(Path.Combine(Root, "usr/jails/web/dev"));
        Ok(MountDevfs + "\nMount-TestDevfs /usr/jails/web/dev 4");
        var pass = Ok("Test-JailDevice web -Required null, zero, 'pts/*' -Forbidden 'bpf*', mem, kmem, 'nda*'").Output.Single();
        Assert.Equal("JailPS.JailDeviceTest", pass.TypeNames[0]);
        Assert.Equal(true, pass.Properties["Passed"].Value);
        Assert.Equal("/usr/jails/web/dev", pass.Properties["MountPoint"].Value);
        Assert.Contains("pts/0", (string[])pass.Properties["Visible"].Value);

        var fail = Ok("Get-Jail web | Test-JailDevice -Required bpf -Forbidden 'pts/*'").Output.Single();
        Assert.Equal(false, fail.Properties["Passed"].Value);
        Assert.Equal(new[] { "bpf" }, (string[])fail.Properties["Missing"].Value);
        Assert.Equal(new[] { "pts/0", "pts/1" }, (string[])fail.Properties["Unexpected"].Value);

        Assert.Equal(new object[] { false }, Ok("Test-JailDevice w* -Forbidden zero -Quiet").Output.Select(o => o.BaseObject));
        Assert.Equal(new object[] { true }, Ok("Test-JailDevice web -Required fuse -Quiet").Output.Select(o => o.BaseObject));
    }
    [Fact]
    public void The_seeds_flat_ruleset_4_built_with_New_DevfsRuleset_shows_exactly_what_devfsrules_jail_shows()
    {
        // The seed's ruleset: hide everything, then the shell loop's long unhide list (basic, login, fuse, zfs).
        var unhide = new List<string> { "null", "zero", "crypto", "random", "urandom" };
        foreach (string kind in new[] { "pty", "tty" })
            foreach (string c in new[] { "p", "q", "r", "s", "P", "Q", "R", "S", "l", "m", "n", "o", "L", "M", "N", "O" })
                unhide.Add(kind + c + "*");
        unhide.AddRange(new[] { "ptmx", "pts", "pts/*", "fd", "fd/*", "stdin", "stdout", "stderr", "fuse", "zfs" });
        string rules = string.Join(", ", new[] { "'hide'" }.Concat(unhide.Select(u => $"'path {u} unhide'")));
        Ok($"New-DevfsRuleset -Number 1004 -Rule {rules}");
        Assert.Equal(1 + unhide.Count, Convert.ToInt32(Ok("(Get-DevfsRuleset 1004).Rules.Count").Output.Single().BaseObject));

        foreach (string jail in new[] { "seed", "std" })
        {
            Ok($"New-Jail -Name {jail} -Path /usr/jails/{jail}");
            Directory.CreateDirectory(Path.Combine(Root, $"usr/jails/{jail}/dev"));
        }
        Ok("Mount-JailFileSystem seed -Type devfs -Target /dev -Option ruleset=1004");
        Ok("Mount-JailFileSystem std -Type devfs -Target /dev -Option ruleset=4");
        string[] Visible(string jail) => (string[])Ok($"Test-JailDevice {jail}").Output.Single().Properties["Visible"].Value;

        string[] expected =
        {
            "crypto", "fd", "fd/0", "fd/1", "fd/2", "fuse", "null", "ptmx", "pts", "pts/0", "pts/1",
            "random", "stderr", "stdin", "stdout", "urandom", "zero", "zfs",
        };
        Assert.Equal(expected, Visible("seed"));
        Assert.Equal(Visible("std"), Visible("seed"));
        Assert.Equal(new object[] { true }, Ok("Test-JailDevice seed -Required null, zero, random, urandom -Forbidden mem, kmem -Quiet").Output.Select(o => o.BaseObject));
    }
}
