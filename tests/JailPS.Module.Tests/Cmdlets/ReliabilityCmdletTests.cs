using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>
/// The reliability review (issue "Reliability") end to end: refused mount options, refused input,
/// error messages in host terms, and failed stops that say what is left. One fresh simulated host per test.
/// </summary>
public sealed class ReliabilityCmdletTests : IDisposable
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

    /// <summary>What the user sees of an error: ErrorDetails when set, else the exception's message.</summary>
    private static string Shown(ErrorRecord e) => e.ErrorDetails?.Message ?? e.Exception.Message;

    private string[] KernelMounts()
        => Ok($"{Sim}.Simulation.Kernel.Mounts | ForEach-Object {{ $_.FsType + ' ' + $_.MountedOn + ' ' + $_.MountedFrom }}")
            .Output.Select(o => o.ToString()).ToArray();

    private long Calls(string syscall) => Convert.ToInt64(Ok($"{Sim}.Simulation.Kernel.CallCounts['{syscall}']").Output.Single().BaseObject);

    private void NewWeb(params string[] dirs)
    {
        Ok($"New-Jail -Name web -Path {JailRoot} -Persist");
        foreach (string d in dirs) Directory.CreateDirectory(Local(JailRoot + "/" + d));
    }

    // ---- A: mount options that name where or what is mounted ---------------------------------

    [Theory]
    [InlineData("tmpfs", "", "fspath=/etc", "-Target")]
    [InlineData("nullfs", "-Source /usr/jails/base", "target=/etc", "-Source")]
    [InlineData("nullfs", "-Source /usr/jails/base", "from=/etc", "-Source")]
    [InlineData("tmpfs", "", "size=1m,fstype=nullfs", "-Type")]
    [InlineData("tmpfs", "", "update", "Remove")]
    public void Mount_JailFileSystem_refuses_location_options_before_any_syscall(string type, string source, string option, string advice)
    {
        Directory.CreateDirectory(Local("/usr/jails/base"));
        NewWeb("mnt");
        Ok("Start-Jail web");
        var before = KernelMounts();
        long nmounts = Calls("nmount");

        var e = OneError(_s.Run($"Mount-JailFileSystem web -Type {type} {source} -Target /mnt -Option '{option}' -PassThru"),
            "JailMountOptionNotAllowed,JailPS.Commands.MountJailFileSystemCommand");

        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.Contains("not allowed", e.Exception.Message);
        Assert.Contains(advice, e.ErrorDetails!.RecommendedAction);
        Assert.Equal(nmounts, Calls("nmount"));
        Assert.Equal(before, KernelMounts());
        Assert.Empty(Ok("Get-JailMount web").Output);
        Assert.False(File.Exists(Local("/var/run/jailps/mounts/web.json")), "nothing was recorded in the ledger");
    }

    [Fact]
    public void A_jail_conf_mount_line_with_fspath_is_refused_by_Start_Jail_and_nothing_is_mounted()
    {
        Directory.CreateDirectory(Local("/etc/jail.conf.d"));
        Directory.CreateDirectory(Local(JailRoot + "/tmp"));
        File.WriteAllText(Local("/etc/jail.conf.d/web.conf"),
            "web {\n\tpath = \"/usr/jails/web\";\n\tpersist;\n\tmount = \"tmpfs /usr/jails/web/tmp tmpfs rw,fspath=/etc 0 0\";\n}\n");
        var before = KernelMounts();

        var e = OneError(_s.Run("Start-Jail web"), "JailMountOptionNotAllowed,JailPS.Commands.StartJailCommand");
        Assert.Contains("fspath=/etc", e.Exception.Message);
        Assert.Equal(before, KernelMounts());
        Assert.Equal("Stopped", Ok("(Get-Jail web).State").Output.Single().ToString());
    }

    // ---- B: input that must be refused, as typed errors ---------------------------------------

    [Theory]
    [InlineData("-IPv4Address '10.0.0.1 ; rm -rf /'", "ip4.addr", "10.0.0.1 ; rm -rf /")]
    [InlineData("-IPv4Address '10.0.0.1/33'", "ip4.addr", "10.0.0.1/33")]
    [InlineData("-IPv4Address '10.0.0.2', '10.0.0.1/255.255.0'", "ip4.addr", "10.0.0.1/255.255.0")]
    [InlineData("-IPv6Address '2001:db8::1/129'", "ip6.addr", "2001:db8::1/129")]
    [InlineData("-Parameter @{ 'ip4.addr' = '10.0.0.1 x' }", "ip4.addr", "10.0.0.1 x")]
    public void New_Jail_refuses_an_address_jail8_would_not_take_and_names_it(string args, string parameter, string value)
    {
        var e = OneError(_s.Run($"New-Jail web {JailRoot} {args}"), "JailParameterInvalidValue,JailPS.Commands.NewJailCommand");
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.Contains(parameter, e.Exception.Message);
        Assert.Contains($"\"{value}\"", e.Exception.Message);
        Assert.False(File.Exists(Local("/etc/jail.conf.d/web.conf")), "nothing was written");
    }

    [Fact]
    public void New_Jail_keeps_addresses_with_prefixes_and_netmasks_as_written()
    {
        Ok($"New-Jail web {JailRoot} -IPv4Address '10.0.0.1/24', '10.0.0.2/255.255.255.0' -IPv6Address '2001:db8::1/64'");
        string conf = File.ReadAllText(Local("/etc/jail.conf.d/web.conf"));
        Assert.Contains("10.0.0.1/24", conf);
        Assert.Contains("10.0.0.2/255.255.255.0", conf);
        Assert.Contains("2001:db8::1/64", conf);
    }

    [Theory]
    [InlineData("@{ 'exec.start' = @{ a = 1 } }", "exec.start")]
    [InlineData("@{ 'exec.start' = [ordered]@{ a = 1 } }", "exec.start")]
    [InlineData("@{ 'exec.start' = @('/bin/sh /etc/rc', @{ a = 1 }) }", "exec.start")]
    [InlineData("@{ 'exec.start' = @('/bin/true', @('x', 'y')) }", "exec.start")]
    [InlineData("@{ 'host.hostname' = @{ a = 1 } }", "host.hostname")]
    [InlineData("@{ 'ip4.addr' = @{ a = 1 } }", "ip4.addr")]
    [InlineData("@{ 'exec.start' = [pscustomobject]@{ a = 1 } }", "exec.start")]
    public void New_Jail_refuses_a_parameter_value_that_is_not_a_scalar_or_a_list_of_scalars(string table, string parameter)
    {
        var e = OneError(_s.Run($"New-Jail web {JailRoot} -Parameter {table}"), "JailParameterInvalidValue,JailPS.Commands.NewJailCommand");
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.Contains(parameter, e.Exception.Message);
        Assert.False(File.Exists(Local("/etc/jail.conf.d/web.conf")), "nothing was written");
    }

    [Fact]
    public void Set_Jail_refuses_a_hashtable_value_too_and_lists_of_scalars_still_work()
    {
        NewWeb();
        var e = OneError(_s.Run("Set-Jail web -Parameter @{ 'exec.start' = @{ a = 1 } } -Persist"), "JailParameterInvalidValue,JailPS.Commands.SetJailCommand");
        Assert.Contains("exec.start", e.Exception.Message);
        Assert.DoesNotContain("[a, 1]", File.ReadAllText(Local("/etc/jail.conf.d/web.conf")));

        Ok("Set-Jail web -Parameter @{ 'exec.start' = @('/bin/sh /etc/rc', '/bin/echo up'); 'securelevel' = 2 } -Persist");
        string conf = File.ReadAllText(Local("/etc/jail.conf.d/web.conf"));
        Assert.Contains("/bin/echo up", conf);
        Assert.Contains("securelevel = 2;", conf);
    }

    [Theory]
    [InlineData("Get-Jail -Name 'web['", "JailPS.Commands.GetJailCommand")]
    [InlineData("Start-Jail -Name 'web['", "JailPS.Commands.StartJailCommand")]
    [InlineData("Stop-Jail -Name 'web['", "JailPS.Commands.StopJailCommand")]
    [InlineData("Get-JailMount -Name 'web['", "JailPS.Commands.GetJailMountCommand")]
    [InlineData("Wait-Jail -Name 'web[' -Timeout 1", "JailPS.Commands.WaitJailCommand")]
    [InlineData("Invoke-JailCommand -Name 'web[' -Command /bin/true", "JailPS.Commands.InvokeJailCommandCommand")]
    [InlineData("Get-DevfsRuleset -Name 'devfsrules['", "JailPS.Commands.GetDevfsRulesetCommand")]
    [InlineData("Import-JailConfig /etc/jail.conf.d/web.conf -Name 'web['", "JailPS.Commands.ImportJailConfigCommand")]
    public void An_invalid_name_wildcard_is_a_typed_error_with_target_and_advice(string command, string cmdlet)
    {
        NewWeb();
        var e = OneError(_s.Run(command), "JailNameWildcardInvalid," + cmdlet);
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.EndsWith("[", Assert.IsType<string>(e.TargetObject));
        Assert.Contains("backtick", e.ErrorDetails!.RecommendedAction);
    }

    [Fact]
    public void An_invalid_wildcard_does_not_stop_the_other_names()
    {
        NewWeb();
        var r = _s.Run("Get-Jail -Name 'web[', 'we*'");
        OneError(r, "JailNameWildcardInvalid,JailPS.Commands.GetJailCommand");
        Assert.Equal("web", Assert.Single(r.Output).Properties["Name"].Value);
    }

    [Theory]
    [InlineData("New-Jail x -Path \"/usr/jails/a`0b\"", "JailPS.Commands.NewJailCommand")]
    [InlineData("New-Jail x -Path /usr/jails/x -ConfigFile \"/etc/jail.conf.d/x`0.conf\"", "JailPS.Commands.NewJailCommand")]
    [InlineData("Mount-JailFileSystem web -Type tmpfs -Target \"/tmp`0x\"", "JailPS.Commands.MountJailFileSystemCommand")]
    [InlineData("Mount-JailFileSystem web -Type nullfs -Source \"/usr/jails/base`0\" -Target /tmp", "JailPS.Commands.MountJailFileSystemCommand")]
    [InlineData("Dismount-JailFileSystem web -Target \"/tmp`0x\"", "JailPS.Commands.DismountJailFileSystemCommand")]
    [InlineData("Import-JailConfig \"/etc/jail`0.conf\"", "JailPS.Commands.ImportJailConfigCommand")]
    [InlineData("Export-JailConfig web -Path \"/tmp/a`0b.conf\"", "JailPS.Commands.ExportJailConfigCommand")]
    [InlineData("Import-DevfsRules \"/etc/devfs`0.rules\"", "JailPS.Commands.ImportDevfsRulesCommand")]
    [InlineData("Set-DevfsRuleset -Number 4 -MountPoint \"/usr/jails/web/dev`0\"", "JailPS.Commands.SetDevfsRulesetCommand")]
    [InlineData("Get-JailSimulatedCommand -Path \"/tmp/a`0b\"", "JailPS.Commands.GetJailSimulatedCommandCommand")]
    [InlineData("New-JailSimulatedHost -Path \"/tmp/a`0b\" -NoSelect", "JailPS.Commands.NewJailSimulatedHostCommand")]
    [InlineData("Remove-JailSimulatedHost -Path \"/tmp/a`0b\"", "JailPS.Commands.RemoveJailSimulatedHostCommand")]
    public void A_NUL_in_a_path_is_a_typed_error_with_target_and_advice(string command, string cmdlet)
    {
        NewWeb("tmp");
        var e = OneError(_s.Run(command), "JailPathInvalid," + cmdlet);
        Assert.Equal(ErrorCategory.InvalidArgument, e.CategoryInfo.Category);
        Assert.Contains("\0", e.TargetObject!.ToString());
        Assert.Contains("NUL", e.Exception.Message);
        Assert.Contains("\\0", e.Exception.Message);
        Assert.NotNull(e.ErrorDetails?.RecommendedAction);
        Assert.False(File.Exists(Local("/etc/jail.conf.d/x.conf")), "nothing was written");
    }

    [Fact]
    public void A_NUL_in_a_name_never_reaches_the_kernel_cut_short()
    {
        NewWeb();
        Ok("Start-Jail web");
        // The kernel reads names as C strings: "web`0x" would have been looked up, and stopped, as "web".
        OneError(_s.Run("Get-Jail -Name \"web`0x\""), "JailNotFound,JailPS.Commands.GetJailCommand");
        OneError(_s.Run("Stop-Jail -Name \"web`0x\""), "JailNotFound,JailPS.Commands.StopJailCommand");
        Assert.Equal("Running", Ok("(Get-Jail web).State").Output.Single().ToString());
    }

    [Theory]
    [InlineData("\"fspath`0x=/etc\"")]
    [InlineData("\"size=1m`0fspath=/etc\"")]
    public void A_NUL_in_a_mount_option_is_refused(string option)
    {
        NewWeb("tmp");
        long nmounts = Calls("nmount");
        OneError(_s.Run($"Mount-JailFileSystem web -Type tmpfs -Target /tmp -Option {option}"), "JailMountOptionNotAllowed,JailPS.Commands.MountJailFileSystemCommand");
        Assert.Equal(nmounts, Calls("nmount"));
    }

    [Fact]
    public void A_NUL_in_a_string_parameter_is_refused()
    {
        var e = OneError(_s.Run($"New-Jail web {JailRoot} -Hostname \"web`0.evil\""), "JailParameterInvalidValue,JailPS.Commands.NewJailCommand");
        Assert.Contains("host.hostname", e.Exception.Message);
        Assert.Contains("NUL", e.Exception.Message);
    }

    // ---- C: errors in host terms, advice that is true for the caller ---------------------------

    [Fact]
    public void An_IO_error_names_the_host_path_not_the_simulated_directory()
    {
        Directory.CreateDirectory(Local("/usr/jails"));
        File.WriteAllText(Local(JailRoot), "a file where the root directory should be");

        var e = OneError(_s.Run($"New-Jail web {JailRoot}"), "JailIOError,JailPS.Commands.NewJailCommand");
        Assert.Contains(JailRoot, Shown(e));
        Assert.DoesNotContain(Root, Shown(e));
        Assert.DoesNotContain(Root, e.ToString());
    }

    [Fact]
    public void A_lock_directory_that_is_a_file_is_reported_with_its_host_path()
    {
        NewWeb();
        Directory.CreateDirectory(Local("/var/run"));
        if (Directory.Exists(Local("/var/run/jailps"))) Directory.Delete(Local("/var/run/jailps"), recursive: true);
        File.WriteAllText(Local("/var/run/jailps"), "not a directory");

        var e = OneError(_s.Run("Start-Jail web"), "JailIOError,JailPS.Commands.StartJailCommand");
        Assert.Contains("/var/run/jailps", Shown(e));
        Assert.DoesNotContain(Root, Shown(e));
    }

    [Fact]
    public void A_symlinked_mount_point_is_refused_in_host_terms()
    {
        Directory.CreateDirectory(Local("/usr/jails/base"));
        NewWeb();
        File.CreateSymbolicLink(Local(JailRoot + "/basejail"), "/etc");
        var e = OneError(_s.Run("Mount-JailFileSystem web -Type nullfs -Source /usr/jails/base -Target /basejail"),
            "JailPathEscape,JailPS.Commands.MountJailFileSystemCommand");
        Assert.Contains($"beneath '{JailRoot}'", Shown(e));
        Assert.DoesNotContain(Root, Shown(e));
        Assert.DoesNotContain(Root, e.Exception.Message);
    }

    /// <summary>
    /// exec.consolelog naming a directory: opening it for exec.start (only in-jail commands write
    /// there, as with jail(8)) is refused with EISDIR, which .NET reports as access denied, even to root.
    /// </summary>
    private void DefineWebWithConsoleLogDirectory()
    {
        Directory.CreateDirectory(Local("/etc/jail.conf.d"));
        Directory.CreateDirectory(Local(JailRoot));
        Directory.CreateDirectory(Local("/var/log/web.log"));
        File.WriteAllText(Local("/etc/jail.conf.d/web.conf"),
            "web {\n\tpath = \"/usr/jails/web\";\n\tpersist;\n\texec.consolelog = \"/var/log/web.log\";\n\texec.start = \"/bin/sh /etc/rc\";\n\texec.stop = \"/bin/sh /etc/rc.shutdown jail\";\n}\n");
    }

    [Fact]
    public void Root_is_not_told_to_run_as_root()
    {
        DefineWebWithConsoleLogDirectory();
        Assert.Equal(0u, Convert.ToUInt32(Ok($"{Sim}.Simulation.Kernel.CallerUid").Output.Single().BaseObject));

        var e = OneError(_s.Run("Start-Jail web"), "JailPermissionDenied,JailPS.Commands.StartJailCommand");
        Assert.Equal(ErrorCategory.PermissionDenied, e.CategoryInfo.Category);
        string advice = e.ErrorDetails!.RecommendedAction;
        Assert.DoesNotContain("Run as root", advice);
        Assert.Contains("You are root", advice);
        Assert.Contains("ls -lo", advice);
        Assert.Contains("/var/log/web.log", Shown(e));
        Assert.DoesNotContain(Root, Shown(e));
    }

    [Fact]
    public void A_user_who_is_not_root_is_told_to_run_as_root()
    {
        // A user who is not root cannot get as far as exec.start (jail_set refuses first), so the
        // log is opened by exec.stop of a jail root started: it became a directory meanwhile.
        DefineWebWithConsoleLogDirectory();
        Directory.Delete(Local("/var/log/web.log"));
        Ok("Start-Jail web");
        File.Delete(Local("/var/log/web.log"));
        Directory.CreateDirectory(Local("/var/log/web.log"));
        Ok($"{Sim}.Simulation.Kernel.CallerUid = 1001");

        var e = OneError(_s.Run("Stop-Jail web"), "JailPermissionDenied,JailPS.Commands.StopJailCommand");
        Assert.StartsWith("Run as root.", e.ErrorDetails!.RecommendedAction);
        Assert.DoesNotContain("You are root", e.ErrorDetails!.RecommendedAction);
    }

    [Fact]
    public void A_kernel_EPERM_advises_by_who_the_caller_is()
    {
        NewWeb();
        Ok($"{Sim}.Simulation.Kernel.CallerUid = 1001");
        var user = OneError(_s.Run("Start-Jail web"), "JailPermissionDenied,JailPS.Commands.StartJailCommand");
        Assert.StartsWith("Run as root", user.ErrorDetails!.RecommendedAction);

        Ok($"{Sim}.Simulation.Kernel.CallerUid = 0; {Sim}.Simulation.Kernel.InjectFault('jail_set', 1, 1)");
        var root = OneError(_s.Run("Start-Jail web"), "JailPermissionDenied,JailPS.Commands.StartJailCommand");
        Assert.Contains("You are root", root.ErrorDetails!.RecommendedAction);
    }

    [Fact]
    public void Start_Jail_reports_the_mounts_a_jail_that_vanished_at_once_left_and_Stop_Jail_takes_them_down()
    {
        Directory.CreateDirectory(Local("/etc/jail.conf.d"));
        Directory.CreateDirectory(Local(JailRoot + "/tmp"));
        File.WriteAllText(Local("/etc/jail.conf.d/web.conf"),
            "web {\n\tpath = \"/usr/jails/web\";\n\tmount = \"tmpfs /usr/jails/web/tmp tmpfs rw 0 0\";\n\texec.start = \"/bin/true\";\n}\n");

        Ok("Get-Jail | Out-Null; Set-JailSimulatedResponse @{ Purpose = 'exec.start'; LeaveRunning = 0 }"); // exec.start exits and leaves nothing running
        var r = Ok("Start-Jail web");
        var left = Assert.Single(r.Output);
        Assert.Equal("JailPS.JailMount", left.TypeNames[0]);
        Assert.Equal("/usr/jails/web/tmp", left.Properties["MountPoint"].Value);
        var w = Assert.Single(r.Warnings);
        Assert.Contains("tmpfs on /usr/jails/web/tmp", w.Message);
        Assert.Equal("Stopped", Ok("(Get-Jail web).State").Output.Single().ToString());
        Assert.Contains(KernelMounts(), m => m.StartsWith("tmpfs /usr/jails/web/tmp"));

        Ok("Stop-Jail web");
        Assert.DoesNotContain(KernelMounts(), m => m.Contains("/usr/jails/web/"));
    }

    // ---- a broken definition file concerns only the jails it defines --------------------------

    [Fact]
    public void A_broken_definition_file_warns_Get_Jail_and_errors_only_for_its_jail()
    {
        NewWeb();
        File.WriteAllText(Local("/etc/jail.conf.d/db.conf"), "db {\n\tpath = /usr/jails/db\n}\n");

        var list = Ok("Get-Jail | Select-Object Name, State, IsDefined, DefinitionError");
        Assert.Equal(new[] { "db", "web" }, list.Output.Select(o => o.Properties["Name"].Value.ToString()));
        Assert.NotNull(list.Output[0].Properties["DefinitionError"].Value);
        Assert.Contains("other jails are not affected", Assert.Single(list.Warnings).Message);

        Ok("Start-Jail web; Set-Jail web -Parameter @{ 'host.hostname' = 'w' } -Persist");
        var e = OneError(_s.Run("Start-Jail db"), "JailConfMissingSemicolon,JailPS.Commands.StartJailCommand");
        Assert.Equal(ErrorCategory.ParserError, e.CategoryInfo.Category);
        Assert.Contains("/etc/jail.conf.d/db.conf", Shown(e));
    }

    // ---- D: a failed stop says what is left and how to finish ----------------------------------

    private void DefineWebWithMountsAndPoststop()
    {
        Directory.CreateDirectory(Local("/etc/jail.conf.d"));
        foreach (string d in new[] { "dev", "proc", "tmp" }) Directory.CreateDirectory(Local(JailRoot + "/" + d));
        File.WriteAllText(Local("/etc/jail.conf.d/web.conf"),
            "web {\n\tpath = \"/usr/jails/web\";\n\tpersist;\n\tmount = \"tmpfs /usr/jails/web/tmp tmpfs rw 0 0\";\n\tmount.devfs;\n\tdevfs_ruleset = 0;\n"
            + "\tmount.fdescfs;\n\tmount.procfs;\n\texec.poststop = \"/usr/local/bin/poststop\";\n}\n");
    }

    [Theory]
    [InlineData("")]
    [InlineData("-Force")]
    public void A_failing_exec_poststop_says_the_jail_is_gone_lists_every_mount_left_and_a_second_Stop_Jail_finishes(string force)
    {
        DefineWebWithMountsAndPoststop();
        Ok("Start-Jail web");
        Ok("Set-JailSimulatedResponse @{ Purpose = 'exec.poststop'; ExitCode = 3; StandardError = 'cannot reach the backup host' }");

        var e = OneError(_s.Run($"Stop-Jail web {force}"), "JailCommandFailed,JailPS.Commands.StopJailCommand");
        string shown = Shown(e);
        Assert.DoesNotContain("Nothing had to be rolled back", shown);
        Assert.Contains("failed at exec.poststop", shown);
        Assert.Contains("cannot reach the backup host", shown);
        Assert.Contains("The jail is removed from the kernel", shown);
        foreach (string m in new[] { "tmpfs on /usr/jails/web/tmp", "devfs on /usr/jails/web/dev", "fdescfs on /usr/jails/web/dev/fd", "procfs on /usr/jails/web/proc" })
            Assert.Contains(m, shown);
        Assert.Contains("Run Stop-Jail web again to finish the unmounts", e.ErrorDetails!.RecommendedAction);
        Assert.DoesNotContain(Root, shown);

        Ok("Set-JailSimulatedResponse @()");
        Ok("Stop-Jail web");
        Assert.DoesNotContain(KernelMounts(), m => m.Contains("/usr/jails/web/"));
        Assert.Equal("Stopped", Ok("(Get-Jail web).State").Output.Single().ToString());
    }

    [Fact]
    public void An_EIO_unmount_is_named_and_the_second_Stop_Jail_finishes()
    {
        DefineWebWithMountsAndPoststop();
        Ok("Start-Jail web");
        Ok($"{Sim}.Simulation.Kernel.InjectFault('unmount', 1, 5)"); // EIO on procfs, unmounted first

        var e = OneError(_s.Run("Stop-Jail web"), "JailUnmountFailed,JailPS.Commands.StopJailCommand");
        string shown = Shown(e);
        Assert.Contains("Input/output error (EIO)", shown);
        Assert.DoesNotContain("in use", shown);
        Assert.Contains("still mounted: procfs on /usr/jails/web/proc", shown);
        Assert.Contains("Stop-Jail web again", e.ErrorDetails!.RecommendedAction);

        Ok("Stop-Jail web");
        Assert.DoesNotContain(KernelMounts(), m => m.Contains("/usr/jails/web/"));
    }

    [Fact]
    public void A_stop_that_fails_before_jail_remove_says_the_jail_still_runs()
    {
        DefineWebWithMountsAndPoststop();
        Ok("Start-Jail web");
        Ok($"{Sim}.Simulation.Kernel.InjectFault('jail_remove', 1, 1)"); // EPERM

        var e = OneError(_s.Run("Stop-Jail web -Timeout 0"), "JailPermissionDenied,JailPS.Commands.StopJailCommand");
        Assert.Contains("failed at jail_remove", Shown(e));
        Assert.Contains("The jail is still running", Shown(e));
        Assert.Contains("fdescfs on /usr/jails/web/dev/fd", Shown(e));
        Assert.Equal("Running", Ok("(Get-Jail web).State").Output.Single().ToString());

        Ok("Stop-Jail web -Timeout 0");
        Assert.DoesNotContain(KernelMounts(), m => m.Contains("/usr/jails/web/"));
    }
}
