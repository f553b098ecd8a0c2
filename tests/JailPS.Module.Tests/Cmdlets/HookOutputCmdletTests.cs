using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>
/// exec.* hook output as a user of Start-, Stop- and Restart-Jail sees it: Information records
/// tagged with the jail, the hook and the stream (never the output stream, which -PassThru owns),
/// exec.consolelog for in-jail commands, and the JID/JNAME/JPATH environment recorded by the
/// simulated host. One fresh simulated host per test.
/// </summary>
public sealed class HookOutputCmdletTests : IDisposable
{
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

    private void Define(string name, string body)
    {
        Directory.CreateDirectory(Local("/etc/jail.conf.d"));
        Directory.CreateDirectory(Local("/usr/jails/" + name));
        File.WriteAllText(Local($"/etc/jail.conf.d/{name}.conf"), $"{name} {{\n\tpath = \"/usr/jails/{name}\";\n\tpersist;\n{body}\n}}\n");
    }

    /// <summary>web prints START in exec.prestart (stdout) and a note on stderr, and runs env in exec.poststart.</summary>
    private void DefineWeb()
    {
        Define("web", "\texec.prestart = \"echo START\";\n\texec.poststart = \"env\";\n\texec.prestop = \"echo STOP\";");
        Ok("Get-Jail | Out-Null; Set-JailSimulatedResponse @("
            + "@{ Command = 'echo START'; StandardOutput = \"START`n\"; StandardError = \"note: slow disk`n\" },"
            + "@{ Command = 'env'; EchoEnvironment = $true },"
            + "@{ Command = 'echo STOP'; StandardOutput = \"STOP`n\" })");
    }

    private static string[] Tags(InformationRecord r) => r.Tags.ToArray();

    private static string Line(InformationRecord r) => (string)PSObject.AsPSObject(r.MessageData).Properties["Line"].Value;

    [Fact]
    public void Start_Jail_writes_hook_lines_as_information_tagged_with_jail_hook_and_stream()
    {
        DefineWeb();
        var r = Ok("Start-Jail web");
        Assert.Empty(r.Output);
        int jid = (int)Ok("(Get-Jail web).Jid").Output.Single().BaseObject;

        var start = r.Information.First();
        Assert.Equal(new[] { "web", "exec.prestart", "stdout" }, Tags(start));
        Assert.Equal("exec.prestart:web", start.Source);
        Assert.Equal("START", start.ToString());
        var data = PSObject.AsPSObject(start.MessageData);
        Assert.Equal("JailPS.JailHookOutput", data.TypeNames[0]);
        Assert.Equal("web", data.Properties["JailName"].Value);
        Assert.Equal("stdout", data.Properties["Stream"].Value);
        Assert.Null(data.Properties["Jid"].Value);   // exec.prestart runs before jail_set(2)

        var err = Assert.Single(r.Information, i => Tags(i).Contains("stderr"));
        Assert.Equal(new[] { "web", "exec.prestart", "stderr" }, Tags(err));
        Assert.Equal("note: slow disk", Line(err));

        // exec.poststart = "env", as jail(8)'s own "commands" test: JID, JNAME and JPATH are set.
        var env = r.Information.Where(i => Tags(i).Contains("exec.poststart")).Select(Line).ToArray();
        Assert.Equal(new[] { $"JID={jid}", "JNAME=web", "JPATH=/usr/jails/web" }, env);
        // Not shown by default: a cmdlet's information waits for -InformationAction Continue.
        Assert.DoesNotContain("START", r.HostText);
    }

    [Fact]
    public void PassThru_still_writes_only_the_jail_and_the_lines_can_be_captured_or_shown()
    {
        DefineWeb();
        var r = Ok("$j = Start-Jail web -PassThru -InformationVariable hooks; $j; '--'; $hooks.Count; '--'; $hooks.MessageData.Line");
        Assert.Equal("JailPS.Jail", r.Output[0].TypeNames[0]);
        Assert.Equal("--", r.Output[1].BaseObject);
        Assert.Equal(5, Convert.ToInt32(r.Output[2].BaseObject));
        Assert.Equal(new[] { "START", "note: slow disk" }, r.Output.Skip(4).Take(2).Select(o => o.BaseObject));

        Ok("Stop-Jail web");
        var shown = Ok("Start-Jail web -InformationAction Continue");
        Assert.Contains("START", shown.HostText);
        Assert.Contains("JNAME=web", shown.HostText);

        Ok("Stop-Jail web");
        var merged = Ok("Start-Jail web -PassThru 6>&1");
        Assert.Equal("JailPS.Jail", merged.Output.Last().TypeNames[0]);
        Assert.All(merged.Output.SkipLast(1), o => Assert.IsType<InformationRecord>(o.BaseObject));
    }

