namespace JailPS.Core.Devfs;

/// <summary>
/// The path match of devfs rules: the kernel calls fnmatch(pattern, name, FNM_PATHNAME)
/// (sys/fs/devfs/devfs_rule.c devfs_rule_matchpath; matcher in sys/libkern/fnmatch.c). So <c>*</c>,
/// <c>?</c> and bracket expressions never match a <c>/</c>; a leading dot is not special (no
/// FNM_PERIOD); a backslash quotes the next character (no FNM_NOESCAPE); matching is case-sensitive;
/// <c>[!..]</c> and <c>[^..]</c> negate; a <c>[</c> without a closing <c>]</c> is an ordinary character.
/// </summary>
public static class DevfsPattern
{
    public static bool IsMatch(string pattern, string name)
    {
        if (pattern is null) throw new System.ArgumentNullException(nameof(pattern));
        if (name is null) throw new System.ArgumentNullException(nameof(name));
        return Match(pattern, 0, name, 0);
    }

    private static bool Match(string p, int pi, string s, int si)
    {
        while (true)
        {
            if (pi >= p.Length) return si >= s.Length;
            char c = p[pi++];
            switch (c)
            {
                case '?':
                    if (si >= s.Length || s[si] == '/') return false;
                    si++;
                    continue;

                case '*':
                    while (pi < p.Length && p[pi] == '*') pi++;
                    if (pi >= p.Length) return s.IndexOf('/', si) < 0;   // a trailing star stays within one component
                    if (p[pi] == '/')
                    {
                        int slash = s.IndexOf('/', si);
                        if (slash < 0) return false;
                        si = slash;                                   // the '/' itself is matched next
                        continue;
                    }
                    for (int k = si; k < s.Length; k++)
                    {
                        if (Match(p, pi, s, k)) return true;
                        if (s[k] == '/') break;
                    }
                    return false;

                case '[':
                {
                    if (si >= s.Length || s[si] == '/') return false;
                    int r = Bracket(p, pi, s[si], out int next);
                    if (r == RangeError) goto literal;
                    if (r == RangeNoMatch) return false;
                    pi = next;
                    si++;
                    continue;
                }

                case '\\':
                    if (pi < p.Length) c = p[pi++];
                    goto literal;

                default:
                literal:
                    if (si >= s.Length || s[si] != c) return false;
                    si++;
                    continue;
            }
        }
    }

    private const int RangeNoMatch = 0, RangeMatch = 1, RangeError = -1;

    /// <summary>Matches <paramref name="test"/> against the bracket expression starting after '['.</summary>
    private static int Bracket(string p, int pi, char test, out int next)
    {
        next = pi;
        bool negate = pi < p.Length && (p[pi] == '!' || p[pi] == '^');
        if (negate) pi++;
        bool ok = false;
        bool first = true;
        while (true)
        {
            if (pi >= p.Length) return RangeError;
            char c = p[pi++];
            if (!first && c == ']') break;     // ']' as the first member is an ordinary character
            first = false;
            if (c == '\\')
            {
                if (pi >= p.Length) return RangeError;
                c = p[pi++];
            }
            if (c == '/') return RangeNoMatch;
            if (pi + 1 < p.Length && p[pi] == '-' && p[pi + 1] != ']')
            {
                char hi = p[pi + 1];
                pi += 2;
                if (hi == '\\')
                {
                    if (pi >= p.Length) return RangeError;
                    hi = p[pi++];
                }
                if (c <= test && test <= hi) ok = true;
            }
            else if (c == test)
            {
                ok = true;
            }
        }
        next = pi;
        return ok == negate ? RangeNoMatch : RangeMatch;
    }
}
