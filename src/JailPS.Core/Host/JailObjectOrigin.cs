using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.NetworkInformation;
using JailPS.Core.Lifecycle;

namespace JailPS.Core.Host;

/// <summary>
/// Where a piped JailPS object came from, against the host a command acts on. Jail names are only
/// unique per host, so an object from another host (Invoke-Command output, Import-Clixml of another
/// host's inventory, or the real host's objects on a simulated one) names a different jail that may
/// share its name. Two marks say where an object came from:
/// - ComputerName, which every JailPS object carries: the host's own name, or "simulated:DIR" for a
///   simulated host. It is the host as that host saw itself, so it is compared first.
/// - PSComputerName, which remoting adds: the name the caller used to reach that host. It catches
///   two real hosts that call themselves the same (cloned machines keep their hostname).
/// </summary>
public static class JailObjectOrigin
{
    public const string ErrorId = "JailObjectFromOtherHost";

    /// <summary>
    /// Null when an object with these marks belongs to <paramref name="host"/>; otherwise the error
    /// that refuses it. A mark that is missing says nothing, so a hand-made object that only has a
    /// Name (a CSV row, a pscustomobject) is still accepted.
    /// </summary>
    /// <param name="commandName">The command that refuses the object, for the recommended action.</param>
    /// <param name="targetName">What the object named (a jail's name), for the message and the advice.</param>
    public static JailOperationException? Refusal(JailHost host, string? computerName, string? psComputerName, string commandName, string? targetName)
    {
        bool otherComputerName = !string.IsNullOrEmpty(computerName) && !string.Equals(computerName, host.ComputerName, StringComparison.OrdinalIgnoreCase);
        bool otherMachine = !string.IsNullOrEmpty(psComputerName) && !NamesThisMachine(psComputerName);
        if (!otherComputerName && !otherMachine)
            return null;

        string from = otherComputerName
            ? $"host {computerName}" + (string.IsNullOrEmpty(psComputerName) ? "" : $" (reached as {psComputerName})")
            : $"{psComputerName}, which is not this machine";
        string what = targetName is null ? "The piped object" : $"The piped object for '{targetName}'";
        string named = targetName is null ? "" : $" -Name '{targetName}'";
        return new JailOperationException(ErrorId, targetName,
            $"{what} came from {from}; this command acts on {host.ComputerName}. " +
            "JailPS never acts on a jail of this host because another host's jail has the same name.",
            $"Run it on the host the object came from (Invoke-Command -Session $session {{ {commandName}{named} }}), " +
            $"or, to act on this host's jail of that name, name it again: {commandName}{named}.")
        { TargetObject = targetName };
    }

    /// <summary>Read once per process: every remote object in a pipeline asks, and the answer does not change under it.</summary>
    private static readonly Lazy<string[]> s_namesOfThisMachine = new(NamesOfThisMachine);

    private static string[] NamesOfThisMachine()
    {
        var names = new List<string> { Environment.MachineName };
        try { names.Add(Dns.GetHostName()); }
        catch (System.Net.Sockets.SocketException) { }
        try
        {
            string domain = IPGlobalProperties.GetIPGlobalProperties().DomainName;
            if (!string.IsNullOrEmpty(domain)) names.Add(Environment.MachineName + "." + domain.TrimEnd('.'));
        }
        catch (Exception e) when (e is NetworkInformationException or PlatformNotSupportedException) { }
        return names.Where(x => !string.IsNullOrEmpty(x)).Select(x => x.TrimEnd('.')).ToArray();
    }

    /// <summary>
    /// Whether a name the caller used to reach a host is this machine: a loopback name or address,
    /// this machine's name (short or qualified), or one of its interface addresses. A session to this
    /// machine itself (Invoke-Command -HostName localhost) is not another host.
    /// </summary>
    public static bool NamesThisMachine(string name)
    {
        string n = name.Trim().TrimEnd('.');
        if (n.Length > 2 && n[0] == '[' && n[^1] == ']')
            n = n[1..^1];
        if (n.Equals("localhost", StringComparison.OrdinalIgnoreCase) || n.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
            return true;
        // This machine's names: the short one, the whole hostname and the short one in its DNS domain.
        // Not "any name whose first label is this one": a clone in another domain has that too.
        if (s_namesOfThisMachine.Value.Any(m => n.Equals(m, StringComparison.OrdinalIgnoreCase)))
            return true;
        if (!IPAddress.TryParse(n, out var address))
            return false;
        if (IPAddress.IsLoopback(address))
            return true;
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Any(u => u.Address.Equals(address));
        }
        catch (Exception e) when (e is NetworkInformationException or PlatformNotSupportedException)
        {
            return false;   // interfaces unreadable: not known to be this machine, so refused
        }
    }
}
