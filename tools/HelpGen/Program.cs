using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace JailPS.HelpGen;

/// <summary>
/// Command line:
/// <code>
///   JailPS.HelpGen --docs &lt;dir&gt; --output &lt;file.xml&gt;     every cmdlet page in dir (not recursive)
///   JailPS.HelpGen --output &lt;file.xml&gt; page.md [page.md...]
///   JailPS.HelpGen --docs &lt;dir&gt; --check                       validate only, write nothing
/// </code>
/// A cmdlet page is a *.md file whose front matter says <c>document type: cmdlet</c>, or that has
/// no document type and a Verb-Noun file name; other markdown (about topics, design notes) is skipped.
/// Errors are printed as "file(line): error JPSHELP001: message" so MSBuild shows them as build errors.
/// Exit codes: 0 success, 1 malformed page(s), 2 usage error.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string? docs = null;
        string? output = null;
        var check = false;
        var quiet = false;
        var pages = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--docs" when i + 1 < args.Length:
                    docs = args[++i];
                    break;
                case "--output" or "-o" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--check":
                    check = true;
                    break;
                case "--quiet" or "-q":
                    quiet = true;
                    break;
                case "--help" or "-h" or "-?":
                    Console.Out.WriteLine(Usage);
                    return 0;
                default:
                    if (args[i].StartsWith('-'))
                    {
                        Console.Error.WriteLine($"JailPS.HelpGen: error JPSHELP000: unknown or incomplete option '{args[i]}'");
                        Console.Error.WriteLine(Usage);
                        return 2;
                    }

                    pages.Add(args[i]);
                    break;
            }
        }

        if ((docs is null && pages.Count == 0) || (output is null && !check))
        {
            Console.Error.WriteLine("JailPS.HelpGen: error JPSHELP000: give --docs <dir> or page files, and --output <file> (or --check)");
            Console.Error.WriteLine(Usage);
            return 2;
        }

        if (docs is not null)
        {
            if (!Directory.Exists(docs))
            {
                Console.Error.WriteLine($"JailPS.HelpGen: error JPSHELP000: docs folder '{docs}' does not exist");
                return 2;
            }

            pages.AddRange(FindCommandPages(docs));
        }

        return Generate(pages, check ? null : output, quiet ? TextWriter.Null : Console.Out, Console.Error);
    }

    public const string Usage =
        "usage: JailPS.HelpGen (--docs <dir> | <page.md>...) (--output <file.xml> | --check) [--quiet]";

    /// <summary>The cmdlet pages directly in <paramref name="docsDirectory"/>, sorted by name.</summary>
    public static IReadOnlyList<string> FindCommandPages(string docsDirectory) =>
        Directory.EnumerateFiles(docsDirectory, "*.md", SearchOption.TopDirectoryOnly)
            .Where(HelpPageReader.LooksLikeCommandPage)
            .OrderBy(p => p, StringComparer.Ordinal)
            .ToList();

    /// <summary>Reads every page, reports every malformed one, and writes the MAML file when all are valid.</summary>
    public static int Generate(IReadOnlyList<string> pages, string? output, TextWriter log, TextWriter errors)
    {
        var commands = new List<CommandHelp>();
        var failed = 0;
        foreach (var page in pages)
        {
            try
            {
                var help = HelpPageReader.Read(page);
                var clash = commands.FirstOrDefault(c => c.Name.Equals(help.Name, StringComparison.OrdinalIgnoreCase));
                if (clash is not null)
                {
                    throw new HelpPageException(page, 0, $"'{help.Name}' is also documented in {clash.SourcePath}");
                }

                commands.Add(help);
            }
            catch (HelpPageException ex)
            {
                errors.WriteLine(ex.Describe());
                failed++;
            }
        }

        if (failed > 0)
        {
            errors.WriteLine($"JailPS.HelpGen: error {HelpPageException.Code}: {failed} malformed help page(s); no help file was written. The page layout is PlatyPS 1.x (schema 2024-05-01).");
            return 1;
        }

        if (output is null)
        {
            log.WriteLine($"JailPS.HelpGen: {commands.Count} cmdlet page(s) are valid.");
            return 0;
        }

        MamlWriter.Write(commands, output);
        log.WriteLine($"JailPS.HelpGen: wrote help for {commands.Count} cmdlet(s) to {output}");
        return 0;
    }
}
