using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;

namespace JailPS.Commands;

/// <summary>
/// Mount-JailFileSystem: mounts a file system beneath a jail's root, at a place given as the jail
/// sees it. The mount point is checked beneath the root without following links, the mount is
/// verified with getfsstat and recorded in the mount ledger (origin Mount-JailFileSystem), so
/// Stop-Jail, Get-JailMount and Dismount-JailFileSystem know about it.
/// </summary>
[Cmdlet(VerbsData.Mount, "JailFileSystem", DefaultParameterSetName = ByObjectSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(JailMount))]
public sealed class MountJailFileSystemCommand : JailTargetCmdletBase
{
    /// <summary>The file system type: nullfs, tmpfs, devfs, procfs, fdescfs, linprocfs, linsysfs...</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [Alias("FsType")]
    [ArgumentCompleter(typeof(JailFileSystemTypeCompleter))]
    public string Type { get; set; } = "";

    /// <summary>What to mount: the host directory for nullfs; defaults to the type's name for pseudo file systems.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Source { get; set; }

    /// <summary>The mount point as the jail sees it ("/basejail"); on the host it is PATH/basejail.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    [Alias("Path", "JailPath")]
    public string Target { get; set; } = "";

    /// <summary>Mount read-only (the "ro" option).</summary>
    [Parameter]
    public SwitchParameter ReadOnly { get; set; }

    /// <summary>Mount options as mount(8) -o takes them: "size=64m", "mode=1777", "noexec,nosuid".</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Option { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private string _source = "";
    private List<MountOption> _options = new();

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        try
        {
            _source = MountPaths.SourceFor(Type, Source);
            _options = MountPaths.Options(Option, ReadOnly);
            // Refused before anything is looked at: an option naming where or what is mounted
            // would override -Target or -Source after they were checked.
            MountRequest.CheckOptions(Type, _options, null, JailMountPlanner.OriginCmdlet);
            MountPaths.CheckJailPath(null, Target, allowRoot: false);
        }
        catch (JailOperationException ex)
        {
            ThrowTerminatingError(ErrorRecordFor(ex, Target));
        }
    }

    protected override void ProcessJailRecord()
    {
        foreach (var target in ResolveTargets())
            ForItem(target.Name, () => MountInto(Current(target)));
    }

    private void MountInto(Jail jail)
    {
        string root = MountPaths.RootOf(jail);
        var service = new JailMountService(JailHost);
        var mounter = service.Mounter;
        var request = new MountRequest(Type, _source, MountPaths.HostTarget(root, Target), _options, JailMountPlanner.OriginCmdlet);

        // Checked now, so -WhatIf and -Confirm already refuse a link or a missing directory; Mount checks again.
        string fsPath = mounter.CheckTarget(jail.Name, root, request, mounter.ReadTable());

        var plan = new JailPlan(jail.Name, "mount");
        MountEntry? done = null;
        plan.Add("mount", request.Describe(fsPath),
            () => done = mounter.Mount(jail.Name, root, request),
            () => { if (done != null) mounter.Unmount(jail.Name, done, force: true); },
            $"unmount {request.FsType} on {fsPath}");
        if (!RunPlan(plan, "Mount") || WhatIfMode || done is null)
            return;
        if (PassThru)
            WriteObject(service.ToObject(jail.Name, service.RealRoot(root), done, request.Origin, request.OptionsText, JailMountState.Mounted));
    }
}

/// <summary>Jail-side paths, sources and options for the mount cmdlets.</summary>
internal static class MountPaths
{
    /// <summary>Pseudo file systems: nothing to name as a source, so mount(8) users write the type there.</summary>
    public static readonly string[] PseudoFileSystems = { "devfs", "tmpfs", "procfs", "fdescfs", "linprocfs", "linsysfs" };

