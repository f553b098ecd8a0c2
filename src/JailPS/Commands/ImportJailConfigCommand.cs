using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Config;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>Import-JailConfig: reads jail.conf(5) files (with .include) into JailPS.Jail objects, state merged from the kernel.</summary>
[Cmdlet(VerbsData.Import, "JailConfig")]
[OutputType(typeof(Jail))]
public sealed class ImportJailConfigCommand : JailCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Only jails whose name matches.</summary>
    [Parameter]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    private WildcardPattern[]? _patterns;

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

    protected override void ProcessRecord()
    {
        foreach (string raw in Path)
            ForItem(raw, () =>
            {
                string hostPath = ToHostPath(this, raw);
                if (JailHost.Files.DirectoryExists(hostPath))
                    throw new JailOperationException("JailConfigIsDirectory", null, $"{hostPath} is a directory, not a jail.conf file.",
                        "Give a jail.conf file; to read a directory of them use Import-JailConfig DIR/*.conf via Get-ChildItem, or .include.");
                if (!JailHost.Files.FileExists(hostPath))
                    throw new JailOperationException("JailConfigMissing", null, $"{hostPath}: no such file.", "Check the path.");
                foreach (var def in JailConfLoader.Load(JailHost.Files, new[] { hostPath }))
                {
                    if (Name != null && !Matches(def.Name)) continue;
                    var rec = JailHost.Kernel.GetByName(def.Name);
                    WriteObject(Service.ToJail(def.Name, def, rec));
                }
            });
    }

    private bool Matches(string name)
    {
        foreach (var p in _patterns!)
            if (p.IsMatch(name)) return true;
        return false;
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
        if (!host.IsSimulated)
            return HostPath.Normalize(local);
        if (local.StartsWith(root + "/", StringComparison.Ordinal))
            return HostPath.Normalize(local.Substring(root.Length));
        throw new JailOperationException("JailPathOutsideSimulatedHost", null,
            $"{local} is outside the simulated host's root {root}.", "Give an absolute host path such as /etc/jail.conf, or copy the file into the simulated host.");
    }
}
