using System;
using System.Collections.Generic;

namespace JailPS.Core.Simulation;

internal enum PrisonState
{
    Invalid = 0,
    Alive = 1,
    Dying = 2,
}

/// <summary>A process of the simulated process table; its credential points at one prison.</summary>
internal sealed class SimProcess
{
    public int Pid;
    public string Command = "";
    public bool IgnoresSigterm;
    public SimPrison Prison = null!;
}

/// <summary>
/// The model's struct prison. Reference counts are derived, as in kern_jail.c:
/// pr_uref = persist + attached processes + child prisons still on the list;
/// pr_ref  = pr_uref + external holds (sockets in TIME_WAIT and the like).
/// </summary>
internal sealed class SimPrison
{
    public int Id;
    /// <summary>Tells this prison from any earlier one with its jid (what a jail descriptor holds on to).</summary>
    public long Serial;
    public SimPrison? Parent;

    /// <summary>pr_children: LIST_INSERT_HEAD order, newest first.</summary>
    public readonly List<SimPrison> Children = new();

    public PrisonState State;
    public uint Flags;

    /// <summary>pr_addrs[PR_INET]: concatenated in_addr (primary first, rest sorted), or null.</summary>
    public byte[]? Ip4;

    /// <summary>pr_addrs[PR_INET6]: concatenated in6_addr, or null.</summary>
    public byte[]? Ip6;

    public int ChildMax;
    public int SecureLevel;
    public int EnforceStatfs;
    public int DevfsRuleset;
    public int OsRelDate;
    public int CpusetId;
    public ulong HostId;
    public string Name = "";
    public string Path = "/";
    public string HostName = "";
    public string DomainName = "";
    public string HostUuid = SimDefs.DefaultHostUuid;
    public string OsRelease = "";

    /// <summary>The "meta" and "env" buffers of FreeBSD 15 (kern_jailmeta.c); null when empty.</summary>
    public string? Meta;
    public string? Env;

    /// <summary>pr_allow as the set of positive allow.* names that are granted.</summary>
    public readonly HashSet<string> Allow = new(StringComparer.Ordinal);

    /// <summary>OSD slot of each SysV IPC module: the prison whose IPC namespace this one uses, or absent (disabled).</summary>
    public readonly Dictionary<string, SimPrison> SysvRoot = new(StringComparer.Ordinal);

    public readonly List<SimProcess> Processes = new();
    public int Holds;

    public bool IsAlive => State == PrisonState.Alive;
    public bool Persist => (Flags & SimDefs.PrPersist) != 0;
    public int URef => (Persist ? 1 : 0) + Processes.Count + Children.Count;
    public int Refs => URef + Holds;

    public byte[]? GetIps(int family) => family == 4 ? Ip4 : Ip6;

    public void SetIps(int family, byte[]? ips)
    {
        if (family == 4) Ip4 = ips;
        else Ip6 = ips;
    }

    /// <summary>pr_childcount: descendants at every level still on the list.</summary>
    public int DescendantCount
    {
        get
        {
            int n = 0;
            foreach (var c in Children)
                n += 1 + c.DescendantCount;
            return n;
        }
    }

    /// <summary>FOREACH_PRISON_DESCENDANT: pre-order; <paramref name="visit"/> returns whether to descend.</summary>
    public void WalkDescendants(Func<SimPrison, bool> visit)
    {
        foreach (var c in Children.ToArray())
        {
            if (visit(c))
                c.WalkDescendants(visit);
        }
    }

    /// <summary>All descendants in pre-order.</summary>
    public List<SimPrison> Descendants()
    {
        var list = new List<SimPrison>();
        WalkDescendants(p => { list.Add(p); return true; });
        return list;
    }

    /// <summary>FOREACH_PRISON_DESCENDANT_LOCKED_LEVEL: pre-order with the depth below this prison (1 = child).</summary>
    public void WalkDescendantsLevel(Action<SimPrison, int> visit, int level = 1)
    {
        foreach (var c in Children.ToArray())
        {
            visit(c, level);
            c.WalkDescendantsLevel(visit, level + 1);
        }
    }

    public bool IsDescendantOf(SimPrison ancestor)
    {
        for (var p = Parent; p != null; p = p.Parent)
            if (p == ancestor)
                return true;
        return false;
    }
}
