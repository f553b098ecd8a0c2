using System;
using System.Collections.Generic;
using System.Text;
using JailPS.Native;

namespace JailPS.Core.Kernel;

/// <summary>
/// sysctl(3) reads through the seam, the way lib/libjail/jail.c discovers parameter types:
/// MIB {0,3} name-to-OID, {0,2} next leaf, {0,1} OID-to-name, {0,4} kind and format.
/// </summary>
internal sealed unsafe class SysctlClient
{
    private readonly ILibc _libc;

    public SysctlClient(ILibc libc) => _libc = libc;

    public int[]? NameToOid(string name)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        int* mib = stackalloc int[2] { SysctlConstants.CtlSysctl, SysctlConstants.CtlSysctlName2Oid };
        int* oid = stackalloc int[SysctlConstants.CtlMaxName];
        nuint len = (nuint)(SysctlConstants.CtlMaxName * sizeof(int));
        fixed (byte* np = nameBytes)
        {
            if (_libc.Sysctl(mib, 2, oid, &len, np, (nuint)nameBytes.Length) != 0)
                return null;
        }
        var result = new int[(int)len / sizeof(int)];
        for (int i = 0; i < result.Length; i++) result[i] = oid[i];
        return result;
    }

    public int[]? Next(int[] oid)
    {
        int* mib = stackalloc int[2 + oid.Length];
        mib[0] = SysctlConstants.CtlSysctl;
        mib[1] = SysctlConstants.CtlSysctlNext;
        for (int i = 0; i < oid.Length; i++) mib[2 + i] = oid[i];
        int* next = stackalloc int[SysctlConstants.CtlMaxName];
        nuint len = (nuint)(SysctlConstants.CtlMaxName * sizeof(int));
        if (_libc.Sysctl(mib, (uint)(2 + oid.Length), next, &len, null, 0) != 0)
            return null;
        var result = new int[(int)len / sizeof(int)];
        for (int i = 0; i < result.Length; i++) result[i] = next[i];
        return result;
    }

    public string? OidToName(int[] oid)
    {
        int* mib = stackalloc int[2 + oid.Length];
        mib[0] = SysctlConstants.CtlSysctl;
        mib[1] = SysctlConstants.CtlSysctlName;
        for (int i = 0; i < oid.Length; i++) mib[2 + i] = oid[i];
        byte* buf = stackalloc byte[1024];
        nuint len = 1024;
        if (_libc.Sysctl(mib, (uint)(2 + oid.Length), buf, &len, null, 0) != 0)
            return null;
        return CString(buf, (int)len);
    }

    public (uint Kind, string Format)? OidFormat(int[] oid)
    {
        int* mib = stackalloc int[2 + oid.Length];
        mib[0] = SysctlConstants.CtlSysctl;
        mib[1] = SysctlConstants.CtlSysctlOidFmt;
        for (int i = 0; i < oid.Length; i++) mib[2 + i] = oid[i];
        byte* buf = stackalloc byte[256];
        nuint len = 256;
        if (_libc.Sysctl(mib, (uint)(2 + oid.Length), buf, &len, null, 0) != 0)
            return null;
        if (len < sizeof(uint))
            return null;
        uint kind = *(uint*)buf;
        return (kind, CString(buf + sizeof(uint), (int)len - sizeof(uint)));
    }

    /// <summary>Raw value of an OID, or null when it cannot be read.</summary>
    public byte[]? ReadValue(int[] oid)
    {
        int* mib = stackalloc int[oid.Length];
        for (int i = 0; i < oid.Length; i++) mib[i] = oid[i];
        nuint len = 0;
        if (_libc.Sysctl(mib, (uint)oid.Length, null, &len, null, 0) != 0)
            return null;
        var value = new byte[(int)len];
        fixed (byte* vp = value)
        {
            if (_libc.Sysctl(mib, (uint)oid.Length, vp, &len, null, 0) != 0)
                return null;
        }
        if ((int)len != value.Length) Array.Resize(ref value, (int)len);
        return value;
    }

    public int? ReadIntByName(string name)
    {
        byte[] nameZ = Encoding.UTF8.GetBytes(name + "\0");
        int value = 0;
        nuint len = sizeof(int);
        fixed (byte* np = nameZ)
        {
            if (_libc.SysctlByName(np, &value, &len, null, 0) != 0 || len != sizeof(int))
                return null;
        }
        return value;
    }

    public string? ReadStringByName(string name)
    {
        byte[] nameZ = Encoding.UTF8.GetBytes(name + "\0");
        byte* buf = stackalloc byte[256];
        nuint len = 256;
        fixed (byte* np = nameZ)
        {
            if (_libc.SysctlByName(np, buf, &len, null, 0) != 0)
                return null;
        }
        return CString(buf, (int)len);
    }

    private static string CString(byte* p, int max)
    {
        int n = 0;
        while (n < max && p[n] != 0) n++;
        return Encoding.UTF8.GetString(p, n);
    }
}
