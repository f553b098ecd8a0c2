using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using JailPS.Core.Host;
using JailPS.Core.Host.SafePath;
using JailPS.Core.Kernel;
using JailPS.Core.Lifecycle;
using JailPS.Native;

namespace JailPS.Core.Mounts;

/// <summary>
/// Mounts and unmounts file systems beneath a jail root, safely (DESIGN.md, Host safety):
/// <list type="bullet">
/// <item>the mount point is resolved beneath the root without following a symbolic link (the
/// jail's root user owns everything there and could turn dev into a link to /etc);</item>
/// <item>after nmount, the kernel's own record of where the mount landed (getfsstat f_mntonname)
/// must be the validated place; a link swapped in between the check and the mount is caught
/// there, the stray mount is removed and the attempt is refused;</item>
/// <item>unmounting goes by file system id (unmount "FSID:a:b" with MNT_BYFSID), so no path the
/// jail controls is resolved on the way out either;</item>
/// <item>every mount is recorded in the <see cref="MountLedger"/> and dropped from it when unmounted.</item>
/// </list>
/// </summary>
public sealed unsafe class JailMounter
{
    private readonly JailHost _host;

    public JailMounter(JailHost host)
    {
        _host = host;
        Ledger = new MountLedger(host.Files);
    }

    public MountLedger Ledger { get; }

    /// <summary>The mount table now.</summary>
    public IReadOnlyList<MountEntry> ReadTable() => MountTable.Read(_host.MountLibc);

    /// <summary>
    /// The target's path relative to the jail root, lexically ("" for the root itself). A target
    /// outside the root is refused; ".." and links are left for the resolver to refuse.
    /// </summary>
    public static string RelativeTo(string jailName, string jailRoot, string target)
    {
        string root = HostPath.Normalize(jailRoot);
        string t = target.Length > 1 ? target.TrimEnd('/') : target;
        string prefix = root == "/" ? "/" : root + "/";
        if (t == root) return "";
        if (!t.StartsWith(prefix, StringComparison.Ordinal))
            throw new JailOperationException("JailMountOutsideRoot", jailName,
                $"jail \"{jailName}\": mount point \"{target}\" is not beneath the jail's path \"{root}\".",
                $"Give a mount point under {root}; JailPS mounts only inside the jail's root.");
        return t.Substring(prefix.Length);
    }

    /// <summary>The jail-side view of a host path beneath the root ("/dev").</summary>
    public static string JailPathOf(string rootRealPath, string mountPoint)
    {
        string r = rootRealPath.TrimEnd('/');
        if (mountPoint == r || r.Length == 0) return mountPoint == r ? "/" : mountPoint;
        return mountPoint.StartsWith(r + "/", StringComparison.Ordinal) ? mountPoint.Substring(r.Length) : mountPoint;
    }

    /// <summary>The jail root with the host's own links resolved (what the kernel records; on the simulated host an absolute link means the simulated /).</summary>
    public string RootRealPath(string jailRoot) => _host.Files.RealPath(jailRoot);

    /// <summary>
    /// Checks a target the way <see cref="Mount"/> will and returns the host path nmount will be given.
    /// Refuses a symlink, "..", a missing directory, a place outside the root, and a place that
    /// already has a mount (stacking would hide it, and the jail's unmounts would take the wrong one).
    /// </summary>
    /// <param name="mustExist">
    /// False while a plan is being built: jail(8) checks a mount point when it mounts, after the
    /// earlier mounts (dev/fd appears only once devfs is on dev) and exec.prepare have run. Links and
    /// ".." are refused either way.
    /// </param>
    public string CheckTarget(string jailName, string jailRoot, MountRequest request, IReadOnlyList<MountEntry> table, bool mustExist = true)
    {
        CheckDevfsRuleset(jailName, request);
        string rel = RelativeTo(jailName, jailRoot, request.Target);
        ValidateBeneath(jailName, jailRoot, rel, mustExist);
        string fsPath = Join(RootRealPath(jailRoot), rel);
        foreach (var m in table)
            if (m.On == fsPath)
                throw new JailOperationException("JailMountPointBusy", jailName,
                    $"jail \"{jailName}\": {fsPath} already has {m.FsType} ({m.From}) mounted on it; JailPS does not stack mounts.",
                    $"Unmount it first (Dismount-JailFileSystem {jailName} -Path {JailPathOf(RootRealPath(jailRoot), fsPath)}), or run Stop-Jail {jailName} to finish an interrupted stop.");
        return fsPath;
    }

