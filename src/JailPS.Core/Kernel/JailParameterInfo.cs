namespace JailPS.Core.Kernel;

/// <summary>How a jail parameter's value is encoded for jail_set(2)/jail_get(2) (freebsd-abi.md §2.1).</summary>
public enum JailParameterType
{
    Int,
    UInt,
    Long,
    ULong,
    Bool,
    JailSys,
    String,
    IPv4Array,
    IPv6Array,
    /// <summary>A struct type JailPS does not know; passed through as raw bytes.</summary>
    Opaque,
}

/// <summary>Whether jail_set may change a parameter, from its sysctl access flags.</summary>
public enum JailParameterAccess
{
    /// <summary>CTLFLAG_RW: settable at creation and by update.</summary>
    ReadWrite,
    /// <summary>CTLFLAG_RDTUN: settable only when the jail is created.</summary>
    CreateOnly,
    /// <summary>CTLFLAG_RD: reported by jail_get only.</summary>
    ReadOnly,
}

/// <summary>The kernel's description of one jail parameter, discovered from security.jail.param.*.</summary>
public sealed class JailParameterInfo
{
    public JailParameterInfo(string name, JailParameterType type, JailParameterAccess access, int maxLength = 0, int elementSize = 0)
    {
        Name = name;
        Type = type;
        Access = access;
        MaxLength = maxLength;
        ElementSize = elementSize;
    }

    public string Name { get; }
    public JailParameterType Type { get; }
    public JailParameterAccess Access { get; }

    /// <summary>Buffer size including the NUL for strings (e.g. 256 for host.hostname).</summary>
    public int MaxLength { get; }

    /// <summary>Element size for arrays (4 for in_addr, 16 for in6_addr).</summary>
    public int ElementSize { get; }

    /// <summary>
    /// A string announced as "A,keyvalue" (FreeBSD 15's meta and env, sys/kern/kern_jailmeta.c):
    /// NAME.KEY names one "KEY=value" line of it (see <see cref="JailParameterCatalog.Resolve"/>).
    /// </summary>
    public bool IsKeyValue { get; init; }

    /// <summary>The "no" form of a boolean: "no" inserted after the last dot (freebsd-abi.md §2.4).</summary>
    public string NoName => NoNameOf(Name);

    public static string NoNameOf(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot < 0 ? "no" + name : name.Substring(0, dot + 1) + "no" + name.Substring(dot + 1);
    }

    /// <summary>If <paramref name="name"/> is a "no" form, the positive name; otherwise null.</summary>
    public static string? PositiveNameOf(string name)
    {
        int dot = name.LastIndexOf('.');
        string last = dot < 0 ? name : name.Substring(dot + 1);
        if (last.Length <= 2 || !last.StartsWith("no", System.StringComparison.Ordinal))
            return null;
        return (dot < 0 ? "" : name.Substring(0, dot + 1)) + last.Substring(2);
    }

    public override string ToString() => $"{Name} ({Type}, {Access})";
}
