using System.IO;
using CsCheck;
using JailPS.Core.Config;
using JailPS.Core.Host;
using JailPS.Core.Host.SafePath;
using JailPS.Core.Lifecycle;
using JailPS.Core.Tests.Config;
using JailPS.Core.Tests.Lifecycle;
using Xunit.Abstractions;

namespace JailPS.Core.Tests.Reliability.Suite;

/// <summary>
/// The fuzz and link sweeps. Fuzz: jail.conf text mutated from a real configuration, loaded the way
/// the lifecycle loads it (tolerant, with includes that are themselves mutated), then every
/// definition type-checked; a crash is any exception that is not one of JailPS's typed errors.
/// Links: every component of every path JailPS writes beneath a jail root (the five mount points
/// and exec.consolelog) replaced in turn by a link the jail could plant, to a host directory, to a
/// directory outside the simulated host and by "..": an escape is a mount or a file anywhere but
/// where it belongs.
/// </summary>
[Trait("Category", "Reliability")]
public sealed class InputSweepTests
{
    private const string Alphabet = "\"'\\$ \t\r\n{};,=+#/*abcx.01_-é\u0001";
    private readonly ITestOutputHelper _out;

    public InputSweepTests(ITestOutputHelper output) => _out = output;

    private static readonly string Base = """
        path = "/usr/jails/$name";
        host.hostname = "$name.example.org";
        exec.clean;
        mount.devfs;
        $tz = "UTC";
        .include "/etc/jail.conf.d/*.conf";
        web { ip4.addr = 10.0.0.2; exec.start = "/bin/sh /etc/rc"; persist; }
        db { depend = web; allow.raw_sockets; exec.poststart += "/bin/echo $tz"; }
        """;

    private static readonly string Included = "app { persist; mount += \"tmpfs /usr/jails/app/tmp tmpfs rw 0 0\"; }\n";

    private static string Mutate(string text, (int At, int Delete, string Insert)[] edits)
    {
        foreach (var (at, delete, insert) in edits)
        {
            int start = Math.Min(at, text.Length);
            text = text.Remove(start, Math.Min(delete, text.Length - start)).Insert(start, insert);
        }
        return text;
    }

    private static bool Typed(Exception e) => e is JailConfException or JailOperationException or JailPS.Core.Kernel.JailParameterException;

    [Fact]
    public void Fuzzed_configurations_give_typed_errors_and_never_crash()
    {
        var catalog = JailHost.Simulated(Path.Combine(Path.GetTempPath(), "jailps-fuzz-" + Guid.NewGuid().ToString("N"))).Kernel.Catalog;
        var edits = Gen.Select(Gen.Int[0, 400], Gen.Int[0, 12], Gen.String[Gen.Char[Alphabet], 0, 4]).Array[1, 4];
        long runs = 0, crashes = 0;
        Gen.Select(edits, edits).Sample(pair =>
        {
            runs++;
            var fs = new InMemoryHostFileSystem()
                .Add("/etc/jail.conf", Mutate(Base, pair.Item1))
                .Add("/etc/jail.conf.d/app.conf", Mutate(Included, pair.Item2));
            try
            {
                var problems = new List<JailConfProblem>();
                foreach (var def in JailConfLoader.LoadTolerant(fs, "/etc/jail.conf", problems))
                {
                    try { JailSpec.Resolve(def, catalog); }
                    catch (Exception e) when (Typed(e)) { }
                }
                JailEFormatter.Format(JailConfLoader.LoadTolerant(fs, "/etc/jail.conf", problems), "|");
            }
            catch (Exception e) when (Typed(e))
            {
            }
            catch (Exception e)
            {
                crashes++;
                _out.WriteLine($"crash: {e.GetType().Name}: {e.Message}");
            }
        }, iter: 3000, threads: 1);
        ReliabilityFigures.Record("fuzz", runs, crashes, "fuzzed jail.conf loads (mutated jail.conf and an included file, tolerant load, type check, jail -e format) / crashes");
        _out.WriteLine($"fuzz: {runs} runs, {crashes} crashes");
        Assert.Equal(0, crashes);
    }

    /// <summary>The paths beneath the root that a start writes to or mounts on.</summary>
    private static readonly string[] Written = { "basejail", "tmp", "dev", "dev/fd", "proc", "var/log/console.log" };

