using System;
using System.Globalization;
using System.Linq;
using CoreRule = JailPS.Core.Devfs.DevfsRule;
using CoreRuleset = JailPS.Core.Devfs.DevfsRuleset;

namespace JailPS;

// The pipeline types of the devfs cmdlets. They live here, not in JailPS.Core beside JailPS.Jail,
// because a JailPS.DevfsRule there would hide JailPS.Native.DevfsRule and JailPS.Core.Devfs.DevfsRule
// from every JailPS.Core.* namespace that imports them. They wrap the engine's model.

/// <summary>One devfs rule as the kernel (or a devfs.rules file) holds it. Type name JailPS.DevfsRule is stable.</summary>
public sealed class DevfsRule
{
    internal DevfsRule(int ruleset, CoreRule rule)
    {
        Model = rule;
        Ruleset = ruleset;
    }

    internal CoreRule Model { get; }

    /// <summary>The ruleset the rule belongs to.</summary>
    public int Ruleset { get; }

    /// <summary>Rule number within the ruleset (the kernel evaluates rules in this order); 0 = numbered by the kernel when added.</summary>
    public int Number => Model.Number;

    /// <summary>The rule as devfs(8) <c>rule add</c> takes it, e.g. <c>100 path 'pts/*' unhide</c>.</summary>
    public string Text => Model.ToRuleText();

    /// <summary>The path condition (a glob matched against node paths relative to the mount), or null.</summary>
    public string? Path => Model.PathPattern;

    /// <summary>
    /// The type conditions, comma-separated as devfs(8) lists them (disk, mem, tape, tty), or null
    /// when there is none. A string rather than an array keeps the ruleset within ConvertTo-Json's
    /// default depth (ruleset, rules, rule).
    /// </summary>
    public string? Type => Model.DeviceTypes is { } t
        ? string.Join(",", new[] { "disk", "mem", "tape", "tty" }.Where(n => (t & Parse(n)) != 0))
        : null;

    /// <summary>The actions, as in the rule text: hide, unhide, user N, group N, mode OCTAL, include N.</summary>
    public string Action
    {
        get
        {
            var r = Model.WithNumber(0);
            var head = new CoreRule(0, Model.PathPattern, Model.DeviceTypes).ToRuleText();
            string all = r.ToRuleText();
            return (head.Length > 0 && all.StartsWith(head, StringComparison.Ordinal) ? all.Substring(head.Length) : all).Trim();
        }
    }

    public bool Hide => Model.Hide;
    public bool Unhide => Model.Unhide;
    public uint? User => Model.Uid;
    public uint? Group => Model.Gid;

    /// <summary>Permission bits in octal ("0660"), or null.</summary>
    public string? Mode => Model.Mode is { } m ? "0" + Convert.ToString(m, 8) : null;

    /// <summary>The ruleset this rule includes, or null.</summary>
    public int? Include => Model.IncludeRuleset;

    public override string ToString() => Text;

    private static JailPS.Core.Devfs.DevfsDeviceTypes Parse(string n) => n switch
    {
        "disk" => JailPS.Core.Devfs.DevfsDeviceTypes.Disk,
        "mem" => JailPS.Core.Devfs.DevfsDeviceTypes.Mem,
        "tape" => JailPS.Core.Devfs.DevfsDeviceTypes.Tape,
        _ => JailPS.Core.Devfs.DevfsDeviceTypes.Tty,
    };
}

/// <summary>
/// A devfs ruleset: its number, the name a devfs.rules(5) file gives it (the kernel knows numbers
/// only), and its rules in kernel order. <see cref="Source"/> says where it was read: "kernel", or
/// the devfs.rules file it was imported from. Type name JailPS.DevfsRuleset is stable.
/// </summary>
public sealed class DevfsRuleset
{
    internal DevfsRuleset(CoreRuleset model, string source, string computerName, bool isSimulated)
    {
        Number = model.Number;
        Name = model.Name;
        Rules = model.Rules.Select(r => new DevfsRule(model.Number, r)).ToArray();
        Source = source;
        ComputerName = computerName;
        IsSimulated = isSimulated;
    }

    public int Number { get; }
    public string? Name { get; }
    public DevfsRule[] Rules { get; }
    public int RuleCount => Rules.Length;

    /// <summary>"kernel" for a ruleset read from the kernel; the file's path for one read by Import-DevfsRules.</summary>
    public string Source { get; }

    public bool InKernel => Source == KernelSource;
    public string ComputerName { get; }
    public bool IsSimulated { get; }

    internal const string KernelSource = "kernel";

    internal CoreRule[] ModelRules => Rules.Select(r => r.Model).ToArray();

    public override string ToString() =>
        (Name is null ? string.Empty : Name + "=") + Number.ToString(CultureInfo.InvariantCulture);
}
