using System;
using System.Text;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>
/// Kernel-internal values the model needs that are not part of the userland ABI in JailPS.Native
/// (prison flags, sysctl flags and numbers, limits). Each carries its source header.
/// </summary>
internal static class SimDefs
{
    // sys/sys/jail.h: PR_* flag bits of struct prison.pr_flags (kernel-internal).
    public const uint PrPersist = 0x00000001;
    public const uint PrHost = 0x00000002;
    public const uint PrIp4User = 0x00000004;
    public const uint PrIp6User = 0x00000008;
    public const uint PrVnet = 0x00000010;
    public const uint PrIp4Saddrsel = 0x00000080;
    public const uint PrIp6Saddrsel = 0x00000100;
    public const uint PrIp4 = 0x02000000;
    public const uint PrIp6 = 0x04000000;

    // sys/sys/jail.h
    public const string DefaultHostUuid = "00000000-0000-0000-0000-000000000000";

    // sys/sys/syslimits.h NAME_MAX, sys/sys/param.h MAXSYMLINKS, sys/sys/proc.h PID_MAX.
    public const int NameMax = 255;
    public const int MaxSymlinks = 32;
    public const int PidMax = 99999;

    // sys/sys/mount.h: sizeof(struct vfsopt) on LP64 (TAILQ_ENTRY 16 + 2 pointers + 3 ints, padded).
    public const int SizeofVfsopt = 48;

    // sys/sys/uio.h + kern/subr_uio.c: IOSIZE_MAX with the default devfs_iosize_max_clamp (INT_MAX).
    public const long IosizeMax = int.MaxValue;

    // sys/sys/sysctl.h: flags and numbers not in JailPS.Native.SysctlConstants.
    public const uint CtlFlagAnybody = 0x10000000;
    public const uint CtlFlagPrison = 0x04000000;
    public const uint CtlFlagDyn = 0x02000000;
    public const uint CtlFlagSkip = 0x01000000;
    public const uint CtlFlagMpsafe = 0x00040000;
    public const uint CtlFlagCapRd = 0x00008000;
    public const uint CtlFlagCapWr = 0x00004000;
    public const uint CtlFlagRw = SysctlConstants.CtlFlagRd | SysctlConstants.CtlFlagWr;
    public const uint CtlFlagRdTun = SysctlConstants.CtlFlagRd | SysctlConstants.CtlFlagTun;
    public const int CtlAutoStart = 0x100;
    public const int CtlSysctlNextNoSkip = 7;
    public const int CtlKern = 1;
    public const int KernOsType = 1;
    public const int KernOsRelease = 2;
    public const int KernHostname = 10;
    public const int KernOsRelDate = 24;

    // sys/sys/signal.h
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Byte-preserving text: one char per byte, as the kernel sees C strings.</summary>
    public static readonly Encoding Bytes = Encoding.Latin1;

    /// <summary>The C string at the start of a buffer (up to the first NUL, or the whole buffer).</summary>
    public static string CString(ReadOnlySpan<byte> buf)
    {
        int n = buf.IndexOf((byte)0);
        if (n < 0) n = buf.Length;
        return Bytes.GetString(buf.Slice(0, n));
    }

    /// <summary>C's <c>s + off</c> as a string: empty when off is past the end.</summary>
    public static string At(string s, int off) => off >= s.Length ? "" : s.Substring(off);

    /// <summary>
    /// strtoul(s, &amp;end, 10) as libc does it: optional white space, an optional sign, decimal
    /// digits; overflow gives ULONG_MAX; a minus sign negates in unsigned arithmetic. end is the
    /// index of the first unparsed char (0 when no digits were found).
    /// </summary>
    public static ulong StrToUL(string s, out int end)
    {
        int i = 0;
        while (i < s.Length && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) i++;
        bool neg = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-'))
        {
            neg = s[i] == '-';
            i++;
        }
        int start = i;
        ulong v = 0;
        bool overflow = false;
        while (i < s.Length && s[i] >= '0' && s[i] <= '9')
        {
            ulong d = (ulong)(s[i] - '0');
            if (v > (ulong.MaxValue - d) / 10) overflow = true;
            else v = v * 10 + d;
            i++;
        }
        if (i == start)
        {
            end = 0;
            return 0;
        }
        end = i;
        if (overflow) return ulong.MaxValue;
        return neg ? unchecked(0UL - v) : v;
    }

    /// <summary>No-name of a boolean parameter: "no" inserted after the last dot (libjail noname()).</summary>
    public static string NoName(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot < 0 ? "no" + name : name.Substring(0, dot + 1) + "no" + name.Substring(dot + 1);
    }
}
