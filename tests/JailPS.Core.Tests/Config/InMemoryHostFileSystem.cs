using System.Text;
using System.Text.RegularExpressions;
using JailPS.Core.Host;

namespace JailPS.Core.Tests.Config;

/// <summary>A host file system held in a dictionary, with glob(3)-style matching per path component.</summary>
internal sealed class InMemoryHostFileSystem : IHostFileSystem
{
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);

    public List<string> Reads { get; } = new();

    public InMemoryHostFileSystem Add(string path, string text)
    {
        _files[path] = text;
        return this;
    }

    public string ToLocalPath(string hostPath) => hostPath;

    public string RealPath(string hostPath) => JailPS.Core.Host.HostPath.Normalize(hostPath);
    public bool FileExists(string hostPath) => _files.ContainsKey(hostPath);

    public bool DirectoryExists(string hostPath)
    {
        string prefix = hostPath.EndsWith('/') ? hostPath : hostPath + "/";
        return _files.Keys.Any(k => k.StartsWith(prefix, StringComparison.Ordinal));
    }

    public string? ReadAllText(string hostPath)
    {
        Reads.Add(hostPath);
        return _files.TryGetValue(hostPath, out var text) ? text : null;
    }

    public IReadOnlyList<string> Glob(string hostPattern)
    {
        var parts = hostPattern.Split('/');
        var regexes = parts.Select(p => new Regex("^" + GlobToRegex(p) + "$")).ToArray();
        return _files.Keys
            .Where(k =>
            {
                var kp = k.Split('/');
                if (kp.Length != parts.Length) return false;
                for (int i = 0; i < kp.Length; i++)
                    if (!regexes[i].IsMatch(kp[i])) return false;
                return true;
            })
            .OrderBy(k => k, StringComparer.Ordinal)
            .ToList();
    }

    private static string GlobToRegex(string component)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < component.Length; i++)
        {
            char c = component[i];
            switch (c)
            {
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '[':
                    int close = component.IndexOf(']', i + 2);
                    if (close < 0) { sb.Append("\\["); break; }
                    string set = component.Substring(i + 1, close - i - 1);
                    if (set.StartsWith('!')) set = "^" + set.Substring(1);
                    sb.Append('[').Append(set.Replace("\\", "\\\\")).Append(']');
                    i = close;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return sb.ToString();
    }

    public void WriteAllTextAtomic(string hostPath, string text) => _files[hostPath] = text;

    public void DeleteFile(string hostPath) => _files.Remove(hostPath);

    public void CreateDirectory(string hostPath)
    {
    }

    public void DeleteEmptyDirectory(string hostPath)
    {
    }

    public void AppendAllText(string hostPath, string text)
        => _files[hostPath] = (_files.TryGetValue(hostPath, out var t) ? t : string.Empty) + text;
}
