using System;
using System.Management.Automation;
using JailPS.Core.Provisioning;

namespace JailPS.Commands;

/// <summary>Get-JailRelease: the releases in JailPS's cache (/var/db/jailps/releases), as JailPS.JailRelease objects.</summary>
[Cmdlet(VerbsCommon.Get, "JailRelease")]
[OutputType(typeof(JailRelease))]
public sealed class GetJailReleaseCommand : JailCmdletBase
{
    /// <summary>Only these releases (wildcards: 14.*).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [Alias("Release")]
    public string[]? Name { get; set; }

    protected override void ProcessJailRecord()
    {
        try
        {
            var patterns = Name is null ? null : Array.ConvertAll(Name, NamePattern);
            foreach (var r in new JailReleaseService(JailHost, this).List(Service.Definitions))
                if (patterns is null || Array.Exists(patterns, p => p.IsMatch(r.Name)))
                    WriteObject(r);
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, null));
        }
    }
}