    /// <summary>
    /// Pre-flight for devfs (reference/prior-art.md #5): the kernel creates a missing ruleset empty
    /// when a devfs is mounted with it, and an empty ruleset (or none) hides nothing, so the jail
    /// would see every host device (mem, kmem, the disks). A devfs request must name its ruleset;
    /// ruleset=0 is the admin's explicit "no rules", any other must have rules in the kernel.
    /// </summary>
    private void CheckDevfsRuleset(string jailName, MountRequest request)
    {
        if (request.FsType != "devfs") return;
        string? text = request.Options.LastOrDefault(o => o.Name == "ruleset")?.Value;
        if (text is null)
            throw new JailOperationException("DevfsRulesetMissing", jailName,
                $"jail \"{jailName}\": devfs on {request.Target} has no ruleset option, so the jail would see every device of the host.",
                "Add ruleset=4 (devfsrules_jail) to the mount options, or use mount.devfs with devfs_ruleset; ruleset=0 states that no rules are wanted.");
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int ruleset) || ruleset > 65535)
            throw new JailOperationException("JailMountInvalid", jailName,
                $"jail \"{jailName}\": devfs ruleset \"{text}\" is not a number from 0 to 65535.");
        if (ruleset == 0) return;
        if (new Devfs.DevfsRulesetService(_host).GetRules(ruleset).Count == 0)
            throw new JailOperationException("DevfsRulesetMissing", jailName,
                $"jail \"{jailName}\": devfs ruleset {ruleset} has no rules in the kernel, so a devfs mounted with it would show the jail every host device.",
                $"Load the rulesets (service devfs restart, which reads /etc/defaults/devfs.rules and /etc/devfs.rules), or create it: Import-DevfsRules /etc/defaults/devfs.rules | Where-Object Number -eq {ruleset} | New-DevfsRuleset.");
    }

    private void ValidateBeneath(string jailName, string jailRoot, string rel, bool mustExist)
    {
        var resolver = _host.Resolver;
        try
        {
            using var root = resolver.OpenRoot(_host.Files.ToLocalPath(RootRealPath(jailRoot)));
            using var dir = resolver.OpenDirectoryBeneath(root, rel);
        }
        catch (PathEscapeException pe)
        {
            // The resolver walks the local directory (on the simulated host, under its root); the
            // user named the jail's host path.
            throw new PathEscapeException(jailRoot, pe.RelativePath, pe.Component, pe.Reason, pe.Errno, pe.ErrnoName);
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException || (ex is FileNotFoundException fnf && !(fnf.FileName ?? "").Contains(", Version=", StringComparison.Ordinal)))
        {
            if (!mustExist) return;
            throw new JailOperationException("JailMountPointMissing", jailName,
                $"jail \"{jailName}\": mount point \"{Join(jailRoot, rel)}\" does not exist.",
                $"Create the directory first (New-Item -ItemType Directory {Join(jailRoot, rel)}); JailPS does not create mount points.", ex);
        }
    }

    /// <summary>
    /// Mounts <paramref name="request"/> beneath the jail root, verifies where it landed and records
    /// it in the ledger. Either all of that happens or nothing is left mounted; when even the
    /// clean-up fails, the error says so and names what is left.
    /// </summary>
    public MountEntry Mount(string jailName, string jailRoot, MountRequest request)
    {
        var before = ReadTable();
        string fsPath = CheckTarget(jailName, jailRoot, request, before);
        var known = new HashSet<(int, int)>(before.Select(m => (m.FsId0, m.FsId1)));
        Nmount(jailName, request, fsPath);

        MountEntry? mine = null;
        try
        {
            var fresh = ReadTable().Where(m => !known.Contains((m.FsId0, m.FsId1)) && m.FsType == request.FsType).ToList();
            mine = fresh.LastOrDefault(m => m.On == fsPath);
            if (mine is null)
            {
                // The kernel resolved the path to somewhere other than what was checked: a link swapped
                // in after the check. Take away the stray mount (only one that is this request's: same
                // type and source, not on the checked place) and refuse.
                var stray = fresh.LastOrDefault(m => m.From == request.Source || m.From == request.FsType);
                string rel = RelativeTo(jailName, jailRoot, request.Target);
                string what = stray is null
                    ? "the mount could not be found in the mount list afterwards"
                    : TryUnmountById(stray, force: true)
                        ? $"the mount landed on {stray.On} and was removed again"
                        : $"the mount landed on {stray.On} and could NOT be removed: unmount it by hand (umount -f {stray.On})";
                throw new PathEscapeException(jailRoot, rel, rel, PathEscapeReason.OutsideRoot, null,
                    "the path changed after it was checked; " + what);
            }
            Ledger.Add(jailName, new MountLedgerEntry
            {
                Origin = request.Origin,
                FsType = request.FsType,
                Source = request.Source,
                MountPoint = mine.On,
                Options = request.OptionsText,
                FsId = mine.FsIdText,
            });
            return mine;
        }
        catch (Exception ex) when (ex is not PathEscapeException)
        {
            // Reading the table or writing the ledger failed after the mount was made: take it away
            // again, found by its place and by being new.
            string outcome;
            try
            {
                mine ??= ReadTable().LastOrDefault(m => m.On == fsPath && m.FsType == request.FsType && !known.Contains((m.FsId0, m.FsId1)));
                outcome = mine is null ? $"ROLLBACK INCOMPLETE: {request.FsType} on {fsPath} may still be mounted"
                    : TryUnmountById(mine, force: true) ? $"{request.FsType} on {fsPath} was unmounted again"
                    : $"ROLLBACK INCOMPLETE: {request.FsType} on {fsPath} is still mounted";
            }
            catch (Exception cleanup)
            {
                outcome = $"ROLLBACK INCOMPLETE: {request.FsType} on {fsPath} may still be mounted ({cleanup.Message})";
            }
            throw new JailOperationException("JailMountFailed", jailName,
                $"jail \"{jailName}\": {request.FsType} was mounted on {fsPath} but could not be recorded: {ex.Message} {outcome}.",
                outcome.StartsWith("ROLLBACK", StringComparison.Ordinal) ? $"Check with Get-JailMount {jailName} and unmount what is left with Dismount-JailFileSystem." : null, ex);
        }
    }

    /// <summary>
    /// Unmounts one mount by its file system id and drops it from the ledger. A mount that is
    /// already gone is not an error. With <paramref name="force"/>, a busy mount is unmounted with
    /// MNT_FORCE after a plain attempt; without it, EBUSY becomes JailMountBusy.
    /// </summary>
    public void Unmount(string jailName, MountEntry entry, bool force, JailMount? asObject = null)
    {
        int rc = UnmountById(entry, 0);
        if (rc != 0 && _host.MountLibc.LastErrno is int e1 && e1 == Errno.EBUSY && force)
            rc = UnmountById(entry, MountFlags.Force);
        if (rc != 0)
        {
            int errno = _host.MountLibc.LastErrno;
            if (errno == Errno.ENOENT)
            {
                Ledger.Remove(jailName, entry.FsIdText); // someone else unmounted it already
                return;
            }
            var cause = new JailKernelException("unmount", errno, null, jailName);
            if (errno == Errno.EBUSY)
                throw new JailOperationException("JailMountBusy", jailName,
                    $"jail \"{jailName}\": {entry.FsType} on {entry.On} is busy (EBUSY): a process still uses it, or another file system is mounted on or from it.",
                    $"Find what holds it with `fstat -f {entry.On}` and end it, then run the command again; or use -Force to force the unmount.", cause)
                { TargetObject = asObject };
            throw new JailOperationException("JailUnmountFailed", jailName,
                $"jail \"{jailName}\": unmounting {entry.FsType} on {entry.On} failed: {Errno.Describe(errno)} ({Errno.Name(errno)}).",
                "Find out why the kernel refused (dmesg; the errno above), then try again.", cause)
                { TargetObject = asObject };
        }
        Ledger.Remove(jailName, entry.FsIdText);
    }

    private bool TryUnmountById(MountEntry entry, bool force)
    {
        if (UnmountById(entry, 0) == 0) return true;
        return force && UnmountById(entry, MountFlags.Force) == 0;
    }

    private int UnmountById(MountEntry entry, ulong extraFlags)
    {
        byte[] id = Encoding.UTF8.GetBytes(entry.FsIdText + "\0");
        fixed (byte* p = id)
            return _host.MountLibc.Unmount(p, unchecked((int)(MountFlags.ByFsId | extraFlags)));
    }

    private void Nmount(string jailName, MountRequest request, string fsPath)
    {
        if (CallNmount(_host.MountLibc, request.NmountPairs(fsPath), out int errno, out string? errmsg) == 0)
            return;
        var cause = new JailKernelException("nmount", errno, errmsg, jailName);
        throw new JailOperationException(errno == Errno.EPERM ? "JailPermissionDenied" : "JailMountFailed", jailName,
            $"jail \"{jailName}\": mounting {request.FsType} {request.Source} on {fsPath} failed: {errmsg ?? Errno.Describe(errno)} ({cause.ErrnoName}).",
            errno == Errno.EINVAL && errmsg == "Invalid fstype"
                ? $"Load the file system's kernel module (kldload {request.FsType}) or check the type's spelling."
                : errno == Errno.EPERM ? (_host.CallerIsRoot
                    ? "You are root, so no privilege is missing on the host: inside a jail, mounting needs the jail's allow.mount and allow.mount.<type> and enforce_statfs below 2."
                    : "Run as root on the host.") : null, cause);
    }

    /// <summary>
    /// nmount(2) with name/value pairs as vfs_buildopts reads them (freebsd-abi.md §8.1): each name a
    /// NUL-terminated string, each value a NUL-terminated string or, for a valueless option, a
    /// NULL pointer with length 0, and last an "errmsg" buffer the kernel fills on failure.
    /// </summary>
    internal static int CallNmount(IMountLibc libc, IReadOnlyList<MountOption> pairs, out int errno, out string? errmsg)
    {
        var names = pairs.Select(o => JailKernel.CString(o.Name)).ToList();
        var values = pairs.Select(o => o.Value is null ? null : JailKernel.CString(o.Value)).ToList();
        int rc = OptionIovec.Invoke(names, values, (p, n) => libc.Nmount(p, n, 0), out string? msg);
        errno = rc == 0 ? 0 : libc.LastErrno;
        errmsg = rc == 0 ? null : msg;
        return rc;
    }

    internal static string Join(string root, string rel) => rel.Length == 0 ? root : HostPath.Combine(root, rel);
}
