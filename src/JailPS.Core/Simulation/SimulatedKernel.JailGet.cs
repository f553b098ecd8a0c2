using System;
using JailPS.Native;

namespace JailPS.Core.Simulation;

public sealed unsafe partial class SimulatedKernel
{
    /// <inheritdoc />
    public int JailGet(IoVec* iov, uint niov, int flags)
    {
        lock (_lock)
        {
            var fault = Enter("jail_get");
            if (fault is not null) return FireIovFault(fault, iov, niov);

            // sys_jail_get
            if ((niov & 1) != 0) return Fail(Errno.EINVAL);
            int e = VfsOptList.CopyInUio(iov, niov);
            if (e != 0) return Fail(e);

            // kern_jail_get (no privilege needed)
            if ((flags & ~GetMask) != 0) return Fail(Errno.EINVAL);
            if ((flags & (JailFlags.UseDesc | JailFlags.AtDesc)) == (JailFlags.UseDesc | JailFlags.AtDesc)) return Fail(Errno.EINVAL);
            e = VfsOptList.Build(iov, niov, out var opts);
            if (e != 0) return Fail(e);
            int errmsgPos = opts.GetOptPos("errmsg");

            int jid;
            e = DescriptorInput(opts, flags, get: true, out var byDesc);
            if (e == 0)
                e = KernJailGet(opts, flags, out jid, byDesc);
            else
                jid = 0;
            if (e == 0 && (flags & (JailFlags.GetDesc | JailFlags.OwnDesc)) != 0)
                e = opts.SetInt("desc", NewJailDescriptor(FindPrison(jid)!, flags));
            if (e != 0)
            {
                if (errmsgPos >= 0) opts.CopyOutErrmsg(iov);
                return Fail(e);
            }
            // Write the fetched parameters back, then sys_jail_get copies the iovec array out.
            opts.CopyOutValues(iov, errmsgPos);
            return jid;
        }
    }

