using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using JailPS.Native;

namespace JailPS.Core.Kernel;

/// <summary>One parameter to send to jail_set: a catalogued parameter and its typed value.</summary>
public readonly record struct JailParameterSetting(JailParameterInfo Info, object Value);

/// <summary>
/// What jail_get reported for one jail: typed values by parameter name. The values sit in one
/// array in the order of a <see cref="JailRecordLayout"/> that every record of a listing shares
/// (names sorted ordinally), so a record costs one array and its values, not a dictionary.
/// </summary>
public sealed class JailRecord
{
    private readonly JailRecordLayout _layout;
    private readonly object?[] _values;
    private IReadOnlyDictionary<string, object?>? _view;

    internal JailRecord(int jid, JailRecordLayout layout, object?[] values)
    {
        Jid = jid;
        _layout = layout;
        _values = values;
    }

    public int Jid { get; }
    public IReadOnlyDictionary<string, object?> Values => _view ??= new JailRecordValues(_layout, _values);
    public string Name => _layout.Value(_values, _layout.NameSlot) is string s ? s : Jid.ToString(System.Globalization.CultureInfo.InvariantCulture);
    public string? Path => _layout.Value(_values, _layout.PathSlot) as string;
    public bool Dying => _layout.Value(_values, _layout.DyingSlot) is true;
    public bool Persist => _layout.Value(_values, _layout.PersistSlot) is true;
    public object? this[string name] => _layout.Index.TryGetValue(name, out int slot) ? _values[slot] : null;

    internal JailRecordLayout Layout => _layout;

    /// <summary>The values in layout order (shared with the jail's parameter table; never written).</summary>
    internal object?[] RawValues => _values;
}

/// <summary>The parameter names of a jail_get answer, sorted ordinally, and where each one's value sits.</summary>
internal sealed class JailRecordLayout
{
    public JailRecordLayout(string[] sortedNames)
    {
        Names = sortedNames;
        Index = new Dictionary<string, int>(sortedNames.Length, StringComparer.Ordinal);
        for (int i = 0; i < sortedNames.Length; i++) Index[sortedNames[i]] = i;
        NameSlot = SlotOf("name");
        PathSlot = SlotOf("path");
        DyingSlot = SlotOf("dying");
        PersistSlot = SlotOf("persist");
    }

    public string[] Names { get; }
    public Dictionary<string, int> Index { get; }
    public int NameSlot { get; }
    public int PathSlot { get; }
    public int DyingSlot { get; }
    public int PersistSlot { get; }

    public int SlotOf(string name) => Index.TryGetValue(name, out int i) ? i : -1;

    public object? Value(object?[] values, int slot) => slot < 0 ? null : values[slot];
}

/// <summary><see cref="JailRecord.Values"/>: a read-only dictionary over a record's layout and values.</summary>
internal sealed class JailRecordValues : IReadOnlyDictionary<string, object?>
{
    private readonly JailRecordLayout _layout;
    private readonly object?[] _values;

    public JailRecordValues(JailRecordLayout layout, object?[] values)
    {
        _layout = layout;
        _values = values;
    }

    public object? this[string key] => _layout.Index.TryGetValue(key, out int i) ? _values[i] : throw new KeyNotFoundException(key);
    public IEnumerable<string> Keys => _layout.Names;
    public IEnumerable<object?> Values => _values;
    public int Count => _values.Length;
    public bool ContainsKey(string key) => _layout.Index.ContainsKey(key);

