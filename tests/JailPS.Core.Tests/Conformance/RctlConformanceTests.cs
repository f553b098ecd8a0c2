using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Limits;

namespace JailPS.Core.Tests.Conformance;

/// <summary>
/// rctl(2) against the real FreeBSD kernel as root (trait Category=FreeBSD), the scenario the
/// simulated kernel is tested with: a jail rule added by name (no such jail needed), read back as
/// the kernel writes it, a deny rule of the same key replacing it, deny refused on cputime, the
/// rule removed and a second remove ESRCH. A kernel with RACCT off answers ENOSYS, and the test
/// then checks that JailPS says so (JailRacctDisabled). Skipped elsewhere with the reason.
/// </summary>
[Trait("Category", "FreeBSD")]
public sealed class RctlConformanceTests : IJailOutput
{
    public void Verbose(string message) { }
    public void Warning(string message) { }
    public void Debug(string message) { }

    [SkippableFact]
    public void Rules_are_added_read_replaced_refused_and_removed_as_the_model_has_them()
    {
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "rctl conformance runs only on FreeBSD (this is " + System.Runtime.InteropServices.RuntimeInformation.OSDescription + ")");
        var host = JailHost.Real();
        Skip.If(host.Libc.GetEuid() != 0, "rctl conformance needs root");
        var limits = new JailLimitService(host, this);
        string name = "jailps-rctl-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            limits.Add(JailLimitService.Rule(name, "memoryuse", "deny", 1L << 30, null));
        }
        catch (JailOperationException ex) when (ex.ErrorId == "JailRacctDisabled")
        {
            Assert.Contains("kern.racct.enable=1", ex.RecommendedAction);
            return;   // what the model answers with RacctEnabled = false
        }
        try
        {
            Assert.Equal(new[] { $"jail:{name}:memoryuse:deny={1L << 30}" }, limits.KernelRules(name).Select(r => r.Text).ToArray());
            limits.Add(JailLimitService.Rule(name, "memoryuse", "deny", 2L << 30, null));
            Assert.Equal(new[] { $"jail:{name}:memoryuse:deny={2L << 30}" }, limits.KernelRules(name).Select(r => r.Text).ToArray());
            Assert.Equal("JailLimitNotSupported", Assert.Throws<JailOperationException>(() => limits.Add(JailLimitService.Rule(name, "cputime", "deny", 10, null))).ErrorId);
            Assert.Equal(25, limits.Usage(name).Count);
        }
        finally
        {
            Assert.True(limits.Remove($"jail:{name}:", name));
            Assert.False(limits.Remove($"jail:{name}:", name));
        }
    }
}
