using System;
using System.Collections.Generic;
using JailPS.Native;

namespace JailPS.Core.Simulation;

/// <summary>
/// The jail metadata of FreeBSD 15 (sys/kern/kern_jailmeta.c @ bc0f7b93, commit 30e6e008bc06
/// "jail: Add meta and env parameters", in main for 15.0): two strings per jail, "meta" (hidden
/// from the jail) and "env" (the jail reads it as security.jail.env), each at most
/// security.jail.meta_maxbufsize bytes (4096) with its NUL, announced as "A,keyvalue". They are
/// not inherited. A value can be handled as "key=value" lines: NAME=TEXT replaces the whole
/// buffer, NAME.KEY=V replaces every line of KEY by one line KEY=V put first, NAME.KEY without a
/// value removes them, and jail_get of NAME.KEY returns V (an absent key is an unknown parameter).
/// The model keeps the buffer as text; present only when the imitated release is 15.0 or later.
/// </summary>
public sealed unsafe partial class SimulatedKernel
{
    /// <summary>JAIL_META_PRIVATE and JAIL_META_SHARED (sys/sys/jail.h).</summary>
    private static readonly string[] MetaNames = { "meta", "env" };

    /// <summary>jm_maxbufsize_hard and _soft (kern_jailmeta.c): the limit and the size announced.</summary>
    private uint _metaMaxBufHard = 4096, _metaMaxBufSoft = 4096;

    /// <summary>True when the imitated release has jail metadata (FreeBSD 15.0 and later).</summary>
    public bool HasJailMetadata => _options.OsRelDate >= SimulatedKernelOptions.FreeBsd15RelDate;

    private static bool IsMetaOption(string option, string meta)
        => option.StartsWith(meta, StringComparison.Ordinal) && (option.Length == meta.Length || option[meta.Length] == '.');

    /// <summary>PR_METHOD_CHECK: the options of both buffers are known parameters.</summary>
    private void MetaCheck(VfsOptList opts)
    {
        if (!HasJailMetadata) return;
        foreach (var opt in opts.Items)
            foreach (string meta in MetaNames)
                if (IsMetaOption(opt.Name, meta)) opt.Seen = true;
    }

    /// <summary>
    /// PR_METHOD_SET for one buffer (jm_osd_method_set), computed before anything changes: 0 or an
    /// errno, and in <paramref name="changed"/> whether the buffer is set and to what. The kernel
    /// runs it after the other parameters are set, so a failing update of a live jail may leave
    /// those applied; the model fails the whole jail_set first (a documented difference).
    /// </summary>
    private int MetaCompute(SimPrison? pr, VfsOptList opts, string meta, out (bool Set, string? Value) changed)
    {
        changed = default;
        if (!HasJailMetadata) return 0;
        List<string>? lines = null;
        foreach (var opt in opts.Items)
        {
            if (!IsMetaOption(opt.Name, meta)) continue;
            if (opt.Len < 0) continue;
            if ((uint)opt.Len > _metaMaxBufHard) return Errno.EFBIG;
            if (opt.Value != null && (opt.Len == 0 || opt.Value[opt.Len - 1] != 0)) return Errno.EINVAL;
            string? value = opt.Value is null ? null : SimDefs.Bytes.GetString(opt.Value, 0, opt.Len - 1);
            lines ??= Lines(meta == "meta" ? pr?.Meta : pr?.Env);
            if (opt.Name.Length == meta.Length)
            {
                lines = Lines(value);
                continue;
            }
            string key = opt.Name.Substring(meta.Length + 1);
            if (key.Length == 0) return Errno.EINVAL;
            lines.RemoveAll(l => l.StartsWith(key + "=", StringComparison.Ordinal));
            if (value is not null) lines.Insert(0, key + "=" + value);
        }
        if (lines is null) return 0;
        string joined = string.Join('\n', lines);
        if ((uint)SimDefs.Bytes.GetByteCount(joined) + 1 > _metaMaxBufHard) return Errno.EFBIG;
        changed = (true, joined.Length == 0 ? null : joined);
        return 0;
    }

    private static List<string> Lines(string? buffer)
        => buffer is null || buffer.Length == 0 ? new List<string>() : new List<string>(buffer.Split('\n'));

    /// <summary>PR_METHOD_GET for both buffers (jm_osd_method_get): the whole text, or one key's value.</summary>
    private int MetaGet(SimPrison pr, VfsOptList opts)
    {
        if (!HasJailMetadata) return 0;
        foreach (var opt in opts.Items)
            foreach (string meta in MetaNames)
            {
                if (!IsMetaOption(opt.Name, meta)) continue;
                string buffer = (meta == "meta" ? pr.Meta : pr.Env) ?? "";
                if (opt.Name.Length == meta.Length)
                {
                    int e = opts.SetOptS(opt.Name, buffer);
                    if (e != 0) return e;
                    continue;
                }
                string key = opt.Name.Substring(meta.Length + 1);
                foreach (string line in Lines(buffer))
                    if (line.StartsWith(key + "=", StringComparison.Ordinal))
                    {
                        int e = opts.SetOptS(opt.Name, line.Substring(key.Length + 1));
                        if (e != 0) return e;
                    }
            }
        return 0;
    }
}
