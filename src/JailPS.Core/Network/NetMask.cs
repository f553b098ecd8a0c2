namespace JailPS.Core.Network;

/// <summary>Netmask arithmetic shared by the alias parser, the host calls and the kernel model.</summary>
internal static class NetMask
{
    /// <summary>The mask of a prefix length: 4 bytes for IPv4, 16 for IPv6.</summary>
    public static byte[] FromPrefix(int family, int prefix)
    {
        var mask = new byte[family == 4 ? 4 : 16];
        for (int i = 0; i < prefix; i++) mask[i / 8] |= (byte)(0x80 >> (i % 8));
        return mask;
    }

    /// <summary>The prefix length of a contiguous mask, or -1 for a non-contiguous one.</summary>
    public static int PrefixOf(System.ReadOnlySpan<byte> mask)
    {
        int prefix = 0;
        bool ended = false;
        foreach (byte b in mask)
            for (int bit = 7; bit >= 0; bit--)
            {
                bool set = (b & (1 << bit)) != 0;
                if (set && ended) return -1;
                if (set) prefix++; else ended = true;
            }
        return prefix;
    }
}
