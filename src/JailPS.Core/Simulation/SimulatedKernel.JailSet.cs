using System;
using System.Collections.Generic;
using System.Globalization;
using JailPS.Native;

namespace JailPS.Core.Simulation;

public sealed unsafe partial class SimulatedKernel
{
    private sealed record BoolFlag(string Name, string NoName, uint Flag);
    private sealed record JailsysFlag(string Name, uint Disable, uint New);
    private sealed record AllowParam(string Name, string NoName);

    // kern_jail.c pr_flag_bool
    private static readonly BoolFlag[] s_boolFlags =
    {
        new("persist", "nopersist", SimDefs.PrPersist),
        new("ip4.saddrsel", "ip4.nosaddrsel", SimDefs.PrIp4Saddrsel),
        new("ip6.saddrsel", "ip6.nosaddrsel", SimDefs.PrIp6Saddrsel),
    };

    // kern_jail.c pr_flag_jailsys (GENERIC: VIMAGE, INET, INET6)
    private static readonly JailsysFlag[] s_jailsysFlags =
    {
        new("host", 0, SimDefs.PrHost),
        new("vnet", 0, SimDefs.PrVnet),
        new("ip4", SimDefs.PrIp4User, SimDefs.PrIp4User),
        new("ip6", SimDefs.PrIp6User, SimDefs.PrIp6User),
    };

    // kern_jail.c pr_flag_allow, static part of a 14.x kernel (allow.nfsd needs VIMAGE, in GENERIC).
    private static readonly string[] s_staticAllow =
    {
        "allow.set_hostname", "allow.sysvipc", "allow.raw_sockets", "allow.chflags", "allow.mount",
        "allow.quotas", "allow.socket_af", "allow.mlock", "allow.reserved_ports", "allow.read_msgbuf",
        "allow.unprivileged_proc_debug", "allow.suser", "allow.nfsd", "allow.extattr",
    };

    // JAIL_DEFAULT_ALLOW
    private static readonly string[] s_defaultAllow =
    {
        "allow.set_hostname", "allow.reserved_ports", "allow.unprivileged_proc_debug", "allow.suser",
    };

    // PR_ALLOW_DIFFERENCES on 14.x
    private const string AllowDifferences = "allow.unprivileged_proc_debug";

    private static readonly string[] s_sysvNames = { "sysvmsg", "sysvsem", "sysvshm" };

    private readonly List<AllowParam> _allowParams = new();
    private readonly List<string> _sysvModules = new();
    private readonly List<string> _mountFileSystems = new();

    private void BuildParameterTables()
    {
        foreach (var a in s_staticAllow) _allowParams.Add(new AllowParam(a, SimDefs.NoName(a)));
        foreach (var m in _options.LoadedModules)
        {
            if (Array.IndexOf(s_sysvNames, m) >= 0)
            {
                if (!_sysvModules.Contains(m)) _sysvModules.Add(m);
            }
            else if (!_mountFileSystems.Contains(m))
            {
                // prison_add_vfs -> prison_add_allow("mount", vfc_name)
                _mountFileSystems.Add(m);
                string name = "allow.mount." + m;
                _allowParams.Add(new AllowParam(name, "allow.mount.no" + m));
            }
        }
    }

