using System;
using System.Collections;
using System.Collections.Generic;
using System.Net;

namespace JailPS.Core.Kernel;

/// <summary>
/// A running jail's <see cref="Jail.Parameters"/>: the kernel's values as users see them
/// (<see cref="JailParameterCodec.ToDisplayValue"/>), sorted by name. It is a
/// <see cref="SortedList"/> (what Jail.Parameters has always been) that reads the record's shared
/// layout and value array instead of copying them into two arrays of its own per jail: listing
/// 10,000 jails would otherwise copy 70 names and values each. Reading never copies; the first
/// change (a user's script may edit the table) copies everything into the SortedList itself, which
/// then serves every call as before.
/// </summary>
internal sealed class KernelParameterList : SortedList, IEnumerable
{
    private readonly JailRecordLayout _layout;
    private readonly object?[] _values;
    // Display values that differ from the typed value and are objects of their own (addresses as a
    // string[]), by slot; made once so that two reads return the same array, as a SortedList does.
    private readonly int[]? _overrideSlots;
    private readonly object[]? _overrideValues;
    private bool _copied;

    private static readonly string[] JailSysNames = { "disable", "new", "inherit" };

    public KernelParameterList(JailRecord record) : base(StringComparer.Ordinal)
    {
        _layout = record.Layout;
        _values = record.RawValues;
        int n = 0;
        foreach (var v in _values)
            if (v is IPAddress[] { Length: > 0 }) n++;
        if (n == 0) return;
        _overrideSlots = new int[n];
        _overrideValues = new object[n];
        n = 0;
        for (int i = 0; i < _values.Length; i++)
            if (_values[i] is IPAddress[] { Length: > 0 } a)
            {
                _overrideSlots[n] = i;
                _overrideValues[n++] = Array.ConvertAll(a, x => x.ToString());
            }
    }

    /// <summary>The display value at a slot (ToDisplayValue without new objects for jailsys values and empty lists).</summary>
    private object? Display(int slot)
    {
        object? v = _values[slot];
        switch (v)
        {
            case IPAddress[] { Length: 0 }:
                return Array.Empty<string>();
            case IPAddress[]:
                return _overrideValues![Array.IndexOf(_overrideSlots!, slot)];
            case JailSysMode m:
                return (uint)m < (uint)JailSysNames.Length ? JailSysNames[(int)m] : JailParameterCodec.ToDisplayValue(m);
            default:
                return v;
        }
    }

    /// <summary>From now on the SortedList itself holds the entries (before the first change).</summary>
    private void Copy()
    {
        if (_copied) return;
        _copied = true;
        base.Capacity = _values.Length;
        for (int i = 0; i < _values.Length; i++)
            base.Add(_layout.Names[i], Display(i)); // already in order: each Add appends
    }

    /// <summary>
    /// The slot of a string key (-1: none). Any other key is for the SortedList to judge (its
    /// comparer throws for most), so the caller hands it over after <see cref="Copy"/>.
    /// </summary>
    private bool ServedHere(object key, out int slot)
    {
        slot = -1;
        if (_copied || key is not string s) { Copy(); return false; }
        slot = _layout.Index.TryGetValue(s, out int i) ? i : -1;
        return true;
    }

    // ---- reads: served from the layout until the first change ----

    public override int Count => _copied ? base.Count : _values.Length;

    public override object? this[object key]
    {
        get => ServedHere(key, out int slot) ? (slot < 0 ? null : Display(slot)) : base[key];
        set { Copy(); base[key] = value; }
    }

    public override bool ContainsKey(object key) => ServedHere(key, out int slot) ? slot >= 0 : base.ContainsKey(key);
    public override bool Contains(object key) => ServedHere(key, out int slot) ? slot >= 0 : base.Contains(key);
    public override int IndexOfKey(object key) => ServedHere(key, out int slot) ? slot : base.IndexOfKey(key);
    public override object GetKey(int index) => _copied ? base.GetKey(index) : _layout.Names[CheckIndex(index)];
    public override object? GetByIndex(int index) => _copied ? base.GetByIndex(index) : Display(CheckIndex(index));

    private int CheckIndex(int index)
        => (uint)index < (uint)_values.Length ? index : throw new ArgumentOutOfRangeException(nameof(index), index, "Index was out of range.");

    public override IDictionaryEnumerator GetEnumerator() => _copied ? base.GetEnumerator() : new Enumerator(this);
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private sealed class Enumerator : IDictionaryEnumerator
    {
        private readonly KernelParameterList _list;
        private int _index = -1;

        public Enumerator(KernelParameterList list) => _list = list;

        public bool MoveNext()
        {
            if (_list._copied) throw new InvalidOperationException("Collection was modified; enumeration operation may not execute.");
            return ++_index < _list._values.Length;
        }

        public void Reset() => _index = -1;
        public DictionaryEntry Entry => _index >= 0 && _index < _list._values.Length
            ? new DictionaryEntry(_list._layout.Names[_index], _list.Display(_index))
            : throw new InvalidOperationException("Enumeration has either not started or has already finished.");
        public object Key => Entry.Key;
        public object? Value => Entry.Value;
        public object Current => Entry;
    }

    // ---- everything else: copy first, then the SortedList as it always was ----

    public override ICollection Keys { get { Copy(); return base.Keys; } }
    public override ICollection Values { get { Copy(); return base.Values; } }
    public override IList GetKeyList() { Copy(); return base.GetKeyList(); }
    public override IList GetValueList() { Copy(); return base.GetValueList(); }
    public override bool ContainsValue(object? value) { Copy(); return base.ContainsValue(value); }
    public override int IndexOfValue(object? value) { Copy(); return base.IndexOfValue(value); }
    public override void CopyTo(Array array, int arrayIndex) { Copy(); base.CopyTo(array, arrayIndex); }
    public override object Clone() { Copy(); return base.Clone(); }
    public override int Capacity { get { Copy(); return base.Capacity; } set { Copy(); base.Capacity = value; } }
    public override void Add(object key, object? value) { Copy(); base.Add(key, value); }
    public override void Remove(object key) { Copy(); base.Remove(key); }
    public override void RemoveAt(int index) { Copy(); base.RemoveAt(index); }
    public override void SetByIndex(int index, object? value) { Copy(); base.SetByIndex(index, value); }
    public override void Clear() { Copy(); base.Clear(); }
    public override void TrimToSize() { Copy(); base.TrimToSize(); }
}
