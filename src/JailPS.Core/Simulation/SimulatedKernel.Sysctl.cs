using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using JailPS.Native;

namespace JailPS.Core.Simulation;

public sealed unsafe partial class SimulatedKernel
{
    /// <summary>A sysctl handler: for a node with a handler, name[indx..namelen) is the rest of the MIB.</summary>
    private delegate int SysctlHandler(SysctlOid oid, int[] name, int indx, int namelen, SysctlReq req);

    private sealed class SysctlOid
    {
        public int Number;
        public string Name = "";
        public uint Kind;
        public string? Fmt;
        public long Arg2;
        public SortedList<int, SysctlOid>? Children;
        public SysctlHandler? Handler;
        public bool IsNode => (Kind & SysctlConstants.CtlTypeMask) == SysctlConstants.CtlTypeNode;
    }

    /// <summary>struct sysctl_req with the user-space transfer functions (sysctl_old_user / sysctl_new_user).</summary>
    private sealed class SysctlReq
    {
        public byte* OldPtr;
        public nuint ValidLen;
        public nuint OldIdx;
        public byte* NewPtr;
        public nuint NewLen;
        public nuint NewIdx;

        public int Out(ReadOnlySpan<byte> p)
        {
            nuint l = (nuint)p.Length;
            nuint origidx = OldIdx;
            OldIdx += l;
            if (OldPtr == null) return 0;
            nuint i = l;
            nuint len = ValidLen;
            if (len <= origidx) i = 0;
            else if (i > len - origidx) i = len - origidx;
            if (i > 0) p.Slice(0, (int)i).CopyTo(new Span<byte>(OldPtr + origidx, (int)i));
            return i < l ? Errno.ENOMEM : 0;
        }

        /// <summary>SYSCTL_OUT(req, NULL, l): only accounts the length.</summary>
        public void OutLength(nuint l) => OldIdx += l;

        public int Out(int v)
        {
            Span<byte> b = stackalloc byte[sizeof(int)];
            MemoryMarshal.Write(b, in v);
            return Out(b);
        }

        public int OutLong(long v)
        {
            Span<byte> b = stackalloc byte[sizeof(long)];
            MemoryMarshal.Write(b, in v);
            return Out(b);
        }

        public int In(Span<byte> p)
        {
            if (NewPtr == null) return 0;
            if (NewLen - NewIdx < (nuint)p.Length) return Errno.EINVAL;
            new ReadOnlySpan<byte>(NewPtr + NewIdx, p.Length).CopyTo(p);
            NewIdx += (nuint)p.Length;
            return 0;
        }
    }

    private const uint TypeNode = SysctlConstants.CtlTypeNode;
    private const uint TypeInt = SysctlConstants.CtlTypeInt;
    private const uint TypeString = SysctlConstants.CtlTypeString;
    private const uint TypeStruct = SysctlConstants.CtlTypeOpaque;
    private const uint TypeUInt = SysctlConstants.CtlTypeUInt;
    private const uint TypeULong = SysctlConstants.CtlTypeULong;
    private const uint FlagRd = SysctlConstants.CtlFlagRd;
    private const uint FlagRw = SimDefs.CtlFlagRw;
    private const uint FlagRdTun = SimDefs.CtlFlagRdTun;
    private const int OidAuto = -1;

    private readonly SortedList<int, SysctlOid> _sysctlRoot = new();
    private int _newoid;

    /// <summary>sysctl_register_oid, including OID_AUTO numbering (counting down from 0x7fffffff).</summary>
    private SysctlOid Reg(SysctlOid? parent, int number, string name, uint kind, string? fmt,
        SysctlHandler? handler = null, long arg2 = 0)
    {
        var list = parent is null ? _sysctlRoot : parent.Children!;
        foreach (var existing in list.Values)
            if (existing.Name == name && existing.IsNode)
                return existing;
        if (number < 0)
        {
            if (--_newoid < SimDefs.CtlAutoStart) _newoid = 0x7fffffff;
            number = _newoid;
        }
        while (list.ContainsKey(number))
            number = number == 0x7fffffff ? SimDefs.CtlAutoStart : number + 1;
        var oid = new SysctlOid { Number = number, Name = name, Kind = kind, Fmt = fmt, Handler = handler, Arg2 = arg2 };
        if (oid.IsNode && handler is null) oid.Children = new SortedList<int, SysctlOid>();
        list.Add(number, oid);
        return oid;
    }