    public static IEnumerable<(string Path, int Component, string Kind)> LinkCases()
    {
        foreach (string path in Written)
        {
            string[] parts = path.Split('/');
            for (int c = 0; c < parts.Length; c++)
                foreach (string kind in new[] { "host-dir", "outside-sim", "dotdot" })
                    yield return (path, c, kind);
        }
    }

    [Fact]
    public void Links_planted_in_every_component_of_every_path_a_start_writes_never_let_it_escape()
    {
        int cases = 0, escapes = 0, refused = 0;
        foreach (var (path, component, kind) in LinkCases())
        {
            cases++;
            using var f = new SimulatedHostFixture();
            string outside = Path.Combine(Path.GetTempPath(), "jailps-outside-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(outside);
            try
            {
                const string root = "/usr/jails/web";
                f.Host.Files.CreateDirectory("/usr/jails/basejail");
                f.Host.Files.CreateDirectory("/etc/victim");
                foreach (string d in new[] { "basejail", "tmp", "dev", "proc", "var/log" })
                    f.Host.Files.CreateDirectory($"{root}/{d}");
                var def = f.Define("web", $$"""
                    mount = "/usr/jails/basejail {{root}}/basejail nullfs ro 0 0";
                    mount += "tmpfs {{root}}/tmp tmpfs rw 0 0";
                    mount.devfs;
                    mount.fdescfs;
                    mount.procfs;
                    persist;
                    exec.start = "/bin/sh /etc/rc";
                    exec.consolelog = "{{root}}/var/log/console.log";
                    """);
                // The jail's root replaces one component with a link.
                string[] parts = path.Split('/');
                string linkHost = root + "/" + string.Join('/', parts.Take(component + 1));
                string linkLocal = f.Host.Files.ToLocalPath(linkHost);
                if (Directory.Exists(linkLocal) && new DirectoryInfo(linkLocal).LinkTarget is null) Directory.Delete(linkLocal, recursive: true);
                else if (File.Exists(linkLocal)) File.Delete(linkLocal);
                Directory.CreateDirectory(Path.GetDirectoryName(linkLocal)!);
                string target = kind switch
                {
                    "host-dir" => "/etc/victim",
                    "outside-sim" => outside,
                    _ => string.Concat(Enumerable.Repeat("../", 8)) + "etc/victim",
                };
                File.CreateSymbolicLink(linkLocal, target);

                var before = HostSnapshot.Take(f, root, "/var/run/jailps/mounts");
                try
                {
                    PlanRunner.Execute(f.Lifecycle().PlanStart(f.Spec(def)), f);
                }
                catch (Exception e) when (e is PathEscapeException or JailOperationException
                    || e is JailPlanException { InnerException: PathEscapeException or JailOperationException or IOException })
                {
                    refused++; // refused when planned, or when the step met the link
                }
                var after = HostSnapshot.Take(f, root, "/var/run/jailps/mounts");
                var wrong = after.Files.Where(kv => !before.Files.TryGetValue(kv.Key, out var v) || v != kv.Value).Select(kv => "file " + kv.Key).ToList();
                wrong.AddRange(f.Sim.Kernel.Mounts.Where(m => !before.Mounts.Contains(m.FsType + " " + m.MountedOn)
                    && !m.MountedOn.StartsWith(root + "/", StringComparison.Ordinal)).Select(m => "mount on " + m.MountedOn));
                wrong.AddRange(f.Sim.Kernel.Mounts.Where(m => m.MountedOn.StartsWith(root + "/", StringComparison.Ordinal)
                    && !Written.Any(w => m.MountedOn == root + "/" + w)).Select(m => "mount on " + m.MountedOn));
                if (Directory.EnumerateFileSystemEntries(outside).Any()) wrong.Add("write in " + outside);
                if (wrong.Count > 0)
                {
                    escapes++;
                    _out.WriteLine($"escape: link at {linkHost} -> {target}: {string.Join("; ", wrong)}");
                }
            }
            finally
            {
                Directory.Delete(outside, recursive: true);
            }
        }
        ReliabilityFigures.Record("links", cases, escapes, "links planted beneath a jail root (every component of 5 mount points and exec.consolelog; to a host directory, outside the simulated host, by ..) / escapes");
        _out.WriteLine($"links: {cases} cases, {refused} refused, {escapes} escapes");
        Assert.Equal(0, escapes);
    }
}
