using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using JailPS.Native;

namespace JailPS.Core.Kernel;

/// <summary>One parameter to send to jail_set: a catalogued parameter and its typed value.</summary>
public readonly record struct JailParameterSetting(JailParameterInfo Info, object Value);

/// <summary>What jail_get reported for one jail: typed values by parameter name.</summary>
public sealed class JailRecord
{
    internal JailRecord(int jid, Dictionary<string, object?> values)
    {
        Jid = jid;
        Values = values;
    }

    public int Jid { get; }
    public IReadOnlyDictionary<string, object?> Values { get; }
    public string Name => Values.TryGetValue("name", out var v) && v is string s ? s : Jid.ToString(System.Globalization.CultureInfo.InvariantCulture);
    public string? Path => Values.TryGetValue("path", out var v) ? v as string : null;
    public bool Dying => Values.TryGetValue("dying", out var v) && v is true;
    public bool Persist => Values.TryGetValue("persist", out var v) && v is true;
    public object? this[string name] => Values.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// Typed access to jail_set(2), jail_get(2) and jail_remove(2) through the libc seam: builds the
/// name/value iovec pairs, supplies the errmsg buffer (JAIL_ERRMSGLEN) and turns failures into
/// <see cref="JailKernelException"/>. The same code runs against FreeBSD and the simulated kernel.
/// </summary>
public sealed unsafe class JailKernel
{
    private readonly ILibc _libc;
    private JailParameterCatalog? _catalog;

    public JailKernel(ILibc libc) => _libc = libc;

    public ILibc Libc => _libc;

    /// <summary>Parameter types, discovered from sysctl on first use and then cached.</summary>
    public JailParameterCatalog Catalog => _catalog ??= JailParameterCatalog.Discover(_libc);

    /// <summary>jail_set with the given parameters; returns the jid.</summary>
    public int Set(IReadOnlyList<JailParameterSetting> settings, int flags, string? target = null)
    {
        var names = new List<byte[]>(settings.Count + 1);
        var values = new List<byte[]?>(settings.Count + 1);
        foreach (var s in settings)
        {
            if (s.Info.Type == JailParameterType.Bool)
            {
                // The kernel tests a boolean by the presence of its name (vfs_flagopt): send name or noname, no value.
                names.Add(CString((bool)s.Value ? s.Info.Name : s.Info.NoName));
                values.Add(null);
            }
            else
            {
                names.Add(CString(s.Info.Name));
                values.Add(JailParameterCodec.Encode(s.Info, s.Value));
            }
        }
        int jid = OptionIovec.Invoke(names, values, (p, n) => _libc.JailSet(p, n, flags), out string? errmsg);
        if (jid < 0)
            throw new JailKernelException("jail_set", _libc.LastErrno, errmsg, target);
        return jid;
    }

