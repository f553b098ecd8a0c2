using System;
using System.IO;
using System.IO.Compression;
using System.Security.Cryptography;
using SharpCompress.Compressors.Xz;
using SharpCompress.Compressors.ZStandard;

namespace JailPS.Core.Images;

/// <summary>
/// The one place a compressed tar stream is opened: by what its first bytes say (as bsdtar and
/// libarchive decide, whatever the file is called), or by what an OCI media type says.
/// </summary>
public static class ArchiveStreams
{
    public enum Kind { Tar, Gzip, Xz, Zstd }

    /// <summary>The compression of a seekable stream, from its magic number; the position is kept.</summary>
    public static Kind Sniff(Stream stream)
    {
        long at = stream.Position;
        Span<byte> magic = stackalloc byte[6];
        int n = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        stream.Position = at;
        if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return Kind.Gzip;
        if (n >= 6 && magic[0] == 0xfd && magic[1] == (byte)'7' && magic[2] == (byte)'z' && magic[3] == (byte)'X' && magic[4] == (byte)'Z' && magic[5] == 0) return Kind.Xz;
        if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) return Kind.Zstd;
        return Kind.Tar;
    }

    public static Kind Of(LayerCompression c) => c switch
    {
        LayerCompression.Gzip => Kind.Gzip,
        LayerCompression.Zstd => Kind.Zstd,
        _ => Kind.Tar,
    };

    /// <summary>The uncompressed tar stream; disposing it disposes <paramref name="stream"/>.</summary>
    public static Stream Decompress(Stream stream, Kind kind) => kind switch
    {
        Kind.Gzip => new GZipStream(stream, CompressionMode.Decompress, leaveOpen: false),
        Kind.Xz => new XZStream(stream),
        Kind.Zstd => new DecompressionStream(stream, leaveOpen: false),
        _ => stream,
    };

    /// <summary>Opens a file's tar stream, its compression sniffed.</summary>
    public static Stream OpenTar(Stream file) => Decompress(file, Sniff(file));
}

/// <summary>A read-only pass-through that hashes (SHA-256) and counts what is read through it.</summary>
public sealed class HashingReadStream : Stream
{
    private readonly Stream _inner;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly bool _leaveOpen;

    public HashingReadStream(Stream inner, bool leaveOpen = false)
    {
        _inner = inner;
        _leaveOpen = leaveOpen;
    }

    public long BytesRead { get; private set; }

    /// <summary>"sha256:HEX" of everything read so far.</summary>
    public string Digest => "sha256:" + Convert.ToHexString(_hash.GetCurrentHash()).ToLowerInvariant();

    /// <summary>Reads what is left, so the digest covers the whole stream.</summary>
    public void Drain()
    {
        byte[] buffer = new byte[1 << 16];
        while (Read(buffer, 0, buffer.Length) > 0) { }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = _inner.Read(buffer);
        if (n > 0)
        {
            _hash.AppendData(buffer[..n]);
            BytesRead += n;
        }
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
            if (!_leaveOpen) _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
