using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace JailPS.Commands;

/// <summary>Get-Jail: defined (jail.conf) and running (kernel) jails as JailPS.Jail objects.</summary>
[Cmdlet(VerbsCommon.Get, "Jail", DefaultParameterSetName = ByNameSet)]
[OutputType(typeof(Jail))]
public sealed class GetJailCommand : JailCmdletBase
{
    private const string ByNameSet = "ByName";
    private const string ByJidSet = "ByJid";
    private IReadOnlyList<Jail>? _all;

    [Parameter(ParameterSetName = ByNameSet, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [Alias("JailName")]
    [ArgumentCompleter(typeof(JailNameCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ParameterSetName = ByJidSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, JailPS.Core.Kernel.JailKernelLimits.MaxJid)]
    public int[] Jid { get; set; } = Array.Empty<int>();

    /// <summary>Only jails in this state.</summary>
    [Parameter]
    public JailState[]? State { get; set; }

    /// <summary>Include jails the kernel is still removing (jls -d).</summary>
    [Parameter]
    public SwitchParameter IncludeDying { get; set; }

    protected override void ProcessJailRecord()
    {
        try
        {
            if (ParameterSetName == ByJidSet)
            {
                foreach (int jid in Jid)
                {
                    var match = All().FirstOrDefaultJid(jid);
                    if (match is null)
                        WriteJailError(new JailPS.Core.Lifecycle.JailOperationException("JailNotFound", jid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                            $"no jail with jid {jid} is running.", "List jails with Get-Jail."), jid);
                    else Emit(match);
                }
                return;
            }
            if (Name is null)
            {
                foreach (var j in All()) Emit(j);
                return;
            }
            foreach (string name in Name)
            {
                if (WildcardPattern.ContainsWildcardCharacters(name))
                {
                    if (!TryNamePattern(name, out var pattern))
                        continue;
                    foreach (var j in All())
                        if (pattern.IsMatch(j.Name)) Emit(j);
                    continue;
                }
                ForItem(name, () =>
                {
                    var j = Service.Get(name);
                    if (j is null) WriteJailError(JailPS.Core.Lifecycle.JailService.NotFound(name), name);
                    else Emit(j);
                });
            }
        }
        catch (Exception ex) when (IsEngineError(ex))
        {
            // The inventory itself could not be read (broken jail.conf, kernel error): nothing useful can follow.
            ThrowTerminatingError(ErrorRecordFor(ex, null));
        }
    }

    private IReadOnlyList<Jail> All() => _all ??= Service.GetAll(IncludeDying);

    private void Emit(Jail j)
    {
        if (j.Status == JailState.Dying && !IncludeDying) return;
        if (State != null && Array.IndexOf(State, j.Status) < 0) return;
        WriteObject(j);
    }
}

internal static class JailListExtensions
{
    public static Jail? FirstOrDefaultJid(this IReadOnlyList<Jail> jails, int jid)
    {
        foreach (var j in jails) if (j.Jid == jid) return j;
        return null;
    }
}
