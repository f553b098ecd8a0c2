using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Formats.Tar;

namespace JailPS.Core.Host;

/// <summary>
/// The simulated host's /usr/bin/tar for what JailPS runs: <c>tar -x -p -f ARCHIVE -C DIR</c>
/// (-xpf, -C first or last), the archive xz, gzip, zstd or plain, as bsdtar tells them apart. It extracts for real, inside the simulated host's directory, with
/// bsdtar's safe defaults: a leading '/' is stripped, a name with a ".." component is refused, and
/// nothing is written through a symbolic link (ARCHIVE_EXTRACT_SECURE_SYMLINKS, what bsdtar does
/// without -P). Regular files, directories, symbolic and hard links and modes are made; owners are
/// not (the simulated host runs unprivileged); an entry's schg flag (pax SCHILY.fflags, what -p
/// restores) is recorded in the kernel model, and an existing schg file is not replaced. Like
/// bsdtar, a refused entry does not stop the others, and the exit status is 1.
/// </summary>
internal static class SimulatedTar
{
    public static (int Exit, string Out, string Err) Run(SimulatedHost host, IReadOnlyList<string> argv)
    {
        bool extract = false;
        string? archive = null, dir = null;
        for (int i = 1; i < argv.Count; i++)
        {
            string a = argv[i];
            if (a == "-C" && i + 1 < argv.Count) { dir = argv[++i]; continue; }
            if (a.StartsWith('-') && a.Length > 1 && !a.StartsWith("--", StringComparison.Ordinal))
            {
                foreach (char c in a[1..])
                    switch (c)
                    {
                        case 'x': extract = true; break;
                        case 'p': break;
                        case 'f':
                            if (i + 1 >= argv.Count) return (1, "", "tar: Option -f requires an argument\n");
                            archive = argv[++i];
                            break;
                        default: return Unsupported(argv);
                    }
                continue;
            }
            return Unsupported(argv);
        }
        if (!extract || archive is null) return Unsupported(argv);
        var files = new RootedFileSystem(host.Root);
        string local = files.ToLocalPath(files.RealPath(archive));
        if (!File.Exists(local)) return (1, "", $"tar: Error opening archive: Failed to open '{archive}'\n");
        string hostTarget = files.RealPath(dir ?? "/");
        string target = files.ToLocalPath(hostTarget);
        if (!Directory.Exists(target)) return (1, "", $"tar: could not chdir to '{dir}'\n");
        var err = new StringBuilder();
        var modes = new List<(string Path, int Mode)>();
        try
        {
            using var file = File.OpenRead(local);
            // As bsdtar, by the archive's first bytes: base.txz is xz, image layers gzip, zstd or plain tar.
            using var tar = Images.ArchiveStreams.OpenTar(file);
            using var reader = new TarReader(tar);
            // Under the kernel's lock: the flags it records are the model's, like the files' inodes.
            host.Transact(k =>
            {
                while (reader.GetNextEntry() is { } entry)
                    Extract(entry, target, hostTarget, k, err, modes);
                return 0;
            });
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or InvalidDataException or FormatException or UnauthorizedAccessException)
        {
            err.Append($"tar: Error reading archive {archive}: {ex.Message}\n");
        }
        // As bsdtar does, directory modes are set last, so a 0555 directory still takes its entries.
        for (int i = modes.Count - 1; i >= 0; i--)
            try { SetMode(modes[i].Path, modes[i].Mode); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { err.Append($"tar: {modes[i].Path}: {ex.Message}\n"); }
        return (err.Length == 0 ? 0 : 1, "", err.Length == 0 ? "" : err + "tar: Error exit delayed from previous errors.\n");
    }

    private static (int, string, string) Unsupported(IReadOnlyList<string> argv)
        => (1, "", "tar: the simulated host models only tar -xpf ARCHIVE -C DIR, not: " + string.Join(" ", argv) + "\n");

    private static string Clean(string name)
    {
        name = name.TrimStart('/');
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        return name.TrimEnd('/');
    }

    private static void Extract(TarEntry entry, string root, string hostRoot, Simulation.SimulatedKernel kernel, StringBuilder err, List<(string, int)> modes)
    {
        string name = Clean(entry.Name);
        if (name.Length == 0 || name == ".") return;
        string[] parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (Array.IndexOf(parts, "..") >= 0)
        {
            err.Append($"tar: {entry.Name}: Path contains '..'\n");
            return;
        }
        // Every directory on the way must be a directory of this extraction, never a link.
        int link = LinkOnTheWay(root, parts, parts.Length - 1, create: true);
        if (link >= 0)
        {
            err.Append($"tar: {entry.Name}: Cannot extract through symlink {string.Join('/', parts[..(link + 1)])}\n");
            return;
        }
        string path = Path.Combine(root, Path.Combine(parts));
        string hostPath = HostPath.Combine(hostRoot, name);
        int mode = (int)entry.Mode & 0xfff;
        bool isDir = entry.EntryType == TarEntryType.Directory;
        if (kernel.IsImmutable(hostPath) && !(isDir && Directory.Exists(path)))
        {
            err.Append($"tar: {entry.Name}: Can't unlink already-existing object: Operation not permitted\n");
            return;
        }
        if (entry is PaxTarEntry pax && pax.ExtendedAttributes.TryGetValue("SCHILY.fflags", out string? fflags)
            && Array.IndexOf(fflags.Split(','), "schg") >= 0)
            kernel.SetImmutable(hostPath, true);
        // bsdtar replaces what is there (a file or a link), never writing through a link.
        if (new FileInfo(path).LinkTarget is not null || (!isDir && File.Exists(path))) File.Delete(path);
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                Directory.CreateDirectory(path);
                modes.Add((path, mode));
                return;
            case TarEntryType.SymbolicLink:
                File.CreateSymbolicLink(path, entry.LinkName);
                return;
            case TarEntryType.HardLink:
            {
                string[] lp = Clean(entry.LinkName).Split('/', StringSplitOptions.RemoveEmptyEntries);
                string source = lp.Length == 0 ? root : Path.Combine(root, Path.Combine(lp));
                // The target is walked like an entry's own path, itself included: no link on the way
                // (bsdtar's secure symlinks cover hard-link targets too), so none reaches a file outside.
                if (lp.Length == 0 || Array.IndexOf(lp, "..") >= 0 || LinkOnTheWay(root, lp, lp.Length, create: false) >= 0 || !File.Exists(source))
                {
                    err.Append($"tar: {entry.Name}: Hard-link target '{entry.LinkName}' does not exist.\n");
                    return;
                }
                Link(source, path);
                return;
            }
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                using (var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                    entry.DataStream?.CopyTo(output);
                SetMode(path, mode);
                return;
            default:
                // Devices and FIFOs need privilege the simulated host does not have (base.txz has none).
                err.Append($"tar: {entry.Name}: {entry.EntryType} entries are not modelled\n");
                return;
        }
    }

    /// <summary>
    /// The index of the first of the first <paramref name="count"/> components that is a symbolic
    /// link, or -1; with <paramref name="create"/>, a missing directory on the way is made.
    /// </summary>
    private static int LinkOnTheWay(string root, string[] parts, int count, bool create)
    {
        string at = root;
        for (int i = 0; i < count; i++)
        {
            at = Path.Combine(at, parts[i]);
            if (new FileInfo(at).LinkTarget is not null) return i;
            if (create && !Directory.Exists(at)) Directory.CreateDirectory(at);
        }
        return -1;
    }

    private static unsafe void Link(string source, string path)
    {
        byte[] s = Encoding.UTF8.GetBytes(source + "\0"), p = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* sp = s, pp = p)
            if (Tmds.Linux.LibC.link(sp, pp) != 0)
                File.Copy(source, path); // a file system without hard links: the content at least
    }

    private static void SetMode(string path, int mode)
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, (UnixFileMode)mode);
    }
}
