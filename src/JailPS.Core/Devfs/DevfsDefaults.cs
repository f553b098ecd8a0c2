using System.Collections.Generic;

namespace JailPS.Core.Devfs;

/// <summary>
/// The rulesets of /etc/defaults/devfs.rules, installed from sbin/devfs/devfs.rules (freebsd-src,
/// read at commits 1b1334b1 and aaae6f92; both have the same rules): 1 devfsrules_hide_all,
/// 2 devfsrules_unhide_basic, 3 devfsrules_unhide_login, 4 devfsrules_jail, 5 devfsrules_jail_vnet.
/// The section and rule lines below are the file's, in the file's order (its comments left out).
/// They exist in the kernel only after the boot scripts have loaded them.
/// </summary>
public static class DevfsDefaults
{
    public const ushort HideAll = 1;
    public const ushort UnhideBasic = 2;
    public const ushort UnhideLogin = 3;
    public const ushort Jail = 4;
    public const ushort JailVnet = 5;

    /// <summary>The rule lines of the defaults file, as devfs.rules text.</summary>
    public const string Text =
        "[devfsrules_hide_all=1]\n" +
        "add hide\n" +
        "\n" +
        "[devfsrules_unhide_basic=2]\n" +
        "add path null unhide\n" +
        "add path zero unhide\n" +
        "add path crypto unhide\n" +
        "add path random unhide\n" +
        "add path urandom unhide\n" +
        "\n" +
        "[devfsrules_unhide_login=3]\n" +
        "add path 'ptyp*' unhide\n" +
        "add path 'ptyq*' unhide\n" +
        "add path 'ptyr*' unhide\n" +
        "add path 'ptys*' unhide\n" +
        "add path 'ptyP*' unhide\n" +
        "add path 'ptyQ*' unhide\n" +
        "add path 'ptyR*' unhide\n" +
        "add path 'ptyS*' unhide\n" +
        "add path 'ptyl*' unhide\n" +
        "add path 'ptym*' unhide\n" +
        "add path 'ptyn*' unhide\n" +
        "add path 'ptyo*' unhide\n" +
        "add path 'ptyL*' unhide\n" +
        "add path 'ptyM*' unhide\n" +
        "add path 'ptyN*' unhide\n" +
        "add path 'ptyO*' unhide\n" +
        "add path 'ttyp*' unhide\n" +
        "add path 'ttyq*' unhide\n" +
        "add path 'ttyr*' unhide\n" +
        "add path 'ttys*' unhide\n" +
        "add path 'ttyP*' unhide\n" +
        "add path 'ttyQ*' unhide\n" +
        "add path 'ttyR*' unhide\n" +
        "add path 'ttyS*' unhide\n" +
        "add path 'ttyl*' unhide\n" +
        "add path 'ttym*' unhide\n" +
        "add path 'ttyn*' unhide\n" +
        "add path 'ttyo*' unhide\n" +
        "add path 'ttyL*' unhide\n" +
        "add path 'ttyM*' unhide\n" +
        "add path 'ttyN*' unhide\n" +
        "add path 'ttyO*' unhide\n" +
        "add path ptmx unhide\n" +
        "add path pts unhide\n" +
        "add path 'pts/*' unhide\n" +
        "add path fd unhide\n" +
        "add path 'fd/*' unhide\n" +
        "add path stdin unhide\n" +
        "add path stdout unhide\n" +
        "add path stderr unhide\n" +
        "\n" +
        "[devfsrules_jail=4]\n" +
        "add include $devfsrules_hide_all\n" +
        "add include $devfsrules_unhide_basic\n" +
        "add include $devfsrules_unhide_login\n" +
        "add path fuse unhide\n" +
        "add path zfs unhide\n" +
        "\n" +
        "[devfsrules_jail_vnet=5]\n" +
        "add include $devfsrules_hide_all\n" +
        "add include $devfsrules_unhide_basic\n" +
        "add include $devfsrules_unhide_login\n" +
        "add include $devfsrules_jail\n" +
        "add path pf unhide\n";

    private static IReadOnlyList<DevfsRuleset>? rulesets;

    /// <summary>Rulesets 1-5, parsed from <see cref="Text"/>.</summary>
    public static IReadOnlyList<DevfsRuleset> Rulesets =>
        rulesets ??= DevfsRulesFile.Parse(Text, "/etc/defaults/devfs.rules", System.Array.Empty<DevfsRuleset>()).Rulesets;

    /// <summary>A default ruleset by number (1-5); null for any other number.</summary>
    public static DevfsRuleset? Get(ushort number)
    {
        foreach (DevfsRuleset r in Rulesets)
            if (r.Number == number) return r;
        return null;
    }
}
