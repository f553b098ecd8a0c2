using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;

namespace JailPS.Core.Provisioning;

/// <summary>Why a fetch failed: the source does not have the file, or the transfer broke off.</summary>
public sealed class ReleaseFetchException : Exception
{
    public ReleaseFetchException(bool notFound, string message, Exception? inner = null, int status = 0) : base(message, inner)
    {
        NotFound = notFound;
        Status = status;
    }

    public bool NotFound { get; }

    /// <summary>The HTTP status that ended it (401 when a registry wants a token), or 0.</summary>
    public int Status { get; }
}

/// <summary>A small answer read whole: its status, body and the headers a registry client needs.</summary>
public sealed record FetchResponse(int Status, byte[] Body, string? ContentType, string? WwwAuthenticate, string? ContentDigest, string Url);

/// <summary>Writing what was fetched failed (a full disk): not a network error, so not resumable by trying again.</summary>
public sealed class ReleaseWriteException : Exception
{
    public ReleaseWriteException(IOException inner) : base(inner.Message, inner) { }
}

/// <summary>
/// Where releases come from: an http(s) mirror in FreeBSD's layout, or a local directory (an
/// offline host, install media). The same code runs on the real host and the simulated one; the
/// simulated host's downloads are real, into its directory.
/// </summary>
public interface IReleaseFetcher
{
    /// <summary>A small text file (MANIFEST), whole.</summary>
    string FetchText(string source, CancellationToken cancel);

    /// <summary>
    /// Copies the file into <paramref name="destination"/> from byte <paramref name="offset"/> on,
    /// reporting (bytes so far, total or null). A source that cannot resume sends the file from its
    /// start, and the destination is cut back to empty first.
    /// </summary>
    void Fetch(string source, Stream destination, long offset, Action<long, long?> progress, CancellationToken cancel)
        => Fetch(source, destination, offset, progress, cancel, null, null);

    /// <summary>
    /// <see cref="Fetch(string, Stream, long, Action{long, long?}, CancellationToken)"/> with request
    /// headers (a registry's Authorization; never sent on to a host a redirect points at) and a
    /// limit: a body longer than <paramref name="limit"/> bytes is a failure, not a full disk.
    /// </summary>
    void Fetch(string source, Stream destination, long offset, Action<long, long?> progress, CancellationToken cancel, IReadOnlyDictionary<string, string>? headers, long? limit);

    /// <summary>One GET answered whole, whatever its status (an OCI registry's manifests and tokens), its body at most <paramref name="maxBytes"/>.</summary>
    FetchResponse Get(string url, IReadOnlyDictionary<string, string> headers, int maxBytes, CancellationToken cancel);
}

