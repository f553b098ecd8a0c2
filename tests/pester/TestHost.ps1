# Shared by the Pester files here: dot-sourced in their BeforeAll blocks.
# Imports the built module and gives each test block its own simulated host under TestDrive.

$repo = Resolve-Path (Join-Path $PSScriptRoot '../..')
$layout = Join-Path $repo 'artifacts/module'
$manifest = Join-Path $layout 'JailPS/JailPS.psd1'
if (-not (Test-Path $manifest)) { throw "Build first (dotnet build): $manifest is missing." }
Import-Module $manifest -Force

# Child pwsh processes (examples run with pwsh -File) find the built module as an installed one.
if (($env:PSModulePath -split [System.IO.Path]::PathSeparator) -notcontains $layout) {
    $env:PSModulePath = $layout + [System.IO.Path]::PathSeparator + $env:PSModulePath
}

. (Join-Path $PSScriptRoot 'RoundTrip.ps1')

function New-TestHost {
    (New-JailSimulatedHost).Path
}

# The command line of a new pwsh like this one: the dotnet tool runs as `dotnet .../pwsh.dll`.
function Get-FreshPwsh {
    $exe = [Environment]::ProcessPath
    $prefix = @()
    if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $prefix = @(Join-Path $PSHOME 'pwsh.dll') }
    [pscustomobject]@{ Exe = $exe; Prefix = $prefix }
}

# Runs pwsh in a new process (the same pwsh as this one) and returns its exit code and output.
function Invoke-FreshPwsh {
    param([string[]] $Arguments, [hashtable] $Environment = @{})
    $pwsh = Get-FreshPwsh
    $exe = $pwsh.Exe
    $prefix = $pwsh.Prefix
    $saved = @{}
    foreach ($k in $Environment.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $Environment[$k]) }
    try {
        $output = & $exe @prefix -NoProfile -NonInteractive @Arguments 2>&1 | ForEach-Object { "$_" }
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($output) }
    }
    finally {
        foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
    }
}

# Records one figure of the reliability suite (see tools/Measure-Reliability.ps1): tried, bad and
# what was counted, as the xUnit sweeps do. Only when JAILPS_RELIABILITY_FIGURES names a directory.
function Write-ReliabilityFigure([string] $Name, [long] $Tried, [long] $Bad, [string] $What) {
    if (-not $env:JAILPS_RELIABILITY_FIGURES) { return }
    New-Item -ItemType Directory -Force $env:JAILPS_RELIABILITY_FIGURES | Out-Null
    Set-Content -NoNewline -Path (Join-Path $env:JAILPS_RELIABILITY_FIGURES "$Name.tsv") -Value "$Name`t$Tried`t$Bad`t$What`n"
}
