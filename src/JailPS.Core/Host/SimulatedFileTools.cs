using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace JailPS.Core.Host;

/// <summary>
/// The simulated host's /bin/chflags, /bin/rm, /bin/cp and /bin/mv for what JailPS runs on a jail
/// root (`chflags -R noschg DIR`, `rm -rf DIR`, `cp -a TEMPLATE/. DIR`, `mv DIR.part DIR`), inside the simulated host's directory only: the last
/// component of the path is taken as it is (a link is removed, never followed) and the walk never
/// follows a link. File flags are the kernel model's (SimulatedKernel.FileFlags): chflags sets or
/// clears schg, rm cannot remove a schg file (nor the directories that hold it) and says
/// "Operation not permitted" as FreeBSD's rm does, and cp -a keeps the flags it copies.
/// </summary>
internal static class SimulatedFileTools
{
    public static (int Exit, string Out, string Err) Run(SimulatedHost host, string program, IReadOnlyList<string> argv)
    {
        try
        {
            // Under the kernel's lock: the file flags are the model's, read and changed with the files.
            return host.Transact(k => RunTool(host, k, program, argv));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // What the tool would print for a file it cannot handle, and its failure status.
            return (1, "", $"{program}: {ex.Message}\n");
        }
    }

    private static (int Exit, string Out, string Err) RunTool(SimulatedHost host, Simulation.SimulatedKernel kernel, string program, IReadOnlyList<string> argv)
    {
        var files = new RootedFileSystem(host.Root);
        var options = argv.Skip(1).TakeWhile(a => a.StartsWith('-') && a.Length > 1).ToList();
        var operands = argv.Skip(1 + options.Count).ToList();
        if (program == "cp")
        {
            if (options.Count != 1 || options[0] != "-a" || operands.Count != 2) return Unsupported(argv);
            string from = operands[0].EndsWith("/.", StringComparison.Ordinal) ? operands[0][..^2] : operands[0];
            string src = files.ToLocalPath(files.RealPath(from)), dst = files.ToLocalPath(files.RealPath(operands[1]));
            if (!Directory.Exists(src)) return (1, "", $"cp: {operands[0]}: No such file or directory\n");
            Directory.CreateDirectory(dst);
            CopyTree(src, dst);
            kernel.CopyFlags(files.RealPath(from), files.RealPath(operands[1]));
            return (0, "", "");
        }
        if (program == "mv")
        {
            // mv SRC DST within one file system: a rename, flags kept.
            if (options.Count != 0 || operands.Count != 2) return Unsupported(argv);
            string from = Local(files, operands[0]), to = Local(files, operands[1]);
            if (!Exists(from)) return (1, "", $"mv: {operands[0]}: No such file or directory\n");
            if (Exists(to)) return (1, "", $"mv: rename {operands[0]} to {operands[1]}: Directory not empty\n");
            if (Directory.Exists(from) && new FileInfo(from).LinkTarget is null) Directory.Move(from, to);
            else File.Move(from, to);
            string HostOf(string p) => HostPath.Combine(files.RealPath(HostPath.GetDirectoryName(HostPath.Normalize(p))), HostPath.GetFileName(HostPath.Normalize(p)));
            kernel.MoveFlags(HostOf(operands[0]), HostOf(operands[1]));
            return (0, "", "");
        }
        if (program == "chflags")
        {
            if (operands.Count < 2 || options.Any(o => o is not ("-R" or "-h" or "-P"))) return Unsupported(argv);
            bool? set = operands[0] switch { "schg" or "schange" or "simmutable" => true, "noschg" or "noschange" or "nosimmutable" or "0" => false, _ => null };
            if (set is null) return Unsupported(argv);
            bool recursive = options.Contains("-R");
            foreach (string p in operands.Skip(1))
            {
                if (!Exists(Local(files, p)))
                    return (1, "", $"chflags: {p}: No such file or directory\n");
                string hostPath = HostPath.Combine(files.RealPath(HostPath.GetDirectoryName(HostPath.Normalize(p))), HostPath.GetFileName(HostPath.Normalize(p)));
                if (set == true) kernel.SetImmutable(hostPath, true);
                else if (recursive) kernel.ForgetAtOrBelow(hostPath);
                else kernel.SetImmutable(hostPath, false);
            }
            return (0, "", "");
        }
        if (options.Any(o => o.Trim('-').Any(c => c is not ('r' or 'f' or 'R'))) || operands.Count == 0) return Unsupported(argv);
        bool force = options.Any(o => o.Contains('f'));
        var err = new System.Text.StringBuilder();
        foreach (string p in operands)
        {
            if (HostPath.Normalize(p) == "/") return (1, "", "rm: \"/\" may not be removed\n");
            string local = Local(files, p);
            string hostPath = HostPath.Combine(files.RealPath(HostPath.GetDirectoryName(HostPath.Normalize(p))), HostPath.GetFileName(HostPath.Normalize(p)));
            var kept = kernel.ImmutableAtOrBelow(hostPath);
            if (kept.Count > 0 && (new FileInfo(local).LinkTarget is not null || File.Exists(local) || Directory.Exists(local)))
            {
                // rm -rf goes on past what it cannot unlink: the schg files stay, and so do the directories that hold them.
                RemoveAllBut(local, hostPath, kept, err);
                continue;
            }
            if (new FileInfo(local).LinkTarget is not null || File.Exists(local)) File.Delete(local);
            else if (Directory.Exists(local)) Directory.Delete(local, recursive: true);
            else if (!force) return (1, "", $"rm: {p}: No such file or directory\n");
            kernel.ForgetAtOrBelow(hostPath);
        }
        return (err.Length == 0 ? 0 : 1, "", err.ToString());
    }

