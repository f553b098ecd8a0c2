using System.Runtime.InteropServices;
using System.Text;
using JailPS.Core.Simulation;
using JailPS.Native;

namespace JailPS.Core.Tests.Simulation;

/// <summary>
/// Test-only builder of a raw jail_set/jail_get iovec array in unmanaged memory, and a reader of
/// what the kernel wrote back (values, rewritten iov_len, the errmsg buffer).
/// </summary>
internal sealed unsafe class Iov : IDisposable
{
    private readonly List<(nint Base, nuint Len)> _entries = new();
    private readonly List<nint> _allocations = new();
    private IoVec* _array;

    public static byte[] Z(string s) => Encoding.UTF8.GetBytes(s + "\0");

    private nint Alloc(int size, ReadOnlySpan<byte> init = default)
    {
        nint p = (nint)NativeMemory.AllocZeroed((nuint)Math.Max(size, 1));
        _allocations.Add(p);
        init.CopyTo(new Span<byte>((void*)p, size));
        return p;
    }

    /// <summary>Adds a raw iovec (any base/len).</summary>
    public Iov Entry(nint @base, nuint len)
    {
        if (_array != null) throw new InvalidOperationException("already built");
        _entries.Add((@base, len));
        return this;
    }

    /// <summary>Adds an iovec pointing at a copy of <paramref name="bytes"/> (or NULL with length 0 for null).</summary>
    public Iov Bytes(byte[]? bytes)
        => bytes is null ? Entry(0, 0) : Entry(Alloc(bytes.Length, bytes), (nuint)bytes.Length);

    public Iov Name(string name) => Bytes(Z(name));

    /// <summary>name + raw value bytes.</summary>
    public Iov Raw(string name, byte[]? value) => Name(name).Bytes(value);

    public Iov Str(string name, string value) => Raw(name, Z(value));

    public Iov Int(string name, int value) => Raw(name, BitConverter.GetBytes(value));

    public Iov ULong(string name, ulong value) => Raw(name, BitConverter.GetBytes(value));

    /// <summary>A boolean as libjail sends it: the name with a NULL value.</summary>
    public Iov Bool(string name) => Raw(name, null);

    /// <summary>An output buffer of <paramref name="size"/> zero bytes (NULL, length 0 when size is 0).</summary>
    public Iov Out(string name, int size) => size == 0 ? Raw(name, null) : Name(name).Entry(Alloc(size), (nuint)size);

    /// <summary>An output buffer pre-filled with <paramref name="fill"/>.</summary>
    public Iov OutFilled(string name, int size, byte fill)
    {
        var b = new byte[size];
        Array.Fill(b, fill);
        return Raw(name, b);
    }

    public Iov ErrMsg(int size = JailLimits.ErrMsgLen) => Out("errmsg", size);

    public IoVec* Ptr
    {
        get
        {
            if (_array == null)
            {
                _array = (IoVec*)NativeMemory.AllocZeroed((nuint)(Math.Max(_entries.Count, 1) * sizeof(IoVec)));
                for (int i = 0; i < _entries.Count; i++)
                    _array[i] = new IoVec(_entries[i].Base, _entries[i].Len);
            }
            return _array;
        }
    }

    public uint Count => (uint)_entries.Count;

    private int ValueIndex(string name)
    {
        _ = Ptr;
        for (int i = _entries.Count - 2; i >= 0; i -= 2)
        {
            var e = _entries[i];
            if (e.Base == 0 || e.Len == 0 || e.Len > 4096) continue;
            var span = new ReadOnlySpan<byte>((void*)e.Base, (int)e.Len);
            int nul = span.IndexOf((byte)0);
            if (nul >= 0 && Encoding.UTF8.GetString(span.Slice(0, nul)) == name) return i + 1;
        }
        throw new ArgumentException("no iovec named " + name);
    }

    /// <summary>Current iov_len of the (last) value named so.</summary>
    public nuint Len(string name) => Ptr[ValueIndex(name)].Length;

    public nuint LenAt(int index) => Ptr[index].Length;

    public byte[] Bytes(string name, int count)
    {
        var v = Ptr[ValueIndex(name)];
        return new ReadOnlySpan<byte>((void*)v.Base, count).ToArray();
    }

    /// <summary>The value bytes up to the current iov_len.</summary>
    public byte[] Value(string name) => Bytes(name, (int)Len(name));

    public int ReadInt(string name) => BitConverter.ToInt32(Bytes(name, 4));

    public ulong ReadULong(string name) => BitConverter.ToUInt64(Bytes(name, 8));

