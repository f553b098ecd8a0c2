using System;
using System.Collections.Generic;
using System.Globalization;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Mounts;

/// <summary>
/// The mounts a jail definition asks for, in jail(8)'s creation order (usr.sbin/jail/jail.c
/// startcommands; freebsd-abi.md §4.3): the `mount` lines, the `mount.fstab` entries, then
/// mount.devfs on PATH/dev, mount.fdescfs on PATH/dev/fd and mount.procfs on PATH/proc.
/// </summary>
public static class JailMountPlanner
{
    /// <summary>jail(8) mounts devfs with the jail's devfs_ruleset, 4 (devfsrules_jail) when unset.</summary>
    public const int DefaultDevfsRuleset = 4;

    public const string OriginMount = "mount";
    public const string OriginFstab = "mount.fstab";
    public const string OriginDevfs = "mount.devfs";
    public const string OriginFdescfs = "mount.fdescfs";
    public const string OriginProcfs = "mount.procfs";
    public const string OriginCmdlet = "Mount-JailFileSystem";

    /// <summary>True when the definition mounts anything.</summary>
    public static bool HasMounts(JailSpec spec) => spec.MountLines.Count > 0 || spec.MountFstabs.Count > 0
        || spec.MountDevfs || spec.MountFdescfs || spec.MountProcfs;

    /// <summary>The mount requests of a definition, in creation order. Reads mount.fstab through <paramref name="files"/>.</summary>
    public static List<MountRequest> ForSpec(JailSpec spec, IHostFileSystem files)
    {
        var list = new List<MountRequest>();
        if (!HasMounts(spec)) return list;
        // Without a path the jail's root is the host's "/": fstab-style mounts name their own mount
        // points, but jail(8) refuses the three that go beneath the root (command.c: "no jail
        // root path defined").
        if (spec.Path is null)
        {
            string? beneathRoot = spec.MountDevfs ? "mount.devfs" : spec.MountFdescfs ? "mount.fdescfs" : spec.MountProcfs ? "mount.procfs" : null;
            if (beneathRoot != null)
                throw new JailOperationException("JailPathMissing", spec.Name, $"jail \"{spec.Name}\": {beneathRoot}: no jail root path defined.",
                    "Give the jail a path (the directory that becomes its root), or remove " + beneathRoot + ".");
        }
        string root = spec.Path is null ? "" : spec.Path.Length > 1 ? spec.Path.TrimEnd('/') : spec.Path;

        foreach (string line in spec.MountLines)
            if (MountRequest.ParseFstabLine(line, OriginMount, spec.Name) is { } r) list.Add(r);

        foreach (string fstab in spec.MountFstabs)
        {
            // jail(8) fopen()s each file (config.c check_intparams) relative to its own working
            // directory; JailPS has none that means anything to the admin, so it must be absolute.
            if (!HostPath.IsAbsolute(fstab))
                throw new JailOperationException("JailMountFstabNotAbsolute", spec.Name,
                    $"jail \"{spec.Name}\": mount.fstab \"{fstab}\" is not an absolute path.",
                    $"Write the full path, e.g. mount.fstab = \"/etc/fstab.{spec.Name}\";");
            string? text = files.ReadAllText(fstab);
            if (text is null)
                throw new JailOperationException("JailMountFstabMissing", spec.Name,
                    $"jail \"{spec.Name}\": mount.fstab \"{fstab}\" does not exist.",
                    $"Create {fstab} (fstab(5) format) or remove mount.fstab from the definition.");
            foreach (string line in text.Split('\n'))
                if (MountRequest.ParseFstabLine(line, OriginFstab, spec.Name) is { } r) list.Add(r);
        }

        if (spec.MountDevfs)
        {
            int ruleset = spec.DevfsRuleset ?? DefaultDevfsRuleset;
            list.Add(new MountRequest("devfs", "devfs", root + "/dev",
                new[] { new MountOption("ruleset", ruleset.ToString(CultureInfo.InvariantCulture)) }, OriginDevfs));
        }
        if (spec.MountFdescfs)
            list.Add(new MountRequest("fdescfs", "fdescfs", root + "/dev/fd", Array.Empty<MountOption>(), OriginFdescfs));
        if (spec.MountProcfs)
            list.Add(new MountRequest("procfs", "procfs", root + "/proc", Array.Empty<MountOption>(), OriginProcfs));
        return list;
    }

}
