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
    public string DiffId { get; set; } = "";
    public string Digest { get; set; } = "";
    public int Entries { get; set; }
}

/// <summary>
/// Checks a layer (a tar, plain or compressed) before a byte of it is written, against the tree
/// the layers below it leave: its digest and diff_id, no header larger than
/// <see cref="MaxHeaderBytes"/>, no name or link longer than PATH_MAX, no name with "..", no entry
/// beneath a symbolic link (a link made by this or a lower layer is never a directory) or beneath a
/// whiteout, hard links only to a regular file already in the root named without "..", no device
/// nodes, FIFOs or sparse files. Whiteouts (.wh.NAME) and opaque markers (.wh..wh..opq) become
/// deletions of what lower layers put there. Each refusal has its own error id, and the tree then
/// is not to be used further.
///
/// With an output stream, the layer that passed is written out again (<see cref="Scan"/>'s third
/// pass): a plain pax tar of exactly the entries checked, by the names .NET's reader gave them, with
/// their type, link, mode, owner, times, file flags and data and nothing else, whiteouts left out.
/// That tar, never the blob, is what FreeBSD's tar extracts: tar and .NET read some headers
/// differently (a ustar prefix beside a non-standard magic, pax keywords such as GNU.sparse.name
/// or a linkpath on a file, a compressed stream nested in a "plain" layer), and the entries tar
/// writes must be the ones that were checked.
/// </summary>
public static class OciLayerScanner
{
    /// <summary>The most a pax extended header or GNU long name may hold: names and link targets are at most PATH_MAX (1024) on FreeBSD.</summary>
    public const int MaxHeaderBytes = 64 << 10;
    /// <summary>PATH_MAX on FreeBSD (sys/syslimits.h): no name or link target longer than this is a path the jail could use.</summary>
    public const int MaxNameBytes = 1024;
    /// <summary>Entries one layer may hold: FreeBSD's whole base is about 30,000; the tree of names is held in memory.</summary>
    public const int MaxEntries = 2_000_000;
    /// <summary>The most file data one layer may hold, uncompressed (and what its rebuilt tar takes on disk).</summary>
    public const long MaxLayerBytes = 64L << 30;
    /// <summary>The pax keywords carried into the rebuilt tar: FreeBSD's file flags (bsdtar -p restores them). Others (xattrs, ACLs) are not.</summary>
    public const string FlagsKeyword = "SCHILY.fflags";
    public const string WhiteoutPrefix = ".wh.";
    public const string OpaqueMarker = ".wh..wh..opq";

