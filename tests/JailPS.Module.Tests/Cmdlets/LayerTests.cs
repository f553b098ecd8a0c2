using System;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace JailPS.Module.Tests.Cmdlets;

/// <summary>
/// The layer rules of DESIGN.md that can be checked on the loaded module: the cmdlets see no ABI
/// (JailPS.dll references no type of JailPS.Native, so errno and constants stay in the engine), and
/// every error category the engine classifies into is a PowerShell one of the same name.
/// </summary>
public sealed class LayerTests : IDisposable
{
    private readonly ModuleSession _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void The_cmdlet_assembly_uses_no_type_of_JailPS_Native()
    {
        var r = _s.Run("[JailPS.Commands.JailCmdletBase].Assembly.GetReferencedAssemblies().Name");
        Assert.Empty(r.Errors);
        var names = r.Output.Select(o => o.ToString()).ToArray();
        Assert.Contains("JailPS.Core", names);
        Assert.DoesNotContain("JailPS.Native", names);
    }

    [Fact]
    public void Every_engine_error_category_is_a_PowerShell_ErrorCategory_of_the_same_name()
    {
        var r = _s.Run("[enum]::GetValues([JailPS.Core.Lifecycle.JailErrorCategory]) | ForEach-Object { \"$_=\" + [JailPS.Commands.JailCmdletBase]::ToCategory($_) }");
        Assert.Empty(r.Errors);
        Assert.True(r.Output.Count > 10);
        foreach (string pair in r.Output.Select(o => o.ToString()))
        {
            string[] p = pair.Split('=');
            Assert.True(Enum.TryParse<ErrorCategory>(p[0], out _), p[0] + " is not a PowerShell ErrorCategory");
            Assert.Equal(p[0], p[1]);
        }
    }
}