    private SysctlOid JailParam(SysctlOid parent, string name, uint kind, string fmt, long arg2 = 0)
        => Reg(parent, OidAuto, name, kind | SimDefs.CtlFlagMpsafe, fmt, JailParamHandler, arg2);

    private SysctlOid JailParamNode(SysctlOid parent, string name)
        => Reg(parent, OidAuto, name, TypeNode | SimDefs.CtlFlagMpsafe, "N");

    /// <summary>SYSCTL_JAIL_PARAM_SYS_NODE: a node plus its empty-named jailsys child.</summary>
    private SysctlOid JailParamSysNode(SysctlOid parent, string name, uint access)
    {
        var node = JailParamNode(parent, name);
        JailParam(node, "", TypeInt | access, "E,jailsys");
        return node;
    }

    private void BuildSysctlTree()
    {
        // The "sysctl" magic (kern_sysctl.c) and the few kern.* values JailPS reads (kern_mib.c).
        var sysctl = Reg(null, SysctlConstants.CtlSysctl, "sysctl", TypeNode | FlagRw, "N");
        uint magic = TypeNode | FlagRd | SimDefs.CtlFlagMpsafe | SimDefs.CtlFlagCapRd;
        Reg(sysctl, SysctlConstants.CtlSysctlName, "name", magic, "", SysctlNameHandler);
        Reg(sysctl, SysctlConstants.CtlSysctlNext, "next", magic, "", SysctlNextHandler);
        Reg(sysctl, SysctlConstants.CtlSysctlName2Oid, "name2oid",
            TypeInt | FlagRw | SimDefs.CtlFlagAnybody | SimDefs.CtlFlagMpsafe | SimDefs.CtlFlagCapRd | SimDefs.CtlFlagCapWr,
            "I", Name2OidHandler);
        Reg(sysctl, SysctlConstants.CtlSysctlOidFmt, "oidfmt", magic, "", OidFmtHandler);
        Reg(sysctl, SimDefs.CtlSysctlNextNoSkip, "nextnoskip", magic, "", SysctlNextHandler);

        var kern = Reg(null, SimDefs.CtlKern, "kern", TypeNode | FlagRw | SimDefs.CtlFlagCapRd | SimDefs.CtlFlagMpsafe, "N");
        uint roStr = TypeString | FlagRd | SimDefs.CtlFlagMpsafe | SimDefs.CtlFlagCapRd;
        Reg(kern, SimDefs.KernOsType, "ostype", roStr, "A", (o, n, i, l, r) => r.Out(CStringBytes("FreeBSD")));
        Reg(kern, SimDefs.KernOsRelease, "osrelease", roStr, "A", (o, n, i, l, r) => r.Out(CStringBytes(_prison0.OsRelease)));
        Reg(kern, SimDefs.KernHostname, "hostname",
            TypeString | FlagRw | SimDefs.CtlFlagPrison | SimDefs.CtlFlagCapRd | SimDefs.CtlFlagMpsafe, "A", HostnameHandler);
        Reg(kern, SimDefs.KernOsRelDate, "osreldate", TypeInt | FlagRd | SimDefs.CtlFlagMpsafe | SimDefs.CtlFlagCapRd, "I",
            (o, n, i, l, r) => r.Out(_prison0.OsRelDate));

        // kern_jail.c
        var security = Reg(null, OidAuto, "security", TypeNode | FlagRw | SimDefs.CtlFlagMpsafe, "N");
        var jail = Reg(security, OidAuto, "jail", TypeNode | FlagRw | SimDefs.CtlFlagMpsafe, "N");
        Reg(jail, OidAuto, "jailed", TypeInt | FlagRd | SimDefs.CtlFlagMpsafe, "I", (o, n, i, l, r) => r.Out(0));
        Reg(jail, OidAuto, "vnet", TypeInt | FlagRd | SimDefs.CtlFlagMpsafe, "I", (o, n, i, l, r) => r.Out(0));
        Reg(jail, OidAuto, "jail_max_af_ips", TypeUInt | FlagRw | SimDefs.CtlFlagMpsafe, "IU", MaxAfIpsHandler);
        var param = Reg(jail, OidAuto, "param", TypeNode | FlagRw | SimDefs.CtlFlagMpsafe, "N");
        if (HasJailMetadata)
        {
            Reg(jail, OidAuto, "meta_maxbufsize", TypeUInt | FlagRw | SimDefs.CtlFlagMpsafe, "IU", MetaMaxBufSizeHandler);
            // The caller's own env; a process on the host is in prison0, which has none.
            Reg(jail, OidAuto, "env", TypeString | FlagRd | SimDefs.CtlFlagMpsafe, "A", (o, n, i, l, r) => r.Out(CStringBytes("")));
        }

        JailParam(param, "jid", TypeInt | FlagRdTun, "I");
        JailParam(param, "parent", TypeInt | FlagRd, "I");
        JailParam(param, "name", TypeString | FlagRw, "A", JailLimits.MaxHostNameLen);
        JailParam(param, "path", TypeString | FlagRdTun, "A", JailLimits.MaxPathLen);
        JailParam(param, "securelevel", TypeInt | FlagRw, "I");
        JailParam(param, "osreldate", TypeInt | FlagRdTun, "I");
        JailParam(param, "osrelease", TypeString | FlagRdTun, "A", JailLimits.OsReleaseLen);
        JailParam(param, "enforce_statfs", TypeInt | FlagRw, "I");
        JailParam(param, "devfs_ruleset", TypeInt | FlagRw, "I");
        JailParam(param, "persist", TypeInt | FlagRw, "B");
        JailParam(param, "vnet", TypeInt | FlagRdTun, "E,jailsys");
        JailParam(param, "dying", TypeInt | FlagRd, "B");

        var children = JailParamNode(param, "children");
        JailParam(children, "cur", TypeInt | FlagRd, "I");
        JailParam(children, "max", TypeInt | FlagRw, "I");

        var host = JailParamSysNode(param, "host", FlagRw);
        JailParam(host, "hostname", TypeString | FlagRw, "A", JailLimits.MaxHostNameLen);
        JailParam(host, "domainname", TypeString | FlagRw, "A", JailLimits.MaxHostNameLen);
        JailParam(host, "hostuuid", TypeString | FlagRw, "A", JailLimits.HostUuidLen);
        JailParam(host, "hostid", TypeULong | FlagRw, "LU");

        var cpuset = JailParamNode(param, "cpuset");
        JailParam(cpuset, "id", TypeInt | FlagRd, "I");

        var ip4 = JailParamSysNode(param, "ip4", FlagRdTun);
        JailParam(ip4, "addr", TypeStruct | FlagRw, "S,in_addr,a", JailLimits.InAddrSize);
        JailParam(ip4, "saddrsel", TypeInt | FlagRw, "B");
        var ip6 = JailParamSysNode(param, "ip6", FlagRdTun);
        JailParam(ip6, "addr", TypeStruct | FlagRw, "S,in6_addr,a", JailLimits.In6AddrSize);
        JailParam(ip6, "saddrsel", TypeInt | FlagRw, "B");

        var allow = JailParamNode(param, "allow");
        foreach (var a in s_staticAllow)
        {
            if (a == "allow.mount") continue;
            JailParam(allow, a.Substring("allow.".Length), TypeInt | FlagRw, "B");
        }
        var mount = JailParamNode(allow, "mount");
        JailParam(mount, "", TypeInt | FlagRw, "B");

        // Modules: SysV IPC (sysv_msg.c, sysv_sem.c, sysv_shm.c), then the jail-aware file
        // systems' dynamic allow.mount.<fs> (prison_add_vfs -> prison_add_allow, CTLFLAG_DYN).
        foreach (var m in _sysvModules)
            JailParamSysNode(param, m, FlagRw);
        if (HasJailMetadata)
        {
            // kern_jailmeta.c: announced with the soft limit as their size.
            foreach (string meta in MetaNames)
                Reg(param, OidAuto, meta, TypeString | FlagRw | SimDefs.CtlFlagMpsafe, "A,keyvalue",
                    (o, n, i, l, r) => HandleString(o, _metaMaxBufSoft.ToString(CultureInfo.InvariantCulture), 12, r, out _));
        }
        foreach (var fs in _mountFileSystems)
            Reg(mount, OidAuto, fs, TypeInt | FlagRw | SimDefs.CtlFlagMpsafe | SimDefs.CtlFlagDyn, "B", JailParamHandler);
    }

