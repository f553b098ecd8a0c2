using System;
using System.Collections.Generic;
using System.Formats.Tar;
using System.IO;
using System.Linq;
using System.Text;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Images;

public enum ImageEntryKind { Directory, File, Symlink }

/// <summary>
/// What the layers applied so far leave in a root, path by path (relative, no leading '/'): the
/// model a layer is checked against before anything of it is written. A path is never looked up
/// on disk, so nothing a layer planted is ever followed while it is checked.
/// </summary>
public sealed class ImageTree
{
    private readonly Dictionary<string, ImageEntryKind> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _children = new(StringComparer.Ordinal);

    public int Count => _entries.Count;

    public ImageEntryKind? KindOf(string path) => _entries.TryGetValue(path, out var k) ? k : null;

    public bool IsFile(string path) => KindOf(path) == ImageEntryKind.File;

    public IReadOnlyCollection<string> ChildrenOf(string dir) => _children.TryGetValue(dir, out var c) ? c : (IReadOnlyCollection<string>)Array.Empty<string>();

    public void Set(string path, ImageEntryKind kind)
    {
        if (_entries.TryGetValue(path, out var old) && old == ImageEntryKind.Directory && kind != ImageEntryKind.Directory)
            Remove(path);   // a file over a directory: tar unlinks the directory's tree first
        _entries[path] = kind;
        string parent = Parent(path);
        if (!_children.TryGetValue(parent, out var set)) _children[parent] = set = new HashSet<string>(StringComparer.Ordinal);
        set.Add(path);
        // A directory tar makes on the way.
        if (parent.Length > 0 && !_entries.ContainsKey(parent)) Set(parent, ImageEntryKind.Directory);
    }

    /// <summary>The path and everything beneath it.</summary>
    public void Remove(string path)
    {
        if (!_entries.Remove(path)) return;
        if (_children.TryGetValue(Parent(path), out var siblings)) siblings.Remove(path);
        if (_children.Remove(path, out var kids))
            foreach (string k in kids.ToList()) Remove(k);
    }

    public static string Parent(string path)
    {
        int i = path.LastIndexOf('/');
        return i < 0 ? "" : path[..i];
    }
}

/// <summary>What applying one layer takes, once it passed the checks.</summary>
public sealed class LayerChanges
{
    /// <summary>Lower layers' paths the layer's whiteouts and opaque directories take away (rm -rf), relative to the root.</summary>
    public List<string> Deletions { get; } = new();
    /// <summary>The whiteout files themselves, which tar writes and which go again after it.</summary>
    public List<string> Markers { get; } = new();
    public string DiffId { get; set; } = "";
    public string Digest { get; set; } = "";
    public int Entries { get; set; }
}

/// <summary>
/// Checks a layer (a tar, plain or compressed) before a byte of it is written, against the tree
/// the layers below it leave: its digest and diff_id, no header larger than
/// <see cref="MaxHeaderBytes"/>, no name with "..", no entry beneath a symbolic link (a link made by
/// this or a lower layer is never a directory), hard links only to a regular file already in the
/// root named without "..", no device nodes or FIFOs. Whiteouts (.wh.NAME) and opaque markers
/// (.wh..wh..opq) become deletions of what lower layers put there. Each refusal has its own
/// error id, and the tree then is not to be used further.
/// </summary>
public static class OciLayerScanner
{
    /// <summary>The most a pax extended header or GNU long name may hold: names and link targets are at most PATH_MAX (1024) on FreeBSD.</summary>
    public const int MaxHeaderBytes = 64 << 10;
    public const string WhiteoutPrefix = ".wh.";
    public const string OpaqueMarker = ".wh..wh..opq";

