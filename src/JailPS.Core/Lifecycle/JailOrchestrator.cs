using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using JailPS.Core.Config;
using JailPS.Core.Host;

namespace JailPS.Core.Lifecycle;

/// <summary>
/// Start, stop and restart over the whole set of jails one command was given. The set is put in
/// dependency order first (jail.conf "depend": dependencies before the jails that need them when
/// starting, running dependents before the jails they need when stopping), so every jail is acted
/// on once, whether it was named, reached through a dependency, or both; a jail named after a
/// dependency step already handled it is not an error. Every jail's plan is approved through the
/// command's ShouldProcess on its own. A jail that cannot go ahead because a jail it needs was
/// declined, failed or skipped is skipped with a warning that names both.
/// </summary>
public sealed class JailOrchestrator
{
    private enum Outcome
    {
        /// <summary>The plan ran (or was shown, under -WhatIf).</summary>
        Done,
        /// <summary>Nothing to do: the jail was already in the state the step would bring it to.</summary>
        AlreadyThere,
        Declined,
        Failed,
        /// <summary>Not attempted, because a jail it needs was declined, failed or skipped.</summary>
        Skipped,
    }

    public const string StartAction = "Start";
    public const string StopAction = "Stop";

    private readonly JailService _service;
    private readonly JailHost _host;
    private readonly IJailCommandSink _sink;
    private readonly CancellationToken _cancel;

    // Whether a jail runs after the steps this command took so far, counting those only shown under -WhatIf.
    private readonly Dictionary<string, bool> _assumedRunning = new(StringComparer.Ordinal);

    public JailOrchestrator(JailService service, IJailCommandSink sink, CancellationToken cancellationToken = default)
    {
        _service = service;
        _host = service.Host;
        _sink = sink;
        _cancel = cancellationToken;
        Lifecycle = new JailLifecycle(_host, sink, cancellationToken);
    }

    /// <summary>The plan builder every plan of this command comes from.</summary>
    public JailLifecycle Lifecycle { get; }

    /// <summary>
    /// Asks ShouldProcess with the whole plan (-WhatIf prints every step and the exact jail_set
    /// parameter list; -Confirm shows the same before it asks), then runs it under the jail's lock
    /// with its undo journal. False when it did not run: declined, or -WhatIf.
    /// </summary>
    public bool RunPlan(JailPlan plan, string action, string? reason = null)
    {
        string computer = _host.ComputerName;
        if (!_sink.ShouldProcess(plan.Render(action, computer, reason), plan.Summary(action, computer, reason), plan.Question(action, computer, reason)))
            return false;
        // Locked only once the user agreed, so -WhatIf leaves no trace on the host.
        using (JailLock.Acquire(_host.Files, plan.LockName, TimeSpan.FromSeconds(30), _cancel))
        {
            try
            {
                plan.Precondition?.Invoke();
            }
            catch
            {
                // The plan runner releases what the plan holds; a precondition that fails stops it before.
                foreach (var release in plan.Finally) release();
                throw;
            }
            PlanRunner.Execute(plan, _sink);
        }
        foreach (var note in plan.Notes)
            _sink.Warning($"{plan.Subject} {plan.JailName}: {note}");
        return true;
    }

    /// <summary>Runs a stop (or unmount cleanup) plan and writes the mounts it found left behind.</summary>
    public bool RunStopPlan(JailPlan plan, string? reason = null)
    {
        try
        {
            bool ran = RunPlan(plan, StopAction, reason);
            foreach (var leaked in Lifecycle.LeakedMounts)
                _sink.WriteObject(leaked);
            return ran;
        }
        finally
        {
            Lifecycle.LeakedMounts.Clear();
        }
    }

    // ---- start ----------------------------------------------------------------------------