    private static byte[] CStringBytes(string s)
    {
        var b = new byte[SimDefs.Bytes.GetByteCount(s) + 1];
        SimDefs.Bytes.GetBytes(s, 0, s.Length, b, 0);
        return b;
    }

    /// <summary>sysctl_jail_param: a type's zero value, a string's maximum size as decimal text, a struct's size.</summary>
    private int JailParamHandler(SysctlOid oid, int[] name, int indx, int namelen, SysctlReq req)
    {
        switch (oid.Kind & SysctlConstants.CtlTypeMask)
        {
            case SysctlConstants.CtlTypeLong:
            case SysctlConstants.CtlTypeULong:
                return req.OutLong(0);
            case SysctlConstants.CtlTypeInt:
            case SysctlConstants.CtlTypeUInt:
                return req.Out(0);
            case SysctlConstants.CtlTypeString:
                return HandleString(oid, oid.Arg2.ToString(CultureInfo.InvariantCulture), 12, req, out _);
            case SysctlConstants.CtlTypeOpaque:
                return req.OutLong(oid.Arg2);
        }
        return 0;
    }

    /// <summary>sysctl_handle_string over a buffer of <paramref name="size"/> bytes; <paramref name="newValue"/> is what a write stored.</summary>
    private static int HandleString(SysctlOid oid, string value, int size, SysctlReq req, out string? newValue)
    {
        newValue = null;
        byte[] s = CStringBytes(value);
        int error;
        if (req.OldPtr != null)
            error = req.Out(s);
        else
        {
            req.OutLength((nuint)s.Length);
            error = 0;
        }
        if (error != 0 || req.NewPtr == null) return error;
        bool ro = (oid.Kind & (SysctlConstants.CtlFlagWr | SysctlConstants.CtlFlagTun)) == 0;
        nuint avail = req.NewLen - req.NewIdx;
        if (ro) size = s.Length;
        if (avail >= (nuint)size) return Errno.EINVAL;
        var buf = new byte[(int)avail];
        error = req.In(buf);
        if (error != 0) return error;
        newValue = SimDefs.Bytes.GetString(buf);
        int nul = newValue.IndexOf('\0');
        if (nul >= 0) newValue = newValue.Substring(0, nul);
        return 0;
    }

