using System;
using System.Collections.Generic;
using System.Linq;

namespace JailPS.Core.Lifecycle;

/// <summary>Where the engine reports progress; the cmdlets map it to Write-Verbose/Warning/Debug/Progress.</summary>
public interface IJailOutput
{
    void Verbose(string message);
    void Warning(string message);
    void Debug(string message);

    /// <summary>A long wait: what it waits for and how far it is (Write-Progress). Called on the caller's thread.</summary>
    void Progress(JailProgress progress) { }

    /// <summary>
    /// One line an exec.* hook wrote, as it arrives, on the caller's thread (the cmdlets make it an
    /// Information record tagged with the jail, the hook and the stream). Lines an in-jail command
    /// wrote to exec.consolelog do not come here: they went to that file, as with jail(8).
    /// </summary>
    void HookOutput(JailHookOutput line) { }
}

/// <summary>
/// One progress report of a long wait. Each kind of wait has its own <see cref="ActivityId"/> so
/// nested waits (a stop inside a restart) show as separate bars; <see cref="Completed"/> closes the bar.
/// </summary>
public sealed record JailProgress(int ActivityId, string Activity, string Status)
{
    public const int StopWaitActivity = 0x4a50_0001;
    public const int WaitJailActivity = 0x4a50_0002;
    public const int InvokeActivity = 0x4a50_0003;

    /// <summary>0-100, or -1 when unknown.</summary>
    public int PercentComplete { get; init; } = -1;

    /// <summary>Seconds until the wait gives up, or -1 when it has no limit.</summary>
    public int SecondsRemaining { get; init; } = -1;

    public bool Completed { get; init; }

    /// <summary>How far along a wait with a deadline is, for a progress bar.</summary>
    public static JailProgress Waiting(int activityId, string activity, string status, DateTime startUtc, DateTime deadlineUtc)
    {
        if (deadlineUtc == DateTime.MaxValue)
            return new JailProgress(activityId, activity, status);
        double total = (deadlineUtc - startUtc).TotalSeconds;
        double left = Math.Max(0, (deadlineUtc - DateTime.UtcNow).TotalSeconds);
        int percent = total <= 0 ? 100 : (int)Math.Clamp(100 * (total - left) / total, 0, 100);
        return new JailProgress(activityId, activity, status) { PercentComplete = percent, SecondsRemaining = (int)Math.Ceiling(left) };
    }

    public JailProgress Complete() => this with { Completed = true, PercentComplete = 100, SecondsRemaining = -1 };
}

/// <summary>An output that drops everything (tests, and callers that do not care).</summary>
public sealed class NullJailOutput : IJailOutput
{
    public static readonly NullJailOutput Instance = new();
    public void Verbose(string message) { }
    public void Warning(string message) { }
    public void Debug(string message) { }
}

/// <summary>One step of a plan: what it does, how to do it and, when it changes the host, how to undo it.</summary>
public sealed class PlanStep
{
    public PlanStep(string name, string description, Action execute, Action? undo = null, string? undoDescription = null)
    {
        Name = name;
        Description = description;
        Execute = execute;
        Undo = undo;
        UndoDescription = undoDescription;
    }

    /// <summary>The jail(8) step it stands for: "exec.prestart", "jail_set", "exec.start", ...</summary>
    public string Name { get; }

    /// <summary>Exactly what the step does (the parameter list, the command), shown by -WhatIf.</summary>
    public string Description { get; }

    public Action Execute { get; }
    public Action? Undo { get; }
    public string? UndoDescription { get; }

    public override string ToString() => $"{Name}: {Description}";
}

/// <summary>An ordered list of steps for one jail and one operation, in jail(8)'s order.</summary>
public sealed class JailPlan
{
    public JailPlan(string jailName, string operation)
    {
        JailName = jailName;
        Operation = operation;
    }

    public string JailName { get; }

    /// <summary>What the plan changes, for its heading ("jail", or "release" for Save-JailRelease).</summary>
    public string Subject { get; init; } = "jail";

    /// <summary>The name the plan is locked under (the jail's name; a release locks "release-NAME-ARCH").</summary>
    public string LockName { get => _lockName ?? JailName; init => _lockName = value; }

    private readonly string? _lockName;

    /// <summary>"start", "stop", "create", "remove", "update".</summary>
    public string Operation { get; }

    public List<PlanStep> Steps { get; } = new();

    /// <summary>Warnings found while planning (shown with -WhatIf too).</summary>
    public List<string> Notes { get; } = new();

    /// <summary>
    /// For an update of a running jail: the create-only parameters (CTLFLAG_RDTUN) whose new value
    /// differs from the kernel's. jail(8) -m refuses such a change; -mr restarts the jail for it.
    /// </summary>
    public List<string> CreateOnlyChanges { get; } = new();

