using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>One option of a <see cref="VfsOptList"/> (struct vfsopt).</summary>
internal sealed class VfsOpt
{
    public string Name = "";
    public byte[]? Value;
    public int Len;
    public int Pos;
    public bool Seen;
}

/// <summary>
/// The name/value option list the kernel builds from a jail_set/jail_get iovec array, with the
/// accessors kern_jail.c uses (sys/kern/vfs_mount.c: vfs_buildopts, vfs_sanitizeopts,
/// vfs_getopt, vfs_copyopt, vfs_flagopt, vfs_setopt, vfs_setopts, vfs_setopt_part, vfs_opterror).
/// Values are kernel copies; <see cref="CopyOutValues"/> and <see cref="CopyOutErrmsg"/> write
/// back to the caller's memory the way kern_jail_get and the done_errmsg paths do.
/// </summary>
internal sealed unsafe class VfsOptList
{
    public readonly List<VfsOpt> Items = new();

    /// <summary>Text written by <see cref="OptError"/> into the kernel's errmsg copy, if any.</summary>
    public string? ErrMsg { get; private set; }

    private VfsOptList() { }

    /// <summary>
    /// copyinuio for jail_set/jail_get: at most UIO_MAXIOV entries, total length within IOSIZE_MAX,
    /// readable array. Returns 0 or an errno.
    /// </summary>
    public static int CopyInUio(IoVec* iov, uint niov)
    {
        if (niov > JailLimits.UioMaxIov)
            return Errno.EINVAL;
        if (niov > 0 && iov == null)
            return Errno.EFAULT;
        ulong resid = 0;
        for (uint i = 0; i < niov; i++)
        {
            ulong len = iov[i].Length;
            if (len > (ulong)SimDefs.IosizeMax - resid)
                return Errno.EINVAL;
            resid += len;
        }
        return 0;
    }

    /// <summary>vfs_buildopts: even niov already checked by the caller.</summary>
    public static int Build(IoVec* iov, uint niov, out VfsOptList list)
    {
        list = new VfsOptList();
        ulong memused = 0;
        for (uint i = 0; i < niov; i += 2)
        {
            ulong namelen = iov[i].Length;
            ulong optlen = iov[i + 1].Length;
            memused = unchecked(memused + (ulong)SimDefs.SizeofVfsopt + optlen + namelen);
            if (memused > JailLimits.MountArgSizeMax || optlen > JailLimits.MountArgSizeMax
                || namelen > JailLimits.MountArgSizeMax)
                return Errno.EINVAL;

            var opt = new VfsOpt { Pos = (int)(i / 2) };
            list.Items.Add(opt);
            byte[] name = new byte[(int)namelen];
            if (namelen > 0)
            {
                if (iov[i].Base == 0)
                    return Errno.EFAULT;
                new ReadOnlySpan<byte>((void*)iov[i].Base, (int)namelen).CopyTo(name);
            }
            if (namelen == 0 || name[namelen - 1] != 0)
                return Errno.EINVAL;
            opt.Name = SimDefs.CString(name);
            if (optlen != 0)
            {
                if (iov[i + 1].Base == 0)
                    return Errno.EFAULT;
                opt.Len = (int)optlen;
                opt.Value = new ReadOnlySpan<byte>((void*)iov[i + 1].Base, (int)optlen).ToArray();
            }
        }
        list.Sanitize();
        return 0;
    }

    /// <summary>vfs_sanitizeopts: of options equal by <see cref="EqualOpts"/> only the last stays.</summary>
    private void Sanitize()
    {
        for (int k = Items.Count - 1; k >= 0; k--)
        {
            if (k >= Items.Count) continue;
            var opt = Items[k];
            for (int j = k - 1; j >= 0; j--)
            {
                if (EqualOpts(opt.Name, Items[j].Name))
                {
                    Items.RemoveAt(j);
                    k--;
                }
            }
        }
    }