    /// <summary>jm_sysctl_meta_maxbufsize: the hard limit; raising it raises the soft one, lowering it does only while no jail exists.</summary>
    private int MetaMaxBufSizeHandler(SysctlOid oid, int[] name, int indx, int namelen, SysctlReq req)
    {
        int error = req.Out(unchecked((int)_metaMaxBufHard));
        if (error != 0 || req.NewPtr == null) return error;
        Span<byte> b = stackalloc byte[sizeof(uint)];
        error = req.In(b);
        if (error != 0) return error;
        _metaMaxBufHard = MemoryMarshal.Read<uint>(b);
        if (_metaMaxBufHard >= _metaMaxBufSoft || _prison0.Children.Count == 0)
            _metaMaxBufSoft = _metaMaxBufHard;
        Touch();
        return 0;
    }

    private int MaxAfIpsHandler(SysctlOid oid, int[] name, int indx, int namelen, SysctlReq req)
    {
        int error = req.Out(unchecked((int)_maxAfIps));
        if (error != 0 || req.NewPtr == null) return error;
        Span<byte> b = stackalloc byte[sizeof(int)];
        error = req.In(b);
        if (error != 0) return error;
        _maxAfIps = MemoryMarshal.Read<uint>(b);
        Touch();
        return 0;
    }

