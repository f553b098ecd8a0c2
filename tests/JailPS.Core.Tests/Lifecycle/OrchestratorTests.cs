using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Tests.Lifecycle;

/// <summary>
/// The orchestration of Start-, Stop- and Restart-Jail over a set of jails tied by depend, through
/// a command sink that records prompts, errors and output and answers ShouldProcess from a queue.
/// </summary>
public sealed class OrchestratorTests : IDisposable
{
    private readonly SimulatedHostFixture _f = new();
    private readonly Sink _sink = new();

    public void Dispose() => _f.Dispose();

    internal sealed class Sink : IJailCommandSink
    {
        public bool WhatIf { get; set; }
        public Queue<bool> Answers { get; } = new();
        public List<string> Descriptions { get; } = new();
        public List<string> Questions { get; } = new();
        public List<string> Summaries { get; } = new();
        public List<(Exception Error, object? Target)> Errors { get; } = new();
        public List<object> Output { get; } = new();
        public List<string> Warnings { get; } = new();

        public bool ShouldProcess(string description, string summary, string question)
        {
            Descriptions.Add(description);
            Summaries.Add(summary);
            Questions.Add(question);
            return !WhatIf && (Answers.Count == 0 || Answers.Dequeue());
        }

        public void WriteError(Exception error, object? target) => Errors.Add((error, target));
        public void WriteObject(object item) => Output.Add(item);
        public void Verbose(string message) { }
        public void Warning(string message) => Warnings.Add(message);
        public void Debug(string message) { }

        /// <summary>"Start db", "Stop app", ... from each plan's heading, in the order asked.</summary>
        public string[] Steps() => Descriptions.Select(d => d.Split('\n')[0]).Select(h =>
        {
            var words = h.Split(' ');
            return words[0] + " " + words[2].Trim('"');
        }).ToArray();

        public string[] OutputNames() => Output.OfType<Jail>().Select(j => j.Name).ToArray();
    }

    private JailOrchestrator Orchestrator() => new(_f.Service, _sink);

    /// <summary>db; web1 and web2 depend on db; app depends on web1 and db.</summary>
    private void DefineStack()
    {
        _f.Define("db", "persist;");
        _f.Define("web1", "persist;\ndepend = db;");
        _f.Define("web2", "persist;\ndepend = db;");
        _f.Define("app", "persist;\ndepend = web1, db;");
    }

    private Jail[] Jails(params string[] names) => names.Select(n => _f.Service.Get(n)!).ToArray();

    private void StartAll()
    {
        Orchestrator().Start(Jails("db", "web1", "web2", "app"), force: false, passThru: false);
        _sink.Descriptions.Clear();
        _sink.Questions.Clear();
        Assert.Empty(_sink.Errors);
    }

    private int Jid(string name) => _f.Host.Kernel.GetByName(name)!.Jid;

