using System;
using System.Collections.Generic;

namespace JailPS.Core.Simulation;

/// <summary>
/// The prison_ip_* helpers of kern_jail.c over concatenated raw addresses (network byte order):
/// family 4 = struct in_addr (4 bytes), family 6 = struct in6_addr (16 bytes).
/// </summary>
internal static class SimIp
{
    public static int Size(int family) => family == 4 ? 4 : 16;

    public static uint UserFlag(int family) => family == 4 ? SimDefs.PrIp4User : SimDefs.PrIp6User;

    private static ReadOnlySpan<byte> At(byte[] ips, int family, int i) => ips.AsSpan(i * Size(family), Size(family));

    public static int Count(byte[]? ips, int family) => ips is null ? 0 : ips.Length / Size(family);

    /// <summary>prison_qcmp_v4/v6: comparison in network (big-endian) order, giving -1, 0 or 1.</summary>
    public static int Cmp(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => Math.Sign(a.SequenceCompareTo(b));

    /// <summary>prison_valid_v4 / prison_valid_v6.</summary>
    private static bool Valid(ReadOnlySpan<byte> a, int family)
    {
        if (family == 4)
        {
            uint v = (uint)(a[0] | a[1] << 8 | a[2] << 16 | a[3] << 24);
            return v != 0 && v != 0xffffffff;
        }
        foreach (var b in a)
            if (b != 0)
                return true;
        return false;
    }

    /// <summary>
    /// prison_ip_copyin: all addresses but the first sorted; null when one is INADDR_ANY /
    /// INADDR_BROADCAST / unspecified or when the list holds a duplicate.
    /// </summary>
    public static byte[]? CopyIn(byte[] raw, int count, int family)
    {
        int size = Size(family);
        var ips = new byte[count * size];
        Array.Copy(raw, ips, ips.Length);
        if (count > 1)
        {
            var rest = new List<byte[]>();
            for (int i = 1; i < count; i++) rest.Add(At(ips, family, i).ToArray());
            rest.Sort((x, y) => Cmp(x, y));
            for (int i = 1; i < count; i++) rest[i - 1].CopyTo(ips, i * size);
        }
        for (int i = 0; i < count; i++)
        {
            if (!Valid(At(ips, family, i), family))
                return null;
            if (i + 1 < count &&
                (Cmp(At(ips, family, 0), At(ips, family, i + 1)) == 0 ||
                 Cmp(At(ips, family, i), At(ips, family, i + 1)) == 0))
                return null;
        }
        return ips;
    }

    /// <summary>prison_ip_check: the primary address, or one of the sorted others.</summary>
    public static bool Contains(byte[]? ips, int family, ReadOnlySpan<byte> addr)
    {
        if (ips is null) return false;
        int n = Count(ips, family);
        for (int i = 0; i < n; i++)
            if (Cmp(At(ips, family, i), addr) == 0)
                return true;
        return false;
    }

    /// <summary>prison_ip_parent_match, including its walk of the sorted lists.</summary>
    public static bool ParentMatch(byte[]? ppip, byte[] pip, int family)
    {
        if (ppip is null) return false;
        int pc = Count(ppip, family), n = Count(pip, family);
        int i, j;
        for (i = 0; i < pc; i++)
            if (Cmp(At(pip, family, 0), At(ppip, family, i)) == 0)
                break;
        if (i == pc) return false;
        if (n > 1)
        {
            for (i = j = 1; i < n; i++)
            {
                if (Cmp(At(pip, family, i), At(ppip, family, 0)) == 0)
                    continue;
                for (; j < pc; j++)
                    if (Cmp(At(pip, family, i), At(ppip, family, j)) == 0)
                        break;
                if (j == pc)
                    break;
            }
            if (j == pc) return false;
        }
        return true;
    }

    /// <summary>
    /// prison_ip_conflict_check: no other live prison below the nearest vnet boundary that restricts
    /// this family may hold one of the addresses, unless both sides have exactly one address.
    /// </summary>
    public static bool ConflictFree(SimPrison prison0, SimPrison ppr, SimPrison? pr, byte[] pip, int family)
    {
        var tppr = ppr;
        while (tppr != prison0)
        {
            if ((tppr.Flags & SimDefs.PrVnet) != 0) break;
            tppr = tppr.Parent!;
        }
        int n = Count(pip, family);
        bool clash = false;
        tppr.WalkDescendants(tpr =>
        {
            if (clash) return false;
            if (tpr == pr || (tpr != tppr && (tpr.Flags & SimDefs.PrVnet) != 0) || !tpr.IsAlive)
                return false;
            if ((tpr.Flags & UserFlag(family)) == 0)
                return true;
            var tips = tpr.GetIps(family);
            if (tips is null || (n == 1 && Count(tips, family) == 1))
                return false;
            for (int i = 0; i < n; i++)
            {
                if (Contains(tips, family, At(pip, family, i)))
                {
                    clash = true;
                    return false;
                }
            }
            return false;
        });
        return !clash;
    }

    /// <summary>prison_ip_restrict: align a prison's list with its parent's after the parent changed.</summary>
    public static void Restrict(SimPrison pr, int family)
    {
        var ppip = pr.Parent!.GetIps(family);
        var pip = pr.GetIps(family);
        int size = Size(family);
        if (ppip is null)
        {
            if (pip is not null) pr.SetIps(family, null);
            return;
        }
        if ((pr.Flags & UserFlag(family)) == 0)
        {
            pr.SetIps(family, (byte[])ppip.Clone());
            return;
        }
        if (pip is null) return;
        int pc = Count(ppip, family), n = Count(pip, family);
        var kept = new List<byte[]>();
        int ix = 0;
        for (int pi = 0; pi < pc; pi++)
        {
            if (Cmp(At(pip, family, 0), At(ppip, family, pi)) == 0)
            {
                kept.Add(At(pip, family, ix).ToArray());
                ix++;
                break;
            }
        }
        for (int pi = 1; ix < n;)
        {
            if (Cmp(At(pip, family, ix), At(ppip, family, 0)) == 0)
            {
                kept.Add(At(pip, family, ix).ToArray());
                ix++;
                continue;
            }
            int c = pi >= pc ? -1 : Cmp(At(pip, family, ix), At(ppip, family, pi));
            if (c < 0) ix++;
            else if (c == 0)
            {
                kept.Add(At(pip, family, ix).ToArray());
                ix++;
                pi++;
            }
            else pi++;
        }
        if (kept.Count == 0)
        {
            pr.SetIps(family, null);
            return;
        }
        var result = new byte[kept.Count * size];
        for (int k = 0; k < kept.Count; k++) kept[k].CopyTo(result, k * size);
        pr.SetIps(family, result);
    }
}
