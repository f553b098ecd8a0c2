using System.Collections;
using System.Diagnostics;
using System.IO;
using System.Text;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Reliability;

/// <summary>
/// Issue 9 #1 and #10: the one host file writer. Edits are made under the file's lock on the file as
/// it is then, so nobody's edit is lost; rewrites keep every byte nobody changed, the owner, the
/// mode with setuid, hard links; a writer killed mid-write leaves no temporary file for good.
/// </summary>
public sealed class HostFileWriterTests : IDisposable
{
    private const string Conf = "/etc/jail.conf";
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private string Local(string hostPath) => _f.Host.Files.ToLocalPath(hostPath);

    private void WriteBytes(string hostPath, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Local(hostPath))!);
        File.WriteAllBytes(Local(hostPath), bytes);
        _f.Service.Invalidate();
    }

    private void DefineTwo(string comment = "# farm jails\n")
    {
        foreach (var n in new[] { "web", "db" }) _f.Host.Files.CreateDirectory("/usr/jails/" + n);
        WriteBytes(Conf, Encoding.UTF8.GetBytes(comment + "web {\n\tpath = \"/usr/jails/web\";\n}\ndb {\n\tpath = \"/usr/jails/db\";\n}\n"));
    }

    private JailPlan Persist(string jail, string name, string value)
    {
        var j = _f.Service.Get(jail)!;
        return _f.Service.PlanUpdate(j, new Hashtable { [name] = value }, writeDefinition: true);
    }

    [Fact]
    public void An_edit_planned_before_another_is_made_on_the_file_as_it_is_when_it_runs()
    {
        DefineTwo();
        var web = Persist("web", "host.hostname", "www.example.org");   // planned first, runs last
        PlanRunner.Execute(Persist("db", "host.hostname", "db.example.org"), _f);
        File.AppendAllText(Local(Conf), "# a hand edit made meanwhile\n");
        PlanRunner.Execute(web, _f);

        string text = File.ReadAllText(Local(Conf));
        Assert.Contains("www.example.org", text, StringComparison.Ordinal);
        Assert.Contains("db.example.org", text, StringComparison.Ordinal);
        Assert.Contains("# a hand edit made meanwhile", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Undo_never_overwrites_an_edit_someone_made_after_ours()
    {
        DefineTwo();
        string? written = null;
        var plan = Persist("web", "host.hostname", "www.example.org");
        plan.Add("fails", "a later step that fails", () =>
        {
            written = File.ReadAllText(Local(Conf));
            File.AppendAllText(Local(Conf), "# edited while the plan ran\n");
            throw new IOException("disk on fire");
        });
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(plan, _f));
        Assert.Contains("ROLLBACK INCOMPLETE", ex.Message, StringComparison.Ordinal);
        Assert.Contains("was changed by someone else", ex.Message, StringComparison.Ordinal);
        Assert.Equal(written + "# edited while the plan ran\n", File.ReadAllText(Local(Conf)));
    }

    [Fact]
    public void A_latin1_comment_and_a_bom_come_back_byte_for_byte()
    {
        foreach (var n in new[] { "web", "db" }) _f.Host.Files.CreateDirectory("/usr/jails/" + n);
        byte[] latin1 = Encoding.Latin1.GetBytes("# Jails de l'\u00e9quipe r\u00e9seau\nweb {\n\tpath = \"/usr/jails/web\";\n}\n");
        WriteBytes(Conf, latin1);
        PlanRunner.Execute(Persist("web", "securelevel", "3"), _f);
        byte[] after = File.ReadAllBytes(Local(Conf));
        Assert.Equal(latin1.Take(30).ToArray(), after.Take(30).ToArray());
        Assert.DoesNotContain("\ufffd", Encoding.Latin1.GetString(after), StringComparison.Ordinal);
        Assert.Contains("securelevel = 3;", Encoding.Latin1.GetString(after), StringComparison.Ordinal);

        byte[] bom = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("# caf\u00e9\nweb {\n\tpath = \"/usr/jails/web\";\n}\n")).ToArray();
        WriteBytes(Conf, bom);
        PlanRunner.Execute(Persist("web", "securelevel", "2"), _f);
        after = File.ReadAllBytes(Local(Conf));
        Assert.Equal(bom.Take(12).ToArray(), after.Take(12).ToArray());
    }

    [Fact]
    public void A_latin1_file_refuses_a_character_it_cannot_hold_and_is_left_as_it_was()
    {
        _f.Host.Files.CreateDirectory("/usr/jails/web");
        byte[] latin1 = Encoding.Latin1.GetBytes("# \u00e9\nweb {\n\tpath = \"/usr/jails/web\";\n}\n");
        WriteBytes(Conf, latin1);
        var ex = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(Persist("web", "host.hostname", "\u65e5\u672c"), _f));
        Assert.Equal("JailConfigEncoding", Assert.IsType<JailOperationException>(ex.InnerException).ErrorId);
        Assert.Equal(latin1, File.ReadAllBytes(Local(Conf)));
    }

    [SkippableFact]
    public void Owner_mode_with_setuid_and_hard_links_survive_a_rewrite()
    {
        DefineTwo();
        string local = Local(Conf);
        var ownership = HostFileCalls.ForCurrentOs();
        using (var h = File.OpenHandle(local, FileMode.Open, FileAccess.ReadWrite))
            Skip.IfNot(ownership.TryChown(h, 1234, 5678), "changing a file's owner needs root");
        File.SetUnixFileMode(local, UnixFileMode.SetUser | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        string link = Path.Combine(_f.Root, "jail.conf.hardlink");
        using (var ln = Process.Start("ln", new[] { local, link })!) ln.WaitForExit();

        PlanRunner.Execute(Persist("web", "securelevel", "3"), _f);

        using (var h = File.OpenHandle(local, FileMode.Open, FileAccess.Read))
        {
            var owner = ownership.Read(h);
            Assert.Equal((1234u, 5678u, 2ul), (owner.Uid, owner.Gid, owner.Links));
        }
        Assert.Equal(UnixFileMode.SetUser | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(local));
        Assert.Contains("securelevel = 3;", File.ReadAllText(link), StringComparison.Ordinal);
    }

    [SkippableFact]
    public void An_owned_file_without_links_is_replaced_with_its_owner_and_setuid()
    {
        DefineTwo();
        string local = Local(Conf);
        var ownership = HostFileCalls.ForCurrentOs();
        using (var h = File.OpenHandle(local, FileMode.Open, FileAccess.ReadWrite))
            Skip.IfNot(ownership.TryChown(h, 4321, 8765), "changing a file's owner needs root");
        File.SetUnixFileMode(local, UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.UserRead | UnixFileMode.UserWrite);
        PlanRunner.Execute(Persist("web", "securelevel", "3"), _f);
        using var after = File.OpenHandle(local, FileMode.Open, FileAccess.Read);
        Assert.Equal((4321u, 8765u), (ownership.Read(after).Uid, ownership.Read(after).Gid));
        Assert.Equal(UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(after));
    }

    [Fact]
    public void Temporary_files_of_a_killed_writer_go_and_a_live_writers_stay()
    {
        DefineTwo();
        string dir = Path.GetDirectoryName(Local(Conf))!;
        string dead = Path.Combine(dir, ".jail.conf.jailps-2147483600-0badf00d");
        string live = Path.Combine(dir, $".jail.conf.jailps-{Environment.ProcessId}-cafe0001");
        File.WriteAllText(dead, "half a file");
        File.WriteAllText(live, "being written");
        PlanRunner.Execute(Persist("web", "securelevel", "3"), _f);
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(live));
        Assert.Empty(Directory.GetFiles(dir, ".jail.conf.jailps-*").Where(f => f != live));
    }
}