    [Fact]
    public void Start_acts_once_per_jail_in_dependency_order_whatever_order_the_jails_are_named_in()
    {
        DefineStack();
        Orchestrator().Start(Jails("app", "db", "web1", "web2"), force: false, passThru: true);
        Assert.Empty(_sink.Errors);
        Assert.Equal(new[] { "Start web1", "Start db", "Start app", "Start web2" }.OrderBy(s => s), _sink.Steps().OrderBy(s => s));
        var steps = _sink.Steps();
        Assert.True(Array.IndexOf(steps, "Start db") < Array.IndexOf(steps, "Start web1"));
        Assert.True(Array.IndexOf(steps, "Start web1") < Array.IndexOf(steps, "Start app"));
        Assert.Equal(new[] { "app", "db", "web1", "web2" }, _sink.OutputNames().OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(4, _f.RunningCount());
    }

    [Fact]
    public void Stop_stops_running_dependents_first_and_a_named_dependent_is_no_error()
    {
        DefineStack();
        StartAll();
        Orchestrator().Stop(Jails("db", "web1", "app"), timeout: 0, force: false, passThru: true);
        Assert.Empty(_sink.Errors);
        var steps = _sink.Steps();
        Assert.Equal(4, steps.Length);
        Assert.Equal("Stop db", steps[^1]);
        Assert.True(Array.IndexOf(steps, "Stop app") < Array.IndexOf(steps, "Stop web1"));
        Assert.Equal(new[] { "app", "db", "web1" }, _sink.OutputNames().OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(0, _f.RunningCount());
    }

    [Fact]
    public void Restart_stops_and_starts_every_jail_once()
    {
        DefineStack();
        StartAll();
        _f.Sim.Kernel.ResetCounts();
        Orchestrator().Restart(Jails("app", "db", "web1", "web2"), timeout: 0, force: false, passThru: true);
        Assert.Empty(_sink.Errors);
        Assert.Equal(8, _sink.Descriptions.Count);
        Assert.Equal(4, _sink.Steps().Count(s => s.StartsWith("Stop ", StringComparison.Ordinal)));
        Assert.Equal(4, _sink.OutputNames().Distinct().Count());
        Assert.Equal(new[] { 5, 6, 7, 8 }, new[] { "app", "db", "web1", "web2" }.Select(Jid).OrderBy(j => j));
        Assert.True(Jid("db") < Jid("web1") && Jid("web1") < Jid("app"));
    }

    [Fact]
    public void WhatIf_shows_every_plan_once_and_changes_nothing()
    {
        DefineStack();
        StartAll();
        _sink.WhatIf = true;
        Orchestrator().Restart(Jails("app", "db", "web1", "web2"), timeout: 0, force: false, passThru: true);
        Assert.Equal(8, _sink.Steps().Distinct().Count());
        Assert.Equal(8, _sink.Descriptions.Count);
        Assert.Empty(_sink.Output);
        Assert.Equal(new[] { 1, 2, 3, 4 }, new[] { "app", "db", "web1", "web2" }.Select(Jid).OrderBy(j => j));
    }

    [Fact]
    public void The_question_holds_the_whole_plan_and_says_why_a_jail_is_part_of_the_command()
    {
        _f.Define("db", "persist;\nexec.start = \"/bin/sh /etc/rc\";");
        _f.Define("app", "persist;\ndepend = db;");
        Orchestrator().Start(Jails("app"), force: false, passThru: false);
        string q = _sink.Questions[0];
        Assert.StartsWith("Start jail \"db\" (a dependency of \"app\") on ", q);
        Assert.Contains("jail_set(JAIL_CREATE) name=db", q);
        Assert.Contains("exec.start: in jail: /bin/sh /etc/rc", q);
        Assert.EndsWith(Environment.NewLine + "Start jail \"db\" (a dependency of \"app\")?", q);
        Assert.Equal(_sink.Descriptions[0] + Environment.NewLine + "Start jail \"db\" (a dependency of \"app\")?", q);
    }

    [Fact]
    public void A_declined_dependency_skips_what_needs_it_with_a_warning_and_the_rest_goes_on()
    {
        DefineStack();
        _sink.Answers.Enqueue(false); // db
        Orchestrator().Start(Jails("app", "web2"), force: false, passThru: true);
        Assert.Empty(_sink.Errors);
        Assert.Equal(new[] { "Start db" }, _sink.Steps());
        Assert.Equal(new[]
        {
            "jail \"web1\" is not started: it depends on \"db\", which you declined to start.",
            "jail \"app\" is not started: it depends on \"web1\", which was not started either.",
            "jail \"web2\" is not started: it depends on \"db\", which you declined to start.",
        }, _sink.Warnings);
        Assert.Equal(0, _f.RunningCount());
    }

    [Fact]
    public void A_failed_dependency_is_its_own_error_and_the_jail_that_needs_it_is_skipped()
    {
        _f.Define("db", "persist;\nexec.start = \"/bin/sh /etc/rc\";");
        _f.Define("app", "persist;\ndepend = db;");
        _f.Sim.Processes.AddResponse(new SimulatedResponse { Jail = "db", Purpose = "exec.start", ExitCode = 1 });
        Orchestrator().Start(Jails("app"), force: false, passThru: true);
        var (error, target) = Assert.Single(_sink.Errors);
        Assert.Equal("db", target);
        Assert.Equal("JailCommandFailed", ((JailOperationException)error.InnerException!).ErrorId);
        Assert.Equal(new[] { "jail \"app\" is not started: it depends on \"db\", which failed to start." }, _sink.Warnings);
        Assert.Empty(_sink.Output);
    }

    [Fact]
    public void A_declined_dependent_keeps_the_jail_it_needs_running()
    {
        DefineStack();
        StartAll();
        _sink.Answers.Enqueue(false); // app
        Orchestrator().Stop(Jails("db"), timeout: 0, force: false, passThru: true);
        Assert.Empty(_sink.Errors);
        Assert.Contains("jail \"db\" is not stopped: \"app\" depends on it and you declined to stop it.", _sink.Warnings);
        Assert.Empty(_sink.Output);
        Assert.NotNull(_f.Host.Kernel.GetByName("db"));
        Assert.NotNull(_f.Host.Kernel.GetByName("app"));
    }

    [Fact]
    public void Restart_with_the_named_jails_stop_declined_starts_its_stopped_dependents_again()
    {
        _f.Define("db", "persist;");
        _f.Define("app", "persist;\ndepend = db;");
        Orchestrator().Start(Jails("app"), force: false, passThru: false);
        int db = Jid("db");
        _sink.Descriptions.Clear();
        _sink.Answers.Enqueue(true);  // stop app
        _sink.Answers.Enqueue(false); // stop db
        Orchestrator().Restart(Jails("db"), timeout: 0, force: false, passThru: true);
        Assert.Equal(new[] { "Stop app", "Stop db", "Start app" }, _sink.Steps());
        Assert.Equal(db, Jid("db"));
        Assert.NotNull(_f.Host.Kernel.GetByName("app"));
        Assert.Empty(_sink.Output);
    }

    [Fact]
    public void A_plan_whose_jail_another_command_started_meanwhile_runs_no_step()
    {
        var def = _f.Define("web", "\texec.start = \"/bin/sh /etc/rc\";\n\tpersist;");
        var orchestrator = new JailOrchestrator(_f.Service, _sink);
        var stale = orchestrator.Lifecycle.PlanStart(_f.Spec(def));
        // Another command starts the jail while this one waits for the lock.
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        var ex = Assert.Throws<JailOperationException>(() => orchestrator.RunPlan(stale, "Start"));
        Assert.Equal("JailAlreadyRunning", ex.ErrorId);
        Assert.Single(_f.CommandPurposes(), p => p == "exec.start");
    }

    [Fact]
    public void A_stop_plan_for_a_jail_that_was_replaced_meanwhile_runs_no_step()
    {
        var def = _f.Define("web", "\texec.stop = \"/bin/sh /etc/rc.shutdown\";\n\tpersist;");
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        int jid = _f.Host.Kernel.GetByName("web")!.Jid;
        var orchestrator = new JailOrchestrator(_f.Service, _sink);
        var stale = orchestrator.Lifecycle.PlanStop("web", jid, _f.Spec(def), 0, force: false);
        // Another command restarts it: same name, new jid.
        PlanRunner.Execute(_f.Lifecycle().PlanStop("web", jid, _f.Spec(def), 0, force: false), _f);
        PlanRunner.Execute(_f.Lifecycle().PlanStart(_f.Spec(def)), _f);
        Assert.NotEqual(jid, _f.Host.Kernel.GetByName("web")!.Jid);
        var ex = Assert.Throws<JailOperationException>(() => orchestrator.RunPlan(stale, "Stop"));
        Assert.Equal("JailNotRunning", ex.ErrorId);
        Assert.NotNull(_f.Host.Kernel.GetByName("web"));
        Assert.Single(_f.CommandPurposes(), p => p == "exec.stop");
    }
}
