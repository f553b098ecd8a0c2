using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Config;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>
/// Import-JailConfig: reads jail.conf(5) files (with .include), or jail.conf text, into JailPS.Jail
/// objects with their state merged from the kernel, or with -AsText into the lines
/// <c>jail -f FILE -e SEPARATOR</c> prints (show_jails() in usr.sbin/jail/jail.c).
/// </summary>
[Cmdlet(VerbsData.Import, "JailConfig", DefaultParameterSetName = PathSet)]
[OutputType(typeof(Jail), ParameterSetName = new[] { PathSet, TextSet })]
[OutputType(typeof(string), ParameterSetName = new[] { PathAsTextSet, TextAsTextSet })]
public sealed class ImportJailConfigCommand : JailCmdletBase
{
    private const string PathSet = "Path";
    private const string PathAsTextSet = "PathAsText";
    private const string TextSet = "Text";
    private const string TextAsTextSet = "TextAsText";

    /// <summary>
    /// Files to read; "-" is the process's standard input (jail -f -). Bound from the pipeline by
    /// property name only (FileInfo's FullName, a PSPath): a plain string on the pipeline is text.
    /// </summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathAsTextSet, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>
    /// jail.conf text. Everything the command receives is one configuration, read when the input
    /// ends, the way jail -f - reads standard input: strings are joined with newlines, so the lines
    /// of Get-Content and one string from Get-Content -Raw read the same.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = TextSet, ValueFromPipeline = true)]
    [Parameter(Mandatory = true, ParameterSetName = TextAsTextSet, ValueFromPipeline = true)]
    [Alias("Text")]
    [AllowEmptyString]
    [AllowEmptyCollection]
    public string[] InputObject { get; set; } = Array.Empty<string>();

    /// <summary>
    /// jail.conf text is content, not a name: text from another host (Invoke-Command bsd1 { Get-Content
    /// /etc/jail.conf.d/web.conf }) is read as this host's configuration. A path from another host is refused.
    /// </summary>
    protected override bool PipelineInputNamesThings => ParameterSetName is not (TextSet or TextAsTextSet);

    protected override IReadOnlyCollection<string> ContentParameters => new[] { nameof(InputObject) };

    /// <summary>Writes the lines of jail -e instead of Jail objects.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathAsTextSet)]
    [Parameter(Mandatory = true, ParameterSetName = TextAsTextSet)]
    public SwitchParameter AsText { get; set; }

    /// <summary>jail -e's separator, put between the parameters of a jail; may be empty, as it may for jail(8).</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathAsTextSet)]
    [Parameter(Mandatory = true, ParameterSetName = TextAsTextSet)]
    [AllowEmptyString]
    public string Separator { get; set; } = "";

