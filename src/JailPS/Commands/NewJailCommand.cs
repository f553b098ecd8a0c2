using System;
using System.Collections;
using System.Management.Automation;
using JailPS.Core.Lifecycle;

namespace JailPS.Commands;

/// <summary>New-Jail: defines a jail in /etc/jail.conf.d/NAME.conf (what jail(8) and service jail read).</summary>
[Cmdlet(VerbsCommon.New, "Jail", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Jail))]
public sealed class NewJailCommand : JailCmdletBase
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [Alias("JailName")]
    public string Name { get; set; } = "";

    /// <summary>The jail's root directory; created (empty, mode 0755) when missing. Without it the jail shares the host's root (path "/"), as jail(8) allows.</summary>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Hostname { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("IP4", "IPv4")]
    public string[]? IPv4Address { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("IP6", "IPv6")]
    public string[]? IPv6Address { get; set; }

    /// <summary>More parameters: kernel ones (allow.raw_sockets, securelevel, ...) or jail(8) ones (exec.*, stop.timeout, ...).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public IDictionary? Parameter { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? ExecStart { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? ExecStop { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Depend")]
    [ArgumentCompleter(typeof(JailNameCompleter))]
    public string[]? DependsOn { get; set; }

    /// <summary>Sets persist: the jail stays alive without processes.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter Persist { get; set; }

    /// <summary>
    /// A VNET jail: its own network stack, and an epair JailPS creates when it starts (named to fit
    /// 15 characters and clash with nothing, with a stable MAC) and destroys when it stops. Its
    /// -IPv4Address / -IPv6Address and -DefaultGateway go to the jail's /etc/rc.conf.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter Vnet { get; set; }

    /// <summary>The bridge the epair's host side joins (created on start when missing). Implies -Vnet.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Bridge { get; set; }

    /// <summary>A VNET jail's default router(s): one IPv4 and/or one IPv6 address (defaultrouter, ipv6_defaultrouter).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Gateway")]
    public string[]? DefaultGateway { get; set; }

    /// <summary>Seed 003's private loopback: 127.0.1.N/32 on lo1 (cloned on start when missing), N free among all jails and kept in the definition.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter PrivateLoopback { get; set; }

    /// <summary>Build the root from this release in the cache (Save-JailRelease): base.txz (and lib32.txz when saved) extracted into -Path, a thick jail.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Release { get; set; }

    /// <summary>Build the root from this OCI image in the image cache (Save-JailImage): its layers applied in order into -Path, with OCI whiteouts; a reference (freebsd/freebsd-runtime:15.0) or a manifest digest.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(JailImageCompleter))]
    public string? Image { get; set; }

    /// <summary>With -Release: a thin jail (seed 003), a copy of the release's template with the basejail mounted read-only at /basejail.</summary>
    [Parameter]
    public SwitchParameter Thin { get; set; }

    /// <summary>Install a Linux userland with debootstrap (seeds 000/001): Debian. Needs the Linux ABI (service linux start) and pkg install debootstrap.</summary>
    [Parameter]
    [ValidateSet("Debian")]
    public string? Distribution { get; set; }

    /// <summary>With -Distribution: the suite, bookworm by default (buster, bullseye, bookworm, trixie).</summary>
    [Parameter]
    [ValidateSet("buster", "bullseye", "bookworm", "trixie")]
    public string? Suite { get; set; }

    /// <summary>With -Distribution: the mirror debootstrap fetches from (http://deb.debian.org/debian by default).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Mirror { get; set; }

    /// <summary>The release's architecture (MACHINE_ARCH), with -Release.</summary>
    [Parameter]
    [ValidateSet("amd64", "aarch64", "arm64", "i386")]
    public string Architecture { get; set; } = "amd64";

    /// <summary>The file to write the definition to; default /etc/jail.conf.d/NAME.conf.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConfigFile { get; set; }

    protected override void ProcessJailRecord()
    {
        if (WildcardPattern.ContainsWildcardCharacters(Name))
        {
            WriteError(new ErrorRecord(new ArgumentException($"\"{Name}\" contains wildcard characters; a new jail needs a literal name."),
                "JailNameContainsWildcard", ErrorCategory.InvalidArgument, Name));
            return;
        }
        ForItem(Name, () =>
        {
            var request = new NewJailRequest
            {
                Name = Name,
                Path = Path,
                Hostname = Hostname,
                IPv4Address = IPv4Address ?? Array.Empty<string>(),
                IPv6Address = IPv6Address ?? Array.Empty<string>(),
                ExecStart = ExecStart ?? Array.Empty<string>(),
                ExecStop = ExecStop ?? Array.Empty<string>(),
                DependsOn = DependsOn ?? Array.Empty<string>(),
                Persist = Persist.IsPresent,
                Vnet = Vnet.IsPresent,
                Bridge = Bridge,
                DefaultGateway = DefaultGateway ?? Array.Empty<string>(),
                PrivateLoopback = PrivateLoopback.IsPresent,
                Release = Release,
                Image = Image,
                Thin = Thin.IsPresent,
                ReleaseArchitecture = Architecture,
                Distribution = Distribution,
                Suite = Suite,
                Mirror = Mirror,
                Parameters = Unwrap(Parameter),
                ConfigFile = ConfigFile,
            };
            var plan = Service.PlanCreate(request);
            if (RunPlan(plan, "Create"))
                WriteObject(Service.Refresh(Name));
        });
    }

    /// <summary>Hashtable values arrive wrapped in PSObject; the engine wants plain .NET values.</summary>
    /// <summary>
    /// Keeps the order of an [ordered] dictionary; a plain hashtable has none, so its keys are
    /// sorted to make the written jail.conf the same on every run.
    /// </summary>
    internal static IDictionary? Unwrap(IDictionary? table)
    {
        if (table is null) return null;
        var keys = new System.Collections.Generic.List<object>();
        foreach (object k in table.Keys) keys.Add(k);
        if (table is not System.Collections.Specialized.IOrderedDictionary)
            keys.Sort((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));
        var result = new System.Collections.Specialized.OrderedDictionary();
        foreach (object k in keys)
            result[k is PSObject pk ? pk.BaseObject : k] = UnwrapValue(table[k]);
        return result;
    }

    private static object? UnwrapValue(object? v)
    {
        if (v is PSObject p) v = p.BaseObject;
        if (v is object[] arr)
        {
            var list = new object?[arr.Length];
            for (int i = 0; i < arr.Length; i++) list[i] = arr[i] is PSObject pi ? pi.BaseObject : arr[i];
            return list;
        }
        return v;
    }
}
