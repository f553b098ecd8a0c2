using System;
using System.Collections.Generic;
using System.IO;
using JailPS.Core.Host;

namespace JailPS.Core.Config;

/// <summary>Reads and evaluates jail.conf(5) files the way jail(8) does.</summary>
public static class JailConfLoader
{
    /// <summary>
    /// Reads each root file in turn (a missing root file contributes nothing) as if they were one
    /// configuration, follows ".include" directives (a literal path must exist; a glob may match
    /// nothing; relative paths are taken relative to the including file's directory; nesting is
    /// limited to 32 levels as in usr.sbin/jail/config.c), evaluates, and returns the non-wildcard
    /// jails in the order their blocks appear. The work is bounded (see <see cref="JailConfLimits"/>).
    /// Throws <see cref="JailConfException"/> for what keeps jail(8) from reading the files (syntax, includes, limits); a jail that jail(8) would warn about and mark failed comes back with <see cref="JailDefinition.Warnings"/>.
    /// </summary>
    public static IReadOnlyList<JailDefinition> Load(IHostFileSystem fs, IEnumerable<string> rootFiles)
        => Load(fs, rootFiles, new JailConfBudget());

    /// <summary>
    /// As <see cref="Load(IHostFileSystem, IEnumerable{string})"/> for one root file, but what
    /// belongs to a part of the configuration only spoils that part: an included file that cannot
    /// be read or parsed is left out and added to <paramref name="problems"/>; the other jails are
    /// evaluated as if it were not there (a jail that fails to evaluate carries its warnings, as
    /// with every load: <see cref="JailDefinition.Warnings"/>). An error
    /// in the root file itself still throws (its extent is not known). The lifecycle reads the
    /// host's definitions this way, so one broken file never blocks the jails it does not define.
    /// </summary>
    public static IReadOnlyList<JailDefinition> LoadTolerant(IHostFileSystem fs, string rootFile, ICollection<JailConfProblem> problems)
    {
        if (problems is null) throw new ArgumentNullException(nameof(problems));
        return Load(fs, new[] { rootFile ?? throw new ArgumentNullException(nameof(rootFile)) }, new JailConfBudget(), problems);
    }

    /// <summary>As <see cref="Load(IHostFileSystem, IEnumerable{string})"/>, charging the work to <paramref name="budget"/>; tolerant when <paramref name="problems"/> is given.</summary>
    internal static IReadOnlyList<JailDefinition> Load(IHostFileSystem fs, IEnumerable<string> rootFiles, JailConfBudget budget,
        ICollection<JailConfProblem>? problems = null)
    {
        if (fs is null) throw new ArgumentNullException(nameof(fs));
        if (rootFiles is null) throw new ArgumentNullException(nameof(rootFiles));
        var evaluator = new JailConfEvaluator((from, statement, pattern) => ResolveInclude(fs, from, statement, pattern, budget, problems, null), budget);
        foreach (var root in rootFiles)
        {
            if (root is null) throw new ArgumentException("Root file names cannot be null.", nameof(rootFiles));
            if (ReadDocument(fs, root, null, budget) is { } doc) evaluator.Add(doc);
        }
        return evaluator.Evaluate();
    }

    /// <summary>The name jail(8) gives text read from standard input (parse_config() in usr.sbin/jail/config.c).</summary>
    public const string StdinName = "STDIN";

    /// <summary>
    /// Reads jail.conf text the way <c>jail -f -</c> reads standard input: messages name it
    /// <see cref="StdinName"/>, and a relative ".include" is taken from
    /// <paramref name="workingDirectory"/> (a host path; null refuses it), not from a file's
    /// directory. Everything else is as <see cref="Load(IHostFileSystem, IEnumerable{string})"/>:
    /// included files are read the same way, a jail that fails to evaluate comes back with its
    /// <see cref="JailDefinition.Warnings"/>, and what keeps jail(8) from reading the text throws.
    /// </summary>
    public static IReadOnlyList<JailDefinition> LoadText(IHostFileSystem fs, string text, string? workingDirectory)
    {
        if (fs is null) throw new ArgumentNullException(nameof(fs));
        if (text is null) throw new ArgumentNullException(nameof(text));
        var budget = new JailConfBudget();
        budget.AddInput(text.Length);
        var doc = JailConfDocument.Parse(text, StdinName, budget);
        var evaluator = new JailConfEvaluator((from, statement, pattern) => ResolveInclude(fs, from, statement, pattern, budget, null, workingDirectory), budget);
        evaluator.Add(doc);
        return evaluator.Evaluate();
    }