    /// <inheritdoc />
    public int JailSet(IoVec* iov, uint niov, int flags)
    {
        lock (_lock)
        {
            var fault = Enter("jail_set");
            if (fault is not null) return FireIovFault(fault, iov, niov);

            // sys_jail_set
            if ((niov & 1) != 0) return Fail(Errno.EINVAL);
            int e = VfsOptList.CopyInUio(iov, niov);
            if (e != 0) return Fail(e);

            // kern_jail_set: privilege first (PRIV_JAIL_SET, and PRIV_JAIL_ATTACH with JAIL_ATTACH);
            // with JAIL_USE_DESC it is checked later, against the descriptor's creator.
            if (CallerUid != 0 && (flags & JailFlags.UseDesc) == 0) return Fail(Errno.EPERM);
            // (flags & JAIL_CREATE) && mypr->pr_childmax == 0: prison0 has JAIL_MAX.
            if ((flags & ~SetMask) != 0) return Fail(Errno.EINVAL);
            if ((flags & (JailFlags.UseDesc | JailFlags.AtDesc)) == (JailFlags.UseDesc | JailFlags.AtDesc)) return Fail(Errno.EINVAL);
            e = VfsOptList.Build(iov, niov, out var opts);
            if (e != 0) return Fail(e);

            int lastpridBefore = _lastprid;
            int jid = 0;
            SimPrison? releaseAfter = null;
            e = DescriptorInput(opts, flags, get: false, out var byDesc);
            if (e == 0 && byDesc is not null)
                e = SelectByDescriptor(opts, byDesc);
            if (e == 0)
                e = KernJailSet(opts, flags, out jid, out releaseAfter);
            if (e == 0 && (flags & (JailFlags.GetDesc | JailFlags.OwnDesc)) != 0)
            {
                // The only value jail_set returns besides errmsg: the new descriptor, in desc's own buffer.
                int fd = NewJailDescriptor(FindPrison(jid)!, flags);
                int pos = opts.GetOptPos("desc");
                *(int*)iov[2 * pos + 1].Base = fd;
            }
            if (_lastprid != lastpridBefore) Touch();
            if (e != 0)
            {
                if (opts.ErrMsg is not null) opts.CopyOutErrmsg(iov);
                return Fail(e);
            }
            Touch();
            if (releaseAfter is not null) AfterUrefRelease(releaseAfter);
            return jid;
        }
    }

    private static int Msg(VfsOptList opts, int errno, string message)
    {
        opts.OptError(message);
        return errno;
    }

