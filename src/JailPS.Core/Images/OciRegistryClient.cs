using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using JailPS.Core.Lifecycle;
using JailPS.Core.Provisioning;

namespace JailPS.Core.Images;

/// <summary>A registry login: a PSCredential's, or one read from a podman/docker auth file.</summary>
public sealed record RegistryCredential(string User, string Password);

/// <summary>
/// The OCI distribution API, the few calls a pull needs: GET /v2/NAME/manifests/REF (Accept: the
/// index and manifest types), GET /v2/NAME/blobs/DIGEST (redirects to a blob store followed, the
/// Authorization header not sent on), and the bearer-token flow registries use: a 401 with
/// WWW-Authenticate: Bearer realm=...,service=...,scope=... is answered by a GET of the realm
/// (Basic-authenticated when a credential is given, anonymous otherwise), whose JSON token (or
/// access_token) is sent as Bearer from then on. http is used only for a registry on the host's own
/// loopback; every other is https.
/// </summary>
public sealed class OciRegistryClient
{
    private static readonly Regex s_param = new("([A-Za-z]+)=\"([^\"]*)\"", RegexOptions.CultureInvariant);

    private readonly IReleaseFetcher _fetcher;
    private readonly OciReference _ref;
    private readonly RegistryCredential? _credential;
    private readonly CancellationToken _cancel;
    private string? _authorization;

    public OciRegistryClient(IReleaseFetcher fetcher, OciReference reference, RegistryCredential? credential, CancellationToken cancel)
    {
        _fetcher = fetcher;
        _ref = reference;
        _credential = credential;
        _cancel = cancel;
    }

    public static bool IsLoopback(string registry)
    {
        string host = registry.StartsWith('[') ? registry[1..registry.IndexOf(']')] : registry.Split(':')[0];
        return host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    public string BaseUrl => $"{(IsLoopback(_ref.ApiHost) ? "http" : "https")}://{_ref.ApiHost}/v2/{_ref.Repository}";

    /// <summary>A manifest or index by tag or digest: its bytes, checked against the digest asked for (or Docker-Content-Digest).</summary>
    public (byte[] Body, string? MediaType, string Digest) GetManifest(string key)
    {
        string url = $"{BaseUrl}/manifests/{key}";
        var headers = new Dictionary<string, string> { ["Accept"] = string.Join(", ", OciMediaTypes.ManifestAccept) };
        var r = Send(url, headers, OciDocuments.MaxManifestBytes);
        if (r.Status == 404)
            throw new JailOperationException("JailImageNotFound", _ref.Canonical,
                $"{_ref.Canonical}: the registry has no manifest {key} in {_ref.Repository} (404); nothing was saved.",
                "Check the repository and tag (FreeBSD's images are tagged by release: freebsd-runtime:15.0, :14.3).") { TargetObject = _ref.Canonical };
        if (r.Status != 200)
            throw Failed(url, $"HTTP {r.Status}");
        string digest = OciDocuments.Sha256(r.Body);
        if (OciReference.IsDigest(key) && digest != key)
            throw Mismatch(url, key, digest);
        if (r.ContentDigest is { } said && OciReference.IsDigest(said) && said != digest)
            throw Mismatch(url, said, digest);
        return (r.Body, r.ContentType, digest);
    }

    /// <summary>Streams a blob into <paramref name="destination"/> from <paramref name="offset"/>, at most <paramref name="size"/> bytes in all.</summary>
    public void FetchBlob(string digest, long size, Stream destination, long offset, Action<long, long?> progress)
    {
        // With the token the manifest request earned, if it needed one: a registry asks for it there first.
        string url = $"{BaseUrl}/blobs/{digest}";
        var headers = _authorization is null ? null : new Dictionary<string, string> { ["Authorization"] = _authorization };
        _fetcher.Fetch(url, destination, offset, progress, _cancel, headers, size);
    }

    /// <summary>A blob small enough to read whole (the image configuration).</summary>
    public byte[] GetBlob(string digest, int maxBytes)
    {
        string url = $"{BaseUrl}/blobs/{digest}";
        var r = Send(url, new Dictionary<string, string>(), maxBytes);
        if (r.Status != 200) throw Failed(url, $"HTTP {r.Status}");
        return r.Body;
    }

    private FetchResponse Send(string url, Dictionary<string, string> headers, int maxBytes)
    {
        for (int attempt = 0; ; attempt++)
        {
            if (_authorization is not null) headers["Authorization"] = _authorization;
            FetchResponse r;
            try { r = _fetcher.Get(url, headers, maxBytes, _cancel); }
            catch (ReleaseFetchException ex) { throw Failed(url, ex.Message); }
            if (r.Status != 401 || attempt > 0) return Authorized(r, url);
            // Only the registry's own challenge is answered: a 401 from a host a redirect led to
            // could name any realm, and the login must not go there.
            if (!string.Equals(new Uri(r.Url).Authority, _ref.ApiHost, StringComparison.OrdinalIgnoreCase)) return Authorized(r, url);
            _authorization = Challenge(r.WwwAuthenticate, url);
            if (_authorization is null) return Authorized(r, url);
        }
    }

    private FetchResponse Authorized(FetchResponse r, string url)
    {
        if (r.Status == 401)
            throw new JailOperationException("JailImageUnauthorized", _ref.Canonical,
                $"{_ref.Canonical}: the registry refused {(_credential is null ? "an anonymous pull" : $"the login of {_credential.User}")} (401) at {url}; nothing was saved.",
                _credential is null ? "Give -Credential (or -AuthFile to use podman's or docker's login) for a private repository." : "Check the user and password (a token, for ghcr.io) and the repository name.") { TargetObject = _ref.Canonical };
        return r;
    }

    /// <summary>What to send after a 401: a Bearer token from the realm, Basic for a registry that asks for it, or null (nothing to answer with).</summary>
    private string? Challenge(string? header, string url)
    {
        if (header is null) return null;
        if (header.StartsWith("Basic", StringComparison.OrdinalIgnoreCase))
            return _credential is null ? null : "Basic " + Basic(_credential);
        if (!header.StartsWith("Bearer", StringComparison.OrdinalIgnoreCase)) return null;
        var p = s_param.Matches(header).ToDictionary(m => m.Groups[1].Value.ToLowerInvariant(), m => m.Groups[2].Value);
        if (!p.TryGetValue("realm", out string? realm) || !ReleaseFetcher.IsUrl(realm))
            throw Failed(url, $"its WWW-Authenticate ({header}) names no http(s) realm");
        if (realm.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !IsLoopback(new Uri(realm).Authority))
            throw Failed(url, $"its token realm {realm} is plain http: JailPS sends no login there");
        var query = new List<string>();
        if (p.TryGetValue("service", out string? service)) query.Add("service=" + Uri.EscapeDataString(service));
        query.Add("scope=" + Uri.EscapeDataString(p.TryGetValue("scope", out string? scope) ? scope : $"repository:{_ref.Repository}:pull"));
        var headers = new Dictionary<string, string>();
        if (_credential is not null) headers["Authorization"] = "Basic " + Basic(_credential);
        string tokenUrl = realm + (realm.Contains('?') ? "&" : "?") + string.Join("&", query);
        FetchResponse r;
        try { r = _fetcher.Get(tokenUrl, headers, 1 << 20, _cancel); }
        catch (ReleaseFetchException ex) { throw Failed(tokenUrl, ex.Message); }
        if (r.Status == 401 || r.Status == 403)
            return null;   // Authorized() turns the registry's 401 into the error
        if (r.Status != 200) throw Failed(tokenUrl, $"HTTP {r.Status} from the token service");
        try
        {
            using var doc = JsonDocument.Parse(r.Body);
            foreach (string name in new[] { "token", "access_token" })
                if (doc.RootElement.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } token)
                    return "Bearer " + token;
        }
        catch (JsonException) { }
        throw Failed(tokenUrl, "the token service's answer holds no token");
    }

