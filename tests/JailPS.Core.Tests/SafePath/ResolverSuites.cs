using System.IO;
using System.Runtime.InteropServices;
using JailPS.Core.Host.SafePath;
using Xunit.Abstractions;

// The Linux-only calls below run only after Skip.IfNot(OperatingSystem.IsLinux()).
#pragma warning disable CA1416

namespace JailPS.Core.Tests.SafePath;

/// <summary>Linux, openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS (Tmds.LibC), for real.</summary>
public sealed class LinuxOpenat2ResolverTests : BeneathResolverSuite
{
    public LinuxOpenat2ResolverTests(ITestOutputHelper output) : base(output) { }

    protected override IBeneathResolver CreateResolver()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the Linux resolver runs only on Linux (this is " + RuntimeInformation.OSDescription + ")");
        Skip.If(Environment.OSVersion.Version < new Version(5, 6), "openat2 needs Linux 5.6 or later (this is " + Environment.OSVersion.Version + ")");
        return new LinuxBeneathResolver();
    }

    [SkippableFact]
    public void Uses_openat2_on_this_kernel()
    {
        var resolver = (LinuxBeneathResolver)Resolver;
        using var root = resolver.OpenRoot(Root);
        resolver.CreateDirectoryBeneath(root, "x/y").Dispose();
        resolver.OpenDirectoryBeneath(root, "x/y").Dispose();
        Assert.True(resolver.UsesOpenat2);
        Assert.Equal("openat2", resolver.Mechanism);
    }

    [SkippableTheory]
    [InlineData("dev", "ELOOP")]                 // absolute link: RESOLVE_NO_SYMLINKS
    [InlineData("rel/etc", "ELOOP")]             // relative link climbing out
    [InlineData("a", "ELOOP")]                   // chain
    [InlineData("legit/dir/deep/etc", "ELOOP")]  // link deep in the path
    [InlineData("proc", "ELOOP")]
    [InlineData("sub/../..", "EXDEV")]           // ".." climbing out: RESOLVE_BENEATH (the resolver refuses ".." before this)
    [InlineData("/etc", "EXDEV")]                // absolute path: RESOLVE_BENEATH
    [InlineData("file.txt/x", "ENOTDIR")]
    [InlineData("legit/dir", "ok")]
    [InlineData("sub/../legit", "ok")]           // ".." that stays inside is fine for the kernel
    public void Kernel_itself_refuses_in_one_openat2_call(string path, string expected)
    {
        var resolver = (LinuxBeneathResolver)Resolver;
        using var root = resolver.OpenRoot(Root);
        Assert.Equal(expected, resolver.ProbeOpenat2(root, path));
    }
}

/// <summary>Linux with openat2 answering ENOSYS (a kernel before 5.6): the openat + O_NOFOLLOW walk, for real.</summary>
public sealed class LinuxOpenatFallbackResolverTests : BeneathResolverSuite
{
    public LinuxOpenatFallbackResolverTests(ITestOutputHelper output) : base(output) { }

    protected override IBeneathResolver CreateResolver()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the Linux resolver runs only on Linux (this is " + RuntimeInformation.OSDescription + ")");
        return new LinuxBeneathResolver(pretendNoOpenat2: true);
    }

    [SkippableFact]
    public void Falls_back_to_the_openat_walk_after_ENOSYS()
    {
        var resolver = (LinuxBeneathResolver)Resolver;
        using var root = resolver.OpenRoot(Root);
        resolver.CreateDirectoryBeneath(root, "x/y").Dispose();
        Assert.False(resolver.UsesOpenat2);
        Assert.Equal("openat-walk", resolver.Mechanism);
        Assert.True(Directory.Exists(Path.Combine(Root, "x", "y")));
    }
}

/// <summary>FreeBSD, openat with O_RESOLVE_BENEATH | O_NOFOLLOW per component (JailPS.Native). Runs only on FreeBSD.</summary>
public sealed class FreeBsdResolverTests : BeneathResolverSuite
{
    public FreeBsdResolverTests(ITestOutputHelper output) : base(output) { }

    protected override IBeneathResolver CreateResolver()
    {
        Skip.IfNot(OperatingSystem.IsFreeBSD(), "the FreeBSD resolver calls libc.so.7 with FreeBSD constants; it runs only on FreeBSD (this is " + RuntimeInformation.OSDescription + ")");
        return new FreeBsdBeneathResolver(new JailPS.Native.FreeBsdLibc());
    }
}

public sealed class BeneathResolverFactoryTests
{
    [Fact]
    public void Factory_picks_the_resolver_for_this_OS()
    {
        if (OperatingSystem.IsLinux())
            Assert.IsType<LinuxBeneathResolver>(BeneathResolvers.ForCurrentOs());
        else if (OperatingSystem.IsFreeBSD())
            Assert.IsType<FreeBsdBeneathResolver>(BeneathResolvers.ForCurrentOs());
        else
            Assert.Throws<PlatformNotSupportedException>(() => BeneathResolvers.ForCurrentOs());
    }

    [Fact]
    public void FreeBsd_resolver_type_references_no_Tmds_type()
    {
        // DESIGN.md: no Tmds.Linux type may appear in a class that FreeBSD code paths load.
        foreach (Type t in new[] { typeof(FreeBsdBeneathResolver), typeof(BeneathResolver), typeof(BeneathResolvers), typeof(IBeneathResolver), typeof(PathEscapeException) })
        {
            var members = t.GetMembers(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly);
            foreach (var m in members)
            {
                IEnumerable<Type> types = m switch
                {
                    System.Reflection.FieldInfo f => new[] { f.FieldType },
                    System.Reflection.PropertyInfo p => new[] { p.PropertyType },
                    System.Reflection.MethodInfo mi => mi.GetParameters().Select(p => p.ParameterType).Append(mi.ReturnType),
                    _ => Array.Empty<Type>(),
                };
                Assert.DoesNotContain(types, x => x.Namespace == "Tmds.Linux");
            }
        }
    }
}