    /// <summary>
    /// Both passes over the blob: <paramref name="open"/> is called twice. <paramref name="digest"/>
    /// is the blob's (compressed) digest, <paramref name="diffId"/> its uncompressed one from the config.
    /// </summary>
    public static LayerChanges Scan(Func<Stream> open, LayerCompression compression, string digest, string diffId, ImageTree tree, string what)
    {
        var changes = new LayerChanges { Digest = digest, DiffId = diffId };
        // The blob first, as it is on disk: nothing is decompressed that is not the blob the manifest names.
        using (var file = new HashingReadStream(open()))
        {
            file.Drain();
            if (file.Digest != digest)
                throw new JailOperationException("JailImageDigestMismatch", what,
                    $"{what}: the layer blob hashes to {file.Digest}, not {digest}; nothing of it was written.",
                    "Save the image again (Save-JailImage -Force): the cached blob is damaged.") { TargetObject = digest };
        }
        // Pass 1: raw headers, and the diff_id, before .NET's reader sees a header of any size.
        using (var tar = new HashingReadStream(ArchiveStreams.Decompress(open(), ArchiveStreams.Of(compression))))
        {
            try
            {
                CheckHeaders(tar, what);
                tar.Drain();
            }
            catch (EndOfStreamException) { throw Corrupt(what, "the archive ends inside an entry"); }
            catch (Exception ex) when (ex is not JailOperationException and not OperationCanceledException) { throw Corrupt(what, ex.Message); }
            if (tar.Digest != diffId)
                throw new JailOperationException("JailImageDigestMismatch", what,
                    $"{what}: the layer's uncompressed tar hashes to {tar.Digest}, but the image configuration says its diff_id is {diffId}; nothing of it was written.",
                    "The image is inconsistent: use another tag or build of it.") { TargetObject = digest };
        }
        // Pass 2: the entries, checked in order against the tree; whiteouts are applied first (image-spec: "regardless of order").
        var entries = new List<(string Name, TarEntryType Type, string Link)>();
        using (var file = open())
        using (var tar = ArchiveStreams.Decompress(file, ArchiveStreams.Of(compression)))
        {
            try
            {
                using var reader = new TarReader(tar);
                while (reader.GetNextEntry(copyData: false) is { } entry)
                    entries.Add((entry.Name, entry.EntryType, entry.LinkName));
            }
            catch (Exception ex) when (ex is not JailOperationException and not OperationCanceledException)
            {
                throw Corrupt(what, ex.Message);
            }
        }
        changes.Entries = entries.Count;
        var lower = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (raw, _, _) in entries)
        {
            string name = Relative(raw, what);
            if (name.Length == 0) continue;
            string leaf = name[(name.LastIndexOf('/') + 1)..], parent = ImageTree.Parent(name);
            if (leaf == OpaqueMarker)
            {
                CheckParents(tree, name, what, raw);
                changes.Markers.Add(name);
                foreach (string child in tree.ChildrenOf(parent).OrderBy(c => c, StringComparer.Ordinal).ToList())
                {
                    changes.Deletions.Add(child);
                    tree.Remove(child);
                }
            }
            else if (leaf.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                string hidden = leaf[WhiteoutPrefix.Length..];
                if (hidden is "" or "." or "..")
                    throw Outside(what, raw, "a whiteout that names no file in its directory");
                CheckParents(tree, name, what, raw);
                changes.Markers.Add(name);
                string target = parent.Length == 0 ? hidden : parent + "/" + hidden;
                if (tree.KindOf(target) is not null)
                {
                    changes.Deletions.Add(target);
                    tree.Remove(target);
                }
            }
        }
        foreach (var (raw, type, link) in entries)
        {
            string name = Relative(raw, what);
            if (name.Length == 0) continue;
            string leaf = name[(name.LastIndexOf('/') + 1)..];
            CheckParents(tree, name, what, raw);
            if (leaf.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
                continue;   // written by tar, taken away after it (see Markers); never part of the tree
            switch (type)
            {
                case TarEntryType.Directory:
                    tree.Set(name, ImageEntryKind.Directory);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    tree.Set(name, ImageEntryKind.File);
                    break;
                case TarEntryType.SymbolicLink:
                    if (link.Length == 0 || link.Contains('\0'))
                        throw new JailOperationException("JailImageLayerLinkInvalid", what, $"{what}: {raw} is a symbolic link with no target; nothing of the layer was written.", "Rebuild the image.") { TargetObject = raw };
                    tree.Set(name, ImageEntryKind.Symlink);
                    break;
                case TarEntryType.HardLink:
                {
                    string target = link.TrimStart('/').Length != link.Length || link.Split('/').Contains("..")
                        ? throw new JailOperationException("JailImageLayerLinkOutside", what,
                            $"{what}: {raw} is a hard link to \"{link}\", a name {(link.StartsWith('/') ? "that is absolute" : "with a \"..\" component")}, which could name a file outside the jail's root; nothing of the layer was written.",
                            "Use an image whose hard links name files of the image by their path inside it.") { TargetObject = raw }
                        : Relative(link, what);
                    CheckParents(tree, target, what, raw);
                    if (!tree.IsFile(target))
                        throw new JailOperationException("JailImageLayerLinkInvalid", what,
                            $"{what}: {raw} is a hard link to \"{link}\", which is {(tree.KindOf(target) is { } k ? "a " + k.ToString().ToLowerInvariant() : "not in this layer or a lower one")}, not a regular file; nothing of the layer was written.",
                            "Rebuild the image.") { TargetObject = raw };
                    tree.Set(name, ImageEntryKind.File);
                    break;
                }
                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice:
                    throw new JailOperationException("JailImageLayerDeviceNode", what,
                        $"{what}: {raw} is a {(type == TarEntryType.CharacterDevice ? "character" : "block")} device node; a jail gets its devices from devfs and its ruleset, never from its image, so nothing of the layer was written.",
                        "Use an image without device nodes (a jail's /dev is devfs, mounted by mount.devfs).") { TargetObject = raw };
                default:
                    throw new JailOperationException("JailImageLayerEntryUnsupported", what,
                        $"{what}: {raw} is a {type} entry, which JailPS does not apply (it takes files, directories, symbolic and hard links); nothing of the layer was written.",
                        "Use an image without such entries.") { TargetObject = raw };
            }
        }
        return changes;
    }

    /// <summary>An entry's name as tar writes it beneath the root: leading "/" and "./" gone (bsdtar strips them too), no ".." component.</summary>
    public static string Relative(string name, string what)
    {
        string n = name;
        while (true)
        {
            if (n.StartsWith('/')) n = n[1..];
            else if (n.StartsWith("./", StringComparison.Ordinal)) n = n[2..];
            else break;
        }
        n = n.TrimEnd('/');
        if (n == ".") return "";
        var parts = n.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains(".."))
            throw Outside(what, name, "a name with a \"..\" component");
        if (n.Contains('\0'))
            throw Outside(what, name, "a name with a NUL byte");
        return string.Join('/', parts);
    }

    /// <summary>Every directory on the way must be a directory in the tree (or a new one), never a symbolic link.</summary>
    private static void CheckParents(ImageTree tree, string name, string what, string raw)
    {
        string[] parts = name.Split('/');
        string at = "";
        for (int i = 0; i < parts.Length - 1; i++)
        {
            at = i == 0 ? parts[0] : at + "/" + parts[i];
            var kind = tree.KindOf(at);
            if (kind == ImageEntryKind.Symlink)
                throw new JailOperationException("JailImageLayerThroughLink", what,
                    $"{what}: {raw} lies beneath {at}, which is a symbolic link in the image: writing it would follow the link, perhaps out of the jail's root; nothing of the layer was written.",
                    "Use an image that does not use a symbolic link as a directory.") { TargetObject = raw };
            if (kind == ImageEntryKind.File)
                throw new JailOperationException("JailImageLayerThroughLink", what,
                    $"{what}: {raw} lies beneath {at}, which is a file in the image, not a directory; nothing of the layer was written.",
                    "Rebuild the image.") { TargetObject = raw };
        }
    }

    /// <summary>
    /// Walks the tar's 512-byte headers as they come: a pax extended header or GNU long name or link
    /// larger than <see cref="MaxHeaderBytes"/> is refused before anything reads it into memory.
    /// </summary>
    private static void CheckHeaders(Stream tar, string what)
    {
        byte[] block = new byte[512], skip = new byte[1 << 16];
        long? paxSize = null;
        while (true)
        {
            if (tar.ReadAtLeast(block, 512, throwOnEndOfStream: false) < 512)
                throw new InvalidDataException("the archive ends inside a header");
            if (Array.TrueForAll(block, b => b == 0)) return;   // the end-of-archive blocks
            long size = ParseSize(block.AsSpan(124, 12));
            char type = (char)block[156];
            if (type is 'x' or 'g' or 'L' or 'K')
            {
                if (size > MaxHeaderBytes)
                    throw new JailOperationException("JailImageLayerHeaderTooLarge", what,
                        $"{what}: an entry's {(type is 'x' or 'g' ? "pax extended" : "GNU long-name")} header is {size} bytes, more than the {MaxHeaderBytes} JailPS reads; nothing of the layer was written.",
                        "This is not an image a build tool makes; use another.") { TargetObject = what };
                byte[] data = new byte[size];
                tar.ReadExactly(data);
                Skip(tar, Pad(size) - size, skip);
                if (type == 'x') paxSize = PaxSize(data);
                continue;
            }
            if (paxSize is long p) size = p;
            paxSize = null;
            // Links, directories and devices carry no data whatever their size field says (as bsdtar reads them).
            if (type is '1' or '2' or '3' or '4' or '5' or '6') size = 0;
            Skip(tar, Pad(size), skip);
        }
    }

    private static long Pad(long size) => (size + 511) / 512 * 512;

    private static void Skip(Stream s, long count, byte[] buffer)
    {
        while (count > 0)
        {
            int n = s.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (n == 0) throw new EndOfStreamException();
            count -= n;
        }
    }

    /// <summary>tar's size field: octal digits, or base-256 with the high bit set (GNU, star, bsdtar).</summary>
    private static long ParseSize(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            if ((field[0] & 0x40) != 0) throw new InvalidDataException("a negative size");
            long v = field[0] & 0x3f;
            for (int i = 1; i < field.Length; i++)
            {
                if (v > (long.MaxValue >> 8)) throw new InvalidDataException("a size too large");
                v = (v << 8) | field[i];
            }
            return v;
        }
        long size = 0;
        foreach (byte b in field)
        {
            if (b is 0 or (byte)' ') { if (size > 0) break; continue; }
            if (b < '0' || b > '7') throw new InvalidDataException("a size field that is not octal");
            size = size * 8 + (b - '0');
            if (size > (1L << 50)) throw new InvalidDataException("a size too large");
        }
        return size;
    }

    /// <summary>The "size" record of a pax header ("LEN size=N\n"), which overrides the next entry's size field.</summary>
    private static long? PaxSize(byte[] data)
    {
        int i = 0;
        long? size = null;
        while (i < data.Length)
        {
            int space = Array.IndexOf(data, (byte)' ', i);
            if (space < 0) break;
            if (!int.TryParse(Encoding.ASCII.GetString(data, i, space - i), out int len) || len <= 0 || i + len > data.Length)
                throw new InvalidDataException("a pax record with a bad length");
            string record = Encoding.UTF8.GetString(data, space + 1, len - (space - i) - 2);
            if (record.StartsWith("size=", StringComparison.Ordinal))
                size = long.TryParse(record[5..], out long s) && s >= 0 ? s : throw new InvalidDataException("a pax size that is not a number");
            i += len;
        }
        return size;
    }

    private static JailOperationException Outside(string what, string raw, string why)
        => new("JailImageLayerPathOutside", what,
            $"{what}: {raw} is {why}, which tar could write outside the jail's root; nothing of the layer was written.",
            "Use an image whose entries are paths inside it.") { TargetObject = raw };

    private static JailOperationException Corrupt(string what, string why)
        => new("JailImageLayerCorrupt", what, $"{what}: the layer is not a readable tar archive ({why}); nothing of it was written.",
            "Save the image again (Save-JailImage -Force); if it fails the same way, the image is damaged.") { TargetObject = what };
}
