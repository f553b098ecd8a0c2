namespace JailPS.Native;

/// <summary>
/// The kernel seam for resource limits: the rctl(2) calls, each `int f(const char *inbufp, size_t
/// inbuflen, char *outbufp, size_t outbuflen)` (sys/sys/rctl.h). The input is a NUL-terminated
/// rule or filter with inbuflen counting the NUL; the output a NUL-terminated string (ERANGE when
/// it does not fit). <see cref="FreeBsdLibc"/> calls libc; the simulated kernel models the same.
/// </summary>
public unsafe interface IRctlLibc
{
    int RctlGetRacct(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen);
    int RctlGetRules(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen);
    int RctlAddRule(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen);
    int RctlRemoveRule(byte* inbuf, nuint inbuflen, byte* outbuf, nuint outbuflen);

    /// <summary>errno left by the last failed call on this thread.</summary>
    int LastErrno { get; }
}
