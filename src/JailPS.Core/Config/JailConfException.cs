using System;

namespace JailPS.Core.Config;

/// <summary>Stable error ids carried by <see cref="JailConfException.ErrorId"/>.</summary>
public static class JailConfErrorIds
{
    // Lexical and syntax errors (Parse).
    public const string SyntaxError = "JailConfSyntaxError";
    public const string UnterminatedString = "JailConfUnterminatedString";
    public const string UnterminatedComment = "JailConfUnterminatedComment";
    public const string UnterminatedVariable = "JailConfUnterminatedVariable";
    public const string MissingSemicolon = "JailConfMissingSemicolon";
    public const string MissingBrace = "JailConfMissingBrace";
    public const string IncludeVariable = "JailConfIncludeVariable";
    /// <summary>Blocks nested deeper than JailPS reads (128 levels; see JailConfLimits).</summary>
    public const string NestingTooDeep = "JailConfNestingTooDeep";

    // Evaluation errors (Evaluate / Load); jail(8) fails the affected jail with the same conditions.
    public const string UndefinedVariable = "JailConfUndefinedVariable";
    public const string VariableLoop = "JailConfVariableLoop";
    public const string ArrayInline = "JailConfArrayInline";
    public const string VariableConflict = "JailConfVariableConflict";
    public const string ImmutableParameter = "JailConfImmutableParameter";
    /// <summary>A value longer than 1 MiB after substitution, or a configuration whose expansion passes its work limit.</summary>
    public const string ExpansionTooLarge = "JailConfExpansionTooLarge";

    // Include handling (Load).
    public const string IncludeNotFound = "JailConfIncludeNotFound";
    public const string IncludeDepth = "JailConfIncludeDepth";
    public const string ReadError = "JailConfReadError";
    /// <summary>A definition file or an included one that is a FIFO, device, socket or directory.</summary>
    public const string NotRegularFile = "JailConfNotRegularFile";

    // Values handed to the editing / formatting API.
    public const string InvalidName = "JailConfInvalidName";
    public const string InvalidValue = "JailConfInvalidValue";
}

/// <summary>
/// An error in a jail.conf(5) file or in a value handed to the jail.conf API. The message always
/// starts with "file:line:column: " (line and column are 1-based; "&lt;string&gt;" stands for a
/// document without a path; line and column are 0 when the error has no position).
/// </summary>
public sealed class JailConfException : Exception
{
    public JailConfException(string errorId, string reason, string? file, int line, int column, Exception? innerException = null)
        : base(Prefix(file, line, column) + reason, innerException)
    {
        ErrorId = errorId ?? throw new ArgumentNullException(nameof(errorId));
        Reason = reason ?? string.Empty;
        File = file;
        Line = line;
        Column = column;
    }

    /// <summary>A stable id (see <see cref="JailConfErrorIds"/>).</summary>
    public string ErrorId { get; }

    /// <summary>Host path of the file the error is in; null for a document parsed without a path or for API values.</summary>
    public string? File { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>The message without the "file:line:column: " prefix.</summary>
    public string Reason { get; }

    internal static string Prefix(string? file, int line, int column)
        => (file ?? "<string>") + ":" + line.ToString(System.Globalization.CultureInfo.InvariantCulture)
           + ":" + column.ToString(System.Globalization.CultureInfo.InvariantCulture) + ": ";

    internal static JailConfException At(string errorId, string reason, in JailConfLocation where)
        => new(errorId, reason, where.File, where.Line, where.Column);

    internal static JailConfException Api(string errorId, string reason)
        => new(errorId, reason, null, 0, 0);
}

/// <summary>A position in a jail.conf file (1-based line and column).</summary>
internal readonly record struct JailConfLocation(string? File, int Line, int Column);