    private static string Num(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// kern_jail_set after the privilege, mask and vfs_buildopts steps. Returns 0 or an errno;
    /// <paramref name="releaseAfter"/> is a prison whose persist reference was dropped (done_deref's PD_DEUREF).
    /// </summary>
    private int KernJailSet(VfsOptList opts, int flags, out int retJid, out SimPrison? releaseAfter)
    {
        retJid = 0;
        releaseAfter = null;
        var mypr = _prison0;
        int e;

        int cuflags = flags & (JailFlags.Create | JailFlags.Update);
        if (cuflags == 0)
            return Msg(opts, Errno.EINVAL, "no valid operation (create or update)");

        e = opts.CopyInt("jid", out int jid);
        if (e == Errno.ENOENT) jid = 0;
        else if (e != 0) return e;

        e = opts.CopyInt("securelevel", out int slevel);
        bool gotslevel = e == 0;
        if (e != 0 && e != Errno.ENOENT) return e;

        e = opts.CopyInt("children.max", out int childmax);
        bool gotchildmax = e == 0;
        if (e != 0 && e != Errno.ENOENT) return e;

        e = opts.CopyInt("enforce_statfs", out int enforce);
        bool gotenforce = e == 0;
        if (e != 0 && e != Errno.ENOENT) return e;
        if (gotenforce && (enforce < 0 || enforce > 2)) return Errno.EINVAL;

        e = opts.CopyInt("devfs_ruleset", out int rsnum);
        bool gotrsnum = e == 0;
        if (e != 0 && e != Errno.ENOENT) return e;

        uint prFlags = 0, chFlags = 0;
        foreach (var bf in s_boolFlags)
        {
            if (opts.FlagOpt(bf.Name)) prFlags |= bf.Flag;
            if (opts.FlagOpt(bf.NoName)) chFlags |= bf.Flag;
        }
        chFlags |= prFlags;
        foreach (var jsf in s_jailsysFlags)
        {
            e = opts.CopyInt(jsf.Name, out int jsys);
            if (e == Errno.ENOENT) continue;
            if (e != 0) return e;
            switch (jsys)
            {
                case JailSysValues.Disable:
                    if (jsf.Disable == 0) return Errno.EINVAL;
                    prFlags |= jsf.Disable;
                    break;
                case JailSysValues.New:
                    prFlags |= jsf.New;
                    break;
                case JailSysValues.Inherit:
                    break;
                default:
                    return Errno.EINVAL;
            }
            chFlags |= jsf.New | jsf.Disable;
        }
        if ((flags & (JailFlags.Create | JailFlags.Attach)) == JailFlags.Create && (prFlags & SimDefs.PrPersist) == 0)
            return Msg(opts, Errno.EINVAL, "new jail must persist or attach");
        if ((flags & JailFlags.Update) != 0 && (chFlags & SimDefs.PrVnet) != 0)
            return Msg(opts, Errno.EINVAL, "vnet cannot be changed after creation");
        if ((flags & JailFlags.Update) != 0 && (chFlags & SimDefs.PrIp4User) != 0)
            return Msg(opts, Errno.EINVAL, "ip4 cannot be changed after creation");
        if ((flags & JailFlags.Update) != 0 && (chFlags & SimDefs.PrIp6User) != 0)
            return Msg(opts, Errno.EINVAL, "ip6 cannot be changed after creation");

        var prAllow = new HashSet<string>(StringComparer.Ordinal);
        var chAllow = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in _allowParams)
        {
            if (opts.FlagOpt(a.Name)) prAllow.Add(a.Name);
            if (opts.FlagOpt(a.NoName)) chAllow.Add(a.Name);
        }
        chAllow.UnionWith(prAllow);

        string? name = null;
        e = opts.GetOpt("name", out var v, out int len);
        if (e == 0)
        {
            if (len == 0 || v![len - 1] != 0) return Errno.EINVAL;
            if (len > JailLimits.MaxHostNameLen) return Errno.ENAMETOOLONG;
            name = SimDefs.CString(v);
        }

        string? host = null, domain = null, uuid = null;
        e = opts.GetOpt("host.hostname", out v, out len);
        if (e == 0)
        {
            chFlags |= SimDefs.PrHost;
            prFlags |= SimDefs.PrHost;
            if (len == 0 || v![len - 1] != 0) return Errno.EINVAL;
            if (len > JailLimits.MaxHostNameLen) return Errno.ENAMETOOLONG;
            host = SimDefs.CString(v);
        }
        e = opts.GetOpt("host.domainname", out v, out len);
        if (e == 0)
        {
            chFlags |= SimDefs.PrHost;
            prFlags |= SimDefs.PrHost;
            if (len == 0 || v![len - 1] != 0) return Errno.EINVAL;
            if (len > JailLimits.MaxHostNameLen) return Errno.ENAMETOOLONG;
            domain = SimDefs.CString(v);
        }
        e = opts.GetOpt("host.hostuuid", out v, out len);
        if (e == 0)
        {
            chFlags |= SimDefs.PrHost;
            prFlags |= SimDefs.PrHost;
            if (len == 0 || v![len - 1] != 0) return Errno.EINVAL;
            if (len > JailLimits.HostUuidLen) return Errno.ENAMETOOLONG;
            uuid = SimDefs.CString(v);
        }
        e = opts.CopyULong("host.hostid", out ulong hid);
        bool gothid = e == 0;
        if (e != 0 && e != Errno.ENOENT) return e;
        if (gothid)
        {
            chFlags |= SimDefs.PrHost;
            prFlags |= SimDefs.PrHost;
        }

        byte[]? ip4 = null, ip6 = null;
        int ip4s = 0, ip6s = 0;
        foreach (int family in new[] { 4, 6 })
        {
            string pname = family == 4 ? "ip4.addr" : "ip6.addr";
            int size = SimIp.Size(family);
            e = opts.GetOpt(pname, out v, out len);
            if (e == Errno.ENOENT) continue;
            if ((len & (size - 1)) != 0) return Errno.EINVAL;
            chFlags |= SimIp.UserFlag(family);
            prFlags |= SimIp.UserFlag(family);
            if (len > 0)
            {
                int count = len / size;
                if ((uint)count > _maxAfIps)
                    return Msg(opts, Errno.EINVAL, family == 4 ? "too many IPv4 addresses" : "too many IPv6 addresses");
                var ips = SimIp.CopyIn(v!, count, family);
                if (ips is null) return Errno.EINVAL;
                if (family == 4) { ip4 = ips; ip4s = count; }
                else { ip6 = ips; ip6s = count; }
            }
        }

        if ((chFlags & SimDefs.PrVnet) != 0 && (chFlags & (SimDefs.PrIp4User | SimDefs.PrIp6User)) != 0)
            return Msg(opts, Errno.EINVAL, "vnet jails cannot have IP address restrictions");

        string? osrelstr = null;
        e = opts.GetOpt("osrelease", out v, out len);
        if (e == 0)
        {
            if ((flags & JailFlags.Update) != 0)
                return Msg(opts, Errno.EINVAL, "osrelease cannot be changed after creation");
            if (len == 0 || v![len - 1] != 0) return Errno.EINVAL;
            if (len >= JailLimits.OsReleaseLen)
                return Msg(opts, Errno.ENAMETOOLONG, "osrelease string must be 1-" + Num(JailLimits.OsReleaseLen - 1) + " bytes long");
            osrelstr = SimDefs.CString(v);
        }

        e = opts.CopyInt("osreldate", out int osreldt);
        if (e == Errno.ENOENT) osreldt = 0;
        else if (e != 0) return e;
        else
        {
            if ((flags & JailFlags.Update) != 0)
                return Msg(opts, Errno.EINVAL, "osreldate cannot be changed after creation");
            if (osreldt == 0)
                return Msg(opts, Errno.EINVAL, "osreldate cannot be 0");
        }

        string? path = null;
        e = opts.GetOpt("path", out v, out len);
        if (e == 0)
        {
            if ((flags & JailFlags.Update) != 0)
                return Msg(opts, Errno.EINVAL, "path cannot be changed after creation");
            if (len == 0 || v![len - 1] != 0) return Errno.EINVAL;
            e = SimPathLookup.Lookup(_options.RootDirectory, SimDefs.CString(v), out string gpath, out bool isDir);
            if (e != 0) return e;
            if (!isDir) return Errno.ENOTDIR;
            path = gpath;
        }

        // Find the specified jail, or at least its parent.
        SimPrison? pr = null;
        if (cuflags == JailFlags.Create && jid == 0 && name is not null)
        {
            int dot = name.LastIndexOf('.');
            string last = dot >= 0 ? name.Substring(dot + 1) : name;
            jid = unchecked((int)SimDefs.StrToUL(last, out int end));
            if (end != last.Length) jid = 0;
        }
        var ppr = mypr;
        if (jid != 0)
        {
            if (jid < 0)
                return Msg(opts, Errno.EINVAL, "negative jid");
            pr = FindPrison(jid);
            if (pr is not null)
            {
                if (cuflags == JailFlags.Create)
                    return Msg(opts, Errno.EEXIST, "jail " + Num(jid) + " already exists");
                ppr = pr.Parent!;
                if (!ppr.IsAlive)
                    return Msg(opts, Errno.ENOENT, "jail " + Num(ppr.Id) + " is dying");
                if (!pr.IsAlive)
                {
                    if ((flags & JailFlags.Dying) == 0)
                        return Msg(opts, Errno.ENOENT, "jail " + Num(jid) + " is dying");
                    if ((flags & JailFlags.Attach) != 0 || (prFlags & SimDefs.PrPersist) != 0)
                        name ??= PrisonName(mypr, pr);
                }
            }
            else if (cuflags == JailFlags.Update)
                return Msg(opts, Errno.ENOENT, "jail " + Num(jid) + " not found");
        }

        string? namelc = null;
        if (name is not null)
        {
            int dot = name.LastIndexOf('.');
            if (dot < 0)
                namelc = name;
            else
            {
                if (pr is not null)
                {
                    if (!(ppr.Name.Length == dot && string.CompareOrdinal(name, 0, ppr.Name, 0, dot) == 0))
                        return Msg(opts, Errno.EINVAL, "cannot change jail's parent");
                }
                else
                {
                    string parentName = name.Substring(0, dot);
                    var found = FindName(mypr, parentName);
                    if (found is null)
                        return Msg(opts, Errno.ENOENT, "jail \"" + parentName + "\" not found");
                    if (!found.IsAlive)
                        return Msg(opts, Errno.ENOENT, "jail \"" + parentName + "\" is dying");
                    ppr = found;
                }
                namelc = name.Substring(dot + 1);
            }
            if (namelc.Length != 0)
            {
                int pnamelen = ppr == _prison0 ? 0 : ppr.Name.Length + 1;
                SimPrison? deadpr = null;
                foreach (var tpr in ppr.Children)
                {
                    if (tpr == pr || SimDefs.At(tpr.Name, pnamelen) != namelc) continue;
                    if (tpr.IsAlive)
                    {
                        if (pr is null && cuflags != JailFlags.Create)
                        {
                            pr = tpr;
                            break;
                        }
                        return Msg(opts, Errno.EEXIST, "jail \"" + name + "\" already exists");
                    }
                    if (pr is null && cuflags != JailFlags.Create)
                        deadpr = tpr;
                }
                if (deadpr is not null && pr is null)
                {
                    if ((flags & JailFlags.Dying) != 0)
                        pr = deadpr;
                    else if (cuflags == JailFlags.Update)
                        return Msg(opts, Errno.ENOENT, "jail \"" + name + "\" is dying");
                }
                else if (cuflags == JailFlags.Update && pr is null)
                    return Msg(opts, Errno.ENOENT, "jail \"" + name + "\" not found");
            }
        }
        else if (cuflags == JailFlags.Update && pr is null)
            return Msg(opts, Errno.ENOENT, "update specified no jail");

        bool created = pr is null;
        if (pr is null)
        {
            for (var tpr = mypr; tpr is not null; tpr = tpr.Parent)
            {
                int count = tpr == _prison0 ? _allprison.Count : tpr.DescendantCount;
                if (count >= tpr.ChildMax)
                    return Msg(opts, Errno.EPERM, "prison limit exceeded");
            }
            if (jid == 0 && (jid = GetNextPrid()) == 0)
                return Msg(opts, Errno.EAGAIN, "no available jail IDs");
            pr = NewPrison(jid, ppr, prFlags, chFlags, osreldt, osrelstr);
            namelc ??= ""; // a new jail always gets a name: the jid unless one was given

        }
        else
        {
            if ((pr.Flags & SimDefs.PrVnet) != 0 && (chFlags & (SimDefs.PrIp4User | SimDefs.PrIp6User)) != 0)
                return Msg(opts, Errno.EINVAL, "vnet jails cannot have IP address restrictions");
            if ((SimDefs.PrIp4User & chFlags & (prFlags ^ pr.Flags)) != 0)
                return Msg(opts, Errno.EINVAL, "ip4 cannot be changed after creation");
            if ((SimDefs.PrIp6User & chFlags & (prFlags ^ pr.Flags)) != 0)
                return Msg(opts, Errno.EINVAL, "ip6 cannot be changed after creation");
        }

        // Final error checking before setting anything.
        if (gotslevel && slevel < ppr.SecureLevel) return Errno.EPERM;
        if (gotchildmax && childmax >= ppr.ChildMax) return Errno.EPERM;
        if (gotenforce && enforce < ppr.EnforceStatfs) return Errno.EPERM;
        if (gotrsnum && (rsnum < 0 || rsnum > 65535)) return Errno.EINVAL;
        // (A jailed caller could only use its own ruleset; the caller here is the host.)
        if (ip4s > 0)
        {
            if ((ppr.Flags & SimDefs.PrIp4) != 0 && !SimIp.ParentMatch(ppr.Ip4, ip4!, 4)) return Errno.EPERM;
            if (!SimIp.ConflictFree(_prison0, ppr, created ? null : pr, ip4!, 4))
                return Msg(opts, Errno.EADDRINUSE, "IPv4 addresses clash");
        }
        if (ip6s > 0)
        {
            if ((ppr.Flags & SimDefs.PrIp6) != 0 && !SimIp.ParentMatch(ppr.Ip6, ip6!, 6)) return Errno.EPERM;
            if (!SimIp.ConflictFree(_prison0, ppr, created ? null : pr, ip6!, 6))
                return Msg(opts, Errno.EADDRINUSE, "IPv6 addresses clash");
        }

        int onamelen = 0, namelen = 0;
        string? newComponent = null;
        if (namelc is not null)
        {
            // Default name is the jid; a numeric name must be the jid in normal form.
            if (namelc.Length == 0)
                newComponent = Num(jid);
            else
            {
                ulong n = SimDefs.StrToUL(namelc, out int end);
                if ((n != unchecked((ulong)(long)jid) || namelc[0] < '1' || namelc[0] > '9') && end == namelc.Length)
                    return Msg(opts, Errno.EINVAL, "name cannot be numeric (unless it is the jid)");
                newComponent = namelc;
            }
            int pnamelen = ppr == _prison0 ? 0 : ppr.Name.Length + 1;
            onamelen = SimDefs.At(pr.Name, pnamelen).Length;
            namelen = SimDefs.Bytes.GetByteCount(newComponent);
            if (pnamelen + namelen + 1 > JailLimits.MaxHostNameLen) return Errno.ENAMETOOLONG;
            foreach (var tpr in pr.Descendants())
            {
                if (tpr.Name.Length + (namelen - onamelen) >= JailLimits.MaxHostNameLen)
                    return Errno.ENAMETOOLONG;
            }
        }

        foreach (var a in prAllow)
        {
            if (!ppr.Allow.Contains(a) && a != AllowDifferences)
                return Errno.EPERM;
        }

        // PR_METHOD_CHECK of the OSD modules (sysv_msg.c, sysv_sem.c, sysv_shm.c).
        foreach (var m in _sysvModules)
        {
            e = opts.CopyInt(m, out int jsys);
            if (e == Errno.ENOENT) continue;
            if (e != 0) return e;
            switch (jsys)
            {
                case JailSysValues.Disable:
                    break;
                case JailSysValues.New:
                case JailSysValues.Inherit:
                    if (!ppr.SysvRoot.ContainsKey(m)) return Errno.EPERM;
                    break;
                default:
                    return Errno.EINVAL;
            }
        }

        MetaCheck(opts);
        string? unknown = opts.FirstUnseen();
        if (unknown is not null)
            return Msg(opts, Errno.EINVAL, "unknown parameter: " + unknown);
        e = MetaCompute(created ? null : pr, opts, "meta", out var newMeta);
        if (e != 0) return e;
        e = MetaCompute(created ? null : pr, opts, "env", out var newEnv);
        if (e != 0) return e;

        // ---- Set the parameters of the prison (nothing below can fail).
        if (created)
        {
            InsertSorted(pr);
            ppr.Children.Insert(0, pr);
            pr.CpusetId = NextCpusetId();
        }
        if ((prFlags & SimDefs.PrIp4User) != 0)
        {
            pr.Flags |= SimDefs.PrIp4;
            pr.Ip4 = ip4;
            pr.WalkDescendants(t =>
            {
                if ((t.Flags & SimDefs.PrVnet) != 0) return false;
                SimIp.Restrict(t, 4);
                return true;
            });
        }
        if ((prFlags & SimDefs.PrIp6User) != 0)
        {
            pr.Flags |= SimDefs.PrIp6;
            pr.Ip6 = ip6;
            pr.WalkDescendants(t =>
            {
                if ((t.Flags & SimDefs.PrVnet) != 0) return false;
                SimIp.Restrict(t, 6);
                return true;
            });
        }
        if (gotslevel)
        {
            pr.SecureLevel = slevel;
            foreach (var t in pr.Descendants())
                if (t.SecureLevel < slevel) t.SecureLevel = slevel;
        }
        if (gotchildmax)
        {
            pr.ChildMax = childmax;
            pr.WalkDescendantsLevel((t, level) =>
            {
                if (t.ChildMax > childmax - level)
                    t.ChildMax = childmax > level ? childmax - level : 0;
            });
        }
        if (gotenforce)
        {
            pr.EnforceStatfs = enforce;
            foreach (var t in pr.Descendants())
                if (t.EnforceStatfs < enforce) t.EnforceStatfs = enforce;
        }
        if (gotrsnum)
        {
            pr.DevfsRuleset = rsnum;
            foreach (var t in pr.Descendants())
                t.DevfsRuleset = rsnum;
        }
        if (newComponent is not null)
        {
            string full = ppr == _prison0 ? newComponent : ppr.Name + "." + newComponent;
            if (full.Length > JailLimits.MaxHostNameLen - 1) full = full.Substring(0, JailLimits.MaxHostNameLen - 1);
            pr.Name = full;
            // kern_jail.c rewrites this component of descendants' names in place: the first
            // namelen chars of the new name replace the first onamelen chars of theirs.
            foreach (var t in pr.Descendants())
            {
                string head = full.Substring(0, Math.Min(namelen, full.Length));
                t.Name = head + SimDefs.At(t.Name, onamelen);
            }
        }
        if (path is not null)
            pr.Path = path;
        if ((SimDefs.PrHost & chFlags & ~prFlags) != 0)
        {
            if ((pr.Flags & SimDefs.PrHost) != 0)
            {
                var parent = pr.Parent!;
                pr.HostName = parent.HostName;
                pr.DomainName = parent.DomainName;
                pr.HostUuid = parent.HostUuid;
                pr.HostId = parent.HostId;
            }
        }
        else if (host is not null || domain is not null || uuid is not null || gothid)
        {
            if (host is not null) pr.HostName = host;
            if (domain is not null) pr.DomainName = domain;
            if (uuid is not null) pr.HostUuid = uuid;
            if (gothid) pr.HostId = hid;
            var src = pr;
            pr.WalkDescendants(t =>
            {
                if ((t.Flags & SimDefs.PrHost) != 0) return false;
                if (host is not null) t.HostName = src.HostName;
                if (domain is not null) t.DomainName = src.DomainName;
                if (uuid is not null) t.HostUuid = src.HostUuid;
                if (gothid) t.HostId = hid;
                return true;
            });
        }
        pr.Allow.ExceptWith(chAllow);
        pr.Allow.UnionWith(prAllow);
        var tallow = new HashSet<string>(chAllow, StringComparer.Ordinal);
        tallow.ExceptWith(prAllow);
        if (tallow.Count > 0)
            foreach (var t in pr.Descendants())
                t.Allow.ExceptWith(tallow);

        bool born = !pr.IsAlive;
        bool losesPersist = (chFlags & SimDefs.PrPersist & (prFlags ^ pr.Flags)) != 0 && (prFlags & SimDefs.PrPersist) == 0;
        pr.Flags = (pr.Flags & ~chFlags) | prFlags;

        SysvSet(opts, pr);
        if (newMeta.Set) pr.Meta = newMeta.Value;
        if (newEnv.Set) pr.Env = newEnv.Value;

        if (born)
        {
            pr.State = PrisonState.Alive;
            // A new prison, or a dying one revived: no descriptor of the dead one may reach it.
            pr.Serial = _nextSerial++;
        }
        if ((flags & JailFlags.Attach) != 0)
            AddProcess(pr, "(jail_set JAIL_ATTACH)", false);
        if (losesPersist)
            releaseAfter = pr;
        // vnet_alloc: a new vnet comes with its lo0.
        if (created && (pr.Flags & SimDefs.PrVnet) != 0) EnsureVnet(pr);
        retJid = pr.Id;
        return 0;
    }

