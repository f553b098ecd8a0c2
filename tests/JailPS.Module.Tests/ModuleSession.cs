using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text;
using JailPS.Module.Tests.Hosting;

namespace JailPS.Module.Tests;

/// <summary>
/// A PowerShell session with the built JailPS module imported, for running pipelines exactly
/// as a user types them:
/// <code>
/// using var session = new ModuleSession();
/// var result = session.Run("Get-Jail -Name web*");
/// Assert.False(result.HadErrors, result.ToString());
/// </code>
/// By default <c>$env:JAILPS_SIMULATED_HOST</c> points at a fresh temporary directory (deleted
/// on Dispose), so cmdlets act on the simulated host. Everything written to the host (-WhatIf
/// lines, prompts, Out-Default tables, warnings) is captured in <see cref="PSResult.HostText"/>;
/// queue answers for -Confirm prompts with <see cref="Answer"/>. A prompt with no queued answer
/// fails the command instead of hanging the test.
/// </summary>
public sealed class ModuleSession : IDisposable
{
    public const string SimulatedHostVariable = "JAILPS_SIMULATED_HOST";

    private readonly StringBuilder _hostText = new();
    private readonly Dictionary<string, string?> _savedEnvironment = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <param name="simulatedHost">Set $env:JAILPS_SIMULATED_HOST to a fresh temporary directory (true) or make sure it is unset (false).</param>
    /// <param name="importModule">Import JailPS (false: a bare engine, e.g. for importing something else).</param>
    public ModuleSession(bool simulatedHost = true, bool importModule = true)
    {
        ModuleManifest = RepoPaths.ModuleManifest;
        if (importModule && !File.Exists(ModuleManifest))
        {
            throw new InvalidOperationException(
                $"The JailPS module layout is missing: {ModuleManifest}. Build src/JailPS first (dotnet build); " +
                "tools/ModuleLayout.targets lays the module out there after the build.");
        }

        if (simulatedHost)
        {
            SimulatedHostPath = Path.Combine(Path.GetTempPath(), "jailps-test-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(SimulatedHostPath);
        }

        SetEnvironment(SimulatedHostVariable, SimulatedHostPath);

        Host = new TextHost(new StringWriter(_hostText), options: new TextHostOptions
        {
            StripAnsi = true,
            Width = 120,
            PromptMode = PromptMode.Fail,
            Name = "JailPS.Module.Tests",
        });

        Runspace = RunspaceFactory.CreateRunspace(Host, InitialSessionState.CreateDefault2());
        Runspace.Open();

        // Opening a runspace adds the user's and the machine's module folders to PSModulePath; pin it
        // to the layout's parent so nothing installed on this machine can be autoloaded.
        var moduleRoot = Path.GetDirectoryName(Path.GetDirectoryName(ModuleManifest)) ?? RepoPaths.Root;
        SetEnvironment("PSModulePath", moduleRoot);

        if (importModule)
        {
            var import = Run($"Import-Module -Name '{ModuleManifest.Replace("'", "''", StringComparison.Ordinal)}' -ErrorAction Stop");
            if (import.HadErrors)
            {
                var message = import.ToString();
                Dispose();
                throw new InvalidOperationException($"Import-Module {ModuleManifest} failed:\n{message}");
            }
        }
    }

    /// <summary>The simulated host's state directory, or null when the session runs without one.</summary>
    public string? SimulatedHostPath { get; }

    public string ModuleManifest { get; }

    public Runspace Runspace { get; }

    public TextHost Host { get; }

    /// <summary>Everything written to the host since the session started.</summary>
    public string AllHostText
    {
        get
        {
            lock (_hostText)
            {
                return _hostText.ToString();
            }
        }
    }

    /// <summary>Queues answers for the next PromptForChoice calls (-Confirm): "Y", "N", "A" (Yes to All), "L" (No to All) or a choice index.</summary>
    public ModuleSession Answer(params string[] answers)
    {
        foreach (var answer in answers)
        {
            Host.ChoiceAnswers.Enqueue(answer);
        }

        return this;
    }

    /// <summary>Sets a global variable, e.g. to hand an object to the next <see cref="Run"/>.</summary>
    public void SetVariable(string name, object? value) => Runspace.SessionStateProxy.SetVariable(name, value);

    public object? GetVariable(string name) => Runspace.SessionStateProxy.GetVariable(name);

    /// <summary>
    /// Runs <paramref name="script"/> at global scope. Terminating errors do not throw: they end
    /// up in <see cref="PSResult.Errors"/> like any other error.
    /// </summary>
    public PSResult Run(string script)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int start;
        lock (_hostText)
        {
            start = _hostText.Length;
        }

        using var ps = PowerShell.Create();
        ps.Runspace = Runspace;
        ps.AddScript(script, useLocalScope: false);
        // Collected as they are written, so output from before a terminating error is kept.
        using var collected = new PSDataCollection<PSObject>();
        var errors = new List<ErrorRecord>();
        var threw = false;
        try
        {
            ps.Invoke<PSObject, PSObject>(null, collected, null);
        }
        catch (RuntimeException ex)
        {
            threw = true;
            errors.Add(ex.ErrorRecord);
        }

        errors.InsertRange(0, ps.Streams.Error);
        var output = new Collection<PSObject>(collected.ToList());
        string hostText;
        lock (_hostText)
        {
            hostText = _hostText.ToString(start, _hostText.Length - start);
        }

        return new PSResult(
            output,
            errors,
            ps.Streams.Warning.ToList(),
            ps.Streams.Verbose.ToList(),
            ps.Streams.Debug.ToList(),
            ps.Streams.Information.ToList(),
            ps.Streams.Progress.ToList(),
            hostText,
            ps.HadErrors || threw || errors.Count > 0);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Runspace.Dispose();
        foreach (var (name, value) in _savedEnvironment)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        if (SimulatedHostPath is not null)
        {
            try
            {
                Directory.Delete(SimulatedHostPath, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private void SetEnvironment(string name, string? value)
    {
        if (!_savedEnvironment.ContainsKey(name))
        {
            _savedEnvironment[name] = Environment.GetEnvironmentVariable(name);
        }

        Environment.SetEnvironmentVariable(name, value);
    }
}

/// <summary>What one <see cref="ModuleSession.Run"/> produced.</summary>
public sealed class PSResult
{
    public PSResult(
        Collection<PSObject> output,
        IReadOnlyList<ErrorRecord> errors,
        IReadOnlyList<WarningRecord> warnings,
        IReadOnlyList<VerboseRecord> verbose,
        IReadOnlyList<DebugRecord> debug,
        IReadOnlyList<InformationRecord> information,
        IReadOnlyList<ProgressRecord> progress,
        string hostText,
        bool hadErrors)
    {
        Progress = progress;
        Output = output;
        Errors = errors;
        Warnings = warnings;
        Verbose = verbose;
        Debug = debug;
        Information = information;
        HostText = hostText;
        HadErrors = hadErrors;
    }

    public Collection<PSObject> Output { get; }

    public IReadOnlyList<ErrorRecord> Errors { get; }

    public IReadOnlyList<WarningRecord> Warnings { get; }

    public IReadOnlyList<VerboseRecord> Verbose { get; }

    public IReadOnlyList<DebugRecord> Debug { get; }

    public IReadOnlyList<InformationRecord> Information { get; }

    /// <summary>Write-Progress records, in order (a Completed record closes a bar).</summary>
    public IReadOnlyList<ProgressRecord> Progress { get; }

    /// <summary>Text written to the host during this run: What if: lines, prompts, Out-Default output, warnings.</summary>
    public string HostText { get; }

    public bool HadErrors { get; }

    /// <summary>The base objects of <see cref="Output"/> (a CLR object, or the PSObject itself for pscustomobject).</summary>
    public IEnumerable<object> Objects => Output.Select(o => o.BaseObject is PSCustomObject ? o : o.BaseObject);

    /// <summary>Output of type <typeparamref name="T"/>.</summary>
    public IEnumerable<T> OfType<T>() => Output.Select(o => o.BaseObject).OfType<T>();

    /// <summary>Throws with the error details when the run had errors; returns itself otherwise.</summary>
    public PSResult EnsureSuccess()
    {
        if (HadErrors)
        {
            throw new Xunit.Sdk.XunitException("The script had errors:\n" + ToString());
        }

        return this;
    }

    /// <summary>Errors, warnings and host text, for assertion messages.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append($"{Output.Count} output object(s), {Errors.Count} error(s), {Warnings.Count} warning(s)\n");
        foreach (var error in Errors)
        {
            sb.Append(ErrorText.Format(error));
        }

        foreach (var warning in Warnings)
        {
            sb.Append("WARNING: ").Append(warning.Message).Append('\n');
        }

        if (HostText.Length > 0)
        {
            sb.Append("--- host ---\n").Append(HostText);
        }

        return sb.ToString();
    }
}

/// <summary>Helpers for reading values out of PowerShell output in assertions.</summary>
public static class PSValue
{
    /// <summary>The object under any PSObject wrapper.</summary>
    public static object? Base(object? value) => value is PSObject p ? p.BaseObject : value;

    /// <summary>A property of an output object, unwrapped.</summary>
    public static object? Property(PSObject item, string name) => Base(item.Properties[name]?.Value);

    /// <summary>A scalar or a collection as a list of strings.</summary>
    public static IReadOnlyList<string> Strings(object? value) => Base(value) switch
    {
        null => Array.Empty<string>(),
        string s => new[] { s },
        System.Collections.IEnumerable items => items.Cast<object?>().Select(i => Base(i)?.ToString() ?? string.Empty).ToList(),
        var other => new[] { other.ToString() ?? string.Empty },
    };
}