    /// <summary>rm -rf of a tree that holds schg files: everything else goes; each schg file, and each directory left non-empty, is reported.</summary>
    private static bool RemoveAllBut(string local, string hostPath, IReadOnlyList<string> immutable, System.Text.StringBuilder err)
    {
        if (immutable.Contains(hostPath))
        {
            err.Append($"rm: {hostPath}: Operation not permitted\n");
            return false;
        }
        var info = new FileInfo(local);
        if (info.LinkTarget is not null || File.Exists(local))
        {
            File.Delete(local);
            return true;
        }
        bool empty = true;
        foreach (var e in new DirectoryInfo(local).EnumerateFileSystemInfos())
            empty &= RemoveAllBut(e.FullName, hostPath + "/" + e.Name, immutable, err);
        if (!empty)
        {
            err.Append($"rm: {hostPath}: Directory not empty\n");
            return false;
        }
        Directory.Delete(local);
        return true;
    }

    /// <summary>
    /// cp -a (and the simulated zfs's copies of a dataset's files): links copied as links (never
    /// followed), directories and files with their modes; nothing under a path in
    /// <paramref name="skip"/> (another file system's mount point) is copied.
    /// </summary>
    internal static void CopyTree(string src, string dst, ISet<string>? skip = null)
    {
        Directory.CreateDirectory(dst);
        foreach (var entry in new DirectoryInfo(src).EnumerateFileSystemInfos())
        {
            if (skip?.Contains(entry.FullName) == true) continue;
            string to = Path.Combine(dst, entry.Name);
            if (entry.LinkTarget is not null)
                File.CreateSymbolicLink(to, entry.LinkTarget);
            else if (entry is DirectoryInfo d)
            {
                CopyTree(d.FullName, to, skip);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(to, d.UnixFileMode);
            }
            else
            {
                File.Copy(entry.FullName, to);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(to, ((FileInfo)entry).UnixFileMode);
            }
        }
    }

    private static string Local(RootedFileSystem files, string hostPath)
    {
        string n = HostPath.Normalize(hostPath);
        return files.ToLocalPath(HostPath.Combine(files.RealPath(HostPath.GetDirectoryName(n)), HostPath.GetFileName(n)));
    }

    private static bool Exists(string local) => File.Exists(local) || Directory.Exists(local) || new FileInfo(local).LinkTarget is not null;

    private static (int, string, string) Unsupported(IReadOnlyList<string> argv)
        => (1, "", "the simulated host does not model: " + string.Join(" ", argv) + "\n");
}
