using CsCheck;
using JailPS.Core.Devfs;
using JailPS.Core.Simulation;
using JailPS.Core.Tests.Simulation.Mounts;
using JailPS.Native;

namespace JailPS.Core.Tests.Devfs;

/// <summary>
/// The userland evaluator (JailPS.Core.Devfs) and the kernel model (SimulatedKernel's devfs_rule.c
/// model) are written independently; for any ruleset they must agree on what a jail sees.
/// </summary>
public sealed class DevfsKernelCrossCheckTests
{
    private static readonly string[] s_patterns = { "*", "pts/*", "pts", "tty*", "null", "zero", "ada*", "nvd*", "fd", "fd/*", "[a-m]*", "*random", "usb/*", "std*", "?ty*" };
    private static readonly string[] s_types = { "disk", "mem", "tty", "tape" };

    private static readonly Gen<(bool Hide, bool UsePath, int Pattern, int UseType, int Type)> s_rule =
        Gen.Select(Gen.Bool, Gen.Bool, Gen.Int[0, s_patterns.Length - 1], Gen.Int[0, 3], Gen.Int[0, s_types.Length - 1]);

    /// <summary>1 to 8 rules numbered 100, 200, ...: optional path and type conditions, hide or unhide.</summary>
    private static readonly Gen<string[]> s_rulesets = s_rule.Array[1, 8].Select(rules => rules.Select((r, i) =>
        $"{(i + 1) * 100}"
        + (r.UsePath ? $" path '{s_patterns[r.Pattern]}'" : "")
        + (r.UseType == 0 ? $" type {s_types[r.Type]}" : "")
        + (r.Hide ? " hide" : " unhide")).ToArray());

    private static IReadOnlyList<DevfsNode> Nodes() => SimulatedKernel.DevfsDeviceTable.Select(d => d.Kind switch
    {
        'd' => DevfsNode.Directory(d.Path),
        'l' => DevfsNode.Symlink(d.Path),
        _ => DevfsNode.Device(d.Path, (DevfsDeviceTypes)d.DswFlags),
    }).ToList();

    [Fact]
    public unsafe void Kernel_and_userland_agree_on_visible_nodes_for_random_rulesets()
    {
        var nodes = Nodes();
        s_rulesets.Sample(texts =>
        {
            const ushort set = 10;
            var ruleset = DevfsRuleset.Parse(set, null, texts);
            var expected = new DevfsRuleEvaluator(new[] { ruleset }).Evaluate(set, nodes).Where(s => s.Visible).Select(s => s.Path).OrderBy(p => p, StringComparer.Ordinal).ToArray();

            using var sandbox = new Sandbox();
            sandbox.MustMount("devfs", "/jails/a/dev");
            int fd = sandbox.Open("/jails/a/dev");
            Assert.True(fd >= 0);
            foreach (var rule in ruleset.Rules)
            {
                var native = rule.ToNative(set);
                Assert.Equal((0, 0), sandbox.Ioctl(fd, DevfsIoctl.RuleAdd, ref native));
            }
            ushort which = set;
            Assert.Equal((0, 0), sandbox.Ioctl(fd, DevfsIoctl.SetApply, ref which));
            var actual = sandbox.K.DevfsVisibleNodes("/jails/a/dev").OrderBy(p => p, StringComparer.Ordinal).ToArray();
            Assert.Equal(expected, actual);
        }, iter: 200);
    }
}
