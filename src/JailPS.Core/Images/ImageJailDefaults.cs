using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Images;

/// <summary>
/// What an image's configuration (Entrypoint, Cmd, Env, WorkingDir, User) becomes in a plain
/// jail.conf definition. jail(8) runs exec.start inside the jail and waits for it to end, so a
/// container's long-running command is started in the background by /bin/sh, with its Env and
/// WorkingDir, its output in exec.consolelog, and the image's User as exec.jail_user. An image whose
/// command is only a shell (FreeBSD's runtime images say /bin/sh) gets none: a shell with no
/// terminal ends at once, and the jail, persistent, is there to be entered (Enter-Jail, jexec).
/// </summary>
public static class ImageJailDefaults
{
    private static readonly HashSet<string> s_shells = new(StringComparer.Ordinal) { "/bin/sh", "sh", "/bin/csh", "csh", "/bin/tcsh", "tcsh", "/usr/local/bin/bash", "bash" };
    private static readonly Regex s_envName = new("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant);
    private static readonly Regex s_userName = new("^[A-Za-z_][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant);

    public static (string Command, string? User)? ExecStart(string jail, JailImageService.ImageRecord image, IJailOutput output)
    {
        var config = image.Config;
        var argv = (config?.Entrypoint ?? new List<string>()).Concat(config?.Cmd ?? new List<string>()).ToList();
        if (argv.Count == 0 || (argv.Count == 1 && s_shells.Contains(argv[0])))
            return null;
        if (!image.HasShell)
        {
            output.Warning($"jail \"{jail}\": {image.Reference} runs {string.Join(" ", argv)}, but has no /bin/sh to start it in the background with, so its definition gets no exec.start; give New-Jail -ExecStart for it.");
            return null;
        }
        var parts = new List<string>();
        if (config!.WorkingDir is { Length: > 0 } wd) parts.Add($"cd {Quote(wd)} &&");
        parts.Add("exec");
        var env = (config.Env ?? new List<string>()).Where(e => e.IndexOf('=') > 0 && s_envName.IsMatch(e[..e.IndexOf('=')])).ToList();
        if (env.Count > 0) parts.Add("/usr/bin/env " + string.Join(" ", env.Select(Quote)));
        parts.Add(string.Join(" ", argv.Select(Quote)));
        string command = string.Join(" ", parts) + " </dev/null &";
        string? user = null;
        if (config.User is { Length: > 0 } u)
        {
            string name = u.Split(':')[0];
            if (s_userName.IsMatch(name) && name != "root") user = name;
            else if (name is not ("root" or "0"))
                output.Warning($"jail \"{jail}\": {image.Reference} runs as user \"{u}\", which exec.jail_user cannot name (it takes a user name of the jail's passwd), so the command runs as root; set exec.jail_user by hand.");
        }
        return (command, user);
    }

    /// <summary>An argument for /bin/sh: single-quoted, a ' inside as '\''.</summary>
    public static string Quote(string s)
        => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "/._-=:,+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
