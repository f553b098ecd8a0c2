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
}