    /// <summary>Default values of a new prison; some are inherited from the parent.</summary>
    private SimPrison NewPrison(int jid, SimPrison ppr, uint prFlags, uint chFlags, int osreldt, string? osrelstr)
    {
        var pr = new SimPrison
        {
            Id = jid,
            Parent = ppr,
            State = PrisonState.Invalid,
            Path = "/",
            HostUuid = SimDefs.DefaultHostUuid,
            Flags = SimDefs.PrHost,
        };
        if ((prFlags & SimDefs.PrVnet) == 0)
        {
            if ((chFlags & SimDefs.PrIp4User) == 0)
                pr.Flags |= SimDefs.PrIp4 | SimDefs.PrIp4User;
            else if ((prFlags & SimDefs.PrIp4User) == 0)
            {
                pr.Flags |= ppr.Flags & SimDefs.PrIp4;
                pr.Ip4 = (byte[]?)ppr.Ip4?.Clone();
            }
            if ((chFlags & SimDefs.PrIp6User) == 0)
                pr.Flags |= SimDefs.PrIp6 | SimDefs.PrIp6User;
            else if ((prFlags & SimDefs.PrIp6User) == 0)
            {
                pr.Flags |= ppr.Flags & SimDefs.PrIp6;
                pr.Ip6 = (byte[]?)ppr.Ip6?.Clone();
            }
        }
        pr.Flags |= SimDefs.PrIp4Saddrsel | SimDefs.PrIp6Saddrsel;
        pr.SecureLevel = ppr.SecureLevel;
        foreach (var a in s_defaultAllow)
            if (ppr.Allow.Contains(a)) pr.Allow.Add(a);
        pr.EnforceStatfs = 2; // JAIL_DEFAULT_ENFORCE_STATFS
        pr.DevfsRuleset = ppr.DevfsRuleset;
        pr.OsRelDate = osreldt != 0 ? osreldt : ppr.OsRelDate;
        pr.OsRelease = osrelstr ?? ppr.OsRelease;
        return pr;
    }

