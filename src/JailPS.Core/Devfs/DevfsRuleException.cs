using System;

namespace JailPS.Core.Devfs;

/// <summary>Stable error ids carried by <see cref="DevfsRuleException.ErrorId"/>.</summary>
public static class DevfsErrorIds
{
    // Rule text (devfs(8) "rule add" argument list, sbin/devfs/rule.c rulespec_intok).
    public const string EmptyRule = "DevfsRuleEmpty";                       // "unexpected end of rulespec"
    public const string MissingArgument = "DevfsRuleMissingArgument";       // "expecting argument for <keyword>"
    public const string UnknownArgument = "DevfsRuleUnknownArgument";       // "unknown argument: X"
    public const string UnknownType = "DevfsRuleUnknownType";               // "unknown type: X"
    public const string InvalidNumber = "DevfsRuleInvalidNumber";           // "error converting to number/integer: X"
    public const string UnknownUser = "DevfsRuleUnknownUser";               // not a user name and not an integer
    public const string UnknownGroup = "DevfsRuleUnknownGroup";             // not a group name and not an integer
    public const string InvalidMode = "DevfsRuleInvalidMode";               // "invalid mode: X"
    public const string PatternTooLong = "DevfsRulePatternTooLong";         // >= DEVFS_MAXPTRNLEN bytes
    public const string InvalidPattern = "DevfsRuleInvalidPattern";         // NUL inside a pattern
    public const string UnterminatedQuote = "DevfsRuleUnterminatedQuote";   // shell quoting of the rule text

    // struct devfs_rule conversion (sys/fs/devfs/devfs.h, devfs_rule.c).
    public const string BadMagic = "DevfsRuleBadMagic";                     // kernel: ERPCMISMATCH
    public const string UnknownBits = "DevfsRuleUnknownBits";

    // Rulesets (kernel semantics, sys/fs/devfs/devfs_rule.c).
    public const string DuplicateRule = "DevfsRuleDuplicateNumber";         // kernel: EEXIST
    public const string RuleNumberOverflow = "DevfsRuleNumberOverflow";     // kernel: ERANGE on auto-numbering
    public const string InvalidRuleset = "DevfsRulesetInvalidNumber";       // ruleset 0 cannot hold rules (kernel: EIO)
    public const string IncludeNotFound = "DevfsRulesetIncludeNotFound";    // kernel: ESRCH

    // devfs.rules(5) files.
    public const string SectionSyntax = "DevfsRulesSectionSyntax";
    public const string RuleOutsideSection = "DevfsRulesRuleOutsideSection";
    public const string UnsupportedCommand = "DevfsRulesUnsupportedCommand";
    public const string UndefinedName = "DevfsRulesUndefinedName";
}

/// <summary>
/// An error in devfs rule text, a devfs.rules(5) file, a struct devfs_rule or a ruleset.
/// <see cref="Token"/> is the offending word (null when there is none); <see cref="Line"/> is the
/// 1-based line in a devfs.rules file (0 when the error is not from a file).
/// </summary>
public sealed class DevfsRuleException : Exception
{
    public DevfsRuleException(string errorId, string reason, string? token = null, string? file = null, int line = 0, Exception? innerException = null)
        : base(Prefix(file, line) + reason, innerException)
    {
        ErrorId = errorId ?? throw new ArgumentNullException(nameof(errorId));
        Reason = reason ?? string.Empty;
        Token = token;
        File = file;
        Line = line;
    }

    /// <summary>A stable id (see <see cref="DevfsErrorIds"/>).</summary>
    public string ErrorId { get; }

    /// <summary>The message without the file/line prefix.</summary>
    public string Reason { get; }

    /// <summary>The offending token, when there is one.</summary>
    public string? Token { get; }

    /// <summary>The devfs.rules file the error is in, if known.</summary>
    public string? File { get; }

    /// <summary>1-based line number in a devfs.rules file; 0 when not from a file.</summary>
    public int Line { get; }

    /// <summary>The same error attributed to a line of a devfs.rules file.</summary>
    internal DevfsRuleException AtLine(string? file, int line) => new(ErrorId, Reason, Token, file, line, this);

    private static string Prefix(string? file, int line)
    {
        if (line <= 0) return file is null ? string.Empty : file + ": ";
        return (file ?? "<string>") + ":" + line.ToString(System.Globalization.CultureInfo.InvariantCulture) + ": ";
    }
}
