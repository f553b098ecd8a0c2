using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

// Shared by jailps (src/JailPS.Shell) and the module tests (linked into tests/JailPS.Module.Tests).
namespace JailPS.Module.Tests.Hosting;

/// <summary>What a <see cref="TextHost"/> does with a prompt that no queued answer covers.</summary>
public enum PromptMode
{
    /// <summary>Take the prompt's default choice (jailps when stdin is not a terminal).</summary>
    Default,

    /// <summary>Ask on the console and read the answer from the input reader (jailps on a terminal).</summary>
    Console,

    /// <summary>Fail the prompt with an error (tests, and jailps -NonInteractive).</summary>
    Fail,
}

public sealed class TextHostOptions
{
    /// <summary>Remove ANSI escape sequences (table header styles etc.) from everything written.</summary>
    public bool StripAnsi { get; init; } = true;

    /// <summary>Width the formatter lays tables out for.</summary>
    public int Width { get; init; } = 120;

    public PromptMode PromptMode { get; init; } = PromptMode.Fail;

    /// <summary>Where <see cref="PromptMode.Console"/> reads answers and ReadLine reads lines.</summary>
    public TextReader? Input { get; init; }

    public string Name { get; init; } = "jailps";
}

/// <summary>
/// A PowerShell host that writes everything as plain text: pipeline output rendered by
/// Out-Default, warnings, verbose and debug lines, -WhatIf messages and prompts go to
/// <c>output</c>; error lines go to <c>error</c> (the same writer is fine). Queued answers
/// reply to PromptForChoice (e.g. -Confirm) in order.
/// </summary>
public sealed class TextHost : PSHost
{
    private readonly TextHostUserInterface _ui;
    private readonly Guid _instanceId = Guid.NewGuid();

    public TextHost(TextWriter output, TextWriter? error = null, TextHostOptions? options = null)
    {
        Options = options ?? new TextHostOptions();
        _ui = new TextHostUserInterface(this, output, error ?? output);
    }

    public TextHostOptions Options { get; }

    /// <summary>Answers for PromptForChoice, consumed in order: a hotkey ("Y"), a label ("Yes to All") or an index ("0").</summary>
    public Queue<string> ChoiceAnswers { get; } = new();

    /// <summary>Every prompt shown, in order, as "caption: message".</summary>
    public List<string> Prompts { get; } = new();

    /// <summary>Set when the engine asked the host to exit (top-level <c>exit N</c>).</summary>
    public bool ShouldExit { get; private set; }

    public int ExitCode { get; private set; }

    public override string Name => Options.Name;

    public override Version Version { get; } = typeof(TextHost).Assembly.GetName().Version ?? new Version(0, 1);

    public override Guid InstanceId => _instanceId;

    public override PSHostUserInterface UI => _ui;

    public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;

    public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;

    public override void SetShouldExit(int exitCode)
    {
        ShouldExit = true;
        ExitCode = exitCode;
    }

    public override void EnterNestedPrompt() =>
        throw new PSNotSupportedException($"{Name} does not support nested prompts.");

    public override void ExitNestedPrompt() =>
        throw new PSNotSupportedException($"{Name} does not support nested prompts.");

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }
}

public sealed class TextHostUserInterface : PSHostUserInterface
{
    private readonly TextHost _host;
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly TextHostRawUserInterface _raw;
    private readonly object _lock = new();

    internal TextHostUserInterface(TextHost host, TextWriter output, TextWriter error)
    {
        _host = host;
        _out = output;
        _err = error;
        _raw = new TextHostRawUserInterface(host.Options.Width);
    }

    public override PSHostRawUserInterface RawUI => _raw;

    public override bool SupportsVirtualTerminal => !_host.Options.StripAnsi;

    private string Render(string? text) =>
        text is null ? string.Empty : GetOutputString(text, supportsVirtualTerminal: !_host.Options.StripAnsi);

    private void Out(string text)
    {
        lock (_lock)
        {
            _out.Write(text);
        }
    }

    private void Err(string text)
    {
        lock (_lock)
        {
            _err.Write(text);
        }
    }

    public override void Write(string value) => Out(Render(value));

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Out(Render(value));