    /// <summary>The C string in the value buffer.</summary>
    public string ReadStr(string name)
    {
        int idx = ValueIndex(name);
        var e = _entries[idx];
        if (e.Base == 0) return "";
        var span = new ReadOnlySpan<byte>((void*)e.Base, (int)e.Len);
        int nul = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? span.Slice(0, nul) : span);
    }

    public string ErrMsgText => ReadStr("errmsg");

    public void Dispose()
    {
        foreach (var p in _allocations) NativeMemory.Free((void*)p);
        _allocations.Clear();
        if (_array != null) NativeMemory.Free(_array);
        _array = null;
    }
}

/// <summary>Short-hands for calling the simulated kernel through raw iovecs.</summary>
internal static unsafe class K
{
    public const int C = JailFlags.Create;
    public const int U = JailFlags.Update;
    public const int A = JailFlags.Attach;
    public const int D = JailFlags.Dying;

    public static int Set(SimulatedKernel k, Iov iov, int flags) => k.JailSet(iov.Ptr, iov.Count, flags);

    public static int Get(SimulatedKernel k, Iov iov, int flags = 0) => k.JailGet(iov.Ptr, iov.Count, flags);

    /// <summary>Creates a persistent jail from a builder callback; asserts success and returns the jid.</summary>
    public static int Create(SimulatedKernel k, Action<Iov> build, int flags = C)
    {
        using var iov = new Iov();
        build(iov);
        iov.ErrMsg();
        int jid = k.JailSet(iov.Ptr, iov.Count, flags);
        Assert.True(jid > 0, "jail_set failed: errno " + Errno.Name(k.LastErrno) + " " + iov.ErrMsgText);
        return jid;
    }

    /// <summary>Creates a persistent jail with a name.</summary>
    public static int Create(SimulatedKernel k, string name)
        => Create(k, i => i.Str("name", name).Bool("persist"));

    /// <summary>Runs jail_set expecting failure; returns (errno, errmsg).</summary>
    public static (int Errno, string Msg) SetFails(SimulatedKernel k, Action<Iov> build, int flags, int errmsgSize = JailLimits.ErrMsgLen)
    {
        using var iov = new Iov();
        build(iov);
        if (errmsgSize > 0) iov.ErrMsg(errmsgSize);
        int r = k.JailSet(iov.Ptr, iov.Count, flags);
        Assert.Equal(-1, r);
        return (k.LastErrno, errmsgSize > 0 ? iov.ErrMsgText : "");
    }

    /// <summary>Runs jail_get expecting failure; returns (errno, errmsg).</summary>
    public static (int Errno, string Msg) GetFails(SimulatedKernel k, Action<Iov> build, int flags = 0)
    {
        using var iov = new Iov();
        build(iov);
        iov.ErrMsg();
        int r = k.JailGet(iov.Ptr, iov.Count, flags);
        Assert.Equal(-1, r);
        return (k.LastErrno, iov.ErrMsgText);
    }

    public static int GetInt(SimulatedKernel k, int jid, string param, int flags = 0)
    {
        using var iov = new Iov();
        iov.Int("jid", jid).Out(param, 4).ErrMsg();
        int r = k.JailGet(iov.Ptr, iov.Count, flags);
        Assert.True(r == jid, "jail_get failed: " + Errno.Name(k.LastErrno) + " " + iov.ErrMsgText);
        return iov.ReadInt(param);
    }

    public static string GetStr(SimulatedKernel k, int jid, string param, int size = 1024)
    {
        using var iov = new Iov();
        iov.Int("jid", jid).Out(param, size).ErrMsg();
        int r = k.JailGet(iov.Ptr, iov.Count, 0);
        Assert.True(r == jid, "jail_get failed: " + Errno.Name(k.LastErrno) + " " + iov.ErrMsgText);
        return iov.ReadStr(param);
    }

    public static byte[] GetBytes(SimulatedKernel k, int jid, string param, int size)
    {
        using var iov = new Iov();
        iov.Int("jid", jid).Out(param, size).ErrMsg();
        int r = k.JailGet(iov.Ptr, iov.Count, 0);
        Assert.True(r == jid, "jail_get failed: " + Errno.Name(k.LastErrno) + " " + iov.ErrMsgText);
        return iov.Value(param);
    }

    public static SimulatedKernel NewKernel(string? root = null, uint uid = 0, uint maxAf = 255, IReadOnlyList<string>? modules = null)
        => new(new SimulatedKernelOptions
        {
            RootDirectory = root,
            CallerUid = uid,
            MaxAfIps = maxAf,
            LoadedModules = modules ?? SimulatedKernelOptions.DefaultModules,
        });

    public static byte[] Ip(params string[] addrs)
        => addrs.SelectMany(a => System.Net.IPAddress.Parse(a).GetAddressBytes()).ToArray();
}
