using System;
using System.Collections.Generic;
using System.Linq;

namespace JailPS.Core.Simulation;

/// <summary>
/// File flags (chflags(2)) of the simulated host's files, the one that matters to jail roots:
/// schg (SF_IMMUTABLE), which base.txz gives libc, ld-elf.so.1, var/empty and others, and which
/// makes unlink and rename fail with EPERM until cleared (facts §5.6, Bastille #570). The sandbox
/// files cannot carry BSD flags, so the model keeps the host paths that have schg; the simulated
/// tar sets it from an entry's SCHILY.fflags, chflags clears it, rm and tar honour it, cp -a and a
/// zfs snapshot or clone carry it, mv keeps it, and a destroyed dataset's files lose it with
/// them. JailPS's own in-process renames (the thin-jail template step, after clearing var/empty
/// as seed 003 does) do not move a flag in the model; where a flagged tree is renamed (a pkgbase
/// root into place) JailPS runs mv(1).
/// </summary>
public sealed partial class SimulatedKernel
{
    private SortedSet<string> _immutable = new(StringComparer.Ordinal);

    /// <summary>Host paths (or zfs snapshot store keys) with schg set (test surface).</summary>
    public IReadOnlyCollection<string> ImmutableFiles
    {
        get { lock (_lock) return _immutable.ToList(); }
    }

    private static bool AtOrBelow(string path, string dir) => dir == "/" || path == dir || path.StartsWith(dir + "/", StringComparison.Ordinal);

    internal bool IsImmutable(string path)
    {
        lock (_lock) return _immutable.Contains(path);
    }

    internal void SetImmutable(string path, bool on)
    {
        lock (_lock)
            if (on ? _immutable.Add(path) : _immutable.Remove(path)) Touch();
    }

    internal IReadOnlyList<string> ImmutableAtOrBelow(string dir)
    {
        lock (_lock) return _immutable.Where(p => AtOrBelow(p, dir)).ToList();
    }

    /// <summary>Forgets the flags of a tree whose files are gone (rm, zfs destroy), or were cleared (chflags -R noschg).</summary>
    internal void ForgetAtOrBelow(string dir)
    {
        lock (_lock)
            if (_immutable.RemoveWhere(p => AtOrBelow(p, dir)) > 0) Touch();
    }

    /// <summary>A renamed tree keeps its flags (rename(2) moves the inodes' names, not the inodes).</summary>
    internal void MoveFlags(string fromDir, string toDir)
    {
        lock (_lock)
        {
            var moved = _immutable.Where(p => AtOrBelow(p, fromDir)).ToList();
            if (moved.Count == 0) return;
            foreach (string p in moved)
            {
                _immutable.Remove(p);
                _immutable.Add(toDir + p[fromDir.Length..]);
            }
            Touch();
        }
    }

    /// <summary>The flags of a copied tree (cp -a keeps flags, as cp -p does; a zfs snapshot or clone keeps everything).</summary>
    internal void CopyFlags(string fromDir, string toDir)
    {
        lock (_lock)
        {
            var copied = _immutable.Where(p => AtOrBelow(p, fromDir)).Select(p => toDir + p[fromDir.Length..]).ToList();
            bool changed = false;
            foreach (string p in copied) changed |= _immutable.Add(p);
            if (changed) Touch();
        }
    }
}
