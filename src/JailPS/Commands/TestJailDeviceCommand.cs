using System;
using System.Collections.Generic;
using System.Management.Automation;
using JailPS.Core.Devfs;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>Test-JailDevice: checks which device nodes a jail sees in its devfs (PATH/dev).</summary>
[Cmdlet(VerbsDiagnostic.Test, "JailDevice")]
[OutputType(typeof(JailDeviceTest), typeof(bool))]
public sealed class TestJailDeviceCommand : DevfsCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [Alias("JailName")]
    [ArgumentCompleter(typeof(JailNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Patterns (devfs path globs) each of which must match at least one visible node.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[] Required { get; set; } = Array.Empty<string>();

    /// <summary>Patterns no visible node may match.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[] Forbidden { get; set; } = Array.Empty<string>();

    /// <summary>Return only $true or $false.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void ProcessJailRecord()
    {
        foreach (var jail in JailsNamed(Name))
        {
            DevfsForItem(jail.Name, () =>
            {
                if (string.IsNullOrEmpty(jail.Path))
                    throw new DevfsRulesetException(DevfsRulesetErrorIds.NotMounted, jail.Name, $"jail \"{jail.Name}\" has no path, so it has no devfs.", "Define its path in jail.conf.");
                var result = JailDeviceCheck.Run(JailHost, jail.Name, jail.Path!, Required, Forbidden);
                if (Quiet) WriteObject(result.Passed);
                else WriteObject(result);
            });
        }
    }
}