    /// <summary>
    /// Checked again once the jail's lock is held, before the first step: the state the plan was
    /// made for (the jail stopped, or running with the same jid). Another command may have changed
    /// it while this one waited for the lock; the check then throws the error that state deserves,
    /// and no step runs twice.
    /// </summary>
    public Action? Precondition { get; set; }

    /// <summary>
    /// Run after the plan whatever its outcome (closing the jail descriptors its steps and its
    /// precondition took): by the plan runner, or by the orchestrator when the precondition fails.
    /// </summary>
    public List<Action> Finally { get; } = new();

    /// <summary>
    /// Set for an operation that cannot be undone, such as a stop (its processes are killed, the jail
    /// is removed): after a failure, <see cref="PlanRunner"/> asks it, with the failed step, what the
    /// host is left with and how to finish, and the error says that instead of what was rolled back.
    /// </summary>
    public Func<PlanStep, PlanOutcome>? AfterFailure { get; set; }

    public PlanStep Add(string name, string description, Action execute, Action? undo = null, string? undoDescription = null)
    {
        var step = new PlanStep(name, description, execute, undo, undoDescription);
        Steps.Add(step);
        return step;
    }

    /// <summary>One line per step, numbered, for -WhatIf and -Verbose.</summary>
    public IReadOnlyList<string> Describe()
    {
        var lines = new List<string>(Steps.Count);
        for (int i = 0; i < Steps.Count; i++)
            lines.Add($"{i + 1}. {Steps[i].Name}: {Steps[i].Description}");
        return lines;
    }

    /// <summary>
    /// The plan as ShouldProcess shows it: a heading with the action, the jail, why the command
    /// acts on it (<paramref name="reason"/>, e.g. "a dependency of \"app\"") and the host, then
    /// the numbered steps and the notes. -WhatIf prints it; -Confirm asks with it (<see cref="Question"/>).
    /// </summary>
    public string Render(string action, string computerName, string? reason = null)
    {
        var lines = new List<string> { $"{Heading(action, reason)} on {computerName}:" };
        foreach (var l in Describe()) lines.Add("  " + l.Replace("\n", "\n      "));
        foreach (var n in Notes) lines.Add("  note: " + n);
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>One line for -Verbose: "Start jail \"web\" on HOST: 2 steps" (the steps report themselves as they run).</summary>
    public string Summary(string action, string computerName, string? reason = null)
        => $"{Heading(action, reason)} on {computerName}: {Steps.Count} step{(Steps.Count == 1 ? "" : "s")}";

    /// <summary>What -Confirm asks: the whole plan, then "Start jail \"db\" (a dependency of \"app\")?".</summary>
    public string Question(string action, string computerName, string? reason = null)
        => Render(action, computerName, reason) + Environment.NewLine + Heading(action, reason) + "?";

    private string Heading(string action, string? reason)
        => $"{action} {Subject} \"{JailName}\"" + (reason is null ? "" : $" ({reason})");
}

/// <summary>What a failed plan that cannot be undone left behind (<see cref="State"/>) and what finishes it (<see cref="NextStep"/>).</summary>
public sealed record PlanOutcome(string State, string? NextStep);

/// <summary>
/// A plan failed: the step, the cause, and what the undo journal rolled back; for a plan that
/// cannot be undone (<see cref="JailPlan.AfterFailure"/>), what was done, what was not, what is
/// left and how to finish instead.
/// </summary>
public sealed class JailPlanException : Exception
{
    public JailPlanException(JailPlan plan, PlanStep failedStep, Exception cause,
        IReadOnlyList<string> rolledBack, IReadOnlyList<string> rollbackFailures, PlanOutcome? outcome = null)
        : base(Compose(plan, failedStep, cause, rolledBack, rollbackFailures, outcome), cause)
    {
        JailName = plan.JailName;
        Operation = plan.Operation;
        FailedStep = failedStep.Name;
        RolledBack = rolledBack;
        RollbackFailures = rollbackFailures;
        int at = plan.Steps.IndexOf(failedStep);
        Done = at < 0 ? Array.Empty<string>() : plan.Steps.Take(at).Select(s => s.Name).ToArray();
        NotDone = at < 0 ? Array.Empty<string>() : plan.Steps.Skip(at + 1).Select(s => s.Name).ToArray();
        State = outcome?.State;
        NextStep = outcome?.NextStep;
    }

    public string JailName { get; }
    public string Operation { get; }
    public string FailedStep { get; }
    public IReadOnlyList<string> RolledBack { get; }
    public IReadOnlyList<string> RollbackFailures { get; }

