using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text;
using JailPS.Core.Config;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>Export-JailConfig: jail.conf(5) text for the given jails (definitions, or running jails as `jls -s` sees them).</summary>
[Cmdlet(VerbsData.Export, "JailConfig", DefaultParameterSetName = ByObjectSet, SupportsShouldProcess = true)]
[OutputType(typeof(string))]
public sealed class ExportJailConfigCommand : JailTargetCmdletBase
{
    private readonly StringBuilder _text = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>Write the text to this file (atomically) instead of the pipeline.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>With -Path: refuse to replace an existing file.</summary>
    [Parameter]
    public SwitchParameter NoClobber { get; set; }

    protected override void ProcessJailRecord()
    {
        foreach (var jail in ResolveTargets())
            ForItem(jail.Name, () =>
            {
                if (!_seen.Add(jail.Name)) return;
                if (_text.Length > 0) _text.Append('\n');
                _text.Append(JailConfWriter.FormatBlock(jail.Name, Service.ExportParameters(jail)));
            });
    }

    protected override void EndProcessing()
    {
        string text = _text.ToString();
        if (Path is null)
        {
            if (text.Length > 0) WriteObject(text);
        }
        else
        {
            try
            {
                string hostPath = ImportJailConfigCommand.ToHostPath(this, Path);
                if (NoClobber && JailHost.Files.FileExists(hostPath))
                    throw new JailOperationException("JailConfigExists", null, $"{hostPath} already exists; -NoClobber keeps it.", "Choose another path, or drop -NoClobber to replace it.");
                if (ShouldProcess(hostPath, "Write jail.conf"))
                    JailHost.Files.WriteAllTextAtomic(hostPath, text);
            }
            catch (Exception ex) when (IsEngineError(ex))
            {
                WriteJailError(ex, Path);
            }
        }
        base.EndProcessing();
    }
}
