using JailPS.Core.Devfs;

namespace JailPS.Core.Tests.Devfs;

// fnmatch(pattern, name, FNM_PATHNAME) as devfs_rule_matchpath calls it (sys/fs/devfs/devfs_rule.c, sys/libkern/fnmatch.c).
public class DevfsPatternTests
{
    [Theory]
    [InlineData("null", "null", true)]
    [InlineData("null", "nul", false)]
    [InlineData("null", "null0", false)]
    [InlineData("pts/*", "pts/0", true)]
    [InlineData("pts/*", "pts", false)]
    [InlineData("pts/*", "pts/a/b", false)]      // '*' stays inside one component
    [InlineData("*", "pts/0", false)]
    [InlineData("*", "zero", true)]
    [InlineData("*/*", "pts/0", true)]
    [InlineData("ttyp*", "ttyp0", true)]
    [InlineData("ttyp*", "ttyv0", false)]
    [InlineData("ttyp*", "ttyp", true)]
    [InlineData("ad?", "ada", true)]
    [InlineData("pts?0", "pts/0", false)]        // '?' never matches '/'
    [InlineData("ada[0-9]", "ada3", true)]
    [InlineData("ada[0-9]", "adax", false)]
    [InlineData("ada[!0-9]", "adax", true)]
    [InlineData("ada[^0-9]", "ada1", false)]
    [InlineData("a[]]", "a]", true)]            // ']' first in a bracket is literal
    [InlineData("a[", "a[", true)]              // unclosed bracket: literal '['
    [InlineData("pts[/]0", "pts/0", false)]      // a bracket never matches '/'
    [InlineData("\\*", "*", true)]              // backslash quotes
    [InlineData("\\*", "x", false)]
    [InlineData("*", ".hidden", true)]           // no FNM_PERIOD
    [InlineData("Null", "null", false)]          // case-sensitive
    [InlineData("da*s*", "da0s1a", true)]
    [InlineData("*p1", "ada0p1", true)]
    [InlineData("usb/*", "usb/0.1.0", true)]
    [InlineData("", "", true)]
    [InlineData("", "x", false)]
    [InlineData("**", "abc", true)]
    [InlineData("a*/b", "ax/b", true)]
    [InlineData("a*/b", "a/x/b", false)]
    public void Matches(string pattern, string name, bool expected)
    {
        Assert.Equal(expected, DevfsPattern.IsMatch(pattern, name));
    }
}
