using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using JailPS.Core.Host;
using JailPS.Core.Lifecycle;
using JailPS.Core.Mounts;
using JailPS.Core.Processes;

namespace JailPS.Core.Provisioning;

/// <summary>
/// New-Jail -Release: a thick jail root, built from a verified release in the cache as bsdinstall
/// jail builds one — the dists extracted with FreeBSD's own tar through the process seam
/// (`tar -xpf base.txz -C ROOT`: modes, file flags and hard links as the archive has them), then
/// the host's /etc/resolv.conf and /etc/localtime copied in through the beneath-root writer (no link
/// in the new root followed). The undo takes the new root away again with <see cref="JailRootRemover"/>.
/// </summary>
public sealed class JailRootBuilder
{
    public const string TarPath = "/usr/bin/tar";

    private readonly JailHost _host;
    private readonly IJailOutput _output;

    public JailRootBuilder(JailHost host, IJailOutput output)
    {
        _host = host;
        _output = output;
    }

    /// <summary>
    /// The dataset a new root gets: when the directory that holds it is the mountpoint of a ZFS
    /// dataset (getfsstat), every jail there is a dataset of its own, PARENT/LEAF, mounted at the
    /// root by inheritance (seed 003's zfs create -p zroot/srv/jails/NAME). Null for a root on
    /// any other file system, or one that exists already (it is used as it is). RealRoot is the
    /// root with the admin's links on the way resolved, what getfsstat will show.
    /// </summary>
    public (string Dataset, string RealRoot)? DatasetFor(string jail, string root)
    {
        string real = _host.Files.RealPath(HostPath.Normalize(root));
        if (_host.Files.DirectoryExists(real)) return null;
        string parent = HostPath.GetDirectoryName(real);
        if (parent == "/" || new JailZfs(_host).DatasetMountedOn(parent) is not { } parentDataset) return null;
        string leaf = HostPath.GetFileName(real);
        if (!JailZfs.IsValidComponent(leaf) || !JailZfs.IsValidComponent(JailZfs.ClonePrefix + jail))
            throw new JailOperationException("JailDatasetNameInvalid", jail,
                $"jail \"{jail}\": {real} would be the ZFS dataset {parentDataset}/{leaf}, and its snapshot {JailZfs.ClonePrefix}{jail}; zfs takes only letters, digits, _ - . : in those names; nothing was done.",
                "Give the jail (and its -Path) a name of those characters.") { TargetObject = jail };
        string dataset = parentDataset + "/" + leaf;
        RefuseExisting(jail, dataset, real);
        return (dataset, real);
    }

    private void RefuseExisting(string jail, string dataset, string where)
    {
        if (new JailZfs(_host).Exists(dataset, jail))
            throw new JailOperationException("JailDatasetExists", jail,
                $"jail \"{jail}\": the dataset {dataset} already exists{(dataset.Contains('@') ? "" : $" (not mounted at {where})")}; nothing was done.",
                $"Look at it with zfs list -t all -o name,mountpoint,mounted,origin {dataset.Split('@')[0]}; destroy it if nothing uses it, or give -Path another directory.") { TargetObject = dataset };
    }

    /// <summary>
    /// `zfs create DS` for a new dataset, in a step: refused if DS exists by then (made meanwhile by
    /// someone else, never taken as this plan's), and what the step made is destroyed when the step
    /// itself fails (zfs create keeps a dataset it could not mount) or the plan rolls back.
    /// </summary>
    private void AddCreateStep(JailPlan plan, string jail, string name, string dataset, string mountedAt, Action? before = null, Func<bool>? skip = null, bool keepWithChildren = false)
    {
        var zfs = new JailZfs(_host);
        bool made = false;
        void TakeBack()
        {
            if (!made) return;
            made = false;
            if (keepWithChildren && zfs.List("filesystem", dataset).Count > 1)
                return; // a shared parent (PARENT/releases) another release lives in now
            if (zfs.Exists(dataset, jail)) new JailRootRemover(_host, _output).DestroyDataset(jail, mountedAt, dataset);
        }
        plan.Add(name, $"{JailZfs.Describe("create", dataset)} (mounted at {mountedAt})",
            () =>
            {
                before?.Invoke();
                if (skip?.Invoke() == true) return;
                RefuseExisting(jail, dataset, mountedAt);
                try
                {
                    made = true;   // from here on, a dataset of that name is this step's: it did not exist just before
                    zfs.Create(jail, dataset);
                    CheckMountedAt(jail, dataset, mountedAt);
                }
                catch (JailOperationException)
                {
                    // A failed step is not undone by the plan runner: what it made goes here.
                    TakeBack();
                    throw;
                }
            },
            TakeBack,
            JailZfs.Describe("destroy", "-r", dataset));
    }

    /// <summary>`zfs create PARENT/LEAF`, the new root (mounted at it by inheritance); the undo destroys it and everything in it.</summary>
    public void AddDatasetStep(JailPlan plan, string jail, string root, string dataset)
        => AddCreateStep(plan, jail, "dataset", dataset, HostPath.Normalize(root));

    private void CheckMountedAt(string jail, string dataset, string root)
    {
        if (new JailZfs(_host).DatasetMountedOn(root) != dataset)
            throw new JailOperationException("JailDatasetNotMounted", jail,
                $"jail \"{jail}\": {dataset} was made but is not mounted at {root} (its mountpoint or canmount property says otherwise).",
                $"Look at zfs get mountpoint,canmount,mounted {dataset}.") { TargetObject = dataset };
    }

    /// <summary>The user property a release dataset gets once its extraction finished: a dataset without it is half made and never cloned.</summary>
    public const string CompleteProperty = "jailps:complete";

