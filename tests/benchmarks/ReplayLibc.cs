using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using JailPS.Native;

namespace JailPS.Benchmarks;

/// <summary>
/// A kernel seam that answers jail_get from recorded answers at near zero cost, so a benchmark
/// measures JailPS's own work and not the simulated kernel's (which decodes and re-encodes every
/// iovec as kern_jail.c and vfs_buildopts do). While <see cref="Recording"/> is true every call goes
/// to the inner seam and each jail_get answer (return value, errno, every value buffer's length and
/// bytes) is kept under its key (lastjid/jid/name and the key's value). Afterwards a jail_get with
/// a recorded key only copies the recorded bytes into the caller's value buffers and sets their
/// lengths, as the kernel's copyout does. Every other call (the sysctl catalogue, geteuid) goes to
/// the inner seam. jail_get calls are counted, so a benchmark can check the N+1 rule.
/// </summary>
public sealed unsafe class ReplayLibc : ILibc
{
    private readonly ILibc _inner;
    // lastjid requests (the listing) are keyed by number so that replaying them allocates nothing.
    private readonly Dictionary<int, Answer> _byLastJid = new();
    private readonly Dictionary<string, Answer> _answers = new(StringComparer.Ordinal);
    private readonly List<int> _order = new();
    [ThreadStatic] private static int t_errno;

    private sealed class Answer
    {
        public int Result;
        public int Errno;
        public uint NIov;
        // Per value entry: iov_len as the kernel left it (int), then that many bytes (capped at the
        // buffer), at Offset in the shared blob. Answers lie one after another in one array, so a
        // listing replays by reading memory in order (10,000 answers scattered over 700,000 small
        // arrays would cost a cache miss per parameter: more than JailPS's own work).
        public int Offset;
        public byte[][] Names = Array.Empty<byte[]>();   // the request's names, for ReplayOnly
        public nuint[] Capacities = Array.Empty<nuint>();
        // For ReplayOnly: where each name and buffer was, relative to the iovec array.
        public long[] NameOffsets = Array.Empty<long>();
        public long[] ValueOffsets = Array.Empty<long>();
        public long BlockSize;
    }

    private byte[] _blob = new byte[1 << 16];
    private int _blobLength;

    public ReplayLibc(ILibc inner) => _inner = inner;

    private void Reserve(int more)
    {
        if (_blobLength + more > _blob.Length) Array.Resize(ref _blob, Math.Max(_blob.Length * 2, _blobLength + more));
    }

    /// <summary>True: pass jail_get through and record; false: replay.</summary>
    public bool Recording { get; set; } = true;

    public long JailGetCalls { get; private set; }

    public int LastErrno => t_errno;

    public int JailGet(IoVec* iov, uint niov, int flags)
    {
        JailGetCalls++;
        int lastJid = LastJidOf(iov, niov);
        string key = lastJid >= 0 ? "" : KeyOf(iov, niov);
        if (Recording)
        {
            var capacities = new nuint[niov / 2];
            var names = new byte[niov / 2][];
            for (uint i = 0; i < niov / 2; i++)
            {
                capacities[i] = iov[2 * i + 1].Length;
                names[i] = new ReadOnlySpan<byte>((void*)iov[2 * i].Base, (int)iov[2 * i].Length).ToArray();
            }
            int r = _inner.JailGet(iov, niov, flags);
            var a = new Answer { Result = r, Errno = r < 0 ? _inner.LastErrno : 0, NIov = niov, Names = names, Capacities = capacities };
            a.NameOffsets = new long[niov / 2];
            a.ValueOffsets = new long[niov / 2];
            a.Offset = _blobLength;
            for (uint i = 0; i < niov / 2; i++)
            {
                var v = iov[2 * i + 1];
                int len = (int)v.Length;
                int copied = v.Base == 0 ? 0 : (int)Math.Min(v.Length, capacities[i]);
                Reserve(4 + copied);
                MemoryMarshal.Write(_blob.AsSpan(_blobLength), len);
                new ReadOnlySpan<byte>((void*)v.Base, copied).CopyTo(_blob.AsSpan(_blobLength + 4));
                _blobLength += 4 + copied;
                a.NameOffsets[i] = iov[2 * i].Base - (nint)iov;
                a.ValueOffsets[i] = v.Base - (nint)iov;
                a.BlockSize = Math.Max(a.BlockSize, Math.Max(a.NameOffsets[i] + (long)iov[2 * i].Length, a.ValueOffsets[i] + (long)capacities[i]));
            }
            if (lastJid >= 0)
            {
                if (!_byLastJid.ContainsKey(lastJid)) _order.Add(lastJid);
                _byLastJid[lastJid] = a;
            }
            else
                _answers[key] = a;
            t_errno = a.Errno;
            return r;
        }
        Answer? ans;
        if (!(lastJid >= 0 ? _byLastJid.TryGetValue(lastJid, out ans) : _answers.TryGetValue(key, out ans)) || ans.NIov != niov)
            throw new InvalidOperationException($"no recorded jail_get answer for {key} with {niov} iovecs");
        fixed (byte* blob = _blob)
        {
            byte* p = blob + ans.Offset;
            for (uint i = 0; i < niov / 2; i++)
            {
                ref IoVec v = ref iov[2 * i + 1];
                int len = *(int*)p;
                int copied = (int)Math.Min((nuint)len, v.Length);
                if (copied > 0) Buffer.MemoryCopy(p + 4, (void*)v.Base, copied, copied);
                v.Length = (nuint)len;
                p += 4 + copied;
            }
        }
        t_errno = ans.Errno;
        return ans.Result;
    }