    [Fact]
    public void Lines_of_several_jails_started_in_one_command_stay_attributable()
    {
        Define("db", "\texec.poststart = \"env\";");
        Define("web", "\tdepend = db;\n\texec.poststart = \"env\";");
        Ok("Get-Jail | Out-Null; Set-JailSimulatedResponse @{ Command = 'env'; EchoEnvironment = $true }");
        var r = Ok("Start-Jail web");   // db is started first, as web's dependency
        foreach (string jail in new[] { "db", "web" })
        {
            var mine = r.Information.Where(i => Tags(i)[0] == jail).ToArray();
            Assert.Contains($"JNAME={jail}", mine.Select(Line));
            Assert.Contains($"JPATH=/usr/jails/{jail}", mine.Select(Line));
            Assert.All(mine, i => Assert.Equal(jail, PSObject.AsPSObject(i.MessageData).Properties["JailName"].Value));
        }
        Assert.Equal(new[] { "db", "web" }, r.Information.Select(i => Tags(i)[0]).Distinct());
    }

    [Fact]
    public void Stop_and_Restart_write_their_hooks_lines_with_the_jid_of_the_jail_they_stop()
    {
        DefineWeb();
        Ok("Start-Jail web");
        int jid = (int)Ok("(Get-Jail web).Jid").Output.Single().BaseObject;
        var stop = Ok("Stop-Jail web");
        var line = Assert.Single(stop.Information);
        Assert.Equal(new[] { "web", "exec.prestop", "stdout" }, Tags(line));
        Assert.Equal(jid, PSObject.AsPSObject(line.MessageData).Properties["Jid"].Value);

        Ok("Start-Jail web");
        var restart = Ok("Restart-Jail web -PassThru");
        Assert.Equal("JailPS.Jail", Assert.Single(restart.Output).TypeNames[0]);
        Assert.Equal(new[] { "exec.prestop", "exec.prestart", "exec.prestart", "exec.poststart", "exec.poststart", "exec.poststart" },
            restart.Information.Select(i => Tags(i)[1]));
    }

    [Fact]
    public void In_jail_output_goes_to_exec_consolelog_when_set_and_host_output_does_not()
    {
        Directory.CreateDirectory(Local("/var/log"));
        Define("web", "\texec.consolelog = \"/var/log/jail_web.log\";\n\texec.start = \"/bin/sh /etc/rc\";\n\texec.poststart = \"echo up\";");
        Ok("Get-Jail | Out-Null; Set-JailSimulatedResponse @("
            + "@{ Purpose = 'exec.start'; StandardOutput = \"Starting sshd.`n\" },"
            + "@{ Purpose = 'exec.poststart'; StandardOutput = \"up`n\" })");
        var r = Ok("Start-Jail web -Verbose");
        Assert.Equal("Starting sshd.\n", File.ReadAllText(Local("/var/log/jail_web.log")));
        Assert.Equal(new[] { "up" }, r.Information.Select(Line));
        Assert.Contains(r.Verbose, v => v.Message.Contains("exec.start: 1 line of output written to exec.consolelog /var/log/jail_web.log"));
    }

    [Fact]
    public void Get_JailSimulatedCommand_shows_the_environment_and_the_output_of_each_hook()
    {
        DefineWeb();
        Ok("Start-Jail web");
        int jid = (int)Ok("(Get-Jail web).Jid").Output.Single().BaseObject;
        var r = Ok("$c = Get-JailSimulatedCommand web -Purpose exec.poststart; $c.Environment.JID; $c.Environment.JNAME; $c.Environment.JPATH; $c.CleanEnvironment; $c.StandardOutput");
        Assert.Equal(new object[] { jid.ToString(), "web", "/usr/jails/web", false, $"JID={jid}\nJNAME=web\nJPATH=/usr/jails/web\n" },
            r.Output.Select(o => o.BaseObject));
        var pre = Ok("$c = Get-JailSimulatedCommand web -Purpose exec.prestart; $c.Environment.ContainsKey('JID'); $c.StandardError");
        Assert.Equal(new object[] { false, "note: slow disk\n" }, pre.Output.Select(o => o.BaseObject));
    }
}
