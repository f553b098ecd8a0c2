using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using JailPS.Core.Host;

namespace JailPS.Core.Network;

/// <summary>
/// The resolver jail(8)'s ip_hostname uses: getaddrinfo(3) of host.hostname with no flags, every
/// address it returns (usr.sbin/jail/config.c). A seam, so the simulated host answers from its own
/// /etc/hosts and never asks the machine's resolver.
/// </summary>
public interface IHostNameResolver
{
    /// <summary>Every address of the name, in the resolver's order. Throws <see cref="HostNameResolveException"/> when it has none.</summary>
    IReadOnlyList<IPAddress> Resolve(string hostname);
}

/// <summary>A name the resolver cannot turn into addresses; the message is the resolver's (gai_strerror).</summary>
public sealed class HostNameResolveException : Exception
{
    public HostNameResolveException(string hostname, string message, Exception? inner = null) : base(message, inner) => HostName = hostname;

    public string HostName { get; }
}

/// <summary>The real resolver: .NET's Dns.GetHostAddresses, which is getaddrinfo(3) with AF_UNSPEC on FreeBSD.</summary>
public sealed class SystemHostNameResolver : IHostNameResolver
{
    public IReadOnlyList<IPAddress> Resolve(string hostname)
    {
        try
        {
            return Dns.GetHostAddresses(hostname);
        }
        catch (SocketException ex)
        {
            throw new HostNameResolveException(hostname, ex.Message, ex);
        }
    }
}

/// <summary>
/// The simulated host's resolver: its own /etc/hosts (hosts(5): address, canonical name, aliases;
/// '#' starts a comment), every matching line in file order, as the "files" source of nsswitch
/// returns them. No DNS: what the simulated host cannot find there does not resolve.
/// </summary>
public sealed class HostsFileNameResolver : IHostNameResolver
{
    public const string HostsFile = "/etc/hosts";

    // lib/libc/net/gai_strerror.c, EAI_NONAME.
    private const string NoName = "hostname nor servname provided, or not known";

    private readonly IHostFileSystem _files;

    public HostsFileNameResolver(IHostFileSystem files) => _files = files;

    public IReadOnlyList<IPAddress> Resolve(string hostname)
    {
        if (IPAddress.TryParse(hostname, out var literal)) return new[] { literal }; // getaddrinfo takes a numeric host as is
        var found = new List<IPAddress>();
        string text = _files.ReadAllText(HostsFile) ?? "";
        foreach (string raw in text.Split('\n'))
        {
            string line = raw;
            int hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            string[] words = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 2 || !IPAddress.TryParse(words[0], out var address)) continue;
            if (words.Skip(1).Any(w => string.Equals(w, hostname, StringComparison.OrdinalIgnoreCase)) && !found.Contains(address))
                found.Add(address);
        }
        if (found.Count == 0) throw new HostNameResolveException(hostname, NoName);
        return found;
    }
}