    /// <summary>get_next_prid: the next free jid after the last one handed out, wrapping at JAIL_MAX.</summary>
    private int GetNextPrid()
    {
        int max = JidLimit;
        int jid = _lastprid % max + 1;
        if (_allprison.Count == 0 || _allprison[_allprison.Count - 1].Id < jid)
        {
            _lastprid = jid;
            return jid;
        }
        for (int maxid = max; maxid != 0;)
        {
            bool reachedEnd = true;
            foreach (var inspr in _allprison)
            {
                if (inspr.Id < jid) continue;
                if (inspr.Id > jid)
                {
                    maxid = 0;
                    reachedEnd = false;
                    break;
                }
                if (++jid > maxid)
                {
                    if (_lastprid == maxid || _lastprid == 0)
                        return 0;
                    jid = 1;
                    maxid = _lastprid;
                    reachedEnd = false;
                    break;
                }
            }
            if (reachedEnd) break;
        }
        _lastprid = jid;
        return jid;
    }

    /// <summary>cpuset_create_root: the lowest cpuset id not in use (1 is the default set).</summary>
    private int NextCpusetId()
    {
        var used = new HashSet<int>();
        foreach (var p in _allprison) used.Add(p.CpusetId);
        int id = 2;
        while (used.Contains(id)) id++;
        return id;
    }

