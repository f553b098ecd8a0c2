using System.IO;
using System.Text;
using CsCheck;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Tests.Lifecycle;

namespace JailPS.Core.Tests.Reliability;

/// <summary>
/// Issue 9 #4: a jail name never becomes a path. Whatever the kernel accepts as a name (slashes,
/// "..", 255 bytes) maps to one file name in its directory, and long names do not look like locks.
/// </summary>
public sealed class JailFileNameTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void Every_name_maps_to_one_component_that_fits_name_max_and_stays_apart_from_others()
    {
        var names = Gen.String[Gen.Char.AlphaNumeric, 1, 300]
            .Select(Gen.String[Gen.Char[(char)1, (char)0x2FF], 0, 40], Gen.Int[0, 3], (a, b, k) => k switch { 0 => a, 1 => b + a, 2 => "../" + a, _ => a + "/.." + b })
            .Where(n => n.Length > 0);
        names.Select(names).Sample((a, b) =>
        {
            foreach (string n in new[] { a, b })
            {
                string file = HostFileName.ForJail(n, ".lock");
                Assert.DoesNotContain('/', file);
                Assert.DoesNotContain('\0', file);
                Assert.NotEqual('.', file[0]);
                Assert.True(Encoding.UTF8.GetByteCount(file) <= HostFileName.NameMax, file);
                Assert.EndsWith(".lock", file, StringComparison.Ordinal);
            }
            if (a != b)
                Assert.NotEqual(HostFileName.ForJail(a, ".json"), HostFileName.ForJail(b, ".json"));
        }, iter: 2000);
        Assert.Equal("web.lock", HostFileName.ForJail("web", ".lock"));
        Assert.Equal("db.primary.json", HostFileName.ForJail("db.primary", ".json"));
    }

    [Fact]
    public void A_definition_named_like_a_path_keeps_its_ledger_and_lock_in_their_directories()
    {
        const string evil = "../../../../etc/evil";
        _f.Host.Files.CreateDirectory("/usr/jails/evil/dev");
        _f.WriteFile("/etc/jail.conf", $"\"{evil}\" {{ path = \"/usr/jails/evil\"; persist; mount.devfs; }}\n");
        var def = _f.Service.FindDefinition(evil)!;
        var plan = _f.Lifecycle().PlanStart(_f.Spec(def));
        // The mount step writes the ledger; the kernel later refuses the name (its dots name parents
        // that do not exist), so look while the ledger exists: after the mount, before jail_set.
        var done = plan.Steps.TakeWhile(s => s.Name != "jail_set").ToList();
        using (JailLock.Acquire(_f.Host.Files, evil, TimeSpan.FromSeconds(1)))
            foreach (var step in done)
                step.Execute();

        Assert.False(File.Exists(Path.Combine(_f.Root, "etc", "evil.json")), "the ledger never lands outside /var/run/jailps/mounts");
        Assert.False(File.Exists(Path.Combine(_f.Root, "etc", "evil.lock")));
        string[] ledgers = Directory.GetFiles(Path.Combine(_f.Root, "var", "run", "jailps", "mounts"));
        Assert.Equal("%2E.%2F..%2F..%2F..%2Fetc%2Fevil.json", Path.GetFileName(Assert.Single(ledgers)));
        var (jail, entries) = Assert.Single(new MountLedger(_f.Host.Files).ReadAll());
        Assert.Equal(evil, jail);
        Assert.Equal("devfs", Assert.Single(entries).FsType);

        foreach (var step in Enumerable.Reverse(done))
            step.Undo?.Invoke();
        Assert.Empty(Directory.GetFiles(Path.Combine(_f.Root, "var", "run", "jailps", "mounts")));
        // The whole start fails at jail_set with the kernel's own ENOENT and rolls the mount back.
        var failed = Assert.Throws<JailPlanException>(() => PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f));
        Assert.Contains("not found", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_255_byte_name_is_locked_at_once_and_a_real_error_is_not_waited_out_as_a_lock()
    {
        string longName = new string('a', 255);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using (JailLock.Acquire(_f.Host.Files, longName, TimeSpan.FromSeconds(30)))
        {
            // A second holder is refused as a lock, by the same file.
            var locked = Assert.Throws<JailOperationException>(() => JailLock.Acquire(_f.Host.Files, longName, TimeSpan.Zero));
            Assert.Equal("JailLocked", locked.ErrorId);
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "no 30-second wait for a long name");

        // The lock directory being a file is an I/O error, reported at once, not "locked".
        Directory.Delete(Path.Combine(_f.Root, "var", "run", "jailps"), recursive: true);
        File.WriteAllText(Path.Combine(_f.Root, "var", "run", "jailps"), "not a directory");
        watch.Restart();
        var ex = Assert.ThrowsAny<IOException>(() => JailLock.Acquire(_f.Host.Files, "web", TimeSpan.FromSeconds(30)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"{ex.GetType().Name} after {watch.Elapsed}");
    }
}
