using System;
using System.Text.Json;
using JailPS.Core.Host;

namespace JailPS.Core.Lifecycle;

/// <summary>
/// Who manages a jail JailPS did not make: ocijail (podman's OCI runtime on FreeBSD) keeps
/// /var/run/ocijail/ID/state.json for each container jail, named by the container's ID (after the
/// last dot when it is a child of a parent jail); Bastille, iocage, AppJail and pot put their jails'
/// roots under their own directories (facts: freebsd-net-prov-facts.md §6 and the managers'
/// sources). Such a jail is shown, and never stopped or removed by accident.
/// </summary>
public static class JailManagers
{
    public const string JailConf = "jail.conf";
    public const string OciJail = "ocijail";
    public const string OciJailState = "/var/run/ocijail";

    private static readonly (string Manager, string Prefix)[] s_roots =
    {
        ("bastille", "/usr/local/bastille/jails/"),
        ("iocage", "/iocage/jails/"),
        ("appjail", "/usr/local/appjail/jails/"),
        ("pot", "/opt/pot/jails/"),
    };

    /// <summary>True for a manager other than jail.conf: JailPS leaves such a jail alone unless forced.</summary>
    public static bool IsForeign(string? managedBy) => managedBy is not null && managedBy != JailConf;

    /// <summary>The manager of a jail, from its name, root and jid: ocijail, bastille, iocage, appjail, pot; jail.conf for one a definition file JailPS reads defines; null when nothing says.</summary>
    public static string? Detect(JailHost host, string name, string? path, int? jid, bool defined)
    {
        string id = name[(name.LastIndexOf('.') + 1)..];
        if (id.Length >= 12 && IsOciId(id) && host.Files.ReadAllText($"{OciJailState}/{id}/state.json") is { } state && StateMatches(state, path, jid))
            return OciJail;
        if (path is not null)
        {
            string p = HostPath.Normalize(path) + "/";
            foreach (var (manager, prefix) in s_roots)
                if (manager == "iocage" ? p.Contains(prefix, StringComparison.Ordinal) && name.StartsWith("ioc-", StringComparison.Ordinal) : p.StartsWith(prefix, StringComparison.Ordinal))
                    return manager;
            if (p.StartsWith("/var/db/containers/storage/", StringComparison.Ordinal))
                return OciJail;   // podman's graph root: a container whose state ocijail no longer keeps
        }
        return defined ? JailConf : null;
    }

    /// <summary>The command that manager stops the jail with.</summary>
    public static string StopCommand(string manager, string name) => manager switch
    {
        OciJail => $"podman stop {name[(name.LastIndexOf('.') + 1)..]}",
        "iocage" => $"iocage stop {(name.StartsWith("ioc-", StringComparison.Ordinal) ? name[4..] : name)}",
        _ => $"{manager} stop {name}",
    };

    public static JailOperationException Refused(string manager, Jail jail, string action)
        => new("JailManagedElsewhere", jail.Name,
            $"jail \"{jail.Name}\"{(jail.Jid is int j ? $" (jid {j})" : "")} is managed by {manager}, not by a jail.conf definition; it is not {action}.",
            $"Use {manager}'s own command ({StopCommand(manager, jail.Name)}), which also keeps its own records right; or give -Force to act on it anyway.") { TargetObject = jail };

    private static bool IsOciId(string s)
    {
        foreach (char c in s)
            if (!(c is >= '0' and <= '9' or >= 'a' and <= 'f')) return false;
        return true;
    }

    /// <summary>state.json's jid (ocijail since 2026) or root_path names this jail: a stale state of another container does not count.</summary>
    private static bool StateMatches(string text, string? path, int? jid)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (jid is int j && root.TryGetProperty("jid", out var sj) && sj.TryGetInt32(out int stateJid) && stateJid == j) return true;
            if (path is not null && root.TryGetProperty("root_path", out var rp) && rp.ValueKind == JsonValueKind.String
                && HostPath.Normalize(rp.GetString()!) == HostPath.Normalize(path)) return true;
            return false;
        }
        catch (JsonException) { return false; }
    }
}