    /// <summary>jail_remove; a jail that is already dying is not an error (kern_jail.c).</summary>
    public void Remove(int jid, string? target = null)
    {
        if (_libc.JailRemove(jid) != 0)
            throw new JailKernelException("jail_remove", _libc.LastErrno, null, target ?? jid.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>One jail by jid, or null when there is none (ENOENT). Reads every catalogued parameter.</summary>
    public JailRecord? GetByJid(int jid, bool includeDying = false)
    {
        using var q = new GetRequest(this, Key.Jid, null);
        return q.Run(jid, includeDying);
    }

    /// <summary>One jail by name, or null when there is none (ENOENT) or the name holds a NUL.</summary>
    public JailRecord? GetByName(string name, bool includeDying = false)
    {
        // Names are C strings in the kernel: "web\0x" would be looked up as "web". No jail has such a name.
        if (name.IndexOf('\0') >= 0) return null;
        using var q = new GetRequest(this, Key.Name, name);
        return q.Run(0, includeDying);
    }

    /// <summary>
    /// Every jail visible to the caller in jid order, by lastjid iteration (what jls does):
    /// exactly one jail_get per jail plus the final one that ends with ENOENT.
    /// </summary>
    public IEnumerable<JailRecord> List(bool includeDying = false)
    {
        using var q = new GetRequest(this, Key.LastJid, null);
        int last = 0;
        while (true)
        {
            var rec = q.Run(last, includeDying);
            if (rec is null)
                yield break;
            last = rec.Jid;
            yield return rec;
        }
    }

    private enum Key { LastJid, Jid, Name }

    /// <summary>A reusable jail_get request: one native block holding names, value buffers and iovecs.</summary>
    private sealed class GetRequest : IDisposable
    {
        private readonly JailKernel _owner;
        private readonly List<JailParameterInfo> _params = new();
        private readonly nuint[] _capacity;
        private readonly IoVec* _iov;
        private readonly uint _niov;
        private readonly byte* _block;
        private readonly byte* _errmsg;
        private readonly int* _keyValue;
        private readonly int _firstParamPair;
        private readonly bool _intKey;
        private readonly bool _nameKey;

        public GetRequest(JailKernel owner, Key key, string? name)
        {
            _owner = owner;
            var catalog = owner.Catalog;
            // The key travels once: a second "name" or "jid" entry would replace it (vfs_buildopts
            // keeps the last occurrence), so the key's own buffer also receives its value back.
            foreach (var p in catalog.All)
                if (p.Name != "jid" && !(key == Key.Name && p.Name == "name") && p.Type != JailParameterType.Opaque)
                    _params.Add(p);
            _nameKey = key == Key.Name;

            // Layout: [key][jid out (lastjid key only)][params...][errmsg]
            int extra = key == Key.LastJid ? 2 : 1;
            int pairs = extra + _params.Count + 1;
            _niov = (uint)(pairs * 2);
            _capacity = new nuint[pairs];

            var names = new List<byte[]>();
            var sizes = new List<int>();
            byte[] keyName = CString(key switch { Key.LastJid => "lastjid", Key.Jid => "jid", _ => "name" });
            byte[]? keyNameValue = key == Key.Name ? CString(name!) : null;
            names.Add(keyName); sizes.Add(keyNameValue?.Length ?? 4);
            if (key == Key.LastJid) { names.Add(CString("jid")); sizes.Add(4); }
            foreach (var p in _params)
            {
                names.Add(CString(p.Name));
                sizes.Add(BufferSize(p, catalog.MaxAddressesPerFamily));
            }
            names.Add(CString("errmsg")); sizes.Add(JailLimits.ErrMsgLen);

            nuint total = (nuint)(_niov * (uint)sizeof(IoVec));
            for (int i = 0; i < names.Count; i++) total += (nuint)(Align(names[i].Length) + Align(sizes[i]));
            _block = (byte*)NativeMemory.AllocZeroed(total);
            _iov = (IoVec*)_block;
            byte* cursor = _block + _niov * (uint)sizeof(IoVec);
            for (int i = 0; i < names.Count; i++)
            {
                byte* np = cursor;
                names[i].CopyTo(new Span<byte>(np, names[i].Length));
                cursor += Align(names[i].Length);
                byte* vp = cursor;
                cursor += Align(sizes[i]);
                _iov[2 * i] = new IoVec((nint)np, (nuint)names[i].Length);
                _iov[2 * i + 1] = new IoVec((nint)vp, (nuint)sizes[i]);
                _capacity[i] = (nuint)sizes[i];
            }
            _keyValue = (int*)_iov[1].Base;
            _intKey = key != Key.Name;
            if (keyNameValue != null)
                keyNameValue.CopyTo(new Span<byte>((void*)_iov[1].Base, keyNameValue.Length));
            _firstParamPair = extra;
            _errmsg = (byte*)_iov[2 * (pairs - 1) + 1].Base;
        }

        public JailRecord? Run(int keyNumber, bool includeDying)
        {
            // The kernel rewrites iov_len of value entries; restore capacities before each call.
            for (int i = 0; i < _capacity.Length; i++) _iov[2 * i + 1].Length = _capacity[i];
            if (_intKey) *_keyValue = keyNumber;
            _errmsg[0] = 0;
            int jid = _owner._libc.JailGet(_iov, _niov, includeDying ? JailFlags.Dying : 0);
            if (jid < 0)
            {
                int errno = _owner._libc.LastErrno;
                if (errno == Errno.ENOENT)
                    return null;
                throw new JailKernelException("jail_get", errno, ReadCString(_errmsg, JailLimits.ErrMsgLen));
            }
            var values = new Dictionary<string, object?>(_params.Count + 2, StringComparer.Ordinal) { ["jid"] = jid };
            if (_nameKey)
                values["name"] = ReadCString((byte*)_iov[1].Base, (int)_iov[1].Length);
            for (int k = 0; k < _params.Count; k++)
            {
                var v = _iov[2 * (_firstParamPair + k) + 1];
                values[_params[k].Name] = JailParameterCodec.Decode(_params[k], new ReadOnlySpan<byte>((void*)v.Base, (int)v.Length));
            }
            return new JailRecord(jid, values);
        }

        public void Dispose() => NativeMemory.Free(_block);

        private static int BufferSize(JailParameterInfo p, int maxAf) => p.Type switch
        {
            JailParameterType.Long or JailParameterType.ULong => 8,
            JailParameterType.String => p.MaxLength > 0 ? p.MaxLength : JailLimits.MaxPathLen,
            JailParameterType.IPv4Array or JailParameterType.IPv6Array => Math.Max(1, maxAf) * p.ElementSize,
            _ => 4,
        };

        private static int Align(int n) => (n + 7) & ~7;
    }

    internal static byte[] CString(string s) => Encoding.UTF8.GetBytes(s + "\0");

    internal static string? ReadCString(byte* p, int max)
    {
        int n = 0;
        while (n < max && p[n] != 0) n++;
        return n == 0 ? null : Encoding.UTF8.GetString(p, n);
    }
}
