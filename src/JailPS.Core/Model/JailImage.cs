namespace JailPS;

/// <summary>
/// An OCI image in JailPS's cache (/var/db/jailps/images): its reference, the platform manifest it
/// was pinned to, and its layers, every one verified and checked. Type name JailPS.JailImage is stable.
/// </summary>
public sealed class JailImage
{
    public JailImage(string reference, string digest, string platform, long size, string[] layers, string[] command, string source,
        System.DateTime savedAt, System.DateTime? created, string computerName, string[] jails, string path, bool boots)
    {
        Reference = reference;
        Digest = digest;
        Platform = platform;
        Size = size;
        Layers = layers;
        Command = command;
        Source = source;
        SavedAt = savedAt;
        Created = created;
        ComputerName = computerName;
        Jails = jails;
        Path = path;
        Boots = boots;
    }

    /// <summary>registry/repository:tag (docker.io/freebsd/freebsd-runtime:15.0; localhost/... for an import).</summary>
    public string Reference { get; }

    /// <summary>The digest of the platform manifest (sha256:...): what a jail made from it is pinned to.</summary>
    public string Digest { get; }

    /// <summary>os/architecture: freebsd/amd64, freebsd/arm64.</summary>
    public string Platform { get; }

    /// <summary>Bytes of the (compressed) layers.</summary>
    public long Size { get; }

    /// <summary>The layers' digests, lowest first.</summary>
    public string[] Layers { get; }

    /// <summary>The image's Entrypoint and Cmd, as its configuration gives them.</summary>
    public string[] Command { get; }

    /// <summary>True when the root it makes has /etc/rc, so a jail of it boots like a release.</summary>
    public bool Boots { get; }

    /// <summary>The registry URL or the local layout or file it came from.</summary>
    public string Source { get; }

    public System.DateTime SavedAt { get; }

    /// <summary>When the image was built, as its configuration says.</summary>
    public System.DateTime? Created { get; }

    /// <summary>The jails whose definition says they were made from it ($jailps_image, written by New-Jail -Image).</summary>
    public string[] Jails { get; }

    /// <summary>The record file in the cache (a host path).</summary>
    public string Path { get; }

    public string ComputerName { get; }

    public override string ToString() => Reference;
}