    /// <summary>
    /// New-Jail -Release where the jails' directory is a dataset: the release is extracted once
    /// into PARENT/releases/RELEASE (under the release's lock) and marked complete, and each thick
    /// jail is a clone of a snapshot of it taken for the jail (ORIGIN@jailps-NAME): nothing is
    /// copied, and the new jail holds only what is written to it afterwards. The undo destroys the
    /// clone and its snapshot, and the release dataset when this plan made it.
    /// </summary>
    public void AddCloneSteps(JailPlan plan, string jail, string root, string dataset, string release, string arch)
    {
        var (dir, dists) = CachedRelease(jail, release, arch);
        root = HostPath.Normalize(root);
        var zfs = new JailZfs(_host);
        string parentDataset = dataset[..dataset.LastIndexOf('/')];
        string leaf = JailReleaseService.LayoutName(release, arch);
        string releasesDataset = $"{parentDataset}/releases", releaseDataset = $"{releasesDataset}/{leaf}";
        string releasesDir = HostPath.Combine(HostPath.GetDirectoryName(root), "releases"), releaseDir = $"{releasesDir}/{leaf}";
        string snapshot = $"{releaseDataset}@{JailZfs.ClonePrefix}{jail}";
        string layoutLock = JailReleaseService.LockName(release, arch);
        RefuseExisting(jail, snapshot, releaseDir);
        JailLock? held = null;
        if (!zfs.Exists(releaseDataset, jail))
        {
            bool madeByOther = false;
            plan.Finally.Add(() => held?.Dispose());
            void Lock()
            {
                held = JailLock.Acquire(_host.Files, layoutLock, TimeSpan.FromSeconds(60));
                madeByOther = zfs.Exists(releaseDataset, jail);
                if (madeByOther) _output.Verbose($"jail {jail}: {releaseDataset} was made by another command meanwhile; it is used as it is");
            }
            // PARENT/releases is shared by every release: its undo leaves it when another release's dataset is in it by then.
            if (!zfs.Exists(releasesDataset, jail))
                AddCreateStep(plan, jail, "release dataset", releasesDataset, releasesDir, before: Lock, skip: () => zfs.Exists(releasesDataset, jail), keepWithChildren: true);
            AddCreateStep(plan, jail, "release dataset", releaseDataset, releaseDir, before: held is null && zfs.Exists(releasesDataset, jail) ? Lock : null, skip: () => madeByOther);
            AddExtractSteps(plan, jail, releaseDir, dir, dists, release, () => madeByOther, targetIsDataset: true);
            plan.Add("complete", $"{JailZfs.Describe("set", CompleteProperty + "=yes", releaseDataset)} (only a release dataset whose extraction finished is ever cloned)",
                () => { if (!madeByOther) zfs.SetUserProperty(jail, CompleteProperty, "yes", releaseDataset); });
        }
        else if (zfs.Get(jail, CompleteProperty, releaseDataset) != "yes")
            throw new JailOperationException("JailBaseJailIncomplete", jail,
                $"jail \"{jail}\": {releaseDataset} exists but is not marked {CompleteProperty}=yes: its extraction never finished (a command was killed), so it is not cloned; nothing was done.",
                $"Destroy it (zfs destroy -r {releaseDataset}) if no jail is a clone of it (zfs list -o name,origin), and New-Jail makes it again.") { TargetObject = releaseDataset };
        bool cloned = false;
        plan.Add("clone", $"{JailZfs.Describe("snapshot", snapshot)}; {JailZfs.Describe("clone", snapshot, dataset)} (mounted at {root})",
            () =>
            {
                RefuseExisting(jail, dataset, root);
                // The snapshot is taken under the release's lock: never of a release dataset another plan is still extracting.
                using (held is null ? JailLock.Acquire(_host.Files, layoutLock, TimeSpan.FromSeconds(60)) : null)
                    zfs.Snapshot(jail, snapshot);
                CloneOrTakeBack(jail, snapshot, dataset, root);
                cloned = true;
            },
            () => { if (cloned) new JailRootRemover(_host, _output).DestroyDataset(jail, root, dataset); },
            $"{JailZfs.Describe("destroy", "-r", dataset)}; {JailZfs.Describe("destroy", snapshot)}");
        foreach (string file in new[] { "etc/resolv.conf", "etc/localtime" })
            AddHostFileCopy(plan, jail, root, file);
    }

    /// <summary>The dist files of a cached, verified release to extract: base.txz, and lib32.txz when it was saved.</summary>
    public (string Dir, IReadOnlyList<string> Dists) CachedRelease(string jail, string release, string arch)
    {
        string name = JailReleaseService.CheckRelease(release);
        string dir = JailReleaseService.CachePath(name, arch);
        var cached = new JailReleaseService(_host, _output).List().FirstOrDefault(r => r.Path == dir);
        if (cached is { Verified: true, Format: PkgBaseRelease.Kind })
            return (dir, new[] { PkgBaseRelease.RootDirectory + "/" });   // a packaged base: its installed root is copied
        if (cached is null || !cached.Verified || !cached.Distributions.Contains("base.txz"))
            throw new JailOperationException("JailReleaseNotCached", jail,
                $"jail \"{jail}\": {name} ({JailReleaseService.ArchitectureOf(arch).MachineArch}) is not in the release cache with a verified base.txz"
                + (cached is { Verified: false } ? " (a download is unfinished)" : "") + "; nothing was done.",
                $"Run Save-JailRelease {name}{(arch == "amd64" ? "" : " -Architecture " + arch)} first.") { TargetObject = release };
        return (dir, cached.Distributions.Where(d => d is "base.txz" or "lib32.txz").OrderBy(d => d == "base.txz" ? 0 : 1).ToList());
    }

    /// <summary>
    /// The extraction and host-file steps for a new root (the mkdir step comes before them). The
    /// root must be empty: JailPS never extracts over files someone else put there.
    /// </summary>
    public void AddBuildSteps(JailPlan plan, string jail, string root, string release, string arch)
    {
        var (dir, dists) = CachedRelease(jail, release, arch);
        root = Prepare(jail, root);
        AddExtractSteps(plan, jail, root, dir, dists, release);
        foreach (string file in new[] { "etc/resolv.conf", "etc/localtime" })
            AddHostFileCopy(plan, jail, root, file);
    }

