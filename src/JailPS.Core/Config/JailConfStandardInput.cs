using System;
using System.IO;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Config;

/// <summary>
/// The process's standard input as jail.conf text, for a path of "-" (<c>jail -f -</c>: parse_config()
/// in usr.sbin/jail/config.c reads stdin to its end).
/// </summary>
public static class JailConfStandardInput
{
    /// <summary>The path that stands for standard input.</summary>
    public const string Path = "-";

    /// <summary>
    /// Reads <paramref name="input"/> to its end and decodes it as JailPS reads a jail.conf file
    /// (UTF-8, else ISO-8859-1 byte for byte). A terminal is refused (JailConfigStdinIsTerminal)
    /// before anything is read: jail(8) would wait for end-of-file typed by hand, and a pwsh
    /// prompt blocked in that read cannot be interrupted with Ctrl+C.
    /// </summary>
    public static string Read(Stream input, bool isTerminal)
    {
        if (input is null) throw new ArgumentNullException(nameof(input));
        if (isTerminal)
            throw new JailOperationException("JailConfigStdinIsTerminal", null,
                "The path \"-\" reads jail.conf text from standard input, as jail -f - does, but standard input is a terminal, not a file or a pipe.",
                "Redirect standard input (pwsh -c 'Import-JailConfig -' < jail.conf), or pipe the text in PowerShell: Get-Content jail.conf | Import-JailConfig.")
            { TargetObject = Path };
        using var bytes = new MemoryStream();
        input.CopyTo(bytes);
        return HostText.Decode(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)).Text;
    }
}