/// <summary>http(s) with HttpClient (Range requests to resume a .part file), and local files.</summary>
public sealed class ReleaseFetcher : IReleaseFetcher
{
    private static readonly Lazy<HttpClient> s_http = new(() => new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, ConnectTimeout = TimeSpan.FromSeconds(30) })
    {
        Timeout = Timeout.InfiniteTimeSpan, // a base.txz takes minutes; a stall is caught by the read timeout below
    });

    /// <summary>How long a read may wait for bytes before the transfer counts as broken off.</summary>
    public static TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public static bool IsUrl(string source) => source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    public string FetchText(string source, CancellationToken cancel)
    {
        using var buffer = new MemoryStream();
        Fetch(source, buffer, 0, (_, _) => { }, cancel);
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    public void Fetch(string source, Stream destination, long offset, Action<long, long?> progress, CancellationToken cancel)
        => Fetch(source, destination, offset, progress, cancel, null, null);

    public FetchResponse Get(string url, IReadOnlyDictionary<string, string> headers, int maxBytes, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (k, v) in headers) request.Headers.TryAddWithoutValidation(k, v);
        using var response = Send(url, request, cancel);
        using var body = new MemoryStream();
        if (response.Content.Headers.ContentLength is long declared && declared > maxBytes)
            throw new ReleaseFetchException(false, $"{url}: the answer is {declared} bytes, more than the {maxBytes} allowed", status: (int)response.StatusCode);
        using (var input = response.Content.ReadAsStream(cancel))
            Copy(url, input, body, 0, null, (_, _) => { }, cancel, maxBytes);
        string? Header(string name) => response.Headers.TryGetValues(name, out var v) ? string.Join(", ", v) : null;
        return new FetchResponse((int)response.StatusCode, body.ToArray(), response.Content.Headers.ContentType?.MediaType,
            Header("WWW-Authenticate"), Header("Docker-Content-Digest"), response.RequestMessage?.RequestUri?.ToString() ?? url);
    }

    private static HttpResponseMessage Send(string source, HttpRequestMessage request, CancellationToken cancel)
    {
        using var headers = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        // A server that takes the connection but never answers is a failure, not a hang.
        headers.CancelAfter(ReadTimeout);
        try
        {
            return s_http.Value.Send(request, HttpCompletionOption.ResponseHeadersRead, headers.Token);
        }
        catch (HttpRequestException ex)
        {
            throw new ReleaseFetchException(false, $"{source}: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex) when (!cancel.IsCancellationRequested)
        {
            throw new ReleaseFetchException(false, $"{source}: no answer within {ReadTimeout.TotalSeconds:0} seconds", ex);
        }
    }

    public void Fetch(string source, Stream destination, long offset, Action<long, long?> progress, CancellationToken cancel, IReadOnlyDictionary<string, string>? headers, long? limit)
    {
        if (!IsUrl(source))
        {
            FetchLocal(source, destination, offset, progress, cancel);
            return;
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, source);
        if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
        foreach (var (k, v) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(k, v);
        HttpResponseMessage response = Send(source, request, cancel);
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new ReleaseFetchException(true, $"{source}: 404 Not Found");
            if (offset > 0 && response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                return; // the .part already holds the whole file; the checksum decides
            if (!response.IsSuccessStatusCode)
                throw new ReleaseFetchException(false, $"{source}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}", status: (int)response.StatusCode);
            long done = offset;
            if (offset > 0 && response.StatusCode != HttpStatusCode.PartialContent)
            {
                // The server sent the whole file: start the .part again.
                destination.SetLength(0);
                destination.Position = 0;
                done = 0;
            }
            long? total = response.Content.Headers.ContentLength is long len ? len + done : null;
            using var body = response.Content.ReadAsStream(cancel);
            Copy(source, body, destination, done, total, progress, cancel, limit);
        }
    }

    private static void FetchLocal(string source, Stream destination, long offset, Action<long, long?> progress, CancellationToken cancel)
    {
        string path = source.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(source).LocalPath : source;
        if (!File.Exists(path))
            throw new ReleaseFetchException(true, $"{path}: no such file");
        using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        if (offset > input.Length) { destination.SetLength(0); offset = 0; }
        input.Position = offset;
        Copy(path, input, destination, offset, input.Length, progress, cancel);
    }

    private static void Copy(string source, Stream input, Stream output, long done, long? total, Action<long, long?> progress, CancellationToken cancel, long? limit = null)
    {
        byte[] buffer = new byte[1 << 16];
        try
        {
            while (true)
            {
                cancel.ThrowIfCancellationRequested();
                using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                stall.CancelAfter(ReadTimeout);
                int n = input.ReadAsync(buffer, stall.Token).AsTask().GetAwaiter().GetResult();
                if (n == 0) break;
                try
                {
                    output.Write(buffer, 0, n);
                }
                catch (IOException ex)
                {
                    throw new ReleaseWriteException(ex); // the disk, not the network
                }
                done += n;
                if (limit is long max && done > max)
                    throw new ReleaseFetchException(false, $"{source}: the server sent more than the {max} bytes expected");
                progress(done, total);
            }
        }
        catch (Exception ex) when (ex is not ReleaseFetchException && (ex is IOException or HttpRequestException || (ex is OperationCanceledException && !cancel.IsCancellationRequested)))
        {
            output.Flush();
            throw new ReleaseFetchException(false, $"{source}: the transfer broke off after {done} bytes ({ex.Message})", ex);
        }
        output.Flush();
        if (total is long t && done < t)
            throw new ReleaseFetchException(false, $"{source}: the transfer ended after {done} of {t} bytes");
    }
}
