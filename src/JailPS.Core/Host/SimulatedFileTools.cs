using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace JailPS.Core.Host;

/// <summary>
/// The simulated host's /bin/chflags, /bin/rm and /bin/cp for what JailPS runs on a jail root
/// (`chflags -R noschg DIR`, `rm -rf DIR`, `cp -a TEMPLATE/. DIR`), inside the simulated host's directory only: the last
/// component of the path is taken as it is (a link is removed, never followed) and the walk never
/// follows a link. File flags are not modelled (the simulated host runs unprivileged), so chflags
/// checks the path and changes nothing.
/// </summary>
internal static class SimulatedFileTools
{
    public static (int Exit, string Out, string Err) Run(SimulatedHost host, string program, IReadOnlyList<string> argv)
    {
        try
        {
            return RunTool(host, program, argv);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // What the tool would print for a file it cannot handle, and its failure status.
            return (1, "", $"{program}: {ex.Message}\n");
        }
    }

    private static (int Exit, string Out, string Err) RunTool(SimulatedHost host, string program, IReadOnlyList<string> argv)
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
            return (0, "", "");
        }
        if (program == "chflags")
        {
            if (operands.Count < 2 || options.Any(o => o is not ("-R" or "-h" or "-P"))) return Unsupported(argv);
            foreach (string p in operands.Skip(1))
                if (!Exists(Local(files, p)))
                    return (1, "", $"chflags: {p}: No such file or directory\n");
            return (0, "", "");
        }
        if (options.Any(o => o.Trim('-').Any(c => c is not ('r' or 'f' or 'R'))) || operands.Count == 0) return Unsupported(argv);
        bool force = options.Any(o => o.Contains('f'));
        foreach (string p in operands)
        {
            if (HostPath.Normalize(p) == "/") return (1, "", "rm: \"/\" may not be removed\n");
            string local = Local(files, p);
            if (new FileInfo(local).LinkTarget is not null || File.Exists(local)) File.Delete(local);
            else if (Directory.Exists(local)) Directory.Delete(local, recursive: true);
            else if (!force) return (1, "", $"rm: {p}: No such file or directory\n");
        }
        return (0, "", "");
    }

    /// <summary>cp -a: links copied as links (never followed), directories and files with their modes.</summary>
    private static void CopyTree(string src, string dst)
    {
        foreach (var entry in new DirectoryInfo(src).EnumerateFileSystemInfos())
        {
            string to = Path.Combine(dst, entry.Name);
            if (entry.LinkTarget is not null)
                File.CreateSymbolicLink(to, entry.LinkTarget);
            else if (entry is DirectoryInfo d)
            {
                Directory.CreateDirectory(to);
                CopyTree(d.FullName, to);
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
