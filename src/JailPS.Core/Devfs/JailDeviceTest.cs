using System;
using System.Collections.Generic;
using System.Linq;
using JailPS.Core.Devfs;
using JailPS.Core.Host;
using JailPS.Core.Mounts;

namespace JailPS
{
    /// <summary>
    /// What Test-JailDevice found in a jail's devfs: the nodes the jail sees, the required patterns
    /// that matched none of them (<see cref="Missing"/>) and the visible nodes that a forbidden
    /// pattern matches (<see cref="Unexpected"/>). Type name JailPS.JailDeviceTest is stable.
    /// </summary>
    public sealed class JailDeviceTest
    {
        public JailDeviceTest(string jailName, string mountPoint, string[] required, string[] forbidden,
            string[] visible, string[] missing, string[] unexpected, string computerName, bool isSimulated)
        {
            JailName = jailName;
            MountPoint = mountPoint;
            Required = required;
            Forbidden = forbidden;
            Visible = visible;
            Missing = missing;
            Unexpected = unexpected;
            ComputerName = computerName;
            IsSimulated = isSimulated;
        }

        public string JailName { get; }

        /// <summary>The devfs mount tested (host path, PATH/dev).</summary>
        public string MountPoint { get; }

        /// <summary>True when every required pattern matched a visible node and no visible node matched a forbidden one.</summary>
        public bool Passed => Missing.Length == 0 && Unexpected.Length == 0;

        public string[] Required { get; }
        public string[] Forbidden { get; }

        /// <summary>Node paths relative to the mount ("null", "pts/0"), sorted.</summary>
        public string[] Visible { get; }

        /// <summary>Required patterns that matched no visible node.</summary>
        public string[] Missing { get; }

        /// <summary>Visible nodes that a forbidden pattern matches.</summary>
        public string[] Unexpected { get; }

        public string ComputerName { get; }
        public bool IsSimulated { get; }

        public override string ToString() => JailName + (Passed ? ": passed" : ": failed");
    }
}

namespace JailPS.Core.Devfs
{
    /// <summary>Checks which device nodes a jail sees in its devfs (PATH/dev).</summary>
    public static class JailDeviceCheck
    {
        /// <summary>
        /// Finds the devfs mounted on <paramref name="jailPath"/>/dev (getfsstat; else DevfsNotMounted),
        /// lists what the jail sees there and matches the patterns. Patterns are devfs rule path
        /// patterns (fnmatch with FNM_PATHNAME: <c>pts/*</c>, <c>bpf*</c>, <c>tty[pq]*</c>).
        /// </summary>
        public static JailDeviceTest Run(JailHost host, string jailName, string jailPath, IEnumerable<string>? required, IEnumerable<string>? forbidden)
        {
            if (host is null) throw new ArgumentNullException(nameof(host));
            if (!HostPath.IsAbsolute(jailPath))
                throw new JailPS.Core.Lifecycle.JailOperationException("JailPathNotAbsolute", jailName,
                    $"jail \"{jailName}\": path \"{jailPath}\" is not an absolute path.", "Use an absolute path such as /usr/jails/NAME.");
            // The kernel records mount points with the host's links resolved.
            string mp = HostPath.Combine(new JailPS.Core.Mounts.JailMountService(host).RealRoot(jailPath), "dev");
            if (!MountTable.Read(host.MountLibc).Any(m => m.FsType == "devfs" && m.On == mp))
                throw new DevfsRulesetException(DevfsRulesetErrorIds.NotMounted, jailName,
                    $"jail \"{jailName}\" has no devfs mounted on {mp}.",
                    "Start the jail with mount.devfs (or mount -t devfs devfs " + mp + "), then test again.");
            var req = (required ?? Array.Empty<string>()).ToArray();
            var forb = (forbidden ?? Array.Empty<string>()).ToArray();
            var visible = host.DevfsNodes.VisibleNodes(mp).ToArray();
            var missing = req.Where(p => !visible.Any(v => DevfsPattern.IsMatch(p, v))).ToArray();
            var unexpected = visible.Where(v => forb.Any(p => DevfsPattern.IsMatch(p, v))).ToArray();
            return new JailDeviceTest(jailName, mp, req, forb, visible, missing, unexpected, host.ComputerName, host.IsSimulated);
        }
    }
}
