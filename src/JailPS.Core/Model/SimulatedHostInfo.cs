namespace JailPS;

/// <summary>
/// A simulated host as New-JailSimulatedHost returns it: the directory that stands for "/" and the
/// files of its state folder a test reads or writes. Type name JailPS.SimulatedHostInfo.
/// </summary>
public sealed class SimulatedHostInfo
{
    internal SimulatedHostInfo(string path, string stateDirectory, string commandLog, string responsesFile, string release)
    {
        Release = release;
        Path = path;
        StateDirectory = stateDirectory;
        CommandLog = commandLog;
        ResponsesFile = responsesFile;
    }

    /// <summary>The FreeBSD release the simulated kernel imitates: "14.3" or "15.0" (New-JailSimulatedHost -Release).</summary>
    public string Release { get; }

    /// <summary>The directory that stands for the host's "/".</summary>
    public string Path { get; }

    /// <summary>PATH/.simulation: kernel.json, commands.log, responses.json.</summary>
    public string StateDirectory { get; }

    /// <summary>Every command the host was asked to run, one JSON object per line.</summary>
    public string CommandLog { get; }

    /// <summary>The rules that answer those commands (a JSON array).</summary>
    public string ResponsesFile { get; }

    /// <summary>What JAILPS_SIMULATED_HOST must hold to act on this host ("simulated:" + Path is its ComputerName).</summary>
    public string ComputerName => "simulated:" + Path;

    public override string ToString() => Path;
}