    /// <summary>
    /// The root as the kernel will see it (a link the admin made on the way, /usr/jails -> /data,
    /// resolved, so tar, cp and the undo all act on the directory itself, never on a link), at
    /// least two levels deep (what JailRootRemover will take away again), and empty.
    /// </summary>
    private string Prepare(string jail, string root)
    {
        string real = _host.Files.RealPath(root);
        if (real.Split('/', StringSplitOptions.RemoveEmptyEntries).Length < 2)
            throw new JailOperationException("JailRootRefused", jail,
                $"jail \"{jail}\": {root} is the host's root or a top-level directory, which JailPS does not build a jail in; nothing was done.",
                "Give -Path a directory such as /usr/jails/NAME.") { TargetObject = root };
        RefuseNonEmpty(jail, real);
        return real;
    }

    private void RefuseNonEmpty(string jail, string root)
    {
        if (_host.Files.DirectoryExists(root) && _host.Files.Glob(HostPath.Combine(root, "*")).Count + _host.Files.Glob(HostPath.Combine(root, ".*")).Count > 0)
            throw new JailOperationException("JailRootNotEmpty", jail,
                $"jail \"{jail}\": {root} already holds files, so the release is not extracted over them; nothing was done.",
                "Give New-Jail -Path a new or empty directory, or leave -Release out to use the root as it is.") { TargetObject = root };
    }

    /// <summary>
    /// One extraction into a new root: what -WhatIf shows, the argv (tar or cp), and what runs just
    /// before it (an image layer's checks and whiteout deletions) and just after it.
    /// </summary>
    private sealed record Extraction(string Shown, string[] Argv, string Archive, string Advice, Action? Before = null, Action? After = null, Action? Finally = null);

    /// <summary>`tar -xpf DIST -C TARGET` for each dist of a cached release (cp -a of a pkgbase root).</summary>
    private void AddExtractSteps(JailPlan plan, string jail, string target, string dir, IReadOnlyList<string> dists, string release, Func<bool>? skip = null, bool targetIsDataset = false)
    {
        var items = dists.Select(dist =>
        {
            string archive = $"{dir}/{dist}";
            // A packaged base (pkgbase) is an installed root in the cache: copied with cp -a (links, modes and file flags kept), not extracted.
            bool copy = dist.EndsWith('/');
            return new Extraction(copy ? $"cp -a {archive}. {target}" : $"tar -xpf {archive} -C {target}",
                copy ? new[] { "/bin/cp", "-a", archive + ".", target } : new[] { TarPath, "-xpf", archive, "-C", target }, archive,
                $"Check the space left under {target} and the cache (Get-JailRelease); Save-JailRelease {release}{(copy ? " -Source PkgBase" : "")} -Force {(copy ? "installs" : "fetches")} it again.");
        }).ToList();
        AddExtractSteps(plan, jail, target, items, skip, targetIsDataset);
    }

    /// <summary>
    /// The extractions in order, the first one's undo taking the whole tree away (TARGET was empty).
    /// A failed one takes away what it (and those before it) wrote before the rollback runs.
    /// </summary>
    private void AddExtractSteps(JailPlan plan, string jail, string target, IReadOnlyList<Extraction> items, Func<bool>? skip, bool targetIsDataset)
    {
        var remover = new JailRootRemover(_host, _output);
        // An empty directory the admin made stays, empty; so does a dataset's mountpoint (the dataset's own undo destroys it).
        bool existed = targetIsDataset || _host.Files.DirectoryExists(target);
        string? madeTop = null;
        // What an undo leaves: a directory that was there (perhaps a mount point) is emptied, one this command made goes (with the parents it made).
        void TakeBack()
        {
            if (existed) remover.EmptyTree(jail, target);
            else RemoveWithMadeParents(remover, jail, target, madeTop);
        }
        bool extracted = false;
        foreach (var item in items)
        {
            bool first = ReferenceEquals(item, items[0]);
            plan.Add("extract", item.Shown,
                () =>
                {
                    if (skip?.Invoke() == true) return;
                    extracted = true;
                    if (!_host.Files.DirectoryExists(target))
                    {
                        madeTop ??= HighestMissing(target);
                        _host.Files.CreateDirectory(target);
                    }
                    try
                    {
                        item.Before?.Invoke();
                        var r = Run(jail, item.Argv);
                        if (r.ExitCode != 0)
                            throw new JailOperationException("JailRootExtractFailed", jail,
                                $"jail \"{jail}\": {string.Join(" ", item.Argv.Select(a => a == TarPath ? "tar" : a))} failed (exit {r.ExitCode}): {r.FirstErrorLine ?? "no message"}.",
                                item.Advice) { TargetObject = item.Archive };
                        item.After?.Invoke();
                    }
                    catch (JailOperationException)
                    {
                        // A failed step is not undone by the plan runner: what was written before it
                        // failed is taken away here, so the rollback finds the directory as it was.
                        TakeBack();
                        if (!first && !existed) _host.Files.CreateDirectory(target);
                        throw;
                    }
                    finally
                    {
                        item.Finally?.Invoke();
                    }
                },
                // One undo for the whole tree, on the first extraction: later ones only add to it.
                first ? () =>
                {
                    if (!extracted) return;
                    TakeBack();
                } : null,
                first ? (existed ? $"chflags -R noschg and rm -rf what this command extracted into {target} (it was empty)" : $"chflags -R noschg {target}; rm -rf {target} (only what this command extracted: the directory was empty)") : null);
        }
    }

    /// <summary>
    /// New-Jail -Image: the image's layers applied in order into the new (empty) root, each with
    /// <see cref="LayerExtraction"/>. The host's resolv.conf and localtime follow, as for a release.
    /// </summary>
    public void AddImageSteps(JailPlan plan, string jail, string root, Images.JailImageService.ImageRecord image)
    {
        root = Prepare(jail, root);
        var tree = new Images.ImageTree();
        var items = image.Layers.Select((layer, i) => LayerExtraction(jail, image, i, root, tree)).ToList();
        AddExtractSteps(plan, jail, root, items, null, targetIsDataset: false);
        if (image.HasEtc)
            foreach (string file in new[] { "etc/resolv.conf", "etc/localtime" })
                AddHostFileCopy(plan, jail, root, file);
    }