    /// <summary>The lastjid value when the request's first entry is lastjid (JailKernel.List puts its key first), else -1.</summary>
    private static int LastJidOf(IoVec* iov, uint niov)
    {
        if (niov < 2) return -1;
        var n = new ReadOnlySpan<byte>((void*)iov[0].Base, (int)iov[0].Length);
        return n.SequenceEqual("lastjid\0"u8) && iov[1].Length >= 4 ? *(int*)iov[1].Base : -1;
    }

    /// <summary>The key entry of a request: the first of lastjid, jid, name (JailKernel sends exactly one), with its value.</summary>
    private static string KeyOf(IoVec* iov, uint niov)
    {
        for (uint i = 0; i + 1 < niov; i += 2)
        {
            var n = new ReadOnlySpan<byte>((void*)iov[i].Base, (int)iov[i].Length);
            var v = new ReadOnlySpan<byte>((void*)iov[i + 1].Base, (int)iov[i + 1].Length);
            if (n.SequenceEqual("lastjid\0"u8) || n.SequenceEqual("jid\0"u8))
                return Encoding.ASCII.GetString(n) + "=" + (v.Length >= 4 ? MemoryMarshal.Read<int>(v) : -1);
            if (n.SequenceEqual("name\0"u8))
                return "name=" + Encoding.UTF8.GetString(v);
        }
        return "";
    }

    /// <summary>
    /// The replay's own cost: every recorded listing request (lastjid), in recording order, through a block laid out
    /// as the recorded requests were (restoring lengths and the key as JailKernel does).
    /// Returns the number of calls made.
    /// </summary>
    public int ReplayOnly()
    {
        int calls = 0;
        foreach (int lastJid in _order)
        {
            var a = _byLastJid[lastJid];
            int pairs = (int)(a.NIov / 2);
            if (_block == null || _blockKey != a.NIov) Allocate(a);
            for (int i = 0; i < pairs; i++) _iov[2 * i + 1].Length = a.Capacities[i];
            *(int*)_iov[1].Base = lastJid;
            JailGet(_iov, a.NIov, 0);
            calls++;
        }
        return calls;
    }

    private byte* _block;
    private IoVec* _iov;
    private uint _blockKey;

    /// <summary>A block laid out exactly as the recorded request was (iovecs first, names and buffers at their offsets).</summary>
    private void Allocate(Answer a)
    {
        if (_block != null) NativeMemory.Free(_block);
        int pairs = (int)(a.NIov / 2);
        _block = (byte*)NativeMemory.AllocZeroed((nuint)a.BlockSize);
        _iov = (IoVec*)_block;
        for (int i = 0; i < pairs; i++)
        {
            byte* name = _block + a.NameOffsets[i];
            a.Names[i].CopyTo(new Span<byte>(name, a.Names[i].Length));
            _iov[2 * i] = new IoVec((nint)name, (nuint)a.Names[i].Length);
            _iov[2 * i + 1] = new IoVec((nint)(_block + a.ValueOffsets[i]), a.Capacities[i]);
        }
        _blockKey = a.NIov;
    }

    public int JailSet(IoVec* iov, uint niov, int flags) => Forward(_inner.JailSet(iov, niov, flags));
    public int JailAttach(int jid) => Forward(_inner.JailAttach(jid));
    public int JailRemove(int jid) => Forward(_inner.JailRemove(jid));
    public int JailAttachJd(int fd) => Forward(_inner.JailAttachJd(fd));
    public int JailRemoveJd(int fd) => Forward(_inner.JailRemoveJd(fd));
    public int Close(int fd) => Forward(_inner.Close(fd));
    public int Sysctl(int* name, uint namelen, void* oldp, nuint* oldlenp, void* newp, nuint newlen)
        => Forward(_inner.Sysctl(name, namelen, oldp, oldlenp, newp, newlen));
    public int SysctlByName(byte* name, void* oldp, nuint* oldlenp, void* newp, nuint newlen)
        => Forward(_inner.SysctlByName(name, oldp, oldlenp, newp, newlen));
    public uint GetEuid() => _inner.GetEuid();

    private int Forward(int r)
    {
        t_errno = r < 0 ? _inner.LastErrno : 0;
        return r;
    }
}
