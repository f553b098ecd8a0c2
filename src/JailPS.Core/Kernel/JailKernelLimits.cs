namespace JailPS.Core.Kernel;

/// <summary>Kernel limits the cmdlets validate input against, so they need no ABI constant of their own.</summary>
public static class JailKernelLimits
{
    /// <summary>The largest jail ID (JAIL_MAX, sys/sys/jail.h, through JailPS.Native).</summary>
    public const int MaxJid = JailPS.Native.JailLimits.JailMax;

    /// <summary>MAXHOSTNAMELEN (sys/sys/param.h), including the NUL: the bound of a jail's name.</summary>
    public const int MaxHostNameLength = JailPS.Native.JailLimits.MaxHostNameLen;
}
