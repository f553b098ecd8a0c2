using JailPS.Core.Config;

namespace JailPS.Core.Tests.Config;

/// <summary>Variables of an evaluated jail (JailPS keeps its jailps_* settings there) and how a new block writes one.</summary>
public sealed class JailConfVariableTests
{
    private static JailDefinition Only(string text) => JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(text, "/etc/jail.conf") }).Single();

    [Fact]
    public void A_jails_variables_are_kept_after_substitution_and_never_as_parameters()
    {
        var d = Only("$net = bridge0;\nweb {\n\t$jailps_bridge = \"$net\";\n\t$jailps_mac = 02:00:00:00:00:0b;\n\t$jailps_mac = 02:00:00:00:00:0c;\n\tpath = /j/web;\n}\n");
        Assert.Equal("bridge0", d.Variables["jailps_bridge"]);
        Assert.Equal("02:00:00:00:00:0c", d.Variables["jailps_mac"]); // the last value, as for parameters
        Assert.Equal("bridge0", d.Variables["net"]);                  // a global one reaches every jail
        Assert.DoesNotContain(d.Parameters, p => p.Name.Contains("jailps", StringComparison.Ordinal));
    }

    [Fact]
    public void A_new_block_writes_a_variable_jail8_reads_back()
    {
        string block = JailConfWriter.FormatBlock("web", new[]
        {
            new JailConfParameter("path", new[] { "/j/web" }),
            new JailConfParameter("$jailps_bridge", new[] { "bridge0" }),
        });
        Assert.Contains("\t$jailps_bridge = bridge0;\n", block);
        Assert.Equal("bridge0", Only(block).Variables["jailps_bridge"]);
        Assert.Throws<JailConfException>(() => JailConfWriter.FormatVariable("$bad name", new[] { "x" }));
        Assert.Throws<JailConfException>(() => JailConfWriter.FormatVariable("$x", new[] { "a", "b" }));
    }
}
