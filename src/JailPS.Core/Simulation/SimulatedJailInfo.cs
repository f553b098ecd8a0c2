namespace JailPS.Core.Simulation;

/// <summary>Life-cycle state of a simulated jail (PRISON_STATE_ALIVE / PRISON_STATE_DYING).</summary>
public enum SimulatedJailState
{
    Alive = 1,
    Dying = 2,
}

/// <summary>A read-only snapshot of one simulated jail, for tests and diagnostics.</summary>
/// <param name="Jid">Jail ID.</param>
/// <param name="Name">Full (hierarchical) jail name.</param>
/// <param name="Path">Root path as the kernel stores it (absolute host path).</param>
/// <param name="State">Alive or dying.</param>
/// <param name="Persist">Whether the persist flag is set.</param>
/// <param name="ProcessCount">Processes attached directly to this jail.</param>
/// <param name="ParentJid">JID of the parent jail, 0 for a top-level jail.</param>
public sealed record SimulatedJailInfo(
    int Jid,
    string Name,
    string Path,
    SimulatedJailState State,
    bool Persist,
    int ProcessCount,
    int ParentJid);

/// <summary>A read-only snapshot of one process of the simulated process table.</summary>
public sealed record SimulatedProcessInfo(int Pid, int Jid, string Command, bool IgnoresSigterm);
