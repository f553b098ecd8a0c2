using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using JailPS.Core.Devfs;

namespace JailPS.Commands;

/// <summary>Import-DevfsRules: reads devfs.rules(5) files into JailPS.DevfsRuleset objects (nothing is loaded into the kernel).</summary>
[Cmdlet(VerbsData.Import, "DevfsRules")]
[OutputType(typeof(JailPS.DevfsRuleset))]
public sealed class ImportDevfsRulesCommand : DevfsCmdletBase
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = { DevfsRulesetService.RulesFile };

    protected override void ProcessJailRecord()
    {
        foreach (string raw in Path)
            DevfsForItem(raw, () =>
            {
                string path = ImportJailConfigCommand.ToHostPath(this, raw);
                string text = JailHost.Files.ReadAllText(path)
                    ?? throw new DevfsRulesetException(DevfsRulesetErrorIds.RulesFileNotFound, path, $"{path}: no such file.", "Check the path; the local rules are in /etc/devfs.rules.");
                // $names refer to sections read before, as the boot scripts read the defaults file first.
                IEnumerable<Core.Devfs.DevfsRuleset> known = Array.Empty<Core.Devfs.DevfsRuleset>();
                if (path != DevfsRulesetService.DefaultsFile)
                {
                    string? defaults = JailHost.Files.ReadAllText(DevfsRulesetService.DefaultsFile);
                    known = defaults is null ? DevfsDefaults.Rulesets : SafeParse(defaults, DevfsRulesetService.DefaultsFile);
                }
                DevfsRulesFile file;
                try
                {
                    file = DevfsRulesFile.Parse(text, path, known);
                }
                catch (DevfsRuleException e)
                {
                    throw new DevfsRulesetException(DevfsRulesetErrorIds.RulesFileInvalid, path, e.Message,
                        "Fix the line given; each rule line is the argument list of devfs rule add.", inner: e);
                }
                foreach (var rs in file.Rulesets)
                {
                    var numbered = rs;
                    try { numbered = rs.WithRules(rs.Numbered()); }
                    catch (DevfsRuleException) { } // duplicate numbers: keep the file's rules; New-DevfsRuleset reports it
                    WriteObject(ToObject(numbered, path));
                }
            });
    }

    private static IReadOnlyList<Core.Devfs.DevfsRuleset> SafeParse(string text, string file)
    {
        try { return DevfsRulesFile.Parse(text, file, Array.Empty<Core.Devfs.DevfsRuleset>()).Rulesets; }
        catch (DevfsRuleException) { return DevfsDefaults.Rulesets; }
    }
}