    /// <summary>
    /// One layer applied as an OCI runtime would: checked against the tree the layers below leave
    /// (<see cref="Images.OciLayerScanner"/>: digests, nothing beneath a link or a whiteout, no "..",
    /// hard links inside, bounded sizes) and written out again as a plain tar of exactly the checked
    /// entries (whiteouts left out); then what its whiteouts hide taken away (chflags -R noschg,
    /// rm -rf, with no link on the way); then `tar -xpf REBUILT -C TARGET` (bsdtar: modes, owners,
    /// flags, hard links). The blob itself never reaches tar; the rebuilt tar goes when the step ends.
    /// </summary>
    private Extraction LayerExtraction(string jail, Images.JailImageService.ImageRecord image, int i, string target, Images.ImageTree tree)
    {
        var layer = image.Layers[i];
        int index = i + 1, n = image.Layers.Count;
        string rebuilt = $"{Images.JailImageService.RebuiltDir}/{layer.Digest[7..23]}-{Images.OciDocuments.Sha256(System.Text.Encoding.UTF8.GetBytes(jail))[7..19]}.tar";
        string activity = $"Applying {image.Reference} to {target}";
        return new Extraction(
            $"layer {index}/{n} {layer.Digest[..19]}: check it and write its checked entries to {rebuilt}; rm -rf what its whiteouts hide; tar -xpf {rebuilt} -C {target}",
            new[] { TarPath, "-xpf", rebuilt, "-C", target }, Images.JailImageService.BlobPath(layer.Digest),
            $"Check the space left under {target} and {Images.JailImageService.CacheRoot}; Save-JailImage {image.Reference} -Force fetches the image again.",
            Before: () =>
            {
                _output.Progress(new JailProgress(Images.JailImageService.ProgressActivity, activity, $"layer {index} of {n}") { PercentComplete = 100 * i / n });
                var changes = new Images.JailImageService(_host, _output).ScanLayer(image, layer, index, tree, rebuilt);
                if (changes.Deletions.Count > 0) new JailRootRemover(_host, _output).RemovePaths(jail, target, changes.Deletions);
            },
            After: () => { if (index == n) _output.Progress(new JailProgress(Images.JailImageService.ProgressActivity, activity, "done").Complete()); },
            Finally: () => _host.Files.DeleteFile(rebuilt));
    }

    /// <summary>
    /// OCI's chain ID of each layer (image-spec config.md): ChainID(L0) = DiffID(L0), ChainID(Ln) =
    /// sha256(ChainID(Ln-1) + " " + DiffID(Ln)): what a layer's content is with all below it, so
    /// two images that share their lower layers share those layers' datasets.
    /// </summary>
    public static IReadOnlyList<string> ChainIds(Images.JailImageService.ImageRecord image)
    {
        var ids = new List<string>();
        foreach (var layer in image.Layers)
            ids.Add(ids.Count == 0 ? layer.DiffId : Images.OciDocuments.Sha256(System.Text.Encoding.ASCII.GetBytes(ids[^1] + " " + layer.DiffId)));
        return ids;
    }

    /// <summary>The lock every change to the layer datasets beside the jails takes.</summary>
    public const string ImageLayersLock = "image-layers";

