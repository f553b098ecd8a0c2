#requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, packages and installs the JailPS module.

.DESCRIPTION
    A plain PowerShell build driver (no Invoke-Build needed) around the .NET SDK.

      Build    dotnet build of src/JailPS; the build lays the loadable module out in
               artifacts/module/JailPS/ (manifest stamped with the version, format and type
               files, about topics, and en-US/JailPS.dll-Help.xml generated from docs/).
      Test     dotnet test of the whole solution (xUnit), then every tests/pester/*.Tests.ps1
               under Pester (restored from NuGet, pinned in Directory.Build.props) in a fresh
               pwsh against the built module; prints the counts of both and their total as
               "N passed, N failed[, N skipped]".
      Tour     Build, then docs/examples/tour.ps1 in a fresh pwsh against the built module
               (the simulated host unless the tour is told otherwise).
      Package  Build, then JailPS.<version>.zip and JailPS.<version>.nupkg of the layout in
               artifacts/package/ (the .nupkg installs with Install-PSResource from a local
               repository, or can be published to a gallery).
      Install  Build, then copy the layout to <modules>/JailPS/<version>/ in the current
               user's (or all users') PowerShell module path.

      Reliability  Build, then run the reliability suite (xUnit trait Category=Reliability and
               tests/pester/JailPS.Concurrency.Tests.ps1) and print its figures: fault points
               and residue, fuzz runs and crashes, planted links and escapes, concurrent and
               killed runs, lost edits (also written to artifacts/reliability/figures.md).

    Tasks run in the order given; Tour, Package and Install build first. -WhatIf and -Confirm
    apply to what Package and Install write outside the build (the build itself always runs).
    Off FreeBSD, run it with the pwsh the repository pins: dotnet tool restore, then
    dotnet pwsh -NoProfile -File build.ps1 -Task ...

.PARAMETER Task
    One or more of Build, Test, Tour, Package, Install, Reliability. Default: Build.

.PARAMETER Configuration
    Release (default) or Debug.

.PARAMETER Scope
    Install: CurrentUser (default) or AllUsers (usually needs root).

.PARAMETER Destination
    Install: a modules folder to install into instead of the one -Scope selects.

.PARAMETER OutputPath
    Package: where the .zip and .nupkg go. Default: artifacts/package.

.PARAMETER Force
    Install: replace an installed copy of the same version.

.EXAMPLE
    ./build.ps1

    Builds the module in Release and prints where the layout is.

.EXAMPLE
    ./build.ps1 -Task Build, Test

    Builds, runs xUnit and Pester, and ends with the total, e.g. "1339 passed, 0 failed, 80 skipped".

.EXAMPLE
    dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 -Task Tour

    The README's quick start: builds and runs the tour against the simulated host.

.EXAMPLE
    ./build.ps1 -Task Install -WhatIf

    Shows where the module would be installed without copying anything.

.EXAMPLE
    ./build.ps1 -Task Package -OutputPath /tmp/jailps
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [ValidateSet('Build', 'Test', 'Tour', 'Package', 'Install', 'Reliability')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    [ValidateSet('CurrentUser', 'AllUsers')]
    [string] $Scope = 'CurrentUser',

    [string] $Destination,

    [string] $OutputPath,

    [switch] $Force
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$RepoRoot = $PSScriptRoot
$ModuleProject = [System.IO.Path]::Combine($RepoRoot, 'src', 'JailPS', 'JailPS.csproj')
$Solution = [System.IO.Path]::Combine($RepoRoot, 'JailPS.sln')
$LayoutDir = [System.IO.Path]::Combine($RepoRoot, 'artifacts', 'module', 'JailPS')
$Manifest = [System.IO.Path]::Combine($LayoutDir, 'JailPS.psd1')

function Write-Step {
    param([string] $Text)
    $Host.UI.WriteLine("==> $Text")
}

function Stop-Build {
    param([string] $Message, [string] $ErrorId = 'BuildFailed', [System.Management.Automation.ErrorCategory] $Category = 'InvalidOperation')
    $exception = [System.InvalidOperationException]::new($Message)
    $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($exception, $ErrorId, $Category, $null))
}

function Get-DotNet {
    $dotnet = @(Get-Command -Name dotnet -CommandType Application -ErrorAction Ignore)[0]
    if (-not $dotnet) {
        Stop-Build -ErrorId 'DotNetNotFound' -Category NotInstalled -Message (
            'The .NET SDK (dotnet) is not on PATH. JailPS builds with the .NET 10 SDK ' +
            '(the module itself targets net8.0 and loads in pwsh 7.4 and later).')
    }
    $dotnet.Source
}

function Invoke-DotNet {
    param([string[]] $Arguments)
    $dotnet = Get-DotNet
    Write-Step "dotnet $($Arguments -join ' ')"
    # Shown as it comes, and kept out of the task's output objects.
    & $dotnet @Arguments | ForEach-Object { $Host.UI.WriteLine([string] $_) }
    if ($LASTEXITCODE -ne 0) {
        Stop-Build -ErrorId 'DotNetFailed' -Message "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE (see the output above)."
    }
}

# The manifest's data, read without importing the module (Import-PowerShellDataFile is not a core cmdlet).
function Read-Manifest {
    if (-not [System.IO.File]::Exists($Manifest)) {
        Stop-Build -ErrorId 'LayoutMissing' -Category ObjectNotFound -Message "No module layout at $LayoutDir; run the Build task first."
    }
    $tokens = $null
    $parseErrors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($Manifest, [ref] $tokens, [ref] $parseErrors)
    if ($parseErrors) {
        Stop-Build -ErrorId 'ManifestInvalid' -Message "$Manifest does not parse: $($parseErrors[0].Message)"
    }
    $table = $ast.Find({ param($node) $node -is [System.Management.Automation.Language.HashtableAst] }, $false)
    $data = $table.SafeGetValue()
    $prerelease = ''
    if ($data['PrivateData'] -and $data['PrivateData']['PSData'] -and $data['PrivateData']['PSData']['Prerelease']) {
        $prerelease = [string] $data['PrivateData']['PSData']['Prerelease']
    }
    $version = [string] $data['ModuleVersion']
    [pscustomobject]@{
        Data           = $data
        ModuleVersion  = $version
        PackageVersion = if ($prerelease) { "$version-$prerelease" } else { $version }
    }
}

function Copy-Tree {
    param([string] $From, [string] $To)
    foreach ($file in [System.IO.Directory]::EnumerateFiles($From, '*', [System.IO.SearchOption]::AllDirectories)) {
        $relative = [System.IO.Path]::GetRelativePath($From, $file)
        $target = [System.IO.Path]::Combine($To, $relative)
        [void] [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($target))
        [System.IO.File]::Copy($file, $target, $true)
    }
}

function Invoke-BuildTask {
    param([switch] $Quiet)
    $arguments = @('build', $ModuleProject, '-c', $Configuration, '-nologo')
    if ($Quiet) { $arguments += @('-v', 'quiet', '-clp:NoSummary') }
    Invoke-DotNet $arguments
    $info = Read-Manifest
    # Test-ModuleManifest checks that every file the manifest names is in the layout.
    $null = Test-ModuleManifest -Path $Manifest -ErrorAction Stop
    $helpFile = [System.IO.Path]::Combine($LayoutDir, 'en-US', 'JailPS.dll-Help.xml')
    if (-not [System.IO.File]::Exists($helpFile)) {
        $PSCmdlet.WriteWarning("The layout has no $helpFile; Get-Help will show syntax only.")
    }
    Write-Step "JailPS $($info.PackageVersion) laid out in $LayoutDir"
    [System.IO.DirectoryInfo]::new($LayoutDir)
}

# A fresh pwsh process like this one: the dotnet tool runs as `dotnet .../pwsh.dll`, an installed pwsh as itself.
function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([System.IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        return @($process, [System.IO.Path]::Combine($PSHOME, 'pwsh.dll'))
    }
    @($process)
}

# Runs a script in a fresh pwsh with the built module first on PSModulePath, as an installed module would be.
function Invoke-FreshPwsh {
    param([string[]] $Arguments)
    $pwsh = Get-PwshCommand
    $saved = $env:PSModulePath
    $env:PSModulePath = [System.IO.Path]::GetDirectoryName($LayoutDir) + [System.IO.Path]::PathSeparator + $saved
    try {
        & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive @Arguments | ForEach-Object { $Host.UI.WriteLine([string] $_) }
        $LASTEXITCODE
    }
    finally {
        $env:PSModulePath = $saved
    }
}

# Pester comes from the NuGet package restored by tests/JailPS.Module.Tests (version pinned in Directory.Build.props).
function Get-PesterManifest {
    $props = [xml] [System.IO.File]::ReadAllText([System.IO.Path]::Combine($RepoRoot, 'Directory.Build.props'))
    $version = [string] ($props.Project.PropertyGroup | ForEach-Object { $_.PesterVersion } | Where-Object { $_ } | Select-Object -First 1)
    $packages = $env:NUGET_PACKAGES
    if (-not $packages) {
        $line = & (Get-DotNet) nuget locals global-packages --list | Select-Object -First 1
        $packages = ([string] $line) -replace '^\s*global-packages:\s*', ''
    }
    $path = [System.IO.Path]::Combine($packages.Trim(), 'pester', $version, 'tools', 'Pester.psd1')
    if (-not [System.IO.File]::Exists($path)) {
        Stop-Build -ErrorId 'PesterNotRestored' -Category ObjectNotFound -Message (
            "Pester $version is not in the NuGet cache ($path). Restore it with: dotnet restore tests/JailPS.Module.Tests")
    }
    $path
}

# "N passed, N failed[, N skipped]", the closing line CI reads.
function Format-Counts {
    param([int] $Passed, [int] $Failed, [int] $Skipped)
    $text = "$Passed passed, $Failed failed"
    if ($Skipped -gt 0) { $text += ", $Skipped skipped" }
    $text
}

function Invoke-TestTask {
    # xUnit: dotnet test prints one summary line per test assembly.
    $xunit = @{ Passed = 0; Failed = 0; Skipped = 0; Assemblies = 0 }
    $dotnet = Get-DotNet
    Write-Step "dotnet test $Solution -c $Configuration"
    & $dotnet test $Solution -c $Configuration -nologo | ForEach-Object {
        $line = [string] $_
        $Host.UI.WriteLine($line)
        if ($line -match '(Passed|Failed)!\s+-\s+Failed:\s+(\d+),\s+Passed:\s+(\d+),\s+Skipped:\s+(\d+)') {
            $xunit.Failed += [int] $Matches[2]; $xunit.Passed += [int] $Matches[3]; $xunit.Skipped += [int] $Matches[4]
            $xunit.Assemblies++
        }
    }
    $xunitExit = $LASTEXITCODE
    if ($xunit.Assemblies -eq 0) { $xunit.Failed++ }   # nothing ran: the build failed

    # Pester: every tests/pester/*.Tests.ps1 in a fresh pwsh against the built module.
    $pester = @{ Passed = 0; Failed = 1; Skipped = 0 }
    if ([System.IO.File]::Exists($Manifest)) {
        $summary = [System.IO.Path]::Combine($RepoRoot, 'artifacts', 'TestResults', 'pester-summary.json')
        $runner = [System.IO.Path]::Combine($RepoRoot, 'tools', 'Invoke-PesterSuite.ps1')
        Write-Step "Pester: tests/pester in a fresh pwsh"
        $null = Invoke-FreshPwsh @('-File', $runner, '-PesterManifest', (Get-PesterManifest),
            '-TestPath', ([System.IO.Path]::Combine($RepoRoot, 'tests', 'pester')), '-SummaryPath', $summary)
        if ([System.IO.File]::Exists($summary)) {
            $counts = Get-Content -Raw $summary | ConvertFrom-Json
            $pester = @{ Passed = [int] $counts.Passed; Failed = [int] $counts.Failed; Skipped = [int] $counts.Skipped }
        }
    }
    else {
        $Host.UI.WriteErrorLine("No module layout at ${LayoutDir}: the build failed, so the Pester tests could not run.")
    }

    $Host.UI.WriteLine('xUnit: ' + (Format-Counts $xunit.Passed $xunit.Failed $xunit.Skipped))
    $Host.UI.WriteLine('Pester: ' + (Format-Counts $pester.Passed $pester.Failed $pester.Skipped))
    $Host.UI.WriteLine((Format-Counts ($xunit.Passed + $pester.Passed) ($xunit.Failed + $pester.Failed) ($xunit.Skipped + $pester.Skipped)))
    if ($xunitExit -ne 0 -or $xunit.Failed -gt 0 -or $pester.Failed -gt 0) {
        Stop-Build -ErrorId 'TestsFailed' -Message 'Some tests failed (see the counts above).'
    }
}

# The reliability suite, on demand: the sweeps record their figures in artifacts/reliability.
function Invoke-ReliabilityTask {
    $dir = [System.IO.Path]::Combine($RepoRoot, 'artifacts', 'reliability')
    if ([System.IO.Directory]::Exists($dir)) { [System.IO.Directory]::Delete($dir, $true) }
    [void] [System.IO.Directory]::CreateDirectory($dir)
    $saved = $env:JAILPS_RELIABILITY_FIGURES
    $env:JAILPS_RELIABILITY_FIGURES = $dir
    $failed = $false
    try {
        $core = [System.IO.Path]::Combine($RepoRoot, 'tests', 'JailPS.Core.Tests', 'JailPS.Core.Tests.csproj')
        Write-Step "dotnet test --filter Category=Reliability"
        & (Get-DotNet) test $core -c $Configuration -nologo --filter 'Category=Reliability' | ForEach-Object { $Host.UI.WriteLine([string] $_) }
        if ($LASTEXITCODE -ne 0) { $failed = $true }
        $summary = [System.IO.Path]::Combine($dir, 'pester-summary.json')
        Write-Step "Pester: tests/pester/JailPS.Concurrency.Tests.ps1 in a fresh pwsh"
        $null = Invoke-FreshPwsh @('-File', ([System.IO.Path]::Combine($RepoRoot, 'tools', 'Invoke-PesterSuite.ps1')),
            '-PesterManifest', (Get-PesterManifest), '-TestPath', ([System.IO.Path]::Combine($RepoRoot, 'tests', 'pester', 'JailPS.Concurrency.Tests.ps1')),
            '-SummaryPath', $summary)
        if (-not [System.IO.File]::Exists($summary) -or [int] (Get-Content -Raw $summary | ConvertFrom-Json).Failed -gt 0) { $failed = $true }
    }
    finally {
        $env:JAILPS_RELIABILITY_FIGURES = $saved
    }
    $rows = foreach ($file in [System.IO.Directory]::GetFiles($dir, '*.tsv') | Sort-Object) {
        $f = ([System.IO.File]::ReadAllText($file).TrimEnd("`n")) -split "`t"
        [pscustomobject]@{ Figure = $f[0]; Tried = [long] $f[1]; Bad = [long] $f[2]; Counted = $f[3] }
    }
    $table = @('| figure | tried | bad | counted (tried / bad) |', '|---|---:|---:|---|') +
        @($rows | ForEach-Object { "| $($_.Figure) | $($_.Tried) | $($_.Bad) | $($_.Counted) |" })
    [System.IO.File]::WriteAllLines([System.IO.Path]::Combine($dir, 'figures.md'), [string[]] $table)
    $table | ForEach-Object { $Host.UI.WriteLine($_) }
    if ($failed -or @($rows).Count -lt 7 -or @($rows | Where-Object Bad -gt 0).Count -gt 0) {
        Stop-Build -ErrorId 'ReliabilityFailed' -Message 'The reliability suite failed, found residue, or did not record every figure (see above).'
    }
}

# The README's first quick-start command: the tour in a fresh pwsh against the built module.
function Invoke-TourTask {
    $tour = [System.IO.Path]::Combine($RepoRoot, 'docs', 'examples', 'tour.ps1')
    $exit = Invoke-FreshPwsh @('-File', $tour)
    if ($exit -ne 0) { Stop-Build -ErrorId 'TourFailed' -Message "docs/examples/tour.ps1 failed with exit code $exit." }
}

function New-NuSpec {
    param($Info)
    $data = $Info.Data
    $psData = if ($data['PrivateData'] -and $data['PrivateData']['PSData']) { $data['PrivateData']['PSData'] } else { @{} }
    $cmdlets = @($data['CmdletsToExport'] | Where-Object { $_ })
    # The tags PowerShell galleries use to find modules and the commands in them.
    $tags = @($psData['Tags']) + @('PSModule', 'PSIncludes_Cmdlet') + @($cmdlets | ForEach-Object { "PSCmdlet_$_" }) |
        Where-Object { $_ } | ForEach-Object { ([string] $_).Replace(' ', '_') }
    $escape = { param($text) [System.Security.SecurityElement]::Escape([string] $text) }
    $lines = @(
        '<?xml version="1.0" encoding="utf-8"?>'
        '<package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd">'
        '  <metadata>'
        '    <id>JailPS</id>'
        "    <version>$(& $escape $Info.PackageVersion)</version>"
        "    <authors>$(& $escape $data['Author'])</authors>"
        "    <owners>$(& $escape $data['CompanyName'])</owners>"
        "    <description>$(& $escape $data['Description'])</description>"
        "    <copyright>$(& $escape $data['Copyright'])</copyright>"
        "    <tags>$(& $escape ($tags -join ' '))</tags>"
    )
    if ($psData['ProjectUri']) { $lines += "    <projectUrl>$(& $escape $psData['ProjectUri'])</projectUrl>" }
    if ($psData['LicenseUri']) { $lines += "    <licenseUrl>$(& $escape $psData['LicenseUri'])</licenseUrl>" }
    if ($psData['ReleaseNotes']) { $lines += "    <releaseNotes>$(& $escape $psData['ReleaseNotes'])</releaseNotes>" }
    $lines += '  </metadata>'
    $lines += '</package>'
    $lines -join "`n"
}

function Add-ZipText {
    param($Archive, [string] $Name, [string] $Text)
    $entry = $Archive.CreateEntry($Name)
    $writer = [System.IO.StreamWriter]::new($entry.Open(), [System.Text.UTF8Encoding]::new($false))
    try { $writer.Write($Text) } finally { $writer.Dispose() }
}

function Invoke-PackageTask {
    $info = Read-Manifest
    $outDir = if ($OutputPath) { [System.IO.Path]::GetFullPath($OutputPath, $PWD.ProviderPath) } else { [System.IO.Path]::Combine($RepoRoot, 'artifacts', 'package') }
    $zip = [System.IO.Path]::Combine($outDir, "JailPS.$($info.PackageVersion).zip")
    $nupkg = [System.IO.Path]::Combine($outDir, "JailPS.$($info.PackageVersion).nupkg")
    if (-not $PSCmdlet.ShouldProcess($outDir, "Write JailPS.$($info.PackageVersion).zip and .nupkg")) { return }

    [void] [System.IO.Directory]::CreateDirectory($outDir)
    [void] [System.Reflection.Assembly]::Load('System.IO.Compression.ZipFile')
    foreach ($file in $zip, $nupkg) {
        if ([System.IO.File]::Exists($file)) { [System.IO.File]::Delete($file) }
    }

    # The .zip holds a JailPS/ folder, ready to extract into a modules folder.
    [System.IO.Compression.ZipFile]::CreateFromDirectory($LayoutDir, $zip, [System.IO.Compression.CompressionLevel]::Optimal, $true)

    # The .nupkg holds the module files at its root plus the NuGet metadata.
    [System.IO.Compression.ZipFile]::CreateFromDirectory($LayoutDir, $nupkg, [System.IO.Compression.CompressionLevel]::Optimal, $false)
    $archive = [System.IO.Compression.ZipFile]::Open($nupkg, [System.IO.Compression.ZipArchiveMode]::Update)
    try {
        Add-ZipText $archive 'JailPS.nuspec' (New-NuSpec $info)
        Add-ZipText $archive '[Content_Types].xml' (@(
                '<?xml version="1.0" encoding="utf-8"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />'
                '  <Default Extension="nuspec" ContentType="application/octet" />'
                '  <Default Extension="psd1" ContentType="application/octet" />'
                '  <Default Extension="dll" ContentType="application/octet" />'
                '  <Default Extension="pdb" ContentType="application/octet" />'
                '  <Default Extension="ps1xml" ContentType="application/octet" />'
                '  <Default Extension="xml" ContentType="application/octet" />'
                '  <Default Extension="txt" ContentType="application/octet" />'
                '</Types>') -join "`n")
        Add-ZipText $archive '_rels/.rels' (@(
                '<?xml version="1.0" encoding="utf-8"?>'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/JailPS.nuspec" Id="R1" />'
                '</Relationships>') -join "`n")
    }
    finally {
        $archive.Dispose()
    }

    Write-Step "Packaged JailPS $($info.PackageVersion) in $outDir"
    [System.IO.FileInfo]::new($zip)
    [System.IO.FileInfo]::new($nupkg)
}

function Get-ModulesFolder {
    if ($Destination) {
        return [System.IO.Path]::GetFullPath($Destination, $PWD.ProviderPath)
    }
    if ($IsWindows) {
        if ($Scope -eq 'AllUsers') { return [System.IO.Path]::Combine($env:ProgramFiles, 'PowerShell', 'Modules') }
        return [System.IO.Path]::Combine([Environment]::GetFolderPath('MyDocuments'), 'PowerShell', 'Modules')
    }
    if ($Scope -eq 'AllUsers') { return '/usr/local/share/powershell/Modules' }
    # pwsh on Unix: $XDG_DATA_HOME/powershell/Modules, by default ~/.local/share/powershell/Modules.
    [System.IO.Path]::Combine([Environment]::GetFolderPath('LocalApplicationData'), 'powershell', 'Modules')
}

function Invoke-InstallTask {
    $info = Read-Manifest
    $target = [System.IO.Path]::Combine((Get-ModulesFolder), 'JailPS', $info.ModuleVersion)
    if ([System.IO.Directory]::Exists($target) -and -not $Force) {
        Stop-Build -ErrorId 'AlreadyInstalled' -Category ResourceExists -Message "JailPS $($info.ModuleVersion) is already installed in $target; use -Force to replace it."
    }
    if (-not $PSCmdlet.ShouldProcess($target, "Install JailPS $($info.PackageVersion)")) { return }

    try {
        if ([System.IO.Directory]::Exists($target)) { [System.IO.Directory]::Delete($target, $true) }
        Copy-Tree -From $LayoutDir -To $target
    }
    catch [System.UnauthorizedAccessException] {
        Stop-Build -ErrorId 'InstallDenied' -Category PermissionDenied -Message "Cannot write $target ($($_.Exception.Message)). For -Scope AllUsers run as root, or install for the current user."
    }
    Write-Step "Installed JailPS $($info.PackageVersion) in $target; load it with: Import-Module JailPS"
    [System.IO.DirectoryInfo]::new($target)
}

$built = $false
foreach ($name in $Task) {
    switch ($name) {
        'Build' { Invoke-BuildTask; $built = $true }
        'Test' { Invoke-TestTask }
        'Tour' {
            if (-not $built) { $null = Invoke-BuildTask -Quiet; $built = $true }
            Invoke-TourTask
        }
        'Package' {
            if (-not $built) { $null = Invoke-BuildTask; $built = $true }
            Invoke-PackageTask
        }
        'Install' {
            if (-not $built) { $null = Invoke-BuildTask; $built = $true }
            Invoke-InstallTask
        }
        'Reliability' {
            if (-not $built) { $null = Invoke-BuildTask -Quiet; $built = $true }
            Invoke-ReliabilityTask
        }
    }
}