    public override void WriteLine() => Out("\n");

    public override void WriteLine(string value) => Out(Render(value) + "\n");

    public override void WriteLine(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Out(Render(value) + "\n");

    public override void WriteErrorLine(string value) => Err(Render(value) + "\n");

    public override void WriteWarningLine(string message) => Out("WARNING: " + Render(message) + "\n");

    public override void WriteVerboseLine(string message) => Out("VERBOSE: " + Render(message) + "\n");

    public override void WriteDebugLine(string message) => Out("DEBUG: " + Render(message) + "\n");

    public override void WriteProgress(long sourceId, ProgressRecord record)
    {
        // Plain text output has no progress bar; progress is transient by design.
    }

    public override void WriteInformation(InformationRecord record)
    {
        // As pwsh's console host: the engine hands every information record here, whatever the
        // preference, and shows only what should be seen through Write/WriteLine (Write-Host, and
        // any record under -InformationAction Continue). Printing here too would show records a
        // user never sees, and show the visible ones twice.
    }

    public override string ReadLine()
    {
        var input = RequireInput("read a line");
        return input.ReadLine() ?? string.Empty;
    }

    public override SecureString ReadLineAsSecureString()
    {
        var line = ReadLine();
        var secure = new SecureString();
        foreach (var c in line)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
    {
        _host.Prompts.Add(Join(caption, message));
        var input = RequireInput("prompt for " + string.Join(", ", descriptions.Select(d => d.Name)));
        WriteCaption(caption, message);
        var result = new Dictionary<string, PSObject>(StringComparer.OrdinalIgnoreCase);
        foreach (var field in descriptions)
        {
            Out(field.Name + ": ");
            result[field.Name] = PSObject.AsPSObject(input.ReadLine() ?? string.Empty);
        }

        return result;
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        throw NotInteractive("prompt for a credential");

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
        PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
        throw NotInteractive("prompt for a credential");

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        _host.Prompts.Add(Join(caption, message));
        WriteCaption(caption, message);
        var menu = string.Join("  ", choices.Select(c => $"[{HotKey(c)}] {Label(c)}"));
        var defaultText = defaultChoice >= 0 && defaultChoice < choices.Count ? $" (default is \"{HotKey(choices[defaultChoice])}\")" : string.Empty;
        Out($"{menu}  [?] Help{defaultText}: ");

        if (_host.ChoiceAnswers.Count > 0)
        {
            var answer = _host.ChoiceAnswers.Dequeue();
            var index = Match(choices, answer);
            if (index < 0)
            {
                Out(answer + "\n");
                throw new PSArgumentException($"The queued answer '{answer}' matches none of the choices: {menu}");
            }

            Out(answer + "\n");
            return index;
        }

        switch (_host.Options.PromptMode)
        {
            case PromptMode.Console when _host.Options.Input is { } input:
                while (true)
                {
                    var line = input.ReadLine();
                    if (line is null || line.Trim().Length == 0)
                    {
                        if (defaultChoice >= 0)
                        {
                            if (line is null)
                            {
                                Out("\n");
                            }

                            return defaultChoice;
                        }

                        if (line is null)
                        {
                            throw NotInteractive("answer the prompt (end of input)");
                        }

                        continue;
                    }

                    if (line.Trim() == "?")
                    {
                        foreach (var c in choices)
                        {
                            Out($"{HotKey(c)} - {c.HelpMessage}\n");
                        }

                        Out($"{menu}  [?] Help{defaultText}: ");
                        continue;
                    }

                    var index = Match(choices, line.Trim());
                    if (index >= 0)
                    {
                        return index;
                    }

                    Out($"{menu}  [?] Help{defaultText}: ");
                }

            case PromptMode.Default when defaultChoice >= 0 && defaultChoice < choices.Count:
                Out($"{HotKey(choices[defaultChoice])} (no terminal: the default was taken)\n");
                return defaultChoice;

            default:
                Out("\n");
                throw NotInteractive("answer the prompt \"" + Join(caption, message) + "\"");
        }
    }

    private void WriteCaption(string caption, string message)
    {
        if (!string.IsNullOrEmpty(caption))
        {
            Out(Render(caption) + "\n");
        }

        if (!string.IsNullOrEmpty(message))
        {
            Out(Render(message) + "\n");
        }
    }

    private TextReader RequireInput(string what) =>
        _host.Options.PromptMode == PromptMode.Console && _host.Options.Input is { } input ? input : throw NotInteractive(what);

    private PSInvalidOperationException NotInteractive(string what) =>
        new($"{_host.Name} cannot {what}: the session is not interactive. Pass the value as a parameter, or use -Confirm:$false / -Force where a confirmation is asked.");

    private static string Join(string caption, string message) =>
        string.IsNullOrEmpty(caption) ? message : string.IsNullOrEmpty(message) ? caption : caption + ": " + message;

    /// <summary>"&amp;Yes to All" → "Yes to All".</summary>
    private static string Label(ChoiceDescription choice) => choice.Label.Replace("&", string.Empty, StringComparison.Ordinal);

    private static string HotKey(ChoiceDescription choice)
    {
        var amp = choice.Label.IndexOf('&', StringComparison.Ordinal);
        return amp >= 0 && amp + 1 < choice.Label.Length
            ? char.ToUpperInvariant(choice.Label[amp + 1]).ToString()
            : Label(choice);
    }

    private static int Match(Collection<ChoiceDescription> choices, string answer)
    {
        for (var i = 0; i < choices.Count; i++)
        {
            if (string.Equals(HotKey(choices[i]), answer, StringComparison.OrdinalIgnoreCase) ||
                string.Equals(Label(choices[i]), answer, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return int.TryParse(answer, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < choices.Count ? n : -1;
    }
}

/// <summary>A fixed-size virtual console; the formatter only needs its width.</summary>
public sealed class TextHostRawUserInterface : PSHostRawUserInterface
{
    private Size _bufferSize;
    private Size _windowSize;

    internal TextHostRawUserInterface(int width)
    {
        _bufferSize = new Size(width, 9999);
        _windowSize = new Size(width, 50);
    }

    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;

    public override Size BufferSize
    {
        get => _bufferSize;
        set => _bufferSize = value;
    }

    public override Coordinates CursorPosition { get; set; }

    public override int CursorSize { get; set; } = 25;

    public override bool KeyAvailable => false;

    public override Size MaxPhysicalWindowSize => _windowSize;

    public override Size MaxWindowSize => _windowSize;

    public override Coordinates WindowPosition { get; set; }

    public override Size WindowSize
    {
        get => _windowSize;
        set => _windowSize = value;
    }

    public override string WindowTitle { get; set; } = string.Empty;

    public override void FlushInputBuffer()
    {
    }

    public override BufferCell[,] GetBufferContents(Rectangle rectangle) =>
        throw new PSNotSupportedException("This host has no screen buffer.");

    public override KeyInfo ReadKey(ReadKeyOptions options) =>
        throw new PSNotSupportedException("This host cannot read single keys.");

    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill)
    {
    }

    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents)
    {
    }

    public override void SetBufferContents(Rectangle rectangle, BufferCell fill)
    {
    }
}

/// <summary>Error records as text: message, position and the ids a script author needs to catch or report them.</summary>
public static class ErrorText
{
    public static string Format(ErrorRecord record)
    {
        var sb = new StringBuilder();
        var invocation = record.InvocationInfo;
        var command = invocation?.MyCommand?.Name;
        var message = record.ErrorDetails?.Message is { Length: > 0 } details ? details : record.Exception?.Message ?? record.ToString();
        sb.Append(string.IsNullOrEmpty(command) || command.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase) ? message : $"{command}: {message}");
        sb.Append('\n');

        var position = invocation?.PositionMessage;
        if (!string.IsNullOrWhiteSpace(position))
        {
            sb.Append(position.TrimEnd()).Append('\n');
        }

        sb.Append("    + CategoryInfo          : ").Append(record.CategoryInfo.GetMessage(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("    + FullyQualifiedErrorId : ").Append(record.FullyQualifiedErrorId).Append('\n');
        if (record.ErrorDetails?.RecommendedAction is { Length: > 0 } action)
        {
            sb.Append("    + RecommendedAction     : ").Append(action).Append('\n');
        }

        return sb.ToString();
    }
}