    /// <summary>
    /// Start-Jail: starts the jails, each after the jails it depends on (those already running are
    /// left alone). A named jail that was running before the command is JailAlreadyRunning unless
    /// <paramref name="force"/>. With <paramref name="passThru"/> every named jail is written once.
    /// </summary>
    /// <param name="jidFile">
    /// As jail(8)'s -J: a host file that is replaced with one line per jail this command started,
    /// "jid=N" and the jail's parameters as `jail -e` prints them, tab-separated (jail.c print_jail
    /// with running set). Written after the starts, through the host file writer; null for none.
    /// </param>
    public void Start(IEnumerable<Jail> targets, bool force, bool passThru, string? jidFile = null)
    {
        if (jidFile != null && Try(jidFile, () =>
            {
                HostPath.CheckText(jidFile, "jid file", null);
                return HostPath.IsAbsolute(jidFile) ? jidFile
                    : throw new JailOperationException("JailPathNotAbsolute", null, $"jid file \"{jidFile}\" is not an absolute path; nothing was started.", "Give the full path, e.g. /var/run/jail/web.jid.");
            }) is null)
            return;
        var named = new HashSet<string>(StringComparer.Ordinal);
        var roots = new List<JailDefinition>();
        foreach (var target in targets)
        {
            var jail = Try(target.Name, () => _service.Current(target));
            if (jail is null || !named.Add(jail.Name))
                continue;
            if (jail.Status == JailState.Running)
            {
                if (!force)
                {
                    _sink.WriteError(new JailOperationException("JailAlreadyRunning", jail.Name, $"jail \"{jail.Name}\" is already running (jid {jail.Jid}).",
                        "Use Restart-Jail to restart it, or -Force to ignore running jails."), jail.Name);
                    continue;
                }
                _sink.Verbose($"jail {jail.Name} is already running");
                if (passThru)
                    _sink.WriteObject(jail);
                continue;
            }
            if (jail.Definition is null)
            {
                _sink.WriteError((Exception?)jail.DefinitionException ?? NotDefined(jail.Name, "to start from"), jail.Name);
                continue;
            }
            roots.Add(jail.Definition);
        }
        var started = StartInOrder(roots, named, passThru, stops: null, reasons: null);
        if (jidFile != null && !_sink.WhatIf)
            WriteJidFile(jidFile, started);
    }

    private void WriteJidFile(string jidFile, IReadOnlyList<JailDefinition> started)
    {
        var text = new System.Text.StringBuilder();
        foreach (var d in started)
            if (_host.Kernel.GetByName(d.Name) is { } rec)
                text.Append("jid=").Append(rec.Jid.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .Append('\t').Append(JailEFormatter.Line(d, "\t")).Append('\n');
        try
        {
            _host.Files.WriteAllTextAtomic(jidFile, text.ToString());
        }
        catch (Exception ex) when (EngineErrors.IsEngineError(ex))
        {
            _sink.WriteError(new JailOperationException("JailJidFileFailed", null,
                $"the jails were started, but the jid file {jidFile} could not be written: {ex.Message}",
                "Check that its directory exists and is writable (mkdir -p /var/run/jail); the jails keep running.", ex), jidFile);
        }
    }

    /// <summary>
    /// Starts the roots and what they depend on, dependencies first, each jail once. A jail in
    /// <paramref name="stops"/> that this command was to stop and did not is left as it is.
    /// </summary>
    /// <returns>The jails this command started, in the order it started them.</returns>
    private List<JailDefinition> StartInOrder(IReadOnlyList<JailDefinition> roots, ISet<string> named, bool passThru,
        IReadOnlyDictionary<string, Outcome>? stops, IReadOnlyDictionary<string, string>? reasons)
    {
        var order = new List<JailDefinition>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            var chain = Try(root.Name, () => _service.StartOrder(new[] { root }));
            if (chain is null)
                continue;
            foreach (var d in chain)
                if (seen.Add(d.Name))
                    order.Add(d);
        }
        var neededBy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in order)
            foreach (string dep in JailService.DependNames(d))
                neededBy.TryAdd(dep, d.Name);

