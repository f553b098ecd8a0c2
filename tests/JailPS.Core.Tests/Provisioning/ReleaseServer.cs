using System.Net;
using System.Threading;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace JailPS.Core.Tests.Provisioning;

/// <summary>
/// A release mirror for tests: an HttpListener on 127.0.0.1 (a free port) that serves files at
/// their paths, honours Range requests as a mirror does, and can be told to cut a file off after
/// some bytes once (a dropped connection). Stopped when disposed.
/// </summary>
public sealed class ReleaseServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly Thread _thread;

    public ReleaseServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _thread = new Thread(Serve) { IsBackground = true };
        _thread.Start();
    }

    public string Url { get; }

    /// <summary>Requests seen, as "GET /path" plus " bytes=N-" for a range.</summary>
    public List<string> Requests { get; } = new();

    /// <summary>The next response for this path stops after this many bytes (then the connection drops).</summary>
    public Dictionary<string, int> CutOnce { get; } = new(StringComparer.Ordinal);

    /// <summary>Asked first for every request; true when it answered (a registry's token service, a 401, a redirect).</summary>
    public Func<HttpListenerContext, bool>? Route { get; set; }

    /// <summary>Headers sent with a file served at a path (a manifest's Content-Type, Docker-Content-Digest).</summary>
    public Dictionary<string, Dictionary<string, string>> Headers { get; } = new(StringComparer.Ordinal);

    public void Put(string path, byte[] content) { lock (_files) _files[path] = content; }

    public void Put(string path, string text) => Put(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>A release directory with MANIFEST and the given dists (name → bytes); returns the mirror URL.</summary>
    public string PutRelease(string release, IDictionary<string, byte[]> dists, string arch = "amd64/amd64")
    {
        var manifest = new System.Text.StringBuilder();
        foreach (var (name, bytes) in dists)
        {
            Put($"/releases/{arch}/{release}/{name}", bytes);
            string dist = name[..^4].Replace('-', '_');
            manifest.Append($"{name}\t{Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant()}\t3\t{dist}\t\"{dist}\"\ton\n");
        }
        Put($"/releases/{arch}/{release}/MANIFEST", manifest.ToString());
        return Url.TrimEnd('/');
    }

    private void Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = _listener.GetContext(); }
            catch (Exception) { return; }
            try { Answer(ctx); }
            catch (Exception) { try { ctx.Response.Abort(); } catch (Exception) { } }
        }
    }

    private void Answer(HttpListenerContext ctx)
    {
        string path = ctx.Request.Url!.AbsolutePath;
        string? range = ctx.Request.Headers["Range"];
        lock (Requests) Requests.Add($"GET {path}" + (range is null ? "" : " " + range));
        if (Route?.Invoke(ctx) == true) return;
        byte[]? body;
        lock (_files) _files.TryGetValue(path, out body);
        if (body is null)
        {
            ctx.Response.StatusCode = 404;
            ctx.Response.Close();
            return;
        }
        long from = 0;
        if (range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && long.TryParse(range[6..].TrimEnd('-'), out long f))
        {
            if (f >= body.Length)
            {
                ctx.Response.StatusCode = 416;
                ctx.Response.Close();
                return;
            }
            from = f;
            ctx.Response.StatusCode = 206;
            ctx.Response.AddHeader("Content-Range", $"bytes {from}-{body.Length - 1}/{body.Length}");
        }
        Dictionary<string, string>? extra;
        lock (Headers) Headers.TryGetValue(path, out extra);
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
            if (k == "Content-Type") ctx.Response.ContentType = v; else ctx.Response.AddHeader(k, v);
        ctx.Response.ContentLength64 = body.Length - from;
        int cut;
        bool cutting;
        lock (CutOnce) { cutting = CutOnce.Remove(path, out cut); }
        if (cutting)
        {
            ctx.Response.OutputStream.Write(body, (int)from, Math.Min(cut, body.Length - (int)from));
            ctx.Response.OutputStream.Flush();
            ctx.Response.Abort(); // the connection drops mid-file
            return;
        }
        ctx.Response.OutputStream.Write(body, (int)from, body.Length - (int)from);
        ctx.Response.Close();
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }
}