    /// <summary>Only jails whose name matches.</summary>
    [Parameter]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    private WildcardPattern[]? _patterns;
    private readonly List<string> _text = new();
    private bool AsLines => ParameterSetName is PathAsTextSet or TextAsTextSet;

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        try
        {
            _patterns = Name is null ? null : Array.ConvertAll(Name, NamePattern);
        }
        catch (JailOperationException ex)
        {
            ThrowTerminatingError(ErrorRecordFor(ex, ex.TargetObject)); // a filter that cannot match makes the command meaningless
        }
    }

    protected override void ProcessJailRecord()
    {
        if (ParameterSetName is TextSet or TextAsTextSet)
        {
            // A null element of -InputObject @(...) counts as an empty line, as in Get-Content output.
            foreach (string? piece in InputObject)
                _text.Add(piece ?? "");
            return;
        }
        foreach (string raw in Path)
            // Errors in text read from standard input are about "STDIN", as their messages say.
            ForItem(raw == JailConfStandardInput.Path ? JailConfLoader.StdinName : raw, () =>
            {
                if (raw == JailConfStandardInput.Path)
                {
                    string text = JailConfStandardInput.Read(Console.OpenStandardInput(), isTerminal: !Console.IsInputRedirected);
                    WriteText(text);
                    return;
                }
                string hostPath = ToHostPath(this, raw);
                if (JailHost.Files.DirectoryExists(hostPath))
                    throw new JailOperationException("JailConfigIsDirectory", null, $"{hostPath} is a directory, not a jail.conf file.",
                        "Give a jail.conf file; to read a directory of them use Import-JailConfig DIR/*.conf via Get-ChildItem, or .include.");
                if (!JailHost.Files.FileExists(hostPath))
                    throw new JailOperationException("JailConfigMissing", null, $"{hostPath}: no such file.", "Check the path.");
                Write(JailConfLoader.Load(JailHost.Files, new[] { hostPath }), fromText: false);
            });
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName is TextSet or TextAsTextSet)
        {
            // Joined with "\n" whatever the pieces end with, so the line numbers in messages are
            // those of the lines Get-Content gave (an empty line included).
            string text = string.Join("\n", _text);
            ForItem(JailConfLoader.StdinName, () => WriteText(text));
        }
        base.EndProcessing();
    }

    /// <summary>Text without a file: STDIN in messages, relative .include lines from the current directory (jail -f -).</summary>
    private void WriteText(string text)
    {
        Write(JailConfLoader.LoadText(JailHost.Files, text, CurrentHostDirectory()), fromText: true);
    }

    /// <summary>
    /// The definitions the Name filter picks, each after its warnings (a jail jail(8) would mark
    /// failed is written too, with the values config.c left it, as jail(8) prints its problems on
    /// stderr while it loads and `jail -e` still exits 0). With -AsText one string per jail, without
    /// its newline, so Set-Content and Out-File write jail -e's bytes; otherwise Jail objects, the
    /// kernel read once for all of them.
    /// </summary>
    private void Write(IReadOnlyList<JailDefinition> definitions, bool fromText)
    {
        var picked = new List<JailDefinition>();
        foreach (var def in definitions)
        {
            if (!Matches(def.Name)) continue;
            foreach (var warning in def.Warnings)
                WriteWarning(warning.Message);
            if (AsLines)
                WriteObject(JailEFormatter.Line(def, Separator));
            else
                // A jail read from text has no file Set-Jail or Remove-Jail could edit.
                picked.Add(fromText ? new JailDefinition(def.BlockName, def.Parameters, warnings: def.Warnings) : def);
        }
        foreach (var jail in Service.WithKernelState(picked))
            WriteObject(jail);
    }

    private bool Matches(string name)
    {
        if (_patterns is null) return true;
        foreach (var p in _patterns)
            if (p.IsMatch(name)) return true;
        return false;
    }

    /// <summary>
    /// The current file system location as a host path, where jail(8) run from it would look for a
    /// relative .include of text read from standard input; null on the simulated host when the
    /// location lies outside its root.
    /// </summary>
    private string? CurrentHostDirectory()
    {
        string local = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        if (JailHost.IsSimulated && local.TrimEnd('/') == JailHost.Files.ToLocalPath("/").TrimEnd('/')) return "/";
        return HostPathOfLocal(JailHost, local);
    }

    /// <summary>A local absolute path as a host path: itself on a real host, the part under the root on the simulated one (null outside it).</summary>
    private static string? HostPathOfLocal(JailHost host, string local)
    {
        if (!host.IsSimulated)
            return HostPath.IsAbsolute(local) ? HostPath.Normalize(local) : null;
        string root = host.Files.ToLocalPath("/").TrimEnd('/');
        return local.StartsWith(root + "/", StringComparison.Ordinal) ? HostPath.Normalize(local.Substring(root.Length)) : null;
    }

    /// <summary>
    /// An absolute path is a host path (on the simulated host: under its root), except that on the
    /// simulated host a local path already inside the root (say from Get-ChildItem) is taken as it
    /// is. A relative path is resolved against the current location; on the simulated host it must
    /// lie inside the root.
    /// </summary>
    internal static string ToHostPath(JailCmdletBase cmdlet, string path)
    {
        HostPath.CheckText(path, "path");
        var host = cmdlet.JailHost;
        string root = host.Files.ToLocalPath("/").TrimEnd('/');
        if (HostPath.IsAbsolute(path) && !(host.IsSimulated && path.StartsWith(root + "/", StringComparison.Ordinal)))
            return HostPath.Normalize(path);
        string local = HostPath.IsAbsolute(path) ? path : cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        return HostPathOfLocal(host, local) ?? throw new JailOperationException("JailPathOutsideSimulatedHost", null,
            $"{local} is outside the simulated host's root {root}.", "Give an absolute host path such as /etc/jail.conf, or copy the file into the simulated host.");
    }
}