    /// <summary>sysctl_hostname for the host: a write also reaches descendants that do not virtualise host.</summary>
    private int HostnameHandler(SysctlOid oid, int[] name, int indx, int namelen, SysctlReq req)
    {
        int error = HandleString(oid, _prison0.HostName, JailLimits.MaxHostNameLen, req, out string? nv);
        if (error != 0 || nv is null) return error;
        _prison0.HostName = nv;
        _prison0.WalkDescendants(t =>
        {
            if ((t.Flags & SimDefs.PrHost) != 0) return false;
            t.HostName = nv;
            return true;
        });
        Touch();
        return 0;
    }

    // ------------------------------------------------------------------ CTL_SYSCTL magic

    /// <summary>sysctl_sysctl_name: the dotted name of an OID; unknown components print as numbers.</summary>
    private int SysctlNameHandler(SysctlOid self, int[] name, int indx, int namelen, SysctlReq req)
    {
        SortedList<int, SysctlOid>? lsp = _sysctlRoot;
        int error = 0;
        int k = indx;
        int remaining = namelen - indx;
        while (remaining > 0)
        {
            if (lsp is null)
            {
                if (req.OldIdx != 0) error = req.Out("."u8);
                if (error == 0) error = req.Out(Encoding.ASCII.GetBytes(name[k].ToString(CultureInfo.InvariantCulture)));
                if (error != 0) return error;
                remaining--;
                k++;
                continue;
            }
            SortedList<int, SysctlOid>? lsp2 = null;
            if (lsp.TryGetValue(name[k], out var oid))
            {
                if (req.OldIdx != 0) error = req.Out("."u8);
                if (error == 0) error = req.Out(SimDefs.Bytes.GetBytes(oid.Name));
                if (error != 0) return error;
                remaining--;
                k++;
                if (oid.IsNode && oid.Handler is null) lsp2 = oid.Children;
            }
            lsp = lsp2;
        }
        return req.Out(new byte[1]);
    }

    private enum IterAction { Siblings, Children, Found }

    private static IterAction NextNode(SysctlOid oidp, int[] name, int off, int namelen, bool honorSkip)
    {
        if (honorSkip && (oidp.Kind & SimDefs.CtlFlagSkip) != 0) return IterAction.Siblings;
        if (namelen == 0 || oidp.Number > name[off])
        {
            if (!honorSkip) return IterAction.Found;
            if (!oidp.IsNode) return IterAction.Found;
            if (oidp.Handler is not null) return IterAction.Found;
            return IterAction.Children;
        }
        if (oidp.Number < name[off]) return IterAction.Siblings;
        if (!oidp.IsNode) return IterAction.Siblings;
        if (oidp.Handler is not null) return IterAction.Siblings;
        return IterAction.Children;
    }

    /// <summary>sysctl_sysctl_next_action.</summary>
    private static bool NextAction(SortedList<int, SysctlOid> lsp, int[] name, int off, int namelen,
        int[] next, int nextOff, ref int len, int level, bool honorSkip)
    {
        int start = 0;
        if (namelen > 0)
        {
            int ix = lsp.IndexOfKey(name[off]);
            if (ix >= 0) start = ix;
        }
        bool success = false;
        SysctlOid? oidp = null;
        for (int k = start; k < lsp.Count; k++)
        {
            oidp = lsp.Values[k];
            var action = NextNode(oidp, name, off, namelen, honorSkip);
            if (action == IterAction.Siblings) continue;
            if (action == IterAction.Found)
            {
                success = true;
                break;
            }
            if (nextOff + 1 >= next.Length) continue;
            var nextLsp = oidp.Children!;
            if (namelen == 0)
                success = NextAction(nextLsp, name, off, 0, next, nextOff + 1, ref len, level + 1, honorSkip);
            else
            {
                success = NextAction(nextLsp, name, off + 1, namelen - 1, next, nextOff + 1, ref len, level + 1, honorSkip);
                if (!success) namelen = 0;
            }
            if (success) break;
        }
        if (success)
        {
            next[nextOff] = oidp!.Number;
            if (level > len) len = level;
        }
        return success;
    }

