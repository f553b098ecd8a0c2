using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>
/// Interface cloning, renames, link-level addresses, vnet moves and bridge membership, as
/// sys/net/if.c (ifioctl, if_rename, if_setlladdr, if_vmove_loan, if_vmove_reclaim), if_clone.c,
/// if_epair.c, if_loop.c and if_bridge.c (bridge_ioctl_add/del/gifs) do them
/// (freebsd-net-prov-facts.md §1.5–§1.11), and what a vnet's destruction does to the interfaces in
/// it (§1.10): what was lent returns home without addresses, what was made there is destroyed.
/// </summary>
public sealed unsafe partial class SimulatedKernel
{
    /// <summary>The cloners the model has (if_clone.c V_if_cloners): lo (minifs 1), epair and bridge.</summary>
    private static readonly string[] s_cloners = { "lo", "epair", "bridge" };

    /// <summary>IF_MAXUNIT, sys/net/if.h.</summary>
    private const int IfMaxUnit = 0x7fff;

    private readonly Dictionary<string, long> _ioctlCounts = new(StringComparer.Ordinal);

    /// <summary>Seeds the link-level addresses the model's cloners make (epair_generate_mac uses a counter too).</summary>
    private long _nextLinkSerial;

    /// <summary>Interface ioctls made per request name ("SIOCIFCREATE2", "SIOCSIFVNET", ...) since creation or the last <see cref="ResetCounts"/>.</summary>
    public IReadOnlyDictionary<string, long> IoctlCounts
    {
        get
        {
            lock (_lock)
            {
                var all = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var (_, n) in s_netIoctls)
                    all[n] = _ioctlCounts.GetValueOrDefault(n);
                return all;
            }
        }
    }

    /// <summary>The members of a host bridge, in the order they were added (what `ifconfig BRIDGE` lists); empty when there is no such bridge.</summary>
    public IReadOnlyList<string> BridgeMembers(string bridge)
    {
        lock (_lock)
            return IfUnit(bridge)?.Members?.Select(m => m.Name).ToList() ?? new List<string>();
    }

    /// <summary>The link-level address of a host interface as ifconfig prints it ("02:..:0a"), or null.</summary>
    public string? LinkAddressOf(string name)
    {
        lock (_lock)
            return IfUnit(name)?.Lladdr is { } mac ? Network.HostNetwork.FormatLinkAddress(mac) : null;
    }

    /// <summary>
    /// vnet_alloc for a jail with vnet: its own interface list, holding lo0 (created in every vnet, and
    /// never destroyable: minifs 1). The model makes it when the vnet is first looked at.
    /// </summary>
    private void EnsureVnet(SimPrison pr)
    {
        if (pr == _prison0 || _ifnet.Any(i => i.Home == pr && i.Driver == "lo" && i.Unit == 0)) return;
        _ifnet.Add(new SimInterface { Name = "lo0", Driver = "lo", Unit = 0, Flags = InterfaceFlags.Loopback | InterfaceFlags.Multicast, Vnet = pr, Home = pr, Cloned = true });
    }

    /// <summary>The prison whose vnet <paramref name="pr"/> is in: itself with vnet, else its parent's.</summary>
    private SimPrison VnetOwner(SimPrison pr)
    {
        while (pr != _prison0 && (pr.Flags & SimDefs.PrVnet) == 0) pr = pr.Parent!;
        return pr;
    }

    private bool UnitInUse(SimPrison home, string cloner, int unit) => _ifnet.Any(i => i.Home == home && i.Driver == cloner && i.Unit == unit);

    /// <summary>
    /// if_clone_create (SIOCIFCREATE / SIOCIFCREATE2): the cloner whose name the request starts with
    /// and whose rest is a unit or nothing (EINVAL otherwise, and for a unit with a leading zero or
    /// above IF_MAXUNIT); EEXIST when the name or the unit is taken; a wildcard gets the lowest free
    /// unit. The created name (an epair's a side) is written back into ifr_name. ifr_data (the
    /// SIOCIFCREATE2 parameters) is not used by these three cloners.
    /// </summary>
    private int CloneCreate(IfReq* req)
    {
        if (CallerUid != 0) return Fail(Errno.EPERM); // PRIV_NET_IFCREATE
        string name = NameOf(req->Name);
        string? cloner = s_cloners.FirstOrDefault(c => name.StartsWith(c, StringComparison.Ordinal) && name.AsSpan(c.Length).IndexOfAnyExceptInRange('0', '9') < 0);
        if (cloner is null) return Fail(Errno.EINVAL);
        string digits = name[cloner.Length..];
        int unit = -1;
        if (digits.Length > 0)
        {
            if ((digits.Length > 1 && digits[0] == '0') || !int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out unit) || unit > IfMaxUnit)
                return Fail(Errno.EINVAL); // ifc_name2unit
            if (IfUnit(name) is not null) return Fail(Errno.EEXIST);
        }
        string Side(int u, string suffix) => cloner + u.ToString(System.Globalization.CultureInfo.InvariantCulture) + suffix;
        bool Free(int u) => !UnitInUse(_prison0, cloner, u) && (cloner == "epair"
            ? IfUnit(Side(u, "a")) is null && IfUnit(Side(u, "b")) is null
            : IfUnit(Side(u, "")) is null);
        if (unit < 0)
        {
            unit = cloner == "lo" ? 1 : 0;   // lo0 exists from boot
            while (unit <= IfMaxUnit && !Free(unit)) unit++;
            if (unit > IfMaxUnit) return Fail(Errno.ENOSPC);
        }
        else if (!Free(unit))
            return Fail(Errno.EEXIST);

        if (cloner == "epair")
        {
            if (Side(unit, "a").Length >= InterfaceLimits.IfNamSize) return Fail(Errno.ENOSPC);
            // Side a first, then b (if_epair.c); both get 02 + 4 bytes + 0a / 0b.
            byte[] mac = NextLladdr();
            var a = NewClone(Side(unit, "a"), cloner, unit, mac, 0x0a);
            var b = NewClone(Side(unit, "b"), cloner, unit, mac, 0x0b);
            a.Peer = b;
            b.Peer = a;
            WriteName(req->Name, a.Name);
        }
        else
        {
            var ifp = NewClone(Side(unit, ""), cloner, unit, cloner == "bridge" ? NextLladdr() : null, 0);
            if (cloner == "bridge") ifp.Members = new List<SimInterface>();
            WriteName(req->Name, ifp.Name);
        }
        Touch();
        return 0;
    }

    private SimInterface NewClone(string name, string cloner, int unit, byte[]? mac, byte last)
    {
        int flags = cloner == "lo" ? InterfaceFlags.Loopback | InterfaceFlags.Multicast : InterfaceFlags.Broadcast | InterfaceFlags.Simplex | InterfaceFlags.Multicast;
        byte[]? lladdr = mac?.ToArray();
        if (lladdr is not null && last != 0) lladdr[5] = last;
        var ifp = new SimInterface { Name = name, Driver = cloner, Unit = unit, Flags = flags, Cloned = true, Vnet = _prison0, Home = _prison0, Lladdr = lladdr };
        _ifnet.Add(ifp);
        return ifp;
    }

    /// <summary>A locally administered unicast address, different for every interface the model makes.</summary>
    private byte[] NextLladdr()
    {
        byte[] h = SHA256.HashData(Encoding.ASCII.GetBytes("lladdr" + (_nextLinkSerial++).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return new byte[] { 0x02, h[0], h[1], h[2], h[3], h[4] };
    }

    private static void WriteName(byte* dest, string name)
    {
        new Span<byte>(dest, InterfaceLimits.IfNamSize).Clear();
        byte[] b = Encoding.ASCII.GetBytes(name);
        b.AsSpan().CopyTo(new Span<byte>(dest, InterfaceLimits.IfNamSize - 1));
    }

    /// <summary>
    /// if_clone_destroy (SIOCIFDESTROY): the name looked up in the caller's vnet (ENXIO), its cloner
    /// found by driver name in its home vnet (EINVAL for a NIC no cloner made), lo0 refused (EINVAL,
    /// below minifs); an epair goes with both sides, each in whatever vnet it is in now.
    /// </summary>
    private int CloneDestroy(string name)
    {
        if (CallerUid != 0) return Fail(Errno.EPERM); // PRIV_NET_IFDESTROY
        var ifp = IfUnit(name);
        if (ifp is null) return Fail(Errno.ENXIO);
        if (!ifp.Cloned || !s_cloners.Contains(ifp.Driver)) return Fail(Errno.EINVAL);
        if (ifp.Driver == "lo" && ifp.Unit < 1) return Fail(Errno.EINVAL);
        Detach(ifp);
        if (ifp.Peer is { } peer) Detach(peer);
        Touch();
        return 0;
    }

    /// <summary>if_detach: off its bridge, a bridge's members released, out of its vnet's list.</summary>
    private void Detach(SimInterface ifp)
    {
        LeaveBridge(ifp);
        if (ifp.Members is { } members)
            foreach (var m in members.ToList()) LeaveBridge(m);
        _ifnet.Remove(ifp);
    }

    private static void LeaveBridge(SimInterface ifp)
    {
        if (ifp.MemberOf is not { } bridge) return;
        bridge.Members!.Remove(ifp);
        ifp.MemberOf = null;
        ifp.Flags &= ~InterfaceFlags.Promisc; // bridge_delete_member: ifpromisc(ifs, 0)
    }

    /// <summary>
    /// SIOCSIFNAME (ifhwioctl, if_rename): the interface looked up first (ENXIO), PRIV_NET_SETIFNAME,
    /// copyinstr of at most IFNAMSIZ bytes from ifr_data (ENAMETOOLONG without a NUL in them), then
    /// an empty name is EINVAL, the same name 0, one the vnet has EEXIST.
    /// </summary>
    private int Rename(IfReq* req)
    {
        var ifp = IfUnit(NameOf(req->Name));
        if (ifp is null) return Fail(Errno.ENXIO);
        if (CallerUid != 0) return Fail(Errno.EPERM);
        byte* p = (byte*)req->Data;
        if (p == null) return Fail(Errno.EFAULT);
        int n = 0;
        while (n < InterfaceLimits.IfNamSize && p[n] != 0) n++;
        if (n == InterfaceLimits.IfNamSize) return Fail(Errno.ENAMETOOLONG);
        string newName = Encoding.ASCII.GetString(p, n);
        if (newName.Length == 0) return Fail(Errno.EINVAL);
        if (newName == ifp.Name) return 0;
        if (IfUnit(newName) is not null) return Fail(Errno.EEXIST);
        ifp.Name = newName;
        Touch();
        return 0;
    }

    /// <summary>
    /// SIOCSIFLLADDR (if_setlladdr): PRIV_NET_SETLLADDR; a length other than the interface's
    /// address length is EINVAL (lo has none), a type without an Ethernet address ENODEV.
    /// </summary>
    private int SetLladdr(IfReq* req)
    {
        var ifp = IfUnit(NameOf(req->Name));
        if (ifp is null) return Fail(Errno.ENXIO);
        if (CallerUid != 0) return Fail(Errno.EPERM);
        if (ifp.Lladdr is null || req->SaLen != ifp.Lladdr.Length) return Fail(Errno.EINVAL);
        for (int i = 0; i < ifp.Lladdr.Length; i++) ifp.Lladdr[i] = req->SaData[i];
        Touch();
        return 0;
    }

    /// <summary>
    /// SIOCSIFVNET (if_vmove_loan): the interface looked up in the caller's vnet by ifioctl (ENXIO),
    /// PRIV_NET_SETIFVNET, the jail among the caller's children (prison_find_child: ENXIO), the
    /// same vnet as the interface's (a jail without vnet) EEXIST, a name the target vnet has EEXIST.
    /// The move detaches it: its addresses go, it leaves its bridge. The new name is written back.
    /// </summary>
    private int VmoveLoan(IfReq* req)
    {
        var ifp = IfUnit(NameOf(req->Name));
        if (ifp is null) return Fail(Errno.ENXIO);
        if (CallerUid != 0) return Fail(Errno.EPERM);
        var pr = FindPrison(req->Jid);
        if (pr is null || pr.State == PrisonState.Invalid) return Fail(Errno.ENXIO);
        var target = VnetOwner(pr);
        if (target == ifp.Vnet) return Fail(Errno.EEXIST);
        EnsureVnet(target);
        if (IfUnitIn(target, ifp.Name) is not null) return Fail(Errno.EEXIST);
        MoveTo(ifp, target);
        WriteName(req->Name, ifp.Name);
        return 0;
    }

    /// <summary>
    /// SIOCSIFRVNET (if_vmove_reclaim), checked by ifioctl before any interface lookup:
    /// PRIV_NET_SETIFVNET, the jail (ENXIO), the name in the jail's vnet (ENXIO), a jail sharing the
    /// caller's vnet EEXIST. The interface comes back to the caller's vnet, without addresses.
    /// </summary>
    private int VmoveReclaim(IfReq* req)
    {
        if (CallerUid != 0) return Fail(Errno.EPERM);
        var pr = FindPrison(req->Jid);
        if (pr is null || pr.State == PrisonState.Invalid) return Fail(Errno.ENXIO);
        var source = VnetOwner(pr);
        var ifp = IfUnitIn(source, NameOf(req->Name));
        if (ifp is null) return Fail(Errno.ENXIO);
        if (source == _prison0) return Fail(Errno.EEXIST);
        MoveTo(ifp, _prison0);
        WriteName(req->Name, ifp.Name);
        return 0;
    }

    /// <summary>if_vmove: detach (if_down, addresses purged, bridge left) and attach in the other vnet.</summary>
    private void MoveTo(SimInterface ifp, SimPrison vnet)
    {
        ifp.Flags &= ~InterfaceFlags.Up; // if_detach_internal calls if_down
        LeaveBridge(ifp);
        if (ifp.Members is { } members)
            foreach (var m in members.ToList()) LeaveBridge(m);
        ifp.Addrs.Clear();
        ifp.Vnet = vnet;
        Touch();
    }

    /// <summary>
    /// vnet_destroy of a freed vnet jail (prison_deref): vnet_if_return sends every interface lent
    /// to it back to its home vnet, without addresses; what was made in it (its lo0, clones made
    /// inside) is destroyed, an epair with its peer wherever that is.
    /// </summary>
    private void DestroyVnet(SimPrison pr)
    {
        if ((pr.Flags & SimDefs.PrVnet) == 0) return;
        foreach (var ifp in _ifnet.Where(i => i.Vnet == pr).ToList())
        {
            if (ifp.Home == pr)
            {
                Detach(ifp);
                if (ifp.Peer is { } peer) Detach(peer);
            }
            else
            {
                var home = ifp.Home == _prison0 || _allprison.Contains(ifp.Home) ? ifp.Home : _prison0;
                MoveTo(ifp, home);
            }
        }
        // Clones made in the dying vnet but lent elsewhere go too.
        foreach (var ifp in _ifnet.Where(i => i.Home == pr).ToList()) Detach(ifp);
    }

    /// <summary>
    /// SIOCSDRVSPEC / SIOCGDRVSPEC on a bridge (bridge_ioctl): the bridge looked up (ENXIO); a
    /// driver other than if_bridge does not know the request (EINVAL); a command this model lacks is
    /// EOPNOTSUPP; a set command through SIOCGDRVSPEC or the reverse EINVAL; add/del need
    /// PRIV_NET_BRIDGE; ifd_len must be the argument's exact size (EINVAL).
    /// </summary>
    private int BridgeDrvSpec(IfDrv* drv, bool set)
    {
        var bridge = IfUnit(NameOf(drv->Name));
        if (bridge is null) return Fail(Errno.ENXIO);
        if (bridge.Members is null) return Fail(Errno.EINVAL);
        switch (drv->Cmd)
        {
            case BridgeCommands.BRDGADD:
            case BridgeCommands.BRDGDEL:
            {
                if (!set) return Fail(Errno.EINVAL);
                if (CallerUid != 0) return Fail(Errno.EPERM);
                if (drv->Len != (nuint)sizeof(IfBReq)) return Fail(Errno.EINVAL);
                if (drv->Data == null) return Fail(Errno.EFAULT);
                string member = NameOf(((IfBReq*)drv->Data)->IfsName);
                return drv->Cmd == BridgeCommands.BRDGADD ? BridgeAdd(bridge, member) : BridgeDelete(bridge, member);
            }
            case BridgeCommands.BRDGGIFS:
            {
                if (set) return Fail(Errno.EINVAL);
                if (drv->Len != (nuint)sizeof(IfBIfConf)) return Fail(Errno.EINVAL);
                if (drv->Data == null) return Fail(Errno.EFAULT);
                var conf = (IfBIfConf*)drv->Data;
                uint needed = (uint)(bridge.Members.Count * sizeof(IfBReq));
                if (conf->Len == 0) { conf->Len = needed; return 0; }
                if (conf->Req == null) return Fail(Errno.EFAULT);
                int room = (int)(Math.Min(conf->Len, needed) / (uint)sizeof(IfBReq));
                for (int i = 0; i < room; i++)
                {
                    var r = new IfBReq { IfsFlags = BridgeCommands.NewMemberFlags };
                    WriteName(r.IfsName, bridge.Members[i].Name);
                    conf->Req[i] = r;
                }
                conf->Len = (uint)(room * sizeof(IfBReq));
                return 0;
            }
            default:
                // The other BRDG* commands (STP, span ports, address cache) are not modelled.
                return Fail(Errno.EOPNOTSUPP);
        }
    }

    /// <summary>bridge_ioctl_add: ENOENT for a name the vnet lacks, EEXIST already a member here, EBUSY a member elsewhere, EINVAL not Ethernet; the member turns promiscuous.</summary>
    private int BridgeAdd(SimInterface bridge, string member)
    {
        var ifs = IfUnit(member);
        if (ifs is null) return Fail(Errno.ENOENT);
        if (ifs.MemberOf == bridge) return Fail(Errno.EEXIST);
        if (ifs.MemberOf is not null) return Fail(Errno.EBUSY);
        if (!ifs.IsEthernet) return Fail(Errno.EINVAL);
        bridge.Members!.Add(ifs);
        ifs.MemberOf = bridge;
        ifs.Flags |= InterfaceFlags.Promisc;
        Touch();
        return 0;
    }

    /// <summary>bridge_ioctl_del: ENOENT when it is not a member.</summary>
    private int BridgeDelete(SimInterface bridge, string member)
    {
        var ifs = bridge.Members!.Find(m => m.Name == member);
        if (ifs is null) return Fail(Errno.ENOENT);
        LeaveBridge(ifs);
        Touch();
        return 0;
    }
}
