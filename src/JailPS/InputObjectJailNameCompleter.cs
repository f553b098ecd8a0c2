using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace JailPS.Commands;

/// <summary>
/// Completes jail names for the first positional argument of the cmdlets whose default parameter
/// set is ByObject (-InputObject at position 0, so that piped jails bind to it). For a positional
/// argument with nothing typed yet, PowerShell 7.4 to 7.6 ask only the default set's parameter,
/// and a JailPS.Jail parameter has no values of its own, so file names were offered. A name typed
/// there binds to -Name (a string is not a jail), so jail names are what belongs there. Once part
/// of a word is typed, PowerShell asks -Name's completer as well, and after an explicit
/// -InputObject a name would not bind: then this completer answers null, which PowerShell takes as
/// "no completer here" (an empty list would instead end completion for the word, and a second
/// list of names would show every name twice).
/// </summary>
public sealed class InputObjectJailNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult>? CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (!string.IsNullOrEmpty(wordToComplete))
            return null;
        foreach (var element in commandAst.CommandElements)
            if (element is CommandParameterAst p && p.ParameterName.Length > 0
                && parameterName.StartsWith(p.ParameterName, StringComparison.OrdinalIgnoreCase))
                return null;
        return new JailNameCompleter().CompleteArgument(commandName, parameterName, wordToComplete, commandAst, fakeBoundParameters);
    }
}