    private int SysctlNextHandler(SysctlOid self, int[] name, int indx, int namelen, SysctlReq req)
    {
        var next = new int[SysctlConstants.CtlMaxName];
        int len = 0;
        bool ok = NextAction(_sysctlRoot, name, indx, namelen - indx, next, 0, ref len, 1,
            self.Number == SysctlConstants.CtlSysctlNext);
        if (!ok) return Errno.ENOENT;
        var bytes = new byte[len * sizeof(int)];
        for (int i = 0; i < len; i++) MemoryMarshal.Write(bytes.AsSpan(i * sizeof(int)), in next[i]);
        return req.Out(bytes);
    }

    /// <summary>name2oid: dotted name to OID; a trailing dot names the node itself.</summary>
    private int Name2Oid(string name, out int[] oid)
    {
        oid = Array.Empty<int>();
        var result = new List<int>();
        SortedList<int, SysctlOid> lsp = _sysctlRoot;
        int pos = 0;
        while (result.Count < SysctlConstants.CtlMaxName)
        {
            int dot = name.IndexOf('.', pos);
            int end = dot < 0 ? name.Length : dot;
            string comp = name.Substring(pos, end - pos);
            SysctlOid? found = null;
            foreach (var o in lsp.Values)
            {
                if (o.Name == comp)
                {
                    found = o;
                    break;
                }
            }
            if (found is null) return Errno.ENOENT;
            result.Add(found.Number);
            pos = end;
            if (pos < name.Length && name[pos] == '.') pos++;
            if (pos >= name.Length)
            {
                oid = result.ToArray();
                return 0;
            }
            if (!found.IsNode || found.Handler is not null) break;
            lsp = found.Children!;
        }
        return Errno.ENOENT;
    }

    private int Name2OidHandler(SysctlOid self, int[] name, int indx, int namelen, SysctlReq req)
    {
        if (req.NewLen == 0) return Errno.ENOENT;
        if (req.NewLen >= (nuint)JailLimits.MaxPathLen) return Errno.ENAMETOOLONG;
        var p = new byte[(int)req.NewLen];
        int error = req.In(p);
        if (error != 0) return error;
        error = Name2Oid(SimDefs.CString(p), out int[] oid);
        if (error != 0) return error;
        var bytes = new byte[oid.Length * sizeof(int)];
        for (int i = 0; i < oid.Length; i++) MemoryMarshal.Write(bytes.AsSpan(i * sizeof(int)), in oid[i]);
        return req.Out(bytes);
    }

    private int OidFmtHandler(SysctlOid self, int[] name, int indx, int namelen, SysctlReq req)
    {
        int error = FindOid(name, indx, namelen, out var oid, out _);
        if (error != 0) return error;
        if (oid!.Fmt is null) return Errno.ENOENT;
        uint kind = oid.Kind;
        Span<byte> k = stackalloc byte[sizeof(uint)];
        MemoryMarshal.Write(k, in kind);
        error = req.Out(k);
        if (error != 0) return error;
        return req.Out(CStringBytes(oid.Fmt));
    }

    /// <summary>sysctl_find_oid over name[start..namelen).</summary>
    private int FindOid(int[] name, int start, int namelen, out SysctlOid? noid, out int nindx)
    {
        noid = null;
        nindx = 0;
        var lsp = _sysctlRoot;
        int indx = start;
        if (indx >= namelen) return Errno.ENOENT;
        while (indx - start < SysctlConstants.CtlMaxName && indx < namelen)
        {
            if (!lsp.TryGetValue(name[indx], out var oid))
                return Errno.ENOENT;
            indx++;
            if (oid.IsNode)
            {
                if (oid.Handler is not null || indx == namelen)
                {
                    noid = oid;
                    nindx = indx;
                    return 0;
                }
                lsp = oid.Children!;
            }
            else if (indx == namelen)
            {
                noid = oid;
                nindx = indx;
                return 0;
            }
            else
                return Errno.ENOTDIR;
        }
        return Errno.ENOENT;
    }

