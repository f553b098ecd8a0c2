using System;
using System.Security.Cryptography;
using System.Text;

namespace JailPS.Core.Host;

/// <summary>
/// The one mapping from a jail's name to the name of a file JailPS keeps for it (its lock in
/// /var/run/jailps, its mount ledger in /var/run/jailps/mounts). A jail name is whatever the kernel
/// accepts: up to 255 bytes, and it may hold "/", "..", spaces or anything else jail.conf can quote.
/// The result is always exactly one path component that cannot leave its directory and fits
/// NAME_MAX, and different names never share a file.
/// </summary>
public static class HostFileName
{
    /// <summary>NAME_MAX, the most bytes in one file name (sys/sys/syslimits.h).</summary>
    public const int NameMax = 255;

    /// <summary>Room kept for the hash of a name too long to use whole: "~" and 32 hex digits.</summary>
    private const int HashLength = 33;

    /// <summary>
    /// <paramref name="jailName"/> + <paramref name="suffix"/> as a single file name. Names made of
    /// letters, digits, '-', '_' and '.' (not first) are used as they are, so web.lock stays
    /// web.lock; every other byte is written as %XX (so the mapping stays one-to-one, '%' included);
    /// a result longer than NAME_MAX keeps its start and ends in "~" and a SHA-256 of the name.
    /// </summary>
    public static string ForJail(string jailName, string suffix)
    {
        ArgumentException.ThrowIfNullOrEmpty(jailName);
        byte[] utf8 = Encoding.UTF8.GetBytes(jailName);
        var sb = new StringBuilder(utf8.Length + suffix.Length);
        for (int i = 0; i < utf8.Length; i++)
        {
            byte b = utf8[i];
            bool plain = b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
                or (byte)'-' or (byte)'_' || (b == (byte)'.' && i > 0);
            if (plain) sb.Append((char)b);
            else sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        if (sb.Length + suffix.Length > NameMax)
        {
            string hash = Convert.ToHexString(SHA256.HashData(utf8), 0, 16).ToLowerInvariant();
            sb.Length = NameMax - suffix.Length - HashLength;
            // Never cut an escape in half: the kept start must read back as what it was.
            int percent = sb.ToString().LastIndexOf('%');
            if (percent >= 0 && percent > sb.Length - 3) sb.Length = percent;
            sb.Append('~').Append(hash);
        }
        return sb.Append(suffix).ToString();
    }
}