    /// <summary>
    /// New-Jail -Image where the jails' directory is a dataset, as podman's ZFS storage driver
    /// keeps layers: one dataset per layer, PARENT/images/CHAINID, the lowest created and each
    /// next one a clone of a snapshot of the one below (@jailps-CHILD), its layer applied into it
    /// (whiteouts, then tar) and marked complete; the jail's root is then a clone of the top
    /// layer's snapshot for the jail (@jailps-NAME), as a thick jail of a release is. A layer dataset
    /// that is already there and complete is used as it is (its layer is still checked, to know
    /// the tree the layers above it apply to); one that is not complete is refused. The undo
    /// destroys what this plan made, under the layers' lock.
    /// </summary>
    public void AddImageCloneSteps(JailPlan plan, string jail, string root, string dataset, Images.JailImageService.ImageRecord image)
    {
        root = HostPath.Normalize(root);
        var zfs = new JailZfs(_host);
        var images = new Images.JailImageService(_host, _output);
        var remover = new JailRootRemover(_host, _output);
        string parentDataset = dataset[..dataset.LastIndexOf('/')];
        string imagesDataset = $"{parentDataset}/images", imagesDir = HostPath.Combine(HostPath.GetDirectoryName(root), "images");
        var chain = ChainIds(image);
        var tree = new Images.ImageTree();
        JailLock? held = null;
        plan.Finally.Add(() => held?.Dispose());
        void Lock() => held ??= JailLock.Acquire(_host.Files, ImageLayersLock, TimeSpan.FromSeconds(60));
        if (!zfs.Exists(imagesDataset, jail))
            AddCreateStep(plan, jail, "layer dataset", imagesDataset, imagesDir, before: Lock, skip: () => zfs.Exists(imagesDataset, jail), keepWithChildren: true);
        int n = image.Layers.Count;
        for (int i = 0; i < n; i++)
        {
            var layer = image.Layers[i];
            int index = i + 1;
            string layerDataset = $"{imagesDataset}/{chain[i][7..]}", layerDir = $"{imagesDir}/{chain[i][7..]}";
            if (zfs.Exists(layerDataset, jail))
            {
                if (zfs.Get(jail, CompleteProperty, layerDataset) != "yes")
                    throw new JailOperationException("JailBaseJailIncomplete", jail,
                        $"jail \"{jail}\": the layer dataset {layerDataset} exists but is not marked {CompleteProperty}=yes: applying its layer never finished, so nothing is cloned from it; nothing was done.",
                        $"Destroy it (zfs destroy -r {layerDataset}) if nothing is a clone of it (zfs list -o name,origin), and New-Jail makes it again.") { TargetObject = layerDataset };
                plan.Add("layer", $"layer {index}/{n} {layer.Digest[..19]}: in {layerDataset} already; check it (the tree the layers above apply to)",
                    () => { Lock(); images.ScanLayer(image, layer, index, tree); });
                continue;
            }
            if (i == 0)
                AddCreateStep(plan, jail, "layer dataset", layerDataset, layerDir, before: Lock);
            else
            {
                string below = $"{imagesDataset}/{chain[i - 1][7..]}", snapshot = $"{below}@{JailZfs.ClonePrefix}{chain[i][7..19]}";
                bool cloned = false;
                plan.Add("layer dataset", $"{JailZfs.Describe("snapshot", snapshot)}; {JailZfs.Describe("clone", snapshot, layerDataset)} (mounted at {layerDir})",
                    () =>
                    {
                        Lock();
                        RefuseExisting(jail, layerDataset, layerDir);
                        if (!zfs.Exists(snapshot, jail)) zfs.Snapshot(jail, snapshot);
                        CloneOrTakeBack(jail, snapshot, layerDataset, layerDir);
                        cloned = true;
                    },
                    () =>
                    {
                        if (!cloned) return;
                        zfs.Destroy(jail, layerDataset, recursive: true);
                        if (zfs.Exists(snapshot, jail)) zfs.Destroy(jail, snapshot);
                    },
                    $"{JailZfs.Describe("destroy", "-r", layerDataset)}; {JailZfs.Describe("destroy", snapshot)}");
            }
            AddExtractSteps(plan, jail, layerDir, new[] { LayerExtraction(jail, image, i, layerDir, tree) }, null, targetIsDataset: true);
            plan.Add("complete", $"{JailZfs.Describe("set", CompleteProperty + "=yes", layerDataset)} (only a layer dataset whose layer was applied whole is ever cloned)",
                () => zfs.SetUserProperty(jail, CompleteProperty, "yes", layerDataset));
        }
        string top = $"{imagesDataset}/{chain[^1][7..]}", jailSnapshot = $"{top}@{JailZfs.ClonePrefix}{jail}";
        RefuseExisting(jail, jailSnapshot, $"{imagesDir}/{chain[^1][7..]}");
        bool rootCloned = false;
        plan.Add("clone", $"{JailZfs.Describe("snapshot", jailSnapshot)}; {JailZfs.Describe("clone", jailSnapshot, dataset)} (mounted at {root})",
            () =>
            {
                Lock();
                RefuseExisting(jail, dataset, root);
                zfs.Snapshot(jail, jailSnapshot);
                CloneOrTakeBack(jail, jailSnapshot, dataset, root);
                rootCloned = true;
            },
            () => { if (rootCloned) remover.DestroyDataset(jail, root, dataset); },
            $"{JailZfs.Describe("destroy", "-r", dataset)}; {JailZfs.Describe("destroy", jailSnapshot)}");
        if (image.HasEtc)
            foreach (string file in new[] { "etc/resolv.conf", "etc/localtime" })
                AddHostFileCopy(plan, jail, root, file);
    }

    /// <summary>
    /// `zfs clone SNAPSHOT DATASET`, checked to be mounted where it belongs. The step that calls it
    /// has failed when this throws, so its undo will not run: the clone (zfs keeps one it could not
    /// mount) and the snapshot, taken just before for it, go here.
    /// </summary>
    private void CloneOrTakeBack(string jail, string snapshot, string dataset, string mountedAt)
    {
        var zfs = new JailZfs(_host);
        try
        {
            zfs.Clone(jail, snapshot, dataset);
            CheckMountedAt(jail, dataset, mountedAt);
        }
        catch (JailOperationException)
        {
            if (zfs.Exists(dataset, jail)) zfs.Destroy(jail, dataset, recursive: true);
            zfs.Destroy(jail, snapshot);
            throw;
        }
    }

    private ProcessResult Run(string jail, params string[] argv)
        => _host.Processes.Run(new ProcessRequest { Arguments = argv, JailName = jail, Purpose = "provision", Timeout = TimeSpan.FromMinutes(30) });

    /// <summary>What seed 003 moves from the basejail into the template: what a jail writes to.</summary>
    private static readonly string[] s_templateDirs = { "etc", "dev", "media", "mnt", "proc", "root", "tmp", "var", "usr/local", "usr/obj", ".cshrc", ".profile", "COPYRIGHT" };

    /// <summary>What the template links into /basejail (seed 003), where the basejail has it.</summary>
    private static readonly string[] s_baseLinks = { "bin", "boot", "lib", "libexec", "rescue", "sbin", "sys",
        "usr/bin", "usr/games", "usr/include", "usr/lib", "usr/lib32", "usr/libdata", "usr/libexec", "usr/ports", "usr/sbin", "usr/share", "usr/src" };

    /// <summary>Seed 003's layout beside the jails: PARENT/basejail/RELEASE (read-only, nullfs into every thin jail) and PARENT/templates/RELEASE.</summary>
    public static (string BaseJail, string Template) ThinLayout(string root, string release, string arch)
    {
        string parent = HostPath.GetDirectoryName(HostPath.Normalize(root));
        string leaf = JailReleaseService.LayoutName(release, arch);
        return (HostPath.Combine(parent, "basejail/" + leaf), HostPath.Combine(parent, "templates/" + leaf));
    }

