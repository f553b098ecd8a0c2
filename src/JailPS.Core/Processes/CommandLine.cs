using System;
using System.Collections.Generic;

namespace JailPS.Core.Processes;

/// <summary>
/// How jail(8) turns an exec.* string into argv (usr.sbin/jail/command.c run_command): a string
/// holding a shell metacharacter from !"$&amp;'()*;&lt;&gt;?[\]`{|}~ runs as /bin/sh -c STRING, except
/// that a single trailing '&amp;' only sends the command to the background; anything else is split
/// on " \t\f\v\r\n" and executed directly.
/// </summary>
public static class CommandLine
{
    private const string ShellMetacharacters = "!\"$&'()*;<>?[\\]`{|}~";
    private const string BShell = "/bin/sh"; // _PATH_BSHELL, include/paths.h

    public static IReadOnlyList<string> Split(string command, out bool background)
    {
        background = false;
        int meta = command.IndexOfAny(ShellMetacharacters.ToCharArray());
        string text = command;
        if (meta >= 0)
        {
            if (!(command[meta] == '&' && meta == command.Length - 1))
                return new[] { BShell, "-c", command };
            background = true;
            text = command.Substring(0, meta);
        }
        return text.Split(new[] { ' ', '\t', '\f', '\v', '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>argv that runs <paramref name="argv"/> inside a jail through jexec(8).</summary>
    public static IReadOnlyList<string> Jexec(int jid, IReadOnlyList<string> argv, bool login, string? jailUser, bool userFromHost)
    {
        var list = new List<string> { "/usr/sbin/jexec" };
        if (login) list.Add("-l");
        if (jailUser != null)
        {
            list.Add(userFromHost ? "-u" : "-U");
            list.Add(jailUser);
        }
        list.Add(jid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        list.AddRange(argv);
        return list;
    }

    /// <summary>A shell-like rendering of argv for messages and -WhatIf.</summary>
    public static string Render(IReadOnlyList<string> argv)
    {
        var parts = new List<string>(argv.Count);
        foreach (var a in argv)
            parts.Add(a.Length == 0 || a.IndexOfAny(" \t\n'\"\\$`;&|<>()*?[]{}~!#".ToCharArray()) >= 0
                ? "'" + a.Replace("'", "'\\''") + "'"
                : a);
        return string.Join(" ", parts);
    }
}