    /// <summary>
    /// The passes over the blob: <paramref name="open"/> is called for each. <paramref name="digest"/>
    /// is the blob's (compressed) digest, <paramref name="diffId"/> its uncompressed one from the
    /// config. With <paramref name="rebuilt"/>, the checked entries are written to it as a plain tar.
    /// </summary>
    public static LayerChanges Scan(Func<Stream> open, LayerCompression compression, string digest, string diffId, ImageTree tree, string what, Stream? rebuilt = null)
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
        long dataBytes = 0;
        using (var file = open())
        using (var tar = ArchiveStreams.Decompress(file, ArchiveStreams.Of(compression)))
        {
            try
            {
                using var reader = new TarReader(tar);
                while (reader.GetNextEntry(copyData: false) is { } entry)
                {
                    if (entries.Count >= MaxEntries)
                        throw TooLarge(what, $"it holds more than {MaxEntries} entries");
                    if (System.Text.Encoding.UTF8.GetByteCount(entry.Name) >= MaxNameBytes || System.Text.Encoding.UTF8.GetByteCount(entry.LinkName) >= MaxNameBytes)
                        throw new JailOperationException("JailImageLayerHeaderTooLarge", what,
                            $"{what}: an entry's name or link target is {Math.Max(entry.Name.Length, entry.LinkName.Length)} characters, longer than PATH_MAX ({MaxNameBytes}); nothing of the layer was written.",
                            "This is not a path a FreeBSD jail can use; use another image.") { TargetObject = entry.Name.Length > 200 ? entry.Name[..200] + "..." : entry.Name };
                    if (entry is PaxTarEntry pax && pax.ExtendedAttributes.Keys.Any(k => k.StartsWith("GNU.sparse", StringComparison.Ordinal)))
                        throw new JailOperationException("JailImageLayerEntryUnsupported", what,
                            $"{what}: {entry.Name} is a sparse file (pax GNU.sparse keywords), which the image spec says layers should not use and JailPS does not apply; nothing of the layer was written.",
                            "Use an image built without sparse files (bsdtar --no-read-sparse, as FreeBSD's own images are).") { TargetObject = entry.Name };
                    dataBytes += entry.Length;
                    if (dataBytes > MaxLayerBytes)
                        throw TooLarge(what, $"its files hold more than {MaxLayerBytes >> 30} GiB");
                    entries.Add((entry.Name, entry.EntryType, entry.LinkName));
                }
            }
            catch (Exception ex) when (ex is not JailOperationException and not OperationCanceledException)
            {
                throw Corrupt(what, ex.Message);
            }
        }
        changes.Entries = entries.Count;
        foreach (var (raw, _, _) in entries)
        {
            string name = Relative(raw, what);
            if (name.Length == 0) continue;
            string leaf = name[(name.LastIndexOf('/') + 1)..], parent = ImageTree.Parent(name);
            if (leaf == OpaqueMarker)
            {
                CheckParents(tree, name, what, raw);
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
            if (name.Split('/')[..^1].Any(p => p.StartsWith(WhiteoutPrefix, StringComparison.Ordinal)))
                throw new JailOperationException("JailImageLayerWhiteoutInvalid", what,
                    $"{what}: {raw} lies beneath a whiteout ({WhiteoutPrefix}NAME), which is a marker, not a directory; nothing of the layer was written.",
                    "Rebuild the image.") { TargetObject = raw };
            if (leaf.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
                continue;   // applied above as deletions; never written, never part of the tree
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
        if (rebuilt is not null) Rebuild(open, compression, entries, rebuilt, what);
        return changes;
    }

    /// <summary>
    /// The third pass: the same entries read again (they must be the same, in the same order), each
    /// written anew as a pax entry of its checked name, type and link, with its mode, owner, times,
    /// file flags and data only. The tar starts with a "./" directory entry, so its first bytes are
    /// never a compression signature tar would act on.
    /// </summary>
    private static void Rebuild(Func<Stream> open, LayerCompression compression, List<(string Name, TarEntryType Type, string Link)> checkedEntries, Stream output, string what)
    {
        using var file = open();
        using var tar = ArchiveStreams.Decompress(file, ArchiveStreams.Of(compression));
        using var reader = new TarReader(tar);
        using var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "./") { Mode = (UnixFileMode)0b111_101_101, Uid = 0, Gid = 0 });
        int i = 0;
        try
        {
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (i >= checkedEntries.Count || checkedEntries[i].Name != entry.Name || checkedEntries[i].Type != entry.EntryType || checkedEntries[i].Link != entry.LinkName)
                    throw Corrupt(what, $"entry {i} read differently the second time");
                i++;
                string name = Relative(entry.Name, what);
                if (name.Length == 0 || name[(name.LastIndexOf('/') + 1)..].StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
                    continue;
                var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
                if (entry is PaxTarEntry pax && pax.ExtendedAttributes.TryGetValue(FlagsKeyword, out string? flags))
                    attributes[FlagsKeyword] = flags;
                var type = entry.EntryType is TarEntryType.V7RegularFile or TarEntryType.ContiguousFile ? TarEntryType.RegularFile : entry.EntryType;
                var copy = new PaxTarEntry(type, type == TarEntryType.Directory ? name + "/" : name, attributes)
                {
                    Mode = entry.Mode, Uid = entry.Uid, Gid = entry.Gid, ModificationTime = entry.ModificationTime,
                };
                if (entry is PosixTarEntry posix)
                {
                    copy.UserName = posix.UserName;
                    copy.GroupName = posix.GroupName;
                }
                if (type == TarEntryType.SymbolicLink) copy.LinkName = entry.LinkName;
                else if (type == TarEntryType.HardLink) copy.LinkName = Relative(entry.LinkName, what);
                else if (type == TarEntryType.RegularFile) copy.DataStream = entry.DataStream;
                writer.WriteEntry(copy);
            }
        }
        catch (IOException ex)
        {
            throw new JailOperationException("JailImageWriteFailed", what, $"{what}: writing the checked layer out for tar failed: {ex.Message}; nothing of it was applied.",
                $"Free space under {JailImageService.CacheRoot}, then try again.") { TargetObject = what };
        }
        catch (Exception ex) when (ex is not JailOperationException and not OperationCanceledException)
        {
            throw Corrupt(what, ex.Message);
        }
        if (i != checkedEntries.Count) throw Corrupt(what, "fewer entries the second time");
    }

    private static JailOperationException TooLarge(string what, string why)
        => new("JailImageLayerTooLarge", what, $"{what}: {why}, more than JailPS applies; nothing of the layer was written.",
            "Use a smaller image, or split it into layers.") { TargetObject = what };

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