    /// <summary>
    /// New-Jail -Release -Thin: seed 003's split. The first thin jail of a release extracts it into
    /// the basejail and moves what a jail writes to (etc, var, usr/local, ...) into the template,
    /// which links the rest to /basejail; every thin jail is then a copy of the template
    /// (`cp -a`), with the basejail mounted read-only at ROOT/basejail by its definition.
    /// </summary>
    public void AddThinSteps(JailPlan plan, string jail, string root, string release, string arch, bool rootIsDataset = false)
    {
        root = rootIsDataset ? HostPath.Normalize(root) : Prepare(jail, root);
        var (baseJail, template, haveBase) = AddLayoutSteps(plan, jail, root, release, arch);
        string layoutLock = JailReleaseService.LockName(release, arch);
        if (haveBase)
            _output.Verbose($"jail {jail}: {baseJail} and {template} exist; the new jail is a copy of the template");
        AddTemplateCopySteps(plan, jail, root, baseJail, template, layoutLock, haveBase, rootIsDataset);
    }

    /// <summary>
    /// The basejail and template of a release beside ROOT (PARENT/basejail/RELEASE and
    /// PARENT/templates/RELEASE), made when missing: the release extracted into the basejail and
    /// what a jail writes to moved into the template (seed 003). HaveBase: they existed already.
    /// </summary>
    public (string BaseJail, string Template, bool HaveBase) AddLayoutSteps(JailPlan plan, string jail, string root, string release, string arch)
    {
        var (dir, dists) = CachedRelease(jail, release, arch);
        var (baseJail, template) = ThinLayout(root, release, arch);
        string layoutLock = JailReleaseService.LockName(release, arch);
        bool haveBase = _host.Files.DirectoryExists(baseJail), haveTemplate = _host.Files.DirectoryExists(template);
        if (haveBase != haveTemplate)
            throw new JailOperationException("JailBaseJailIncomplete", jail,
                $"jail \"{jail}\": {(haveBase ? baseJail : template)} exists but {(haveBase ? template : baseJail)} does not, so the thin-jail layout of {release} is half made; nothing was done.",
                $"Move the one that exists aside (or delete it), and New-Jail -Thin makes both again.") { TargetObject = haveBase ? template : baseJail };
        if (!haveBase)
        {
            // The basejail and template are every thin jail's of the release: made, and rolled
            // back, under the release's lock, held to the end of this plan (its rollback included),
            // so no other jail copies a template this plan may still take away.
            JailLock? held = null;
            bool madeByOther = false;
            plan.Finally.Add(() => held?.Dispose());
            plan.Add("layout lock", $"lock {layoutLock} while {baseJail} and {template} are made",
                () =>
                {
                    held = JailLock.Acquire(_host.Files, layoutLock, TimeSpan.FromSeconds(60));
                    madeByOther = _host.Files.DirectoryExists(baseJail) && _host.Files.DirectoryExists(template);
                    if (madeByOther) _output.Verbose($"jail {jail}: {baseJail} was made by another command meanwhile; it is used as it is");
                });
            AddExtractSteps(plan, jail, baseJail, dir, dists, release, () => madeByOther);
            var remover = new JailRootRemover(_host, _output);
            bool made = false;
            string? templateTop = null;
            plan.Add("template", $"chflags -R noschg {baseJail}/var/empty; mv {{{string.Join(",", s_templateDirs)}}} {template}/; mkdir {template}/basejail; ln -s /basejail/... for {string.Join(" ", s_baseLinks)}",
                () =>
                {
                    if (madeByOther) return;
                    made = true;
                    templateTop = HighestMissing(template);
                    try
                    {
                    _host.Files.CreateDirectory(template + "/usr");
                    if (_host.Files.DirectoryExists(baseJail + "/var/empty"))
                    {
                        var r = Run(jail, "/bin/chflags", "-R", "noschg", baseJail + "/var/empty");
                        if (r.ExitCode != 0)
                            throw new JailOperationException("JailRootExtractFailed", jail, $"jail \"{jail}\": chflags -R noschg {baseJail}/var/empty failed: {r.FirstErrorLine}.");
                    }
                    foreach (string d in s_templateDirs)
                    {
                        string from = $"{baseJail}/{d}", to = $"{template}/{d}";
                        if (_host.Files.DirectoryExists(from)) _host.Files.MoveDirectory(from, to);
                        else if (_host.Files.FileExists(from)) _host.Files.MoveFile(from, to);
                    }
                    _host.Files.CreateDirectory(template + "/basejail");
                    foreach (string l in s_baseLinks)
                        if (_host.Files.DirectoryExists($"{baseJail}/{l}"))
                            _host.Files.CreateSymbolicLink($"{template}/{l}", "/basejail/" + l);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        // This step failed, so its undo will not run: the half-made template goes now
                        // (the rollback then takes the basejail away, and a later -Thin starts afresh).
                        made = false;
                        RemoveWithMadeParents(remover, jail, template, templateTop);
                        throw new JailOperationException("JailRootExtractFailed", jail,
                            $"jail \"{jail}\": making the template {template} from {baseJail} failed: {ex.Message}"
                            + (ex.Message.Contains("cross-device", StringComparison.OrdinalIgnoreCase) ? " (basejail and templates must be on one file system)" : "") + ".",
                            $"Make {HostPath.GetDirectoryName(baseJail)} and {HostPath.GetDirectoryName(template)} directories of one file system, then try again.") { TargetObject = template };
                    }
                },
                () => { if (made) RemoveWithMadeParents(remover, jail, template, templateTop); },
                $"chflags -R noschg {template}; rm -rf {template}");
        }
        return (baseJail, template, haveBase);
    }