    private static bool IsOptRo(string o) => o == "ro" || o == "rdonly" || o == "norw";
    private static bool IsOptRw(string o) => o == "rw" || o == "noro";

    /// <summary>vfs_equalopts: same name, or the same but for a "no" at the start or after any dot.</summary>
    public static bool EqualOpts(string opt1, string opt2)
    {
        if (opt1 == opt2) return true;
        if (opt1.StartsWith("no", StringComparison.Ordinal) && opt1.Substring(2) == opt2) return true;
        if (opt2.StartsWith("no", StringComparison.Ordinal) && opt1 == opt2.Substring(2)) return true;
        int dot;
        while ((dot = opt1.IndexOf('.')) >= 0 && string.CompareOrdinal(opt1, 0, opt2, 0, dot + 1) == 0)
        {
            opt2 = SimDefs.At(opt2, dot + 1);
            opt1 = opt1.Substring(dot + 1);
            if (opt1.StartsWith("no", StringComparison.Ordinal) && opt1.Substring(2) == opt2) return true;
            if (opt2.StartsWith("no", StringComparison.Ordinal) && opt1 == opt2.Substring(2)) return true;
        }
        return (IsOptRo(opt1) || IsOptRw(opt1)) && (IsOptRo(opt2) || IsOptRw(opt2));
    }

    private VfsOpt? Find(string name)
    {
        foreach (var opt in Items)
            if (opt.Name == name)
                return opt;
        return null;
    }

    /// <summary>vfs_getopt.</summary>
    public int GetOpt(string name, out byte[]? value, out int len)
    {
        var opt = Find(name);
        if (opt is null)
        {
            value = null;
            len = 0;
            return Errno.ENOENT;
        }
        opt.Seen = true;
        value = opt.Value;
        len = opt.Len;
        return 0;
    }

    /// <summary>vfs_getopt_pos.</summary>
    public int GetOptPos(string name)
    {
        var opt = Find(name);
        if (opt is null) return -1;
        opt.Seen = true;
        return opt.Pos;
    }

    /// <summary>vfs_flagopt: presence of the name; the value is ignored.</summary>
    public bool FlagOpt(string name)
    {
        var opt = Find(name);
        if (opt is null) return false;
        opt.Seen = true;
        return true;
    }

    /// <summary>vfs_copyopt: the value must have exactly <paramref name="dest"/>'s length.</summary>
    public int CopyOpt(string name, Span<byte> dest)
    {
        var opt = Find(name);
        if (opt is null) return Errno.ENOENT;
        opt.Seen = true;
        if (dest.Length != opt.Len) return Errno.EINVAL;
        if (opt.Len > 0) opt.Value.AsSpan(0, opt.Len).CopyTo(dest);
        return 0;
    }

    public int CopyInt(string name, out int value)
    {
        Span<byte> b = stackalloc byte[sizeof(int)];
        int e = CopyOpt(name, b);
        value = e == 0 ? MemoryMarshal.Read<int>(b) : 0;
        return e;
    }

    public int CopyULong(string name, out ulong value)
    {
        Span<byte> b = stackalloc byte[sizeof(ulong)];
        int e = CopyOpt(name, b);
        value = e == 0 ? MemoryMarshal.Read<ulong>(b) : 0;
        return e;
    }

    /// <summary>
    /// Sets an int option the caller may not have passed, as kern_jail_set does when a descriptor
    /// chose the jail (jid = pr->pr_id). An added option is the kernel's own: never copied out.
    /// </summary>
    public void PutInt(string name, int value)
    {
        byte[] b = BitConverter.GetBytes(value);
        var opt = Find(name);
        if (opt is null)
            Items.Add(new VfsOpt { Name = name, Value = b, Len = b.Length, Pos = -1 });
        else
        {
            opt.Value = b;
            opt.Len = b.Length;
        }
    }

