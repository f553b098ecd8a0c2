using System;
using System.Reflection;
using System.Runtime.InteropServices;

namespace JailPS.Native;

internal static partial class Interop
{
    /// <summary>Logical library name used by every [LibraryImport] in this assembly.</summary>
    internal const string Libc = "libc";

    /// <summary>
    /// FreeBSD's C library. /usr/lib/libc.so is a linker script, not an ELF object, so the
    /// soname must be named explicitly (lib/libc/Makefile SHLIB_MAJOR=7, lib/libc/libc.ldscript).
    /// On FreeBSD 15 the syscall stubs moved to libsys.so.7, which libc.so.7 depends on, so
    /// symbol lookup through the libc.so.7 handle still finds them (lib/libsys/syscalls.map).
    /// </summary>
    internal const string FreeBsdLibcSoname = "libc.so.7";

    static Interop()
    {
        // Bind "libc" only on FreeBSD. On any other OS the resolver refuses, so nothing in this
        // assembly can ever call a same-named Linux/macOS function with FreeBSD arguments.
        NativeLibrary.SetDllImportResolver(typeof(Interop).Assembly, Resolve);
    }

    /// <summary>Forces the static constructor (and so the resolver) to run before the first P/Invoke.</summary>
    internal static void EnsureResolver() { }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != Libc)
            return IntPtr.Zero;
        if (!OperatingSystem.IsFreeBSD())
            throw new PlatformNotSupportedException(
                "JailPS.Native binds FreeBSD's libc.so.7 only; this is not FreeBSD. Use the simulated host.");
        return NativeLibrary.Load(FreeBsdLibcSoname, assembly, searchPath);
    }
}
