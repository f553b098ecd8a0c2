using System;
using System.Text;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Host;

/// <summary>
/// A host file's text and how its bytes encode it, so a rewrite gives back every byte nobody
/// changed: UTF-8 (with its BOM when it had one) when the bytes are valid UTF-8, otherwise
/// ISO-8859-1, which maps each byte to one character and back (a jail.conf comment in Latin-1 is
/// kept as it is, never turned into U+FFFD).
/// </summary>
public sealed record HostText(string Text, bool Utf8Bom, bool Latin1)
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly byte[] s_bom = { 0xEF, 0xBB, 0xBF };

    /// <summary>How a file JailPS creates is written: UTF-8 without a BOM.</summary>
    public static HostText NewFile(string text) => new(text, Utf8Bom: false, Latin1: false);

    public static HostText Decode(ReadOnlySpan<byte> bytes)
    {
        bool bom = bytes.StartsWith(s_bom);
        try
        {
            return new HostText(s_strictUtf8.GetString(bom ? bytes[3..] : bytes), bom, Latin1: false);
        }
        catch (DecoderFallbackException)
        {
            return new HostText(Encoding.Latin1.GetString(bytes), Utf8Bom: false, Latin1: true);
        }
    }

    /// <summary>The bytes of <paramref name="text"/> in this file's encoding.</summary>
    public byte[] Encode(string text, string hostPath)
    {
        if (!Latin1)
        {
            byte[] body = s_strictUtf8.GetBytes(text);
            if (!Utf8Bom) return body;
            byte[] all = new byte[body.Length + 3];
            s_bom.CopyTo(all, 0);
            body.CopyTo(all, 3);
            return all;
        }
        foreach (char c in text)
            if (c > '\u00FF')
                throw new JailOperationException("JailConfigEncoding", null,
                    $"{hostPath} is not UTF-8 (it is read as ISO-8859-1, byte for byte), and the new text has '{c}', which that encoding cannot hold; nothing was written.",
                    "Convert the file to UTF-8 (iconv -f ISO-8859-1 -t UTF-8), or leave that character out.") { TargetObject = hostPath };
        return Encoding.Latin1.GetBytes(text);
    }
}