    private void AddTemplateCopySteps(JailPlan plan, string jail, string root, string baseJail, string template, string layoutLock, bool haveBase, bool rootIsDataset)
    {
        var rootRemover = new JailRootRemover(_host, _output);
        bool copied = false, rootExisted = rootIsDataset || _host.Files.DirectoryExists(root);
        void TakeRootBack()
        {
            if (rootExisted) rootRemover.EmptyTree(jail, root);
            else rootRemover.RemoveTree(jail, root);
        }
        plan.Add("copy", $"cp -a {template}/. {root}",
            () =>
            {
                // Copied under the release's lock: never from a template another plan is making or taking back.
                using (haveBase ? JailLock.Acquire(_host.Files, layoutLock, TimeSpan.FromSeconds(60)) : null)
                {
                    if (!_host.Files.DirectoryExists(template) || !_host.Files.DirectoryExists(baseJail))
                        throw new JailOperationException("JailBaseJailIncomplete", jail,
                            $"jail \"{jail}\": {template} or {baseJail} went away while this command ran; nothing was copied.",
                            "Run New-Jail -Thin again: it makes them afresh.") { TargetObject = template };
                    copied = true;
                    var r = Run(jail, "/bin/cp", "-a", template + "/.", root);
                    if (r.ExitCode == 0) return;
                    TakeRootBack(); // what cp wrote before it failed
                    copied = false;
                    throw new JailOperationException("JailRootExtractFailed", jail,
                        $"jail \"{jail}\": cp -a {template}/. {root} failed (exit {r.ExitCode}): {r.FirstErrorLine ?? "no message"}.",
                        $"Check the space left under {root}.") { TargetObject = template };
                }
            },
            () =>
            {
                if (!copied) return;
                TakeRootBack();
            },
            $"chflags -R noschg {root}; rm -rf {root}");
        foreach (string file in new[] { "etc/resolv.conf", "etc/localtime" })
            AddHostFileCopy(plan, jail, root, file);
    }

    /// <summary>bsdinstall jail copies the host's resolv.conf and localtime; a resolver on the host's loopback is one the jail cannot reach (seed 001).</summary>
    private void AddHostFileCopy(JailPlan plan, string jail, string root, string file)
    {
        string hostFile = "/" + file;
        if (!_host.Files.FileExists(hostFile)) return;
        if (file == "etc/localtime")
        {
            plan.Add("host file", $"copy {hostFile} to {root}/{file} (beneath the root, no link followed)",
                () => CopyBeneath(root, file, _host.Files.OpenFile(hostFile, System.IO.FileMode.Open, System.IO.FileAccess.Read)));
            return;
        }
        string text = _host.Files.ReadAllText(hostFile) ?? "";
        var loopback = LoopbackResolvers(text);
        if (loopback.Count > 0)
            _output.Warning($"jail \"{jail}\": the host's /etc/resolv.conf names {string.Join(", ", loopback)}, a resolver on the host's loopback that the jail cannot reach; it is copied as it is. Write the jail's {root}/etc/resolv.conf with the resolver's unicast address (nameserver 10.1.0.1, say).");
        plan.Add("host file", $"copy {hostFile} to {root}/{file} (beneath the root, no link followed)",
            () => _host.AppendBeneathRoot(root, file, text));
    }

    /// <summary>The highest directory of <paramref name="dir"/>'s path that does not exist yet (what mkdir -p will make first), or null.</summary>
    private string? HighestMissing(string dir)
    {
        string? top = null;
        for (string d = HostPath.Normalize(dir); d != "/" && !_host.Files.DirectoryExists(d); d = HostPath.GetDirectoryName(d)) top = d;
        return top;
    }

    /// <summary>Takes a tree this command made away, and the parents it made for it (PARENT/basejail, PARENT/templates) while they are empty.</summary>
    private void RemoveWithMadeParents(JailRootRemover remover, string jail, string dir, string? madeTop)
    {
        remover.RemoveTree(jail, dir);
        if (madeTop is null || madeTop == HostPath.Normalize(dir)) return;
        for (string d = HostPath.GetDirectoryName(HostPath.Normalize(dir)); d.Length >= madeTop.Length && d != "/"; d = HostPath.GetDirectoryName(d))
        {
            if (!_host.Files.DirectoryExists(d) || _host.Files.Glob(d + "/*").Count + _host.Files.Glob(d + "/.*").Count > 0) break;
            _host.Files.DeleteEmptyDirectory(d);
            if (d == madeTop) break;
        }
    }

    /// <summary>The nameservers of a resolv.conf that are on the host's loopback, which a jail cannot reach (seed 001).</summary>
    internal static IReadOnlyList<string> LoopbackResolvers(string resolvConf)
        => resolvConf.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("nameserver", StringComparison.Ordinal))
            .Select(l => l["nameserver".Length..].Trim()).Where(a => a.StartsWith("127.", StringComparison.Ordinal) || a == "::1").ToList();

    private void CopyBeneath(string root, string file, System.IO.Stream source)
    {
        using (source)
        {
            using var buffer = new System.IO.MemoryStream();
            source.CopyTo(buffer);
            _host.WriteBytesBeneathRoot(root, file, buffer.ToArray());
        }
    }

}

/// <summary>
/// Takes a jail root away: refused while anything is mounted beneath it (getfsstat), then
/// `chflags -R noschg ROOT` (base.txz installs libc and others schg, which rm cannot remove:
/// Bastille #570) and `rm -rf ROOT`, neither of which follows a link out of the root.
/// </summary>
public sealed class JailRootRemover
{
    private readonly JailHost _host;
    private readonly IJailOutput _output;

    public JailRootRemover(JailHost host, IJailOutput output)
    {
        _host = host;
        _output = output;
    }

    /// <summary>
    /// Takes away everything inside <paramref name="dir"/> and keeps the directory itself (one the
    /// admin made, perhaps a mount point: a mount exactly on it is fine, one beneath it is not).
    /// </summary>
    public void EmptyTree(string jail, string dir)
    {
        string r = HostPath.Normalize(dir);
        RefuseMountsBeneath(jail, r, allowOnItself: true, $"Unmount it, then empty {r} by hand.");
        var entries = _host.Files.Glob(r + "/*").Concat(_host.Files.Glob(r + "/.*"))
            .Where(e => HostPath.GetFileName(e) is not ("." or "..")).Distinct().ToList();
        if (entries.Count == 0) return;
        ClearFlagsAndRemove(jail, r, entries, argv => $"{argv[0]} of what was written into {r}", $"{r} is partly emptied",
            $"Run chflags -R noschg and rm -rf on what is left in {r} by hand.");
    }