    /// <summary>sysctl_root.</summary>
    private int SysctlRoot(int[] name, int namelen, SysctlReq req)
    {
        int error = FindOid(name, 0, namelen, out var oid, out int indx);
        if (error != 0) return error;
        if (oid!.IsNode && oid.Handler is null) return Errno.EISDIR;
        if (req.NewPtr != null && (oid.Kind & SysctlConstants.CtlFlagWr) == 0) return Errno.EPERM;
        if (req.NewPtr != null && (oid.Kind & SimDefs.CtlFlagAnybody) == 0 && CallerUid != 0) return Errno.EPERM;
        if (oid.Handler is null) return Errno.EINVAL;
        return oid.IsNode ? oid.Handler(oid, name, indx, namelen, req) : oid.Handler(oid, name, namelen, namelen, req);
    }

    private static SysctlReq NewReq(void* oldp, nuint* oldlenp, void* newp, nuint newlen)
    {
        var req = new SysctlReq { OldPtr = (byte*)oldp };
        if (oldlenp != null) req.ValidLen = *oldlenp;
        if (newp != null)
        {
            req.NewPtr = (byte*)newp;
            req.NewLen = newlen;
        }
        return req;
    }

    private static nuint RetLen(SysctlReq req) => req.OldPtr != null && req.OldIdx > req.ValidLen ? req.ValidLen : req.OldIdx;

    /// <inheritdoc />
    public int Sysctl(int* name, uint namelen, void* oldp, nuint* oldlenp, void* newp, nuint newlen)
    {
        lock (_lock)
        {
            var fault = Enter("sysctl");
            if (fault is not null) return Fail(fault.Errno);
            // sys___sysctl
            if (namelen > SysctlConstants.CtlMaxName || namelen < 2) return Fail(Errno.EINVAL);
            if (name == null) return Fail(Errno.EFAULT);
            var mib = new int[namelen];
            for (int i = 0; i < mib.Length; i++) mib[i] = name[i];
            var req = NewReq(oldp, oldlenp, newp, newlen);
            int error = SysctlRoot(mib, mib.Length, req);
            if (error != 0 && error != Errno.ENOMEM) return Fail(error);
            if (oldlenp != null) *oldlenp = RetLen(req);
            return error != 0 ? Fail(error) : 0;
        }
    }

    /// <inheritdoc />
    public int SysctlByName(byte* name, void* oldp, nuint* oldlenp, void* newp, nuint newlen)
    {
        lock (_lock)
        {
            var fault = Enter("sysctlbyname");
            if (fault is not null) return Fail(fault.Errno);
            if (name == null) return Fail(Errno.EFAULT);
            // libc: __sysctlbyname(name, strlen(name), ...)
            int namelen = 0;
            while (name[namelen] != 0)
            {
                namelen++;
                if (namelen > 1 << 20) return Fail(Errno.EFAULT);
            }
            // kern___sysctlbyname
            if (namelen > JailLimits.MaxPathLen || namelen == 0) return Fail(Errno.EINVAL);
            if (namelen >= JailLimits.MaxPathLen) return Fail(Errno.ENAMETOOLONG);
            int error = Name2Oid(SimDefs.CString(new ReadOnlySpan<byte>(name, namelen)), out int[] oid);
            if (error != 0) return Fail(error);
            var req = NewReq(oldp, oldlenp, newp, newlen);
            error = SysctlRoot(oid, oid.Length, req);
            if (error != 0) return Fail(error);
            if (oldlenp != null) *oldlenp = RetLen(req);
            return 0;
        }
    }
}