    /// <summary>
    /// Evaluates already parsed documents, in order, as one configuration. ".include" directives
    /// are not followed (they are skipped).
    /// </summary>
    public static IReadOnlyList<JailDefinition> Evaluate(IReadOnlyList<JailConfDocument> documentsInOrder)
    {
        if (documentsInOrder is null) throw new ArgumentNullException(nameof(documentsInOrder));
        var budget = new JailConfBudget();
        foreach (var d in documentsInOrder)
            budget.AddInput((d ?? throw new ArgumentException("Documents cannot be null.", nameof(documentsInOrder))).ToString().Length);
        return Evaluate(documentsInOrder, budget);
    }

    /// <summary>Evaluates parsed documents, charging the work to <paramref name="budget"/> (their text must already be added to it).</summary>
    internal static List<JailDefinition> Evaluate(IReadOnlyList<JailConfDocument> documentsInOrder, JailConfBudget budget)
    {
        var evaluator = new JailConfEvaluator(null, budget);
        foreach (var d in documentsInOrder)
            evaluator.Add(d);
        return evaluator.Evaluate();
    }

    private static IReadOnlyList<JailConfDocument> ResolveInclude(IHostFileSystem fs, JailConfDocument from, JailConfStatement statement,
        string pattern, JailConfBudget budget, ICollection<JailConfProblem>? problems, string? workingDirectory)
    {
        string path = pattern;
        // Relative names are based on the including file's directory (include_config() in config.c).
        if (!pattern.StartsWith('/') && from.Path is { } including)
        {
            int slash = including.LastIndexOf('/');
            if (slash >= 0) path = including.Substring(0, slash + 1) + pattern;
        }
        // Text read as standard input has no directory: include_config() leaves a relative name
        // as it is, so jail(8) opens it from its working directory.
        if (!HostPath.IsAbsolute(path) && from.Path == StdinName)
            path = workingDirectory is not null ? HostPath.Combine(workingDirectory, path)
                : throw JailConfException.At(JailConfErrorIds.IncludeNotFound,
                    pattern + ": a relative .include in text read from " + StdinName + " is taken from the working directory, and there is none on this host",
                    from.Locate(statement.Start));
        if (HostPath.IsAbsolute(path)) path = HostPath.Normalize(path);

        var docs = new List<JailConfDocument>();
        if (HasGlobMagic(path))
        {
            // A glob may match nothing; matches are read in glob(3)'s sorted order.
            foreach (var match in fs.Glob(path))
                if (ReadIncluded(match, required: false) is { } doc) docs.Add(doc);
            return docs;
        }
        if (ReadIncluded(path, required: true) is { } one) docs.Add(one);
        return docs;

        JailConfDocument? ReadIncluded(string file, bool required)
        {
            try
            {
                return ReadDocument(fs, file, from.Locate(statement.Start), budget)
                    ?? (required ? throw JailConfException.At(JailConfErrorIds.IncludeNotFound,
                        file + ": No such file or directory (.include)", from.Locate(statement.Start)) : null);
            }
            catch (JailConfException e) when (problems is not null && e.ErrorId != JailConfErrorIds.ExpansionTooLarge)
            {
                // Tolerant: the file is left out (the configuration's work limit stays fatal: it is shared).
                problems.Add(new JailConfProblem(file, e));
                return null;
            }
        }
    }

    /// <summary>
    /// Whether glob(3) would treat the pattern as a pattern: an unescaped '*' or '?', or a '[' with
    /// a ']' after it. Anything else names one file, which must exist.
    /// </summary>
    internal static bool HasGlobMagic(string pattern)
    {
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '\\') { i++; continue; }
            if (c == '*' || c == '?') return true;
            if (c == '[' && pattern.IndexOf(']', i + 1) > i + 1) return true;
        }
        return false;
    }

    /// <summary>Reads and parses one file, charging it to the budget; null when it does not exist.</summary>
    private static JailConfDocument? ReadDocument(IHostFileSystem fs, string path, JailConfLocation? includedFrom, JailConfBudget budget)
    {
        string? text;
        try
        {
            text = fs.ReadAllText(path);
        }
        catch (HostFileNotRegularException e)
        {
            // jail(8) would fopen() it and hang on a FIFO or read a device for ever.
            var where = includedFrom ?? new JailConfLocation(path, 0, 0);
            throw new JailConfException(JailConfErrorIds.NotRegularFile,
                path + ": not a regular file (a " + HostFileNotRegularException.Describe(e.Kind) + "); only regular files are read",
                where.File, where.Line, where.Column, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var where = includedFrom ?? new JailConfLocation(path, 0, 0);
            throw new JailConfException(JailConfErrorIds.ReadError, path + ": " + e.Message,
                where.File, where.Line, where.Column, e);
        }
        if (text is null) return null;
        budget.AddInput(text.Length);
        return JailConfDocument.Parse(text, path, budget);
    }
}

/// <summary>
/// A file that a tolerant load (<see cref="JailConfLoader.LoadTolerant"/>) left out because it could
/// not be read or parsed, and why.
/// </summary>
public sealed record JailConfProblem(string File, JailConfException Error);
