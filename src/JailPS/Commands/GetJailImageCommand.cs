using System;
using System.Management.Automation;
using JailPS.Core.Images;

namespace JailPS.Commands;

/// <summary>Get-JailImage: the OCI images in JailPS's image cache (/var/db/jailps/images), as JailPS.JailImage objects.</summary>
[Cmdlet(VerbsCommon.Get, "JailImage")]
[OutputType(typeof(JailImage))]
public sealed class GetJailImageCommand : JailCmdletBase
{
    /// <summary>Only these references (wildcards: *freebsd-runtime*); a short name matches as New-Jail -Image takes it.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [Alias("Image")]
    [ArgumentCompleter(typeof(JailImageCompleter))]
    public string[]? Reference { get; set; }

    protected override void ProcessJailRecord()
    {
        try
        {
            var service = new JailImageService(JailHost, this);
            var images = service.List(Service.Definitions);
            foreach (var image in images)
                if (Reference is null || Array.Exists(Reference, r => Matches(service, r, image)))
                    WriteObject(image);
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            ThrowTerminatingError(ErrorRecordFor(ex, null));
        }
    }

    internal static bool Matches(JailImageService service, string text, JailImage image)
        => WildcardPattern.ContainsWildcardCharacters(text)
            ? WildcardPattern.Get(text, WildcardOptions.IgnoreCase).IsMatch(image.Reference)
            : service.Find(text)?.Reference == image.Reference;
}
