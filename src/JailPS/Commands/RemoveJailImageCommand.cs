using System;
using System.Linq;
using System.Management.Automation;
using JailPS.Core.Images;

namespace JailPS.Commands;

/// <summary>
/// Remove-JailImage: takes an image out of the image cache (its record, and the blobs no other
/// cached image uses). Jails made from it keep their roots (copies); while a definition names it
/// ($jailps_image) it is kept unless -Force.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "JailImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
public sealed class RemoveJailImageCommand : JailCmdletBase
{
    /// <summary>The image: a reference as New-Jail -Image takes it, or its digest; JailPS.JailImage objects from the pipeline.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [Alias("Image")]
    [ArgumentCompleter(typeof(JailImageCompleter))]
    public string[] Reference { get; set; } = Array.Empty<string>();

    /// <summary>Remove it even though jails' definitions name it.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessJailRecord()
    {
        var service = new JailImageService(JailHost, this);
        foreach (string text in Reference)
            ForItem(text, () =>
            {
                var record = service.Find(text) ?? throw new JailPS.Core.Lifecycle.JailOperationException("JailImageNotCached", text,
                    $"the image \"{text}\" is not in the image cache; nothing was removed.", "See Get-JailImage.") { TargetObject = text };
                RunPlan(service.PlanRemove(record, Service.Definitions, Force), "Remove");
            });
    }
}
