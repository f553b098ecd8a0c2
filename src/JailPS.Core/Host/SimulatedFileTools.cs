using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace JailPS.Core.Host;

/// <summary>
/// The simulated host's /bin/chflags and /bin/rm for what JailPS runs on a jail root
/// (`chflags -R noschg DIR`, `rm -rf DIR`), inside the simulated host's directory only: the last
/// component of the path is taken as it is (a link is removed, never followed) and the walk never
/// follows a link. File flags are not modelled (the simulated host runs unprivileged), so chflags
/// checks the path and changes nothing.
/// </summary>
internal static class SimulatedFileTools
{
    public static (int Exit, string Out, string Err) Run(SimulatedHost host, string program, IReadOnlyList<string> argv)
    {
        var files = new RootedFileSystem(host.Root);
        var options = argv.Skip(1).TakeWhile(a => a.StartsWith('-') && a.Length > 1).ToList();
        var operands = argv.Skip(1 + options.Count).ToList();
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

    private static string Local(RootedFileSystem files, string hostPath)
    {
        string n = HostPath.Normalize(hostPath);
        return files.ToLocalPath(HostPath.Combine(files.RealPath(HostPath.GetDirectoryName(n)), HostPath.GetFileName(n)));
    }

    private static bool Exists(string local) => File.Exists(local) || Directory.Exists(local) || new FileInfo(local).LinkTarget is not null;

    private static (int, string, string) Unsupported(IReadOnlyList<string> argv)
        => (1, "", "the simulated host does not model: " + string.Join(" ", argv) + "\n");
}
