using System;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using JailPS.Core.Images;

namespace JailPS.Benchmarks;

/// <summary>
/// The layer check New-Jail -Image and Save-JailImage run before a layer is written: a gzip layer
/// of 20,000 entries and 64 MiB (about FreeBSD's runtime image, uncompressed), hashed twice and its
/// headers walked twice. MemoryDiagnoser shows that file data is streamed, not held: the
/// allocation is the tree of names, not the layer's bytes.
/// </summary>
[MemoryDiagnoser]
public class ImageBenchmarks
{
    private string _blob = "";
    private string _digest = "", _diffId = "";

    [GlobalSetup]
    public void Setup()
    {
        _blob = Path.Combine(Path.GetTempPath(), "jailps-ibench-" + Guid.NewGuid().ToString("N") + ".tar.gz");
        var rng = new Random(42);
        byte[] data = new byte[3355];
        using (var file = File.Create(_blob))
        using (var gz = new GZipStream(file, CompressionLevel.Fastest))
        using (var hashing = new HashingWriteStream(gz))
        {
            using (var w = new TarWriter(hashing, TarEntryFormat.Pax, leaveOpen: true))
            {
                for (int d = 0; d < 200; d++)
                {
                    w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, $"usr/share/d{d}"));
                    for (int f = 0; f < 99; f++)
                    {
                        rng.NextBytes(data);
                        w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"usr/share/d{d}/file{f}.txt") { DataStream = new MemoryStream(data) });
                    }
                }
            }
            hashing.Flush();
            _diffId = hashing.Digest;
        }
        using var s = File.OpenRead(_blob);
        _digest = "sha256:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(s)).ToLowerInvariant();
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_blob);

    [Benchmark(Description = "check a 20,000-entry 64 MiB gzip layer")]
    public int Scan() => OciLayerScanner.Scan(() => File.OpenRead(_blob), LayerCompression.Gzip, _digest, _diffId, new ImageTree(), "bench").Entries;

    /// <summary>Hashes what is written through it (the layer's uncompressed tar: its diff_id).</summary>
    private sealed class HashingWriteStream : Stream
    {
        private readonly Stream _inner;
        private readonly System.Security.Cryptography.IncrementalHash _hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        public HashingWriteStream(Stream inner) => _inner = inner;
        public string Digest => "sha256:" + Convert.ToHexString(_hash.GetCurrentHash()).ToLowerInvariant();
        public override void Write(byte[] buffer, int offset, int count) { _hash.AppendData(buffer, offset, count); _inner.Write(buffer, offset, count); }
        public override void Write(ReadOnlySpan<byte> buffer) { _hash.AppendData(buffer); _inner.Write(buffer); }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() => _inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
