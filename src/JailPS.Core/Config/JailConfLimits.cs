namespace JailPS.Core.Config;

/// <summary>
/// The bounds that keep reading jail.conf(5) cheap whatever a file holds. Every cmdlet reads every
/// definition file, so one hostile or mistaken file must never cost more than a small multiple of
/// its size. jail(8) has none of these limits (config.c and jailparse.y grow strings and names
/// with realloc as far as memory goes); each one here is far above anything a jail jail(8) can
/// actually create needs, so only files that could never work are refused.
/// </summary>
internal static class JailConfLimits
{
    /// <summary>
    /// Deepest block nesting ("a { b { c { ... } } }", counted across .include inside a block).
    /// The kernel keeps a jail's full hierarchical name ("a.b.c") in MAXHOSTNAMELEN (256) bytes
    /// with its NUL (sys/param.h, kern_jail.c pr_name), and every level adds at least one
    /// character and a dot, so no jail that can exist is more than 128 levels deep. jail(8) only
    /// stops when its yacc parser stack overflows; JailPS refuses earlier because each level
    /// repeats every enclosing name (nested names cost depth squared).
    /// </summary>
    public const int MaxNestingDepth = 128;

    /// <summary>
    /// Longest value variable substitution may build (1 MiB characters). Kernel parameters are
    /// passed to jail_set(2) as mount-style options of at most VFS_MOUNTARG_SIZE_MAX (64 KiB);
    /// jail(8)'s own exec.* commands go to /bin/sh -c through execve(2), whose argument space
    /// (kern.argmax) is smaller than this. A longer value can never be used; doubling variables
    /// ("$a2 = "${a1}${a1}"; ...") reach it after about 20 lines instead of exhausting memory.
    /// </summary>
    public const int MaxValueLength = 1 << 20;

    /// <summary>
    /// Work allowed for one configuration (one root file with its includes): this much, plus
    /// <see cref="WorkPerInputChar"/> per character read. A unit is roughly one character built or
    /// examined: tokens and scanned text, nested jail names, parameters copied into each jail
    /// (global and wildcard parameters count once per jail they reach), substituted text. A host
    /// with a thousand jails of a hundred parameters each needs about a tenth of the base.
    /// </summary>
    public const long BaseWork = 16L << 20;

    /// <summary>Work allowed per character of the files read (see <see cref="BaseWork"/>).</summary>
    public const int WorkPerInputChar = 64;
}

/// <summary>
/// Counts the work of reading one configuration (lexing, parsing, collecting and evaluating) and
/// says when it passes its limit, which grows with the text read (<see cref="AddInput"/>). Tests
/// read <see cref="Used"/> to check that the work grows linearly with the input.
/// </summary>
internal sealed class JailConfBudget
{
    public long Used { get; private set; }

    public long Limit { get; private set; } = JailConfLimits.BaseWork;

    /// <summary>Raises the limit for a document of <paramref name="chars"/> characters about to be read.</summary>
    public void AddInput(int chars) => Limit += (long)chars * JailConfLimits.WorkPerInputChar;

    /// <summary>Records work; true when the total has passed the limit (the caller throws <see cref="TooLarge"/>).</summary>
    public bool Spend(long units)
    {
        Used += units;
        return Used > Limit;
    }

    public JailConfException TooLarge(in JailConfLocation where)
        => JailConfException.At(JailConfErrorIds.ExpansionTooLarge,
            "configuration too large: expanding it takes more than " + Limit.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + " characters of jail names and values (global and wildcard parameters count once for every jail they reach)", where);
}
