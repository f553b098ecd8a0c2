using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>Completes jail names (defined and running) on the current host.</summary>
public sealed class JailNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var results = new List<CompletionResult>();
        string word = (wordToComplete ?? "").Trim('\'', '"');
        IReadOnlyList<Jail> jails;
        try
        {
            jails = new JailService(JailHost.FromEnvironment(), NullJailOutput.Instance).GetAll();
        }
        catch (Exception)
        {
            return results; // no host (not FreeBSD, no simulation) or unreadable config: nothing to offer
        }
        WildcardPattern pattern;
        try
        {
            pattern = JailCmdletBase.NamePattern(word + "*");
        }
        catch (JailPS.Core.Lifecycle.JailOperationException)
        {
            pattern = WildcardPattern.Get(WildcardPattern.Escape(word) + "*", WildcardOptions.IgnoreCase); // 'web[' completes as the literal text
        }
        foreach (var j in jails)
        {
            if (!pattern.IsMatch(j.Name)) continue;
            string text = j.Name.IndexOfAny(" '\"$`(){}[];,&|".ToCharArray()) >= 0 ? "'" + j.Name.Replace("'", "''") + "'" : j.Name;
            string tip = j.Status == JailState.Running ? $"{j.Name} (running, jid {j.Jid})" : $"{j.Name} ({j.State.ToLowerInvariant()})";
            results.Add(new CompletionResult(text, j.Name, CompletionResultType.ParameterValue, tip));
        }
        return results;
    }
}

/// <summary>Completes the references of the images in the image cache (Save-JailImage).</summary>
public sealed class JailImageCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var results = new List<CompletionResult>();
        string word = (wordToComplete ?? "").Trim('\'', '"');
        IReadOnlyList<JailImage> images;
        try
        {
            images = new JailPS.Core.Images.JailImageService(JailHost.FromEnvironment(), NullJailOutput.Instance).List();
        }
        catch (Exception)
        {
            return results;
        }
        foreach (var i in images)
        {
            // Offered as typed: the full reference, and for docker.io and localhost the short form New-Jail also takes.
            string shortForm = i.Reference.StartsWith("docker.io/library/", StringComparison.Ordinal) ? i.Reference["docker.io/library/".Length..]
                : i.Reference.StartsWith("docker.io/", StringComparison.Ordinal) ? i.Reference["docker.io/".Length..]
                : i.Reference.StartsWith("localhost/", StringComparison.Ordinal) ? i.Reference["localhost/".Length..] : i.Reference;
            foreach (string text in new[] { shortForm, i.Reference }.Distinct())
                if (text.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                    results.Add(new CompletionResult(text, text, CompletionResultType.ParameterValue, $"{i.Reference} ({i.Platform}, {i.Layers.Length} layer(s), {i.Digest[..19]})"));
        }
        return results;
    }
}