    private int KernJailGet(VfsOptList opts, int flags, out int retJid, SimPrison? byDesc = null)
    {
        retJid = 0;
        var mypr = _prison0;
        bool dyingOk = (flags & JailFlags.Dying) != 0;
        SimPrison? pr = byDesc;
        int e, jid;

        // Find the prison specified by one of: a descriptor (found_prison at once), lastjid, jid, name.
        if (pr is not null)
        {
            // jid and name are outputs then, not keys.
            opts.FlagOpt("jid");
            opts.FlagOpt("name");
            opts.FlagOpt("lastjid");
        }
        else if ((e = opts.CopyInt("lastjid", out jid)) == 0)
        {
            foreach (var p in _allprison)
            {
                if (p.Id > jid && (dyingOk || p.IsAlive) && p.IsDescendantOf(mypr))
                {
                    pr = p;
                    break;
                }
            }
            if (pr is null)
                return Msg(opts, Errno.ENOENT, "no jail after " + Num(jid));
        }
        else if (e != Errno.ENOENT)
            return e;
        else
        {
            e = opts.CopyInt("jid", out jid);
            if (e == 0)
            {
                if (jid != 0)
                {
                    pr = FindChild(mypr, jid);
                    if (pr is null)
                        return Msg(opts, Errno.ENOENT, "jail " + Num(jid) + " not found");
                    if (!(pr.IsAlive || dyingOk))
                        return Msg(opts, Errno.ENOENT, "jail " + Num(jid) + " is dying");
                }
            }
            else if (e != Errno.ENOENT)
                return e;

            if (pr is null)
            {
                e = opts.GetOpt("name", out var v, out int len);
                if (e == 0)
                {
                    if (len == 0 || v![len - 1] != 0) return Errno.EINVAL;
                    string name = SimDefs.CString(v);
                    pr = FindName(mypr, name);
                    if (pr is null)
                        return Msg(opts, Errno.ENOENT, "jail \"" + name + "\" not found");
                    if (!(pr.IsAlive || dyingOk))
                        return Msg(opts, Errno.ENOENT, "jail \"" + name + "\" is dying");
                }
                else if (e != Errno.ENOENT)
                    return e;
                else
                    return Msg(opts, Errno.ENOENT, "no jail specified");
            }
        }

        // Get the parameters of the prison, in kern_jail_get's order.
        retJid = pr.Id;
        if (!Ok(opts.SetInt("jid", pr.Id), out e)) return e;
        if (!Ok(opts.SetInt("parent", pr.Parent == mypr ? 0 : pr.Parent!.Id), out e)) return e;
        if (!Ok(opts.SetOptS("name", PrisonName(mypr, pr)), out e)) return e;
        if (!Ok(opts.SetInt("cpuset.id", pr.CpusetId), out e)) return e;
        if (!Ok(opts.SetOptS("path", PrisonPath(mypr, pr)), out e)) return e;
        if (!Ok(opts.SetOptPart("ip4.addr", pr.Ip4 ?? Array.Empty<byte>()), out e)) return e;
        if (!Ok(opts.SetOptPart("ip6.addr", pr.Ip6 ?? Array.Empty<byte>()), out e)) return e;
        if (!Ok(opts.SetInt("securelevel", pr.SecureLevel), out e)) return e;
        if (!Ok(opts.SetInt("children.cur", pr.DescendantCount), out e)) return e;
        if (!Ok(opts.SetInt("children.max", pr.ChildMax), out e)) return e;
        if (!Ok(opts.SetOptS("host.hostname", pr.HostName), out e)) return e;
        if (!Ok(opts.SetOptS("host.domainname", pr.DomainName), out e)) return e;
        if (!Ok(opts.SetOptS("host.hostuuid", pr.HostUuid), out e)) return e;
        if (!Ok(opts.SetULong("host.hostid", pr.HostId), out e)) return e;
        if (!Ok(opts.SetInt("enforce_statfs", pr.EnforceStatfs), out e)) return e;
        if (!Ok(opts.SetInt("devfs_ruleset", pr.DevfsRuleset), out e)) return e;
        foreach (var bf in s_boolFlags)
        {
            int i = (pr.Flags & bf.Flag) != 0 ? 1 : 0;
            if (!Ok(opts.SetInt(bf.Name, i), out e)) return e;
            if (!Ok(opts.SetInt(bf.NoName, i == 0 ? 1 : 0), out e)) return e;
        }
        foreach (var jsf in s_jailsysFlags)
        {
            uint f = pr.Flags & (jsf.Disable | jsf.New);
            int i = f != 0 && f == jsf.Disable ? JailSysValues.Disable
                : f == jsf.New ? JailSysValues.New
                : JailSysValues.Inherit;
            if (!Ok(opts.SetInt(jsf.Name, i), out e)) return e;
        }
        foreach (var a in _allowParams)
        {
            int i = pr.Allow.Contains(a.Name) ? 1 : 0;
            if (!Ok(opts.SetInt(a.Name, i), out e)) return e;
            if (!Ok(opts.SetInt(a.NoName, i == 0 ? 1 : 0), out e)) return e;
        }
        int dying = pr.IsAlive ? 0 : 1;
        if (!Ok(opts.SetInt("dying", dying), out e)) return e;
        if (!Ok(opts.SetInt("nodying", dying == 0 ? 1 : 0), out e)) return e;
        if (!Ok(opts.SetInt("osreldate", pr.OsRelDate), out e)) return e;
        if (!Ok(opts.SetOptS("osrelease", pr.OsRelease), out e)) return e;

        // PR_METHOD_GET of the modules.
        foreach (var m in _sysvModules)
        {
            int jsys = !pr.SysvRoot.TryGetValue(m, out var root) ? JailSysValues.Disable
                : root == pr ? JailSysValues.New
                : JailSysValues.Inherit;
            if (!Ok(opts.SetInt(m, jsys), out e)) return e;
        }

        if (!Ok(MetaGet(pr, opts), out e)) return e;

        string? unknown = opts.FirstUnseen();
        if (unknown is not null)
            return Msg(opts, Errno.EINVAL, "unknown parameter: " + unknown);
        return 0;
    }

    private static bool Ok(int error, out int e)
    {
        e = error;
        return error == 0 || error == Errno.ENOENT;
    }

    /// <summary>prison_path(mypr, pr): the path relative to the caller's root ("/" for the host).</summary>
    private static string PrisonPath(SimPrison mypr, SimPrison pr)
    {
        string path1 = mypr.Path, path2 = pr.Path;
        if (path1 == "/") return path2;
        if (!path2.StartsWith(path1, StringComparison.Ordinal)) return path2;
        if (path2.Length == path1.Length) return "/";
        if (path2[path1.Length] == '/') return path2.Substring(path1.Length);
        return path2;
    }
}