    /// <summary>The steps that completed before the failed one, in order.</summary>
    public IReadOnlyList<string> Done { get; }

    /// <summary>The steps after the failed one, which did not run.</summary>
    public IReadOnlyList<string> NotDone { get; }

    /// <summary>For a plan that cannot be undone: what the host is left with ("the jail is removed from the kernel; still mounted: ...").</summary>
    public string? State { get; }

    /// <summary>For a plan that cannot be undone: what finishes it ("Run Stop-Jail web again ...").</summary>
    public string? NextStep { get; }

    private static string Compose(JailPlan plan, PlanStep step, Exception cause, IReadOnlyList<string> rolledBack, IReadOnlyList<string> failures, PlanOutcome? outcome)
    {
        string text = $"{plan.Operation} of {plan.Subject} \"{plan.JailName}\" failed at {step.Name}: {cause.Message}";
        if (outcome is null)
        {
            text += rolledBack.Count == 0 ? " Nothing had to be rolled back." : " Rolled back: " + string.Join("; ", rolledBack) + ".";
        }
        else
        {
            // Nothing of it can be undone: say what was done, what was not, what is left and how to finish.
            int at = plan.Steps.IndexOf(step);
            var done = plan.Steps.Take(Math.Max(at, 0)).Select(s => s.Name).ToList();
            var notDone = at < 0 ? new List<string>() : plan.Steps.Skip(at + 1).Select(s => s.Name).ToList();
            text = EndSentence(text);
            text += done.Count == 0 ? " Nothing was done before it." : " Done before it: " + Steps(done) + ".";
            if (notDone.Count > 0) text += " Not done: " + Steps(notDone) + ".";
            text += " " + EndSentence(outcome.State);
            if (outcome.NextStep != null) text += " " + EndSentence(outcome.NextStep);
        }
        if (failures.Count > 0)
            text += " ROLLBACK INCOMPLETE: " + string.Join("; ", failures) + ".";
        return text;
    }

    private static string EndSentence(string text) => text.EndsWith('.') ? text : text + ".";

    /// <summary>Step names in order, repeats of one name counted: "exec.poststop, unmount (3), check mounts".</summary>
    private static string Steps(List<string> names)
    {
        var parts = new List<string>();
        for (int i = 0; i < names.Count;)
        {
            int j = i;
            while (j < names.Count && names[j] == names[i]) j++;
            parts.Add(j - i == 1 ? names[i] : $"{names[i]} ({j - i})");
            i = j;
        }
        return string.Join(", ", parts);
    }
}

/// <summary>Runs a plan with an undo journal: on failure the completed steps are undone in reverse.</summary>
public static class PlanRunner
{
    public static void Execute(JailPlan plan, IJailOutput output)
    {
        try
        {
            ExecuteSteps(plan, output);
        }
        finally
        {
            foreach (var release in plan.Finally) release();
        }
    }

    private static void ExecuteSteps(JailPlan plan, IJailOutput output)
    {
        var journal = new Stack<PlanStep>();
        foreach (var step in plan.Steps)
        {
            output.Verbose($"{plan.Subject} {plan.JailName}: {step.Name}: {step.Description}");
            try
            {
                step.Execute();
            }
            catch (Exception ex)
            {
                var (rolledBack, failures) = RollBack(journal, output, $"{plan.Subject} {plan.JailName}", _ => true);
                PlanOutcome? outcome = null;
                if (plan.AfterFailure is { } after)
                {
                    try
                    {
                        outcome = after(step);
                    }
                    catch (Exception readError) when (EngineErrors.IsEngineError(readError))
                    {
                        outcome = new PlanOutcome($"What is left could not be read ({readError.Message})", null);
                    }
                }
                throw new JailPlanException(plan, step, ex, rolledBack, failures, outcome);
            }
            journal.Push(step);
        }
    }

    /// <summary>
    /// Undoes the completed steps newest first. An undo that fails with an exception
    /// <paramref name="reported"/> accepts is listed as a failure and the rest still run.
    /// </summary>
    public static (List<string> RolledBack, List<string> Failures) RollBack(Stack<PlanStep> journal, IJailOutput output, string logPrefix, Func<Exception, bool> reported)
    {
        var rolledBack = new List<string>();
        var failures = new List<string>();
        while (journal.Count > 0)
        {
            var done = journal.Pop();
            if (done.Undo is null) continue;
            string what = done.UndoDescription ?? ("undo " + done.Name);
            try
            {
                output.Verbose($"{logPrefix}: rollback: {what}");
                done.Undo();
                rolledBack.Add(what);
            }
            catch (Exception undoError) when (reported(undoError))
            {
                failures.Add($"{what}: {undoError.Message}");
            }
        }
        return (rolledBack, failures);
    }
}
