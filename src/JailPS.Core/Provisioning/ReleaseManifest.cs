using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Provisioning;

/// <summary>One line of a release's MANIFEST: a distribution file and what it must hash to.</summary>
public sealed record ReleaseManifestEntry(string File, string Sha256, long FileCount, string Distribution, string Description, bool DefaultOn);

/// <summary>
/// A FreeBSD release's MANIFEST (release/scripts/make-manifest.sh, freebsd-net-prov-facts.md §5.1):
/// one line per dist, six TAB-separated fields — file, SHA-256, number of files, dist name,
/// quoted description, on/off. A file that is empty, cut short or not in that form is refused with
/// what is wrong and where, never taken as "no files to check" (iocage #381, #472, #715).
/// </summary>
public sealed class ReleaseManifest
{
    private ReleaseManifest(IReadOnlyList<ReleaseManifestEntry> entries, string text)
    {
        Entries = entries;
        Text = text;
    }

    public IReadOnlyList<ReleaseManifestEntry> Entries { get; }

    /// <summary>The text as read, to cache exactly what was verified against.</summary>
    public string Text { get; }

    public ReleaseManifestEntry? Find(string file) => Entries.FirstOrDefault(e => e.File == file);

    public static ReleaseManifest Parse(string text, string source, string release)
    {
        var entries = new List<ReleaseManifestEntry>();
        if (text.Length == 0)
            throw Invalid(release, source, "it is empty (a download cut short, or a mirror that answered with nothing)");
        if (!text.EndsWith('\n'))
            throw Invalid(release, source, "its last line has no line end, so it was cut short");
        string[] lines = text.Split('\n');
        for (int n = 0; n < lines.Length - 1; n++)
        {
            string line = lines[n].TrimEnd('\r');
            if (line.Length == 0) continue;
            string[] f = line.Split('\t');
            string at = $"line {n + 1}";
            if (f.Length != 6)
                throw Invalid(release, source, $"{at} has {f.Length} TAB-separated fields, not 6 (file, SHA-256, file count, dist, description, on/off)");
            if (!f[0].EndsWith(".txz", StringComparison.Ordinal) || f[0].Contains('/') || f[0].StartsWith('.'))
                throw Invalid(release, source, $"{at} names \"{f[0]}\", which is not a .txz file name");
            if (f[1].Length != 64 || !f[1].All(Uri.IsHexDigit))
                throw Invalid(release, source, $"{at} gives \"{f[1]}\" as the SHA-256 of {f[0]}, which is not 64 hex digits");
            if (!long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out long count))
                throw Invalid(release, source, $"{at} gives \"{f[2]}\" as the number of files in {f[0]}");
            if (f[5] is not ("on" or "off"))
                throw Invalid(release, source, $"{at} ends with \"{f[5]}\", not on or off");
            if (entries.Any(e => e.File == f[0]))
                throw Invalid(release, source, $"{at} lists {f[0]} a second time");
            entries.Add(new ReleaseManifestEntry(f[0], f[1].ToLowerInvariant(), count, f[3], f[4].Trim('"'), f[5] == "on"));
        }
        if (entries.Count == 0)
            throw Invalid(release, source, "it lists no distribution files");
        return new ReleaseManifest(entries, text);
    }

    private static JailOperationException Invalid(string release, string source, string what)
        => new("JailReleaseManifestInvalid", release,
            $"the MANIFEST of {release} from {source} cannot be used: {what}; nothing was downloaded or extracted.",
            "Try another mirror with -Mirror, or check the release name; a MANIFEST is six TAB-separated fields per line.")
        { TargetObject = source };
}
