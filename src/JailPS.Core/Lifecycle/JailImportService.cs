using System;
using System.Collections.Generic;
using System.Linq;
using JailPS.Core.Config;
using JailPS.Core.Host;

namespace JailPS.Core.Lifecycle;

/// <summary>A jail another manager keeps, found for import: its name, the manager's file, the block it defines.</summary>
public sealed record ImportCandidate(string Name, string Manager, string SourceFile, JailDefinition Definition);

/// <summary>
/// Taking over jails another manager made, without rebuilding them: Bastille keeps each jail as
/// BASTILLE/jails/NAME/jail.conf (a plain jail.conf block `NAME { ... }` with path =
/// .../NAME/root and mount.fstab = .../NAME/fstab: BastilleBSD/bastille rename.sh, clone.sh), so
/// its block is read with JailPS's own jail.conf reader and written, parameter for parameter, to
/// /etc/jail.conf.d/NAME.conf, with `$jailps_imported` naming where it came from. The same root,
/// the same fstab and the same dataset are used; nothing of Bastille's is changed or deleted, and a
/// running jail goes on running (it is the same jail: jail(8) and JailPS now read its definition).
/// </summary>
public sealed class JailImportService
{
    public const string BastilleDefaultPrefix = "/usr/local/bastille";
    public const string ImportedVariable = "jailps_imported";

    private readonly JailService _service;
    private readonly JailHost _host;

    public JailImportService(JailService service)
    {
        _service = service;
        _host = service.Host;
    }

    /// <summary>Every jail under PREFIX/jails/*/jail.conf whose file defines a block of its directory's name.</summary>
    public IReadOnlyList<ImportCandidate> BastilleJails(string? prefix)
    {
        string jails = HostPath.Combine(HostPath.Normalize(prefix ?? BastilleDefaultPrefix), "jails");
        var found = new List<ImportCandidate>();
        foreach (string file in _host.Files.Glob(jails + "/*/jail.conf"))
        {
            string name = HostPath.GetFileName(HostPath.GetDirectoryName(file));
            string? text = _host.Files.ReadAllText(file);
            if (text is null) continue;
            JailDefinition? def;
            try { def = JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(text, file) }).FirstOrDefault(d => d.Name == name); }
            catch (JailConfException ex)
            {
                throw new JailOperationException("JailImportInvalid", name, $"Bastille's {file} cannot be read: {ex.Message}; nothing was imported.",
                    "Fix the file (bastille edit NAME), then import again.", ex) { TargetObject = file };
            }
            if (def is not null) found.Add(new ImportCandidate(name, "bastille", file, def));
        }
        return found;
    }

    /// <summary>
    /// The plan that imports one jail: its block written to JAILCONF_D/NAME.conf. Refused when a
    /// definition JailPS reads already defines the name, and when the block's path is not the
    /// root beside the manager's file (so a copied or hand-edited file never points JailPS elsewhere unnoticed).
    /// </summary>
    public JailPlan PlanImport(ImportCandidate c)
    {
        if (_service.FindDefinition(c.Name) is { } existing)
            throw new JailOperationException("JailAlreadyExists", c.Name,
                $"jail \"{c.Name}\" is already defined in {existing.SourceFile}; nothing was imported.",
                "Remove or rename that definition first, or leave this jail to its manager.") { TargetObject = c.Name };
        string root = HostPath.Combine(HostPath.GetDirectoryName(c.SourceFile), "root");
        string? path = c.Definition.Get("path")?.Values.LastOrDefault();
        if (path is null || HostPath.Normalize(path) != root)
            throw new JailOperationException("JailImportInvalid", c.Name,
                $"jail \"{c.Name}\": {c.SourceFile} gives path {path ?? "(none)"}, not {root}, the root Bastille keeps beside it; nothing was imported.",
                "Check the file (bastille edit NAME): JailPS imports a jail only with the root its manager made.") { TargetObject = c.SourceFile };
        var parameters = c.Definition.Parameters.Where(p => !p.Name.StartsWith('$') && p.Name != "name").ToList();   // the evaluator's implicit name comes from the block
        parameters.Add(new JailConfParameter("$" + ImportedVariable, new[] { $"{c.Manager} {c.SourceFile}" }));
        string file = HostPath.Combine(_host.JailConfDirectory, c.Name + ".conf");
        string block = $"# Imported from {c.Manager} ({c.SourceFile}) by Import-{(c.Manager == "bastille" ? "Bastille" : c.Manager)}Jail; that file is left as it was.\n"
            + JailConfWriter.FormatBlock(c.Name, parameters);
        // Checked as New-Jail checks what it writes: each parameter as the kernel's catalog types it.
        JailSpec.Resolve(JailConfLoader.Evaluate(new[] { JailConfDocument.Parse(block, file) }).First(d => d.Name == c.Name), _host.Kernel.Catalog);
        var plan = new JailPlan(c.Name, "import");
        HostFileEdit? written = null;
        plan.Add("write", $"write {file}:\n{block.TrimEnd()}",
            () =>
            {
                written = _host.Files.Edit(file, current => current is null ? block
                    : throw new JailOperationException("JailConfigExists", c.Name, $"{file} was made by someone else while this command ran; nothing was written.", "Look at the file.") { TargetObject = file });
                _service.Invalidate();
            },
            () =>
            {
                if (written is { } w) _host.Files.Edit(file, current => current == w.After ? null : current);
                _service.Invalidate();
            },
            $"delete {file}");
        return plan;
    }
}