    public bool TryGetValue(string key, out object? value)
    {
        if (_layout.Index.TryGetValue(key, out int i)) { value = _values[i]; return true; }
        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (int i = 0; i < _values.Length; i++)
            yield return new KeyValuePair<string, object?>(_layout.Names[i], _values[i]);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
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
        => Set(settings, flags, target, null, out _);

    /// <summary>
    /// jail_set; with <paramref name="desc"/> the "desc" parameter is passed (the descriptor to use,
    /// or -1 when the call only asks for one) and <paramref name="descOut"/> is what the kernel wrote back.
    /// </summary>
    private int Set(IReadOnlyList<JailParameterSetting> settings, int flags, string? target, int? desc, out int descOut)
    {
        var names = new List<byte[]>(settings.Count + 2);
        var values = new List<byte[]?>(settings.Count + 2);
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
        byte[]? descValue = null;
        if (desc is int d)
        {
            descValue = BitConverter.GetBytes(d);
            names.Add(CString("desc"));
            values.Add(descValue);
        }
        int jid = OptionIovec.Invoke(names, values, (p, n) => _libc.JailSet(p, n, flags), out string? errmsg);
        if (jid < 0)
            throw new JailKernelException("jail_set", _libc.LastErrno, errmsg, target);
        descOut = descValue is null ? -1 : BitConverter.ToInt32(descValue);
        return jid;
    }

    private bool? _descriptors;

    /// <summary>
    /// Whether the kernel has jail descriptors (FreeBSD 15). Asked once, with no side effect: a
    /// jail_get with JAIL_GET_DESC and no "desc" fails with EINVAL where the flag is outside
    /// JAIL_GET_MASK (14.x) and with ENOENT "missing desc" where descriptors exist (kern_jail.c).
    /// </summary>
    public bool SupportsDescriptors
    {
        get
        {
            if (_descriptors is { } known) return known;
            int rc = OptionIovec.Invoke(Array.Empty<byte[]>(), Array.Empty<byte[]?>(), (p, n) => _libc.JailGet(p, n, JailFlags.GetDesc), out _);
            bool has = rc < 0 && _libc.LastErrno == Errno.ENOENT;
            _descriptors = has;
            return has;
        }
    }

    /// <summary>
    /// A descriptor for the live jail with this jid (jail_get with JAIL_GET_DESC: non-owning, so
    /// closing it never removes the jail), with the jail's name at that moment; null when the
    /// kernel has no descriptors or no such jail is alive. Everything done through it reaches that
    /// jail and no other, even if it is removed and another takes its jid or name.
    /// </summary>
    public JailDescriptor? OpenDescriptor(int jid)
    {
        if (!SupportsDescriptors) return null;
        byte[] jidValue = BitConverter.GetBytes(jid);
        byte[] nameValue = new byte[JailLimits.MaxHostNameLen];
        byte[] descValue = BitConverter.GetBytes(-1);
        int rc = OptionIovec.Invoke(new[] { CString("jid"), CString("name"), CString("desc") }, new byte[]?[] { jidValue, nameValue, descValue },
            (p, n) => _libc.JailGet(p, n, JailFlags.GetDesc), out string? errmsg);
        if (rc < 0)
        {
            if (_libc.LastErrno == Errno.ENOENT) return null;
            throw new JailKernelException("jail_get", _libc.LastErrno, errmsg, jid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        string name;
        fixed (byte* np = nameValue) name = ReadCString(np, nameValue.Length) ?? "";
        return new JailDescriptor(_libc, BitConverter.ToInt32(descValue), rc, name);
    }

    /// <summary>
    /// jail_remove_jd: removes the jail the descriptor holds. False when that jail is gone already
    /// (ENOENT "descriptor to dead jail"): then nothing was removed, in particular not a jail that
    /// took its jid or name since.
    /// </summary>
    public bool Remove(JailDescriptor descriptor, string? target = null)
    {
        if (_libc.JailRemoveJd(descriptor.Fd) == 0) return true;
        if (_libc.LastErrno == Errno.ENOENT) return false;
        throw new JailKernelException("jail_remove_jd", _libc.LastErrno, null, target ?? descriptor.Name);
    }

    /// <summary>jail_set(JAIL_UPDATE | JAIL_USE_DESC): changes the jail the descriptor holds, and only it.</summary>
    public void Update(JailDescriptor descriptor, IReadOnlyList<JailParameterSetting> settings, string? target = null)
    {
        var list = new List<JailParameterSetting>(settings.Count);
        foreach (var s in settings)
            if (s.Info.Name != "jid") list.Add(s); // the descriptor names the jail
        Set(list, JailFlags.Update | JailFlags.UseDesc, target, descriptor.Fd, out _);
    }

    /// <summary>
    /// jail_set(JAIL_CREATE), and where the kernel has descriptors with JAIL_GET_DESC, so what is
    /// done to the new jail afterwards (its temporary persist, a rollback) reaches it and no other.
    /// </summary>
    public int Create(IReadOnlyList<JailParameterSetting> settings, string? target, out JailDescriptor? descriptor)
    {
        if (!SupportsDescriptors)
        {
            descriptor = null;
            return Set(settings, JailFlags.Create, target);
        }
        int jid = Set(settings, JailFlags.Create | JailFlags.GetDesc, target, -1, out int fd);
        descriptor = new JailDescriptor(_libc, fd, jid, target ?? "");
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

    // One shape per kind of key, built once per kernel (the catalogue is discovered once).
    private readonly RequestShape?[] _shapes = new RequestShape?[3];

    private RequestShape ShapeFor(Key key) => _shapes[(int)key] ??= new RequestShape(Catalog, key);

    /// <summary>
    /// What every jail_get request with one kind of key looks like: the parameters asked for, their
    /// names as C strings, their buffer sizes, and the layout of the records made from the answers.
    /// </summary>
    private sealed class RequestShape
    {
        public readonly Key Key;
        public readonly JailParameterInfo[] Params;
        public readonly byte[][] Names;      // [key][jid out (lastjid key only)][params...][errmsg]
        public readonly int[] Sizes;
        public readonly int FirstParamPair;
        public readonly JailRecordLayout Layout;
        public readonly int[] ParamSlot;     // layout slot of each parameter
        public readonly int JidSlot;
        public readonly int NameKeySlot;     // the name's slot when the name is the key, else -1

        public RequestShape(JailParameterCatalog catalog, Key key)
        {
            Key = key;
            // The key travels once: a second "name" or "jid" entry would replace it (vfs_buildopts
            // keeps the last occurrence), so the key's own buffer also receives its value back.
            var ps = new List<JailParameterInfo>();
            foreach (var p in catalog.All)
                if (p.Name != "jid" && !(key == Key.Name && p.Name == "name") && p.Type != JailParameterType.Opaque)
                    ps.Add(p);
            Params = ps.ToArray();
            FirstParamPair = key == Key.LastJid ? 2 : 1;

            var names = new List<byte[]>();
            var sizes = new List<int>();
            names.Add(CString(key switch { Key.LastJid => "lastjid", Key.Jid => "jid", _ => "name" }));
            sizes.Add(4); // the name key's size is the name's, set per request
            if (key == Key.LastJid) { names.Add(CString("jid")); sizes.Add(4); }
            foreach (var p in Params)
            {
                names.Add(CString(p.Name));
                sizes.Add(BufferSize(p, catalog.MaxAddressesPerFamily));
            }
            names.Add(CString("errmsg")); sizes.Add(JailLimits.ErrMsgLen);
            Names = names.ToArray();
            Sizes = sizes.ToArray();

            var slotNames = new List<string>(Params.Length + 2) { "jid" };
            if (key == Key.Name) slotNames.Add("name");
            foreach (var p in Params) slotNames.Add(p.Name);
            var sorted = slotNames.ToArray();
            Array.Sort(sorted, StringComparer.Ordinal);
            Layout = new JailRecordLayout(sorted);
            ParamSlot = Array.ConvertAll(Params, p => Layout.Index[p.Name]);
            JidSlot = Layout.Index["jid"];
            NameKeySlot = key == Key.Name ? Layout.Index["name"] : -1;
        }

        private static int BufferSize(JailParameterInfo p, int maxAf) => p.Type switch
        {
            JailParameterType.Long or JailParameterType.ULong => 8,
            JailParameterType.String => p.MaxLength > 0 ? p.MaxLength : JailLimits.MaxPathLen,
            JailParameterType.IPv4Array or JailParameterType.IPv6Array => Math.Max(1, maxAf) * p.ElementSize,
            _ => 4,
        };
    }

    /// <summary>A reusable jail_get request: one native block holding names, value buffers and iovecs.</summary>
    private sealed class GetRequest : IDisposable
    {
        private readonly JailKernel _owner;
        private readonly RequestShape _shape;
        private readonly nuint[] _capacity;
        private readonly IoVec* _iov;
        private readonly uint _niov;
        private readonly byte* _block;
        private readonly byte* _errmsg;
        private readonly int* _keyValue;
        private readonly bool _intKey;
        // Per parameter, the value decoded from the previous answer (and for strings its bytes):
        // consecutive jails mostly agree (osrelease, securelevel, allow.*), and an equal value is
        // shared instead of boxed or decoded again. Shared values are immutable (boxes, strings).
        private readonly object?[]? _previous;
        private readonly byte[]?[]? _previousBytes;
        private readonly int[]? _previousLength;

        public GetRequest(JailKernel owner, Key key, string? name)
        {
            _owner = owner;
            _shape = owner.ShapeFor(key);
            var names = _shape.Names;
            var sizes = (int[])_shape.Sizes.Clone();
            byte[]? keyNameValue = key == Key.Name ? CString(name!) : null;
            if (keyNameValue != null) sizes[0] = keyNameValue.Length;
            int pairs = names.Length;
            _niov = (uint)(pairs * 2);
            _capacity = new nuint[pairs];

            nuint total = (nuint)(_niov * (uint)sizeof(IoVec));
            for (int i = 0; i < names.Length; i++) total += (nuint)(Align(names[i].Length) + Align(sizes[i]));
            _block = (byte*)NativeMemory.AllocZeroed(total);
            _iov = (IoVec*)_block;
            byte* cursor = _block + _niov * (uint)sizeof(IoVec);
            for (int i = 0; i < names.Length; i++)
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
            _errmsg = (byte*)_iov[2 * (pairs - 1) + 1].Base;
            // Only a listing runs more than once; a lookup has no previous answer to share with.
            if (key == Key.LastJid)
            {
                _previous = new object?[_shape.Params.Length];
                _previousBytes = new byte[]?[_shape.Params.Length];
                _previousLength = new int[_shape.Params.Length];
            }
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
            var shape = _shape;
            var values = new object?[shape.Layout.Names.Length];
            values[shape.JidSlot] = jid;
            if (shape.NameKeySlot >= 0)
                values[shape.NameKeySlot] = ReadCString((byte*)_iov[1].Base, (int)_iov[1].Length);
            var ps = shape.Params;
            for (int k = 0; k < ps.Length; k++)
            {
                var v = _iov[2 * (shape.FirstParamPair + k) + 1];
                values[shape.ParamSlot[k]] = Decode(k, ps[k], new ReadOnlySpan<byte>((void*)v.Base, (int)v.Length));
            }
            return new JailRecord(jid, shape.Layout, values);
        }

        /// <summary><see cref="JailParameterCodec.Decode"/>, sharing a value equal to the previous answer's.</summary>
        private object? Decode(int k, JailParameterInfo info, ReadOnlySpan<byte> data)
        {
            var previous = _previous;
            if (previous is null) return JailParameterCodec.Decode(info, data);
            object? prev = previous[k];
            switch (info.Type)
            {
                case JailParameterType.Bool:
                    return data.Length == 4 ? (BinaryPrimitives.ReadInt32LittleEndian(data) != 0 ? BoxedTrue : BoxedFalse) : null;
                case JailParameterType.Int:
                    if (data.Length != 4) return null;
                    int i = BinaryPrimitives.ReadInt32LittleEndian(data);
                    return prev is int pi && pi == i ? prev : previous[k] = i;
                case JailParameterType.UInt:
                    if (data.Length != 4) return null;
                    uint u = BinaryPrimitives.ReadUInt32LittleEndian(data);
                    return prev is uint pu && pu == u ? prev : previous[k] = u;
                case JailParameterType.JailSys:
                    if (data.Length != 4) return null;
                    int m = BinaryPrimitives.ReadInt32LittleEndian(data);
                    return (uint)m < (uint)BoxedJailSys.Length ? BoxedJailSys[m] : (JailSysMode)m;
                case JailParameterType.Long:
                    if (data.Length != 8) return null;
                    long l = BinaryPrimitives.ReadInt64LittleEndian(data);
                    return prev is long pl && pl == l ? prev : previous[k] = l;
                case JailParameterType.ULong:
                    if (data.Length != 8) return null;
                    ulong ul = BinaryPrimitives.ReadUInt64LittleEndian(data);
                    return prev is ulong pul && pul == ul ? prev : previous[k] = ul;
                case JailParameterType.String:
                {
                    int n = data.IndexOf((byte)0);
                    var text = n < 0 ? data : data.Slice(0, n);
                    if (text.Length == 0) return "";
                    byte[]? pb = _previousBytes![k];
                    if (prev is string && pb != null && text.SequenceEqual(new ReadOnlySpan<byte>(pb, 0, _previousLength![k])))
                        return prev;
                    if (pb is null || pb.Length < text.Length) _previousBytes[k] = pb = new byte[Math.Max(text.Length, 32)];
                    text.CopyTo(pb);
                    _previousLength![k] = text.Length;
                    return previous[k] = Encoding.UTF8.GetString(text);
                }
                case JailParameterType.IPv4Array:
                case JailParameterType.IPv6Array:
                    // An empty list is shared; a list is an array someone could change, so it never is.
                    return data.Length == 0 ? Array.Empty<System.Net.IPAddress>() : JailParameterCodec.Decode(info, data);
                default:
                    return JailParameterCodec.Decode(info, data);
            }
        }

        public void Dispose() => NativeMemory.Free(_block);

        private static int Align(int n) => (n + 7) & ~7;
    }

    private static readonly object BoxedTrue = true;
    private static readonly object BoxedFalse = false;
    private static readonly object[] BoxedJailSys = { (JailSysMode)0, (JailSysMode)1, (JailSysMode)2 };

    internal static byte[] CString(string s) => Encoding.UTF8.GetBytes(s + "\0");

    internal static string? ReadCString(byte* p, int max)
    {
        int n = 0;
        while (n < max && p[n] != 0) n++;
        return n == 0 ? null : Encoding.UTF8.GetString(p, n);
    }
}