    public static string SourceFor(string fsType, string? source)
    {
        if (source != null)
        {
            HostPath.CheckText(source, "-Source");
            if (fsType == "nullfs" && !HostPath.IsAbsolute(source))
                throw new JailOperationException("JailMountInvalid", null,
                    $"the nullfs source \"{source}\" is not an absolute host path.",
                    "Give the host directory to mount as a full path, for example -Source /usr/local/jails/base.");
            return source;
        }
        if (Array.IndexOf(PseudoFileSystems, fsType) >= 0)
            return fsType;
        throw new JailOperationException("JailMountSourceMissing", null,
            $"a {fsType} mount needs a source: " + (fsType == "nullfs" ? "the host directory to show inside the jail." : "what to mount."),
            fsType == "nullfs"
                ? "Add -Source with the host directory, for example -Source /usr/local/jails/base."
                : $"Add -Source (for {fsType}, what mount -t {fsType} takes as its device).");
    }

    /// <summary>-Option values ("a,b=c" each) plus "ro" for -ReadOnly, in order, without duplicates of "ro".</summary>
    public static List<MountOption> Options(string[]? option, bool readOnly)
    {
        var list = new List<MountOption>();
        foreach (string text in option ?? Array.Empty<string>())
            list.AddRange(MountRequest.ParseOptions(text));
        if (readOnly && !list.Exists(o => o.Name is "ro" or "rdonly" && o.Value is null))
            list.Add(new MountOption("ro", null));
        return list;
    }

    /// <summary>
    /// Checks a path as the jail sees it: absolute, and (unless <paramref name="allowRoot"/>) not the
    /// jail's root itself. ".." is left for the beneath-the-root resolver to refuse.
    /// </summary>
    public static string CheckJailPath(string? jailName, string jailPath, bool allowRoot)
    {
        HostPath.CheckText(jailPath, "-Target", jailName);
        if (!HostPath.IsAbsolute(jailPath))
            throw new JailOperationException("JailMountInvalid", jailName,
                $"\"{jailPath}\" is not an absolute path inside the jail.",
                "Give the mount point as the jail sees it, starting with /: for example -Target /basejail.");
        string clean = Clean(jailPath);
        if (clean == "/" && !allowRoot)
            throw new JailOperationException("JailMountInvalid", jailName,
                "JailPS does not mount on a jail's root directory itself (that is the jail's own file system).",
                "Mount on a directory inside the jail, for example -Target /basejail.");
        return clean;
    }

    /// <summary>"/a//b/./c/" becomes "/a/b/c"; ".." is kept (and refused later, never collapsed).</summary>
    public static string Clean(string jailPath)
    {
        var parts = new List<string>();
        foreach (string p in jailPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
            if (p != ".") parts.Add(p);
        return "/" + string.Join("/", parts);
    }

    /// <summary>The host path for a path inside the jail, lexically: PATH + jail path.</summary>
    public static string HostTarget(string root, string jailPath)
    {
        string clean = Clean(jailPath);
        string r = HostPath.Normalize(root);
        return clean == "/" ? r : HostPath.Combine(r, clean);
    }

    /// <summary>The jail's root (its path parameter); a jail without one has nowhere to mount.</summary>
    public static string RootOf(Jail jail)
    {
        if (jail.Path is null)
            throw new JailOperationException("JailPathMissing", jail.Name,
                $"jail \"{jail.Name}\" has no path, so there is no root to mount beneath.",
                "Give the jail a path in its definition (the directory that becomes its root).");
        if (!HostPath.IsAbsolute(jail.Path))
            throw new JailOperationException("JailPathNotAbsolute", jail.Name,
                $"jail \"{jail.Name}\": path \"{jail.Path}\" is not an absolute path.", "Use an absolute path such as /usr/jails/NAME.");
        return jail.Path;
    }
}

/// <summary>Completes -Type with the file system types jails commonly mount.</summary>
public sealed class JailFileSystemTypeCompleter : IArgumentCompleter
{
    private static readonly string[] s_types = { "nullfs", "tmpfs", "devfs", "procfs", "fdescfs", "linprocfs", "linsysfs" };

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string word = (wordToComplete ?? "").Trim('\'', '"');
        foreach (string t in s_types)
            if (t.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                yield return new CompletionResult(t, t, CompletionResultType.ParameterValue, t);
    }
}