    /// <summary>PR_METHOD_SET of the SysV IPC modules (msg_prison_set and its sem/shm twins).</summary>
    private void SysvSet(VfsOptList opts, SimPrison pr)
    {
        foreach (var m in _sysvModules)
        {
            int jsys;
            if (opts.CopyInt(m, out jsys) == Errno.ENOENT)
                jsys = opts.FlagOpt("allow.sysvipc") ? JailSysValues.Inherit
                    : opts.FlagOpt("allow.nosysvipc") ? JailSysValues.Disable
                    : -1;
            if (jsys == JailSysValues.Disable)
            {
                if (pr.SysvRoot.Remove(m))
                {
                    pr.WalkDescendants(t => t.SysvRoot.Remove(m));
                }
            }
            else if (jsys != -1)
            {
                SimPrison? nrpr = jsys == JailSysValues.New ? pr
                    : pr.Parent!.SysvRoot.TryGetValue(m, out var r) ? r : null;
                pr.SysvRoot.TryGetValue(m, out var orpr);
                if (orpr != nrpr)
                {
                    if (nrpr is null) pr.SysvRoot.Remove(m);
                    else pr.SysvRoot[m] = nrpr;
                    if (orpr is not null)
                    {
                        pr.WalkDescendants(t =>
                        {
                            if (t.SysvRoot.TryGetValue(m, out var tr) && tr == orpr)
                            {
                                if (nrpr is null) t.SysvRoot.Remove(m);
                                else t.SysvRoot[m] = nrpr;
                                return true;
                            }
                            return false;
                        });
                    }
                }
            }
        }
    }
}
