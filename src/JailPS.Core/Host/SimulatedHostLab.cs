using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Host;

/// <summary>
/// Fresh simulated hosts for tests and runbook rehearsals (New-/Remove-JailSimulatedHost,
/// Get-JailSimulatedCommand, Set-JailSimulatedResponse): create one in an empty directory, select
/// it through JAILPS_SIMULATED_HOST, read what it recorded, and delete it again. Deletion is only
/// ever of a directory that holds a simulation state folder, so a mistyped path can never take an
/// ordinary directory with it.
/// </summary>
public static class SimulatedHostLab
{
    private static readonly JsonSerializerOptions s_write = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions s_read = new() { PropertyNameCaseInsensitive = true };

    /// <summary>What JAILPS_SIMULATED_HOST held before each host made here selected itself, by host root.</summary>
    private static readonly Dictionary<string, string?> s_previous = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates a simulated host in <paramref name="directory"/> (which must be absolute and missing
    /// or empty), boots it (devfs rulesets, as a fresh host would) and, with
    /// <paramref name="select"/>, makes it the host every JailPS command acts on.
    /// </summary>
    public static SimulatedHostInfo Create(string directory, IReadOnlyList<SimulatedResponse>? responses, bool select, string? release = null, IReadOnlyList<string>? zfsDatasets = null)
    {
        var datasets = new List<(string Name, string Mountpoint)>();
        foreach (string spec in zfsDatasets ?? Array.Empty<string>())
        {
            int eq = spec.IndexOf('=');
            string name = eq < 0 ? spec : spec[..eq], mountpoint = eq < 0 ? "" : spec[(eq + 1)..];
            if (eq <= 0 || !name.StartsWith("zroot/", StringComparison.Ordinal) || !mountpoint.StartsWith('/'))
                throw new JailOperationException("JailSimulatedDatasetInvalid", null,
                    $"'{spec}' is not DATASET=MOUNTPOINT with a dataset of the simulated pool zroot and an absolute mountpoint.",
                    "Give it as zroot/jails=/usr/jails.") { TargetObject = spec };
            datasets.Add((name, mountpoint));
        }
        if (release != null && release is not ("14.3" or "15.0"))
            throw new JailOperationException("JailSimulatedReleaseUnknown", null,
                $"The simulated host imitates FreeBSD 14.3 or 15.0, not '{release}'.", "Give -Release 14.3 or -Release 15.0.");
        if (!Path.IsPathFullyQualified(directory))
            throw new JailOperationException("JailSimulatedHostPathNotAbsolute", null,
                $"The simulated host's directory must be an absolute path, not '{directory}'.",
                "Give a full path, or leave -Path out to get a fresh directory (under TestDrive: inside a Pester test).");
        string root = Path.GetFullPath(directory).TrimEnd('/');
        if (root.Length == 0 || root == "/")
            throw new JailOperationException("JailSimulatedHostPathInvalid", null,
                "The simulated host cannot be the machine's own root directory.", "Give a directory of its own.");
        if (File.Exists(root) || (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).GetEnumerator().MoveNext()))
            throw new JailOperationException("JailSimulatedHostNotEmpty", null,
                $"'{root}' already exists and is not an empty directory; a new simulated host needs an empty one.",
                "Choose a new path, or leave -Path out to get a fresh directory.") { TargetObject = root };

        bool existed = Directory.Exists(root);
        Directory.CreateDirectory(root);
        if (release != null)
        {
            string state = Path.Combine(root, SimulatedHost.StateFolderName);
            Directory.CreateDirectory(state);
            File.WriteAllText(Path.Combine(state, SimulatedHost.ReleaseFileName), release + "\n");
        }
        var host = JailHost.Simulated(root);
        // The pool as the admin laid it out: what zfs create -p -o mountpoint=M D would have made.
        foreach (var (name, mountpoint) in datasets)
        {
            var made = host.Processes.Run(new Processes.ProcessRequest { Arguments = new[] { "/sbin/zfs", "create", "-p", "-o", "mountpoint=" + mountpoint, name }, Purpose = "simulated host setup" });
            if (made.ExitCode != 0)
            {
                // Nothing half-made is left: the new host's directory goes with the failure.
                JailHost.ForgetSimulated(root);
                if (existed)
                    foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos())
                        if (entry is DirectoryInfo d && d.LinkTarget is null) d.Delete(recursive: true); else entry.Delete();
                else
                    Directory.Delete(root, recursive: true);
                throw new JailOperationException("JailSimulatedDatasetInvalid", null, $"zfs create {name} failed on the new simulated host: {made.FirstErrorLine}", "Give datasets that do not clash, parents first.") { TargetObject = name };
            }
        }
        var info = Describe(host.Simulation!);
        if (responses is { Count: > 0 })
            WriteResponses(info, responses, append: false);
        if (select)
        {
            lock (s_previous)
                s_previous[root] = Environment.GetEnvironmentVariable(JailHost.SimulationVariable);
            Environment.SetEnvironmentVariable(JailHost.SimulationVariable, root);
        }
        return info;
    }

    /// <summary>The simulated host currently selected by JAILPS_SIMULATED_HOST, or null.</summary>
    public static SimulatedHostInfo? Current()
    {
        string? root = Environment.GetEnvironmentVariable(JailHost.SimulationVariable);
        return string.IsNullOrWhiteSpace(root) ? null : Open(root);
    }

    /// <summary>The simulated host in <paramref name="directory"/>, or with none given the selected one; an error when there is neither.</summary>
    public static SimulatedHostInfo OpenOrSelected(string? directory) =>
        directory != null ? Open(directory) : Current() ?? throw new JailOperationException("JailSimulatedHostNotSelected", null,
            $"No simulated host is selected ({JailHost.SimulationVariable} is not set) and no -Path was given.",
            "Create one with New-JailSimulatedHost, or name its directory with -Path.");

    /// <summary>An existing simulated host.</summary>
    public static SimulatedHostInfo Open(string directory)
    {
        string root = Path.GetFullPath(directory).TrimEnd('/');
        if (!Directory.Exists(Path.Combine(root, SimulatedHost.StateFolderName)))
            throw new JailOperationException("JailSimulatedHostNotFound", null,
                $"'{root}' is not a simulated host (it has no {SimulatedHost.StateFolderName} folder).",
                "Create one with New-JailSimulatedHost, or name the directory a simulated host runs in.") { TargetObject = root };
        return Describe(JailHost.Simulated(root).Simulation!);
    }

    /// <summary>
    /// Deletes a simulated host's directory (links inside it are removed, never followed) and, when it
    /// is the selected host, puts JAILPS_SIMULATED_HOST back to what it was before Create selected it.
    /// </summary>
    public static void Remove(SimulatedHostInfo host)
    {
        string root = host.Path;
        if (!Directory.Exists(Path.Combine(root, SimulatedHost.StateFolderName)))
            throw new JailOperationException("JailSimulatedHostNotFound", null,
                $"'{root}' is not a simulated host (it has no {SimulatedHost.StateFolderName} folder), so it is not deleted.",
                "Remove-JailSimulatedHost deletes only directories that New-JailSimulatedHost (or a JailPS command) made a simulated host.") { TargetObject = root };
        string? current = Environment.GetEnvironmentVariable(JailHost.SimulationVariable);
        if (current != null && Path.GetFullPath(current).TrimEnd('/') == root)
        {
            string? previous;
            lock (s_previous)
                s_previous.TryGetValue(root, out previous);
            Environment.SetEnvironmentVariable(JailHost.SimulationVariable, previous);
        }
        lock (s_previous)
            s_previous.Remove(root);
        JailHost.ForgetSimulated(root);
        // Directory.Delete removes a symbolic link itself and never descends through it.
        Directory.Delete(root, recursive: true);
    }

    /// <summary>Writes (or, with <paramref name="append"/>, adds to the end of) the host's responses.json.</summary>
    public static void WriteResponses(SimulatedHostInfo host, IReadOnlyList<SimulatedResponse> responses, bool append)
    {
        var all = new List<SimulatedResponse>();
        if (append && File.Exists(host.ResponsesFile))
        {
            try
            {
                all.AddRange(JsonSerializer.Deserialize<List<SimulatedResponse>>(File.ReadAllText(host.ResponsesFile), s_read) ?? new());
            }
            catch (JsonException ex)
            {
                throw new JailOperationException("JailSimulationResponsesInvalid", null,
                    $"{host.ResponsesFile} is not a valid list of responses, so nothing can be added to it: {ex.Message}",
                    "Fix the JSON, or replace the rules without -Append.", ex) { TargetObject = host.ResponsesFile };
            }
        }
        all.AddRange(responses);
        string temp = host.ResponsesFile + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(all, s_write));
        File.Move(temp, host.ResponsesFile, overwrite: true);
    }

    /// <summary>Every command the host recorded (commands.log), oldest first.</summary>
    public static IReadOnlyList<SimulatedCommand> ReadCommands(SimulatedHostInfo host)
    {
        var commands = new List<SimulatedCommand>();
        if (!File.Exists(host.CommandLog))
            return commands;
        int number = 0;
        foreach (string line in File.ReadLines(host.CommandLog))
        {
            number++;
            if (line.Length == 0)
                continue;
            try
            {
                if (JsonSerializer.Deserialize<SimulatedCommand>(line, s_read) is { } command)
                    commands.Add(command);
            }
            catch (JsonException ex)
            {
                throw new JailOperationException("JailSimulationLogInvalid", null,
                    $"{host.CommandLog} line {number} is not a command record: {ex.Message}",
                    "The log is written by JailPS only; delete it to start a new record.", ex) { TargetObject = host.CommandLog };
            }
        }
        return commands;
    }

    private static SimulatedHostInfo Describe(SimulatedHost simulation) => new(
        simulation.Root, simulation.StateDirectory, simulation.Processes.LogFile, simulation.Processes.ResponsesFile, simulation.Release);
}