    public void RemoveTree(string jail, string root)
    {
        string r = HostPath.Normalize(root);
        if (!HostPath.IsAbsolute(r) || r == "/" || r.Split('/', StringSplitOptions.RemoveEmptyEntries).Length < 2)
            throw new JailOperationException("JailRootRefused", jail, $"jail \"{jail}\": {root} is not a directory JailPS will delete (the root or a top-level directory).") { TargetObject = root };
        RefuseMountsBeneath(jail, r, allowOnItself: false, $"Unmount it (Dismount-JailFileSystem, or Stop-Jail {jail}), then try again.");
        ClearFlagsAndRemove(jail, r, new[] { r }, argv => string.Join(" ", argv), $"{r} is partly deleted",
            $"Run chflags -R noschg {r} and rm -rf {r} by hand (with kern.securelevel at 0 or below).");
        _output.Verbose($"jail {jail}: deleted {r}");
    }

    /// <summary>
    /// Takes away a root that is a dataset: `zfs destroy -r DS` (no file flag stands in the way of
    /// a destroy), refused while anything but the dataset and its children is mounted beneath it,
    /// then the snapshot it was cloned from when that was taken for this jail (ORIGIN@jailps-NAME).
    /// </summary>
    public void DestroyDataset(string jail, string root, string dataset)
    {
        string r = HostPath.Normalize(root);
        var mounted = new JailMountService(_host).Mounter.ReadTable()
            .Where(m => m.IsAtOrBelow(r) && !(m.FsType == "zfs" && (m.From == dataset || m.From.StartsWith(dataset + "/", StringComparison.Ordinal)))).ToList();
        if (mounted.Count > 0)
            throw new JailOperationException("JailRootBusy", jail,
                $"jail \"{jail}\": {string.Join(", ", mounted.Select(m => m.On))} is mounted beneath {r}, so {dataset} is not destroyed.",
                $"Unmount it (Dismount-JailFileSystem, or Stop-Jail {jail}), then try again.") { TargetObject = r };
        var zfs = new JailZfs(_host);
        string? origin = zfs.Get(jail, "origin", dataset);
        zfs.Destroy(jail, dataset, recursive: true);
        if (origin is not null && origin.EndsWith("@" + JailZfs.ClonePrefix + jail, StringComparison.Ordinal))
            zfs.Destroy(jail, origin);
        _output.Verbose($"jail {jail}: destroyed {dataset}" + (origin is not null && origin != "-" ? $" (a clone of {origin})" : ""));
    }

    /// <summary>
    /// Paths beneath a root that is being built (an image layer's whiteouts): `chflags -R noschg`
    /// and `rm -rf` on ROOT/PATH, in batches. The paths come from a checked layer, so no directory on
    /// their way is a link, and neither tool follows the last component.
    /// </summary>
    public void RemovePaths(string jail, string root, IReadOnlyList<string> relative)
    {
        string r = HostPath.Normalize(root);
        foreach (var batch in relative.Chunk(256))
        {
            // The layer's check says no directory on the way is a link; the disk is asked too, each
            // parent opened beneath the root without following one, before rm resolves it by name.
            foreach (string parent in batch.Select(p => p.Contains('/') ? p[..p.LastIndexOf('/')] : "").Distinct())
            {
                if (parent.Length == 0) continue;
                try { _host.RequireDirectoryBeneathRoot(r, parent); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Host.SafePath.PathEscapeException)
                {
                    throw new JailOperationException("JailRootRefused", jail,
                        $"jail \"{jail}\": {r}/{parent} is not a directory reached without a link ({ex.Message}), so nothing beneath it is deleted.",
                        $"Remove-Jail -DeleteRoot takes {r} away; then New-Jail again.") { TargetObject = $"{r}/{parent}" };
                }
            }
            var operands = batch.Select(p => HostPath.Normalize(HostPath.Combine(r, p))).ToList();
            foreach (string o in operands)
                if (!o.StartsWith(r + "/", StringComparison.Ordinal))
                    throw new JailOperationException("JailRootRefused", jail, $"jail \"{jail}\": {o} is not beneath {r}; nothing was deleted.") { TargetObject = o };
            ClearFlagsAndRemove(jail, r, operands, argv => $"{argv[0]} of what a layer's whiteouts hide in {r}", $"{r} is partly built",
                $"Remove-Jail -DeleteRoot takes {r} away; then New-Jail again.");
        }
    }

    /// <summary>getfsstat, read just before anything is deleted: nothing goes while a file system is mounted beneath (or, unless allowed, on) the directory.</summary>
    private void RefuseMountsBeneath(string jail, string dir, bool allowOnItself, string advice)
    {
        var mounted = new JailMountService(_host).Mounter.ReadTable()
            .Where(m => m.IsAtOrBelow(dir) && !(allowOnItself && HostPath.Normalize(m.On) == dir)).ToList();
        if (mounted.Count > 0)
            throw new JailOperationException("JailRootBusy", jail,
                $"jail \"{jail}\": {string.Join(", ", mounted.Select(m => m.On))} is mounted beneath {dir}, so nothing under it is deleted.",
                advice) { TargetObject = dir };
    }

    /// <summary>`chflags -R noschg OPERANDS` (rm cannot remove schg files), then `rm -rf OPERANDS`; neither follows a link.</summary>
    private void ClearFlagsAndRemove(string jail, string dir, IReadOnlyList<string> operands, Func<string[], string> what, string left, string advice)
    {
        foreach (var argv in new[] { new[] { "/bin/chflags", "-R", "noschg" }.Concat(operands).ToArray(), new[] { "/bin/rm", "-rf" }.Concat(operands).ToArray() })
        {
            var result = _host.Processes.Run(new ProcessRequest { Arguments = argv, JailName = jail, Purpose = "provision", Timeout = TimeSpan.FromMinutes(10) });
            if (result.ExitCode != 0)
                throw new JailOperationException("JailRootDeleteFailed", jail,
                    $"jail \"{jail}\": {what(argv)} failed (exit {result.ExitCode}): {result.StandardError.Trim()}; {left}.",
                    advice) { TargetObject = dir };
        }
    }
}
