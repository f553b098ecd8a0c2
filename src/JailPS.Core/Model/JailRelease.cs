namespace JailPS;

/// <summary>
/// A FreeBSD release in JailPS's cache (/var/db/jailps/releases/ARCH/RELEASE): its MANIFEST and the
/// dist files verified against it. Type name JailPS.JailRelease is stable.
/// </summary>
public sealed class JailRelease
{
    public JailRelease(string name, string architecture, string[] distributions, long size, bool verified, string path, string source, System.DateTime? savedAt, string computerName, string[]? jails = null, string format = "dist")
    {
        Format = format;
        Jails = jails ?? System.Array.Empty<string>();
        Name = name;
        Architecture = architecture;
        Distributions = distributions;
        Size = size;
        Verified = verified;
        Path = path;
        Source = source;
        SavedAt = savedAt;
        ComputerName = computerName;
    }

    /// <summary>14.3-RELEASE, 15.0-BETA2, ...</summary>
    public string Name { get; }

    /// <summary>The MACHINE_ARCH: amd64, aarch64, i386.</summary>
    public string Architecture { get; }

    /// <summary>The dist files in the cache that match MANIFEST's SHA-256 (base.txz, lib32.txz).</summary>
    public string[] Distributions { get; }

    /// <summary>Bytes of the verified dist files.</summary>
    public long Size { get; }

    /// <summary>True when every dist file kept was verified against MANIFEST; a partial download is not.</summary>
    public bool Verified { get; }

    /// <summary>"dist" (MANIFEST and .txz files, extracted with tar) or "pkgbase" (FreeBSD-set-minimal-jail installed with pkg into PATH/root, copied with cp -a).</summary>
    public string Format { get; }

    /// <summary>The cache directory (a host path).</summary>
    public string Path { get; }

    /// <summary>The mirror URL or local directory the files came from.</summary>
    public string Source { get; }

    public System.DateTime? SavedAt { get; }

    /// <summary>The jails whose definition says they were built from this release ($jailps_release, written by New-Jail -Release).</summary>
    public string[] Jails { get; }

    public string ComputerName { get; }

    public override string ToString() => Name;
}
