using System;
using System.Linq;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>
/// FreeBSD 15 jail descriptors (sys/kern/kern_jaildesc.c, the descriptor paths of kern_jail_set and
/// kern_jail_get in sys/kern/kern_jail.c; lib/libsys/jail.2; tests/sys/kern/jaildesc.c). A descriptor
/// holds one prison: never a later jail that takes its name or jid. When the prison dies (removed,
/// or its last process gone) every descriptor of it is detached and each use fails with ENOENT
/// "descriptor to dead jail". Closing an owning descriptor (JAIL_OWN_DESC) removes its jail.
/// Privilege of a use through a descriptor is the creator's, not the caller's.
/// Not modelled: JAIL_AT_DESC (operating relative to a descriptor's jail: the caller is always
/// the host here), dup/fork of descriptors, poll/kqueue on them.
/// </summary>
public sealed unsafe partial class SimulatedKernel
{
    /// <summary>Whether the imitated release has jail descriptors (FreeBSD 15.0 added them; 14.x has none).</summary>
    public bool HasJailDescriptors => _options.OsRelDate >= SimulatedKernelOptions.FreeBsd15RelDate;

    /// <summary>JAIL_SET_MASK: 0x0f up to 14, 0xff in 15 (sys/sys/jail.h).</summary>
    private int SetMask => HasJailDescriptors ? 0xff : JailFlags.SetMask14;

    /// <summary>JAIL_GET_MASK: 0x08 up to 14, 0xf8 in 15 (sys/sys/jail.h).</summary>
    private int GetMask => HasJailDescriptors ? 0xf8 : JailFlags.GetMask14;

    private const int AnyDescFlag = JailFlags.UseDesc | JailFlags.AtDesc | JailFlags.GetDesc | JailFlags.OwnDesc;

    /// <summary>Next prison serial: what makes a prison a different one from an earlier prison with its jid.</summary>
    private long _nextSerial = 1;

    /// <summary>
    /// The "desc" parameter of jail_set/jail_get: a 4-byte int (vfs_copyopt: any other size is
    /// EINVAL). Missing while a descriptor flag wants it: ENOENT "missing desc" (jail_get does not
    /// check JAIL_USE_DESC alone and looks the jail up by its keys instead); present without one:
    /// EINVAL "unexpected desc"; JAIL_OWN_DESC needs PRIV_JAIL_REMOVE of the caller. With
    /// JAIL_USE_DESC, <paramref name="byDesc"/> is the descriptor's prison.
    /// </summary>
    private int DescriptorInput(VfsOptList opts, int flags, bool get, out SimPrison? byDesc)
    {
        byDesc = null;
        int e = opts.CopyInt("desc", out int fd);
        bool wants = get ? (flags & (JailFlags.AtDesc | JailFlags.GetDesc | JailFlags.OwnDesc)) != 0 : (flags & AnyDescFlag) != 0;
        if (e == Errno.ENOENT)
        {
            if (wants) return Msg(opts, Errno.ENOENT, "missing desc");
            return 0;
        }
        if (e != 0) return e;
        if ((flags & AnyDescFlag) == 0) return Msg(opts, Errno.EINVAL, "unexpected desc");
        if ((flags & JailFlags.OwnDesc) != 0 && CallerUid != 0) return Errno.EPERM;
        if ((flags & JailFlags.AtDesc) != 0)
            return Msg(opts, Errno.EINVAL, "JAIL_AT_DESC is not modelled by the simulated kernel (its caller is always the host)");
        if ((flags & JailFlags.UseDesc) == 0) return 0;
        e = FindDescriptor(fd, out byDesc, out var f);
        if (e != 0)
            return Msg(opts, e, e == Errno.ENOENT ? "descriptor to dead jail" : "not a jail descriptor");
        if (!get && f!.CreatorUid != 0) return Errno.EPERM; // priv_check_cred(fp->f_cred, PRIV_JAIL_SET)
        return 0;
    }

    /// <summary>
    /// jail_set through a descriptor: the jail is the descriptor's; another jid is EINVAL "cannot
    /// change jid", and a name is a rename of that jail, as kern_jail_set takes it.
    /// </summary>
    private int SelectByDescriptor(VfsOptList opts, SimPrison pr)
    {
        int e = opts.CopyInt("jid", out int jid);
        if (e == 0 && jid != 0 && jid != pr.Id) return Msg(opts, Errno.EINVAL, "cannot change jid");
        if (e != 0 && e != Errno.ENOENT) return e;
        opts.PutInt("jid", pr.Id);
        return 0;
    }

    /// <summary>jaildesc_find: EBADF for no open file, EINVAL for another kind of file, ENOENT once the jail has died.</summary>
    private int FindDescriptor(int fd, out SimPrison? pr, out SimFd? f)
    {
        pr = null;
        if (!_fds.TryGetValue(fd, out f)) return Errno.EBADF;
        if (f.Kind != SimFdKind.JailDesc) return Errno.EINVAL;
        return PrisonOf(f, out pr);
    }

    /// <summary>The prison a jail descriptor holds, or ENOENT once it has died.</summary>
    private int PrisonOf(SimFd f, out SimPrison? pr)
    {
        pr = null;
        if (!f.Dead)
        {
            long serial = f.PrisonSerial;
            pr = _allprison.FirstOrDefault(p => p.Serial == serial);
            // prison_cleanup detaches every descriptor when the prison dies, for good.
            if (pr is null || !pr.IsAlive) f.Dead = true;
        }
        if (f.Dead) { pr = null; return Errno.ENOENT; }
        return 0;
    }

    private int NewJailDescriptor(SimPrison pr, int flags) => AllocFd(new SimFd
    {
        Kind = SimFdKind.JailDesc,
        PrisonSerial = pr.Serial,
        Owning = (flags & JailFlags.OwnDesc) != 0,
        CreatorUid = CallerUid,
    });

    /// <inheritdoc />
    public int JailRemoveJd(int fd)
    {
        lock (_lock)
        {
            var fault = Enter("jail_remove_jd");
            if (fault is not null) return Fail(fault.Errno);
            if (!HasJailDescriptors) return Fail(Errno.ENOSYS);
            int e = FindDescriptor(fd, out var pr, out var f);
            if (e != 0) return Fail(e);
            if (f!.CreatorUid != 0) return Fail(Errno.EPERM); // priv_check_cred(jdcred, PRIV_JAIL_REMOVE)
            Kill(pr!);
            Touch();
            return 0;
        }
    }

    /// <inheritdoc />
    public int JailAttachJd(int fd)
    {
        lock (_lock)
        {
            var fault = Enter("jail_attach_jd");
            if (fault is not null) return Fail(fault.Errno);
            if (!HasJailDescriptors) return Fail(Errno.ENOSYS);
            int e = FindDescriptor(fd, out _, out var f);
            if (e != 0) return Fail(e);
            if (f!.CreatorUid != 0) return Fail(Errno.EPERM); // priv_check_cred(jdcred, PRIV_JAIL_ATTACH)
            return 0;
        }
    }

    /// <summary>jaildesc_close on the last reference: an owning descriptor still attached removes its jail.</summary>
    private void CloseJailDescriptor(SimFd f)
    {
        if (!f.Owning || PrisonOf(f, out var pr) != 0) return;
        Kill(pr!);
        Touch();
    }

    /// <summary>Jail descriptors open in this process (a plan must close every one it opened).</summary>
    public int OpenJailDescriptorCount
    {
        get { lock (_lock) return _fds.Values.Count(f => f.Kind == SimFdKind.JailDesc); }
    }
}
