namespace JailPS;

/// <summary>
/// One line that an exec.* command (a hook) of a start or stop wrote: which jail, which hook, which
/// of its streams, and the text. jail(8) lets its hooks write to its own stdout and stderr
/// (usr.sbin/jail/command.c run_command: the child keeps fds 1 and 2 unless exec.consolelog
/// redirects an in-jail command); JailPS hands each line to the command that ran the hook, which
/// writes it as an Information record (tags: the jail, the hook, the stream) with this object as
/// its MessageData. Type name JailPS.JailHookOutput is stable.
/// </summary>
public sealed class JailHookOutput
{
    /// <summary>The <see cref="Stream"/> of a line the hook wrote to its standard output.</summary>
    public const string StandardOutput = "stdout";

    /// <summary>The <see cref="Stream"/> of a line the hook wrote to its standard error.</summary>
    public const string StandardError = "stderr";

    internal JailHookOutput(string jailName, int? jid, string hook, string stream, string line, string computerName)
    {
        JailName = jailName;
        Jid = jid;
        Hook = hook;
        Stream = stream;
        Line = line;
        ComputerName = computerName;
    }

    /// <summary>The jail whose hook wrote the line.</summary>
    public string JailName { get; }

    /// <summary>
    /// The jail's id when the hook ran; null for exec.prepare and exec.prestart, which run before
    /// jail_set(2) gives the jail one. The stop hooks carry the id of the jail being stopped.
    /// </summary>
    public int? Jid { get; }

    /// <summary>exec.prepare, exec.prestart, exec.created, exec.start, command, exec.poststart, exec.prestop, exec.stop, exec.poststop or exec.release.</summary>
    public string Hook { get; }

    /// <summary>"stdout" or "stderr" (a string, so it filters the same after ConvertTo-Json or remoting).</summary>
    public string Stream { get; }

    /// <summary>The line as the command wrote it, without its line end.</summary>
    public string Line { get; }

    public string ComputerName { get; }

    /// <summary>The line itself: what -InformationAction Continue shows, as jail(8) would print it.</summary>
    public override string ToString() => Line;
}