    /// <summary>vfs_setopt: NULL value reports the length; otherwise the length must match exactly.</summary>
    public int SetOpt(string name, ReadOnlySpan<byte> value)
    {
        var opt = Find(name);
        if (opt is null) return Errno.ENOENT;
        opt.Seen = true;
        if (opt.Value is null)
            opt.Len = value.Length;
        else
        {
            if (opt.Len != value.Length) return Errno.EINVAL;
            value.CopyTo(opt.Value);
        }
        return 0;
    }

    public int SetInt(string name, int value)
    {
        Span<byte> b = stackalloc byte[sizeof(int)];
        MemoryMarshal.Write(b, in value);
        return SetOpt(name, b);
    }

    public int SetULong(string name, ulong value)
    {
        Span<byte> b = stackalloc byte[sizeof(ulong)];
        MemoryMarshal.Write(b, in value);
        return SetOpt(name, b);
    }

    /// <summary>vfs_setopt_part: the buffer must be at least as large; the length becomes the data length.</summary>
    public int SetOptPart(string name, ReadOnlySpan<byte> value)
    {
        var opt = Find(name);
        if (opt is null) return Errno.ENOENT;
        opt.Seen = true;
        if (opt.Value is null)
            opt.Len = value.Length;
        else
        {
            if (opt.Len < value.Length) return Errno.EINVAL;
            opt.Len = value.Length;
            value.CopyTo(opt.Value);
        }
        return 0;
    }

    /// <summary>vfs_setopts: strlcpy into the buffer; EINVAL when it does not fit. The length stays the buffer's.</summary>
    public int SetOptS(string name, string value)
    {
        var opt = Find(name);
        if (opt is null) return Errno.ENOENT;
        opt.Seen = true;
        byte[] s = SimDefs.Bytes.GetBytes(value);
        if (opt.Value is null)
            opt.Len = s.Length + 1;
        else
        {
            int n = Math.Min(s.Length, opt.Len - 1);
            s.AsSpan(0, n).CopyTo(opt.Value);
            opt.Value[n] = 0;
            if (s.Length >= opt.Len) return Errno.EINVAL;
        }
        return 0;
    }

    /// <summary>vfs_opterror: the message goes into the kernel copy of "errmsg", if the caller gave one.</summary>
    public void OptError(string message)
    {
        var opt = Find("errmsg");
        if (opt is null) return;
        opt.Seen = true;
        if (opt.Value is null || opt.Len <= 0) return;
        ErrMsg = message;
        byte[] m = SimDefs.Bytes.GetBytes(message);
        int n = Math.Min(m.Length, opt.Len - 1);
        m.AsSpan(0, n).CopyTo(opt.Value);
        opt.Value[n] = 0;
    }

    /// <summary>Names of options nobody marked as seen (other than "errmsg"), in list order.</summary>
    public string? FirstUnseen()
    {
        foreach (var opt in Items)
            if (!opt.Seen && opt.Name != "errmsg")
                return opt.Name;
        return null;
    }

    /// <summary>The done_errmsg copy-out: the whole errmsg buffer goes back to the caller.</summary>
    public void CopyOutErrmsg(IoVec* iov)
    {
        var opt = Find("errmsg");
        if (opt is null || opt.Value is null || opt.Len <= 0) return;
        var dst = new Span<byte>((void*)iov[2 * opt.Pos + 1].Base, opt.Len);
        opt.Value.AsSpan(0, opt.Len).CopyTo(dst);
    }

    /// <summary>kern_jail_get's success path: lengths of every listed value (but errmsg) and the values.</summary>
    public void CopyOutValues(IoVec* iov, int errmsgPos)
    {
        foreach (var opt in Items)
        {
            if (opt.Pos < 0 || opt.Pos == errmsgPos) continue;
            int pos = 2 * opt.Pos + 1;
            iov[pos].Length = (nuint)opt.Len;
            if (opt.Value is not null && opt.Len > 0)
                opt.Value.AsSpan(0, opt.Len).CopyTo(new Span<byte>((void*)iov[pos].Base, opt.Len));
        }
    }
}