        var started = new Dictionary<string, Outcome>(StringComparer.Ordinal);
        var done = new List<JailDefinition>();
        foreach (var d in order)
        {
            string? reason = named.Contains(d.Name) ? null
                : reasons != null && reasons.TryGetValue(d.Name, out var r) ? r
                : neededBy.TryGetValue(d.Name, out var by) ? $"a dependency of \"{by}\"" : null;
            var outcome = StartOne(d, reason, started, stops);
            started[d.Name] = outcome;
            if (outcome == Outcome.Done) done.Add(d);
            if (outcome == Outcome.Done && passThru && named.Contains(d.Name) && !_sink.WhatIf)
                _sink.WriteObject(_service.Refresh(d.Name));
        }
        return done;
    }

    private Outcome StartOne(JailDefinition d, string? reason, Dictionary<string, Outcome> started, IReadOnlyDictionary<string, Outcome>? stops)
    {
        if (stops != null && stops.TryGetValue(d.Name, out var stop) && stop is not (Outcome.Done or Outcome.AlreadyThere))
            return IsRunning(d.Name) ? Outcome.AlreadyThere : Outcome.Skipped;
        if (IsRunning(d.Name))
            return Outcome.AlreadyThere;
        foreach (string dep in JailService.DependNames(d))
        {
            if (!started.TryGetValue(dep, out var o) || o is Outcome.Done or Outcome.AlreadyThere)
                continue;
            string why = o switch
            {
                Outcome.Declined => "which you declined to start",
                Outcome.Failed => "which failed to start",
                _ => "which was not started either",
            };
            _sink.Warning($"jail \"{d.Name}\" is not started: it depends on \"{dep}\", {why}.");
            return Outcome.Skipped;
        }
        try
        {
            var plan = Lifecycle.PlanStart(JailSpec.Resolve(d, _host.Kernel.Catalog));
            if (!RunPlan(plan, StartAction, reason) && !_sink.WhatIf)
                return Outcome.Declined;
            // A jail that vanished at once left its mounts: written after the plan's warning.
            foreach (var left in Lifecycle.StartLeftovers)
                _sink.WriteObject(left);
        }
        catch (Exception ex) when (EngineErrors.IsEngineError(ex))
        {
            _sink.WriteError(ex, d.Name);
            return Outcome.Failed;
        }
        finally
        {
            Lifecycle.StartLeftovers.Clear();
        }
        _assumedRunning[d.Name] = true;
        return Outcome.Done;
    }

    // ---- stop -----------------------------------------------------------------------------

    /// <summary>
    /// Stop-Jail: stops the running jails, each after the running jails that depend on it. A named
    /// jail that is not running has its leftover mounts taken down when it has any, and is
    /// JailNotRunning otherwise (unless <paramref name="force"/>). With <paramref name="passThru"/>
    /// every named jail is written once, as it is after the stop.
    /// </summary>
    public void Stop(IEnumerable<Jail> targets, int? timeout, bool force, bool passThru)
    {
        var named = new Dictionary<string, Jail>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var target in targets)
        {
            var jail = Try(target.Name, () => _service.Current(target));
            if (jail is null || named.ContainsKey(jail.Name))
                continue;
            if (!force && JailManagers.IsForeign(jail.ManagedBy) && Try<object>(jail.Name, () => throw JailManagers.Refused(jail.ManagedBy!, jail, "stopped")) is null)
                continue;
            if (jail.Status == JailState.Running && Try(jail.Name, () => _service.DependentsToStopFirst(jail.Name)) is not { } dependents)
                continue;
            named[jail.Name] = jail;
            AddStops(order, jail);
        }
        StopInOrder(order, named, timeout, force, passThru, cleanUpStopped: true);
    }

    /// <summary>
    /// Stops one running jail after the running jails that depend on it (Remove-Jail -Force). True
    /// when it was stopped (or shown, under -WhatIf); errors and warnings are written on the way.
    /// </summary>
    public bool StopWithDependents(Jail jail, int? timeout, bool force)
    {
        var order = new List<string>();
        if (Try(jail.Name, () => AddStops(order, jail)) is null)
            return false;
        var outcomes = StopInOrder(order, new Dictionary<string, Jail>(StringComparer.Ordinal) { [jail.Name] = jail },
            timeout, force, passThru: false, cleanUpStopped: false);
        return outcomes.TryGetValue(jail.Name, out var o) && o == Outcome.Done;
    }

    /// <summary>Appends a jail's running-dependents-first stop order to <paramref name="order"/>, skipping names already in it.</summary>
    private List<string> AddStops(List<string> order, Jail jail)
    {
        if (jail.Status == JailState.Running)
            foreach (string dependent in _service.DependentsToStopFirst(jail.Name))
                if (!order.Contains(dependent))
                    order.Add(dependent);
        if (!order.Contains(jail.Name))
            order.Add(jail.Name);
        return order;
    }

    private Dictionary<string, Outcome> StopInOrder(List<string> order, Dictionary<string, Jail> named, int? timeout, bool force,
        bool passThru, bool cleanUpStopped)
    {
        var stopped = new Dictionary<string, Outcome>(StringComparer.Ordinal);
        for (int i = 0; i < order.Count; i++)
        {
            string name = order[i];
            bool isNamed = named.TryGetValue(name, out var jail);
            if (!IsRunning(name))
            {
                if (isNamed && cleanUpStopped)
                    CleanUpStopped(jail!, force, passThru);
                continue; // a dependent that is not running has nothing to stop
            }
            jail ??= Try(name, () => _service.Get(name));
            if (jail?.Jid is null)
                continue;
            string? reason = isNamed ? null : StopReason(name, order, i);
            var outcome = StopOne(jail, timeout, force, reason, stopped);
            stopped[name] = outcome;
            if (outcome == Outcome.Done && isNamed && passThru && !_sink.WhatIf)
            {
                _service.Invalidate();
                // A jail that existed only in the kernel is gone entirely; show it as stopped.
                _sink.WriteObject(_service.Get(name) ?? _service.AsStopped(jail));
            }
        }
        return stopped;
    }

    /// <summary>Why a dependent is stopped: the first jail after it in the order that it depends on.</summary>
    private string? StopReason(string dependent, List<string> order, int index)
    {
        if (_service.FindDefinition(dependent) is not { } def)
            return null;
        var needs = new HashSet<string>(JailService.DependNames(def), StringComparer.Ordinal);
        for (int j = index + 1; j < order.Count; j++)
            if (needs.Contains(order[j]))
                return $"it depends on \"{order[j]}\"";
        return null;
    }

    private Outcome StopOne(Jail jail, int? timeout, bool force, string? reason, Dictionary<string, Outcome> stopped)
    {
        try
        {
            foreach (string dependent in _service.DependentsToStopFirst(jail.Name))
            {
                if (!IsRunning(dependent))
                    continue;
                string why = stopped.TryGetValue(dependent, out var o) ? o switch
                {
                    Outcome.Declined => "you declined to stop it",
                    Outcome.Failed => "its stop failed",
                    _ => "it was not stopped either",
                } : "it is still running";
                _sink.Warning($"jail \"{jail.Name}\" is not stopped: \"{dependent}\" depends on it and {why}.");
                return Outcome.Skipped;
            }
            // Resolving the definition first refuses (JailParameterNotImplemented) a jail whose stop
            // would need steps JailPS does not have yet, such as removing interface aliases.
            var plan = Lifecycle.PlanStop(jail.Name, jail.Jid!.Value, SpecForStop(jail, force), timeout, force, jail.Path);
            if (!RunStopPlan(plan, reason) && !_sink.WhatIf)
                return Outcome.Declined;
        }
        catch (Exception ex) when (EngineErrors.IsEngineError(ex))
        {
            _sink.WriteError(ex, jail.Name);
            return Outcome.Failed;
        }
        _assumedRunning[jail.Name] = false;
        return Outcome.Done;
    }

    /// <summary>
    /// The definition a stop follows. One that can no longer be resolved (edited into an error
    /// since the jail started) must not make the jail unstoppable: with -Force the stop goes on
    /// from the kernel and the mount ledger alone (SIGTERM, jail_remove, the recorded unmounts,
    /// the getfsstat check), without the definition's exec.* commands, and says so; without
    /// -Force the error is the definition's, with the way out in its recommended action.
    /// </summary>
    private JailSpec? SpecForStop(Jail jail, bool force)
    {
        try
        {
            return _service.SpecOf(jail);
        }
        catch (Exception ex) when (EngineErrors.IsEngineError(ex) && force)
        {
            _sink.Warning($"jail \"{jail.Name}\": its definition cannot be used ({ex.Message}); it is stopped from the kernel and the mount ledger alone, without its exec.* commands.");
            return null;
        }
        catch (JailOperationException ex)
        {
            throw new JailOperationException(ex.ErrorId, jail.Name, ex.Message,
                $"Fix the definition, or run Stop-Jail {jail.Name} -Force to stop it from the kernel and the mount ledger without its exec.* commands.", ex) { TargetObject = ex.TargetObject };
        }
        catch (JailConfException ex)
        {
            throw new JailOperationException(ex.ErrorId, jail.Name, ex.Message,
                $"Fix {ex.File ?? "the definition file"} (line {ex.Line}), or run Stop-Jail {jail.Name} -Force to stop it from the kernel and the mount ledger without its exec.* commands.", ex);
        }
    }

    /// <summary>
    /// A named jail that is not running can still have mounts left: a stop that met a busy mount,
    /// or a jail removed with jail -R. Stopping it again finishes the unmounts.
    /// </summary>
    private void CleanUpStopped(Jail jail, bool force, bool passThru)
    {
        try
        {
            var cleanup = Lifecycle.PlanUnmountCleanup(jail.Name, SpecForStop(jail, force: true), jail.Path, force);
            if (JailLifecycle.HasUnmountWork(cleanup))
            {
                if (RunStopPlan(cleanup) && passThru && !_sink.WhatIf)
                {
                    _service.Invalidate();
                    _sink.WriteObject(_service.Get(jail.Name) ?? _service.AsStopped(jail));
                }
                return;
            }
            if (!force)
                throw new JailOperationException("JailNotRunning", jail.Name, $"jail \"{jail.Name}\" is not running.",
                    "Start it with Start-Jail, or use -Force to ignore stopped jails.");
        }
        catch (Exception ex) when (EngineErrors.IsEngineError(ex))
        {
            _sink.WriteError(ex, jail.Name);
        }
    }

    // ---- restart --------------------------------------------------------------------------

    /// <summary>
    /// Restart-Jail: stops the running named jails and the running jails that depend on them
    /// (dependents first), then starts the named jails and those dependents again (dependencies
    /// first, starting dependencies that are not running). Every jail is stopped and started at most
    /// once. A named jail must have a definition JailPS can start, checked before anything stops.
    /// </summary>
    public void Restart(IEnumerable<Jail> targets, int? timeout, bool force, bool passThru)
    {
        var named = new Dictionary<string, Jail>(StringComparer.Ordinal);
        var roots = new List<JailDefinition>();
        var stopOrder = new List<string>();
        foreach (var target in targets)
        {
            var jail = Try(target.Name, () => _service.Current(target));
            if (jail is null || named.ContainsKey(jail.Name))
                continue;
            bool ok = Try(jail.Name, () =>
            {
                var def = jail.Definition ?? (jail.DefinitionException is { } broken ? throw broken : throw NotDefined(jail.Name, "to start it again from"));
                // Checked first, so a jail JailPS could not start again is never stopped.
                JailSpec.Resolve(def, _host.Kernel.Catalog);
                _service.StartOrder(new[] { def });
                return AddStops(stopOrder, jail);
            }) is not null;
            if (!ok)
                continue;
            named[jail.Name] = jail;
            roots.Add(jail.Definition!);
        }
        // Only the named jails that run are stopped (AddStops also lists those that do not).
        var stops = StopInOrder(stopOrder, named, timeout, force, passThru: false, cleanUpStopped: false);

        var reasons = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = stopOrder.Count - 1; i >= 0; i--)
        {
            string name = stopOrder[i];
            if (named.ContainsKey(name) || !stops.TryGetValue(name, out var o) || o != Outcome.Done)
                continue;
            if (_service.FindDefinition(name) is not { } def)
                continue;
            roots.Add(def);
            if (StopReason(name, stopOrder, i) is { } reason)
                reasons[name] = reason;
        }
        StartInOrder(roots, new HashSet<string>(named.Keys, StringComparer.Ordinal), passThru, stops, reasons);
    }

    // ---- helpers --------------------------------------------------------------------------

    private bool IsRunning(string name)
        => _assumedRunning.TryGetValue(name, out bool running) ? running : _host.Kernel.GetByName(name) is not null;

    private static JailOperationException NotDefined(string name, string purpose) => new("JailNotDefined", name,
        $"jail \"{name}\" has no definition {purpose}.", "Define it with New-Jail or in jail.conf.");

    /// <summary>Runs one piece of work for a jail; an engine failure becomes that jail's error and the result null.</summary>
    private T? Try<T>(object target, Func<T?> work) where T : class
    {
        try
        {
            return work();
        }
        catch (Exception ex) when (EngineErrors.IsEngineError(ex))
        {
            _sink.WriteError(ex, target);
            return null;
        }
    }
}
