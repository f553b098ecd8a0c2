using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation.Language;
using Xunit;

namespace JailPS.Module.Tests.Harness;

/// <summary>
/// Scripts that cannot run here (Pester tests need pwsh + Pester; build.ps1 is for FreeBSD users)
/// must still be valid PowerShell: each is parsed by the real engine's parser.
/// </summary>
public sealed class ScriptSyntaxTests
{
    public static IEnumerable<object[]> Scripts() =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "tests", "pester"), "*.ps1")
            .Concat(Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "docs", "examples"), "*.ps1"))
            .Append(Path.Combine(RepoPaths.Root, "build.ps1"))
            .Select(p => new object[] { Path.GetRelativePath(RepoPaths.Root, p) });

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_parses_without_errors(string relativePath)
    {
        Parser.ParseFile(Path.Combine(RepoPaths.Root, relativePath), out _, out ParseError[] errors);
        Assert.True(errors.Length == 0, string.Join("\n", errors.Select(e => $"{relativePath}:{e.Extent.StartLineNumber}:{e.Extent.StartColumnNumber}: {e.Message}")));
    }

    [Fact]
    public void There_are_scripts_to_check()
        => Assert.Contains(Scripts(), s => ((string)s[0]).EndsWith(".Tests.ps1", System.StringComparison.Ordinal));
}
