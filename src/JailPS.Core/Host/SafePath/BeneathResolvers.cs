using System;
using System.Runtime.CompilerServices;

namespace JailPS.Core.Host.SafePath;

/// <summary>
/// Chooses the resolver for the running OS. The Linux and FreeBSD constructions sit in separate
/// non-inlined methods so that on FreeBSD the JIT never touches <see cref="LinuxBeneathResolver"/>
/// (and so never loads Tmds.LibC, which is not deployed there).
/// </summary>
public static class BeneathResolvers
{
    public static IBeneathResolver ForCurrentOs()
    {
        if (OperatingSystem.IsFreeBSD())
            return CreateFreeBsd();
        if (OperatingSystem.IsLinux())
            return CreateLinux();
        throw new PlatformNotSupportedException(
            "The symlink-safe resolver beneath a jail root runs on FreeBSD (openat with O_RESOLVE_BENEATH) and Linux (openat2); this is neither.");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IBeneathResolver CreateFreeBsd() => new FreeBsdBeneathResolver(new JailPS.Native.FreeBsdLibc());

    [MethodImpl(MethodImplOptions.NoInlining)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static IBeneathResolver CreateLinux() => new LinuxBeneathResolver();
}