    private static string Basic(RegistryCredential c) => Convert.ToBase64String(Encoding.UTF8.GetBytes(c.User + ":" + c.Password));

    private JailOperationException Failed(string url, string why)
        => new("JailImageDownloadFailed", _ref.Canonical, $"{_ref.Canonical}: {url}: {why}; nothing was saved.",
            "Check the network and the registry's name, then run Save-JailImage again: blobs already fetched are kept and resumed.") { TargetObject = url };

    private JailOperationException Mismatch(string url, string expected, string actual)
        => new("JailImageDigestMismatch", _ref.Canonical, $"{_ref.Canonical}: {url} hashes to {actual}, not {expected}; nothing was saved.",
            "Run Save-JailImage again; if it fails the same way, the registry or something between is serving other content.") { TargetObject = url };

    /// <summary>
    /// A login from a containers-auth.json(5) file (podman's ${XDG_RUNTIME_DIR}/containers/auth.json,
    /// ~/.config/containers/auth.json, docker's ~/.docker/config.json): auths → the registry's entry
    /// (most specific key first: host/repository, then host; docker.io also as index.docker.io) → auth, base64 of user:password.
    /// </summary>
    public static RegistryCredential? FromAuthFile(string text, OciReference reference, string file)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException ex)
        {
            throw new JailOperationException("JailImageAuthFileInvalid", file, $"{file} is not JSON ({ex.Message}); nothing was saved.", "Log in again with podman login, or give -Credential.") { TargetObject = file };
        }
        using (doc)
        {
            if (!doc.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object) return null;
            var keys = new List<string>();
            var parts = reference.Repository.Split('/');
            for (int i = parts.Length; i > 0; i--) keys.Add(reference.Registry + "/" + string.Join('/', parts.Take(i)));
            keys.Add(reference.Registry);
            if (reference.Registry == OciReference.DockerHub) keys.AddRange(new[] { "index.docker.io", "https://index.docker.io/v1/", OciReference.DockerHubApi });
            foreach (string key in keys)
            {
                if (!auths.TryGetProperty(key, out var entry) && !auths.TryGetProperty("https://" + key, out entry)) continue;
                if (!entry.TryGetProperty("auth", out var auth) || auth.GetString() is not { Length: > 0 } b64) continue;
                string pair;
                try { pair = Encoding.UTF8.GetString(Convert.FromBase64String(b64)); }
                catch (FormatException) { throw new JailOperationException("JailImageAuthFileInvalid", file, $"{file}: the auth of {key} is not base64; nothing was saved.", "Log in again with podman login.") { TargetObject = file }; }
                int colon = pair.IndexOf(':');
                if (colon <= 0) throw new JailOperationException("JailImageAuthFileInvalid", file, $"{file}: the auth of {key} is not user:password; nothing was saved.", "Log in again with podman login.") { TargetObject = file };
                return new RegistryCredential(pair[..colon], pair[(colon + 1)..]);
            }
            return null;
        }
    }
}
