#requires -Version 7.4
<#
.SYNOPSIS
    Cold start (issue 10, item 4): a fresh pwsh running `Import-Module JailPS; Get-Jail` over 100
    simulated jails, against a fresh pwsh running `exit`; medians of -Runs runs each, and their ratio.

.DESCRIPTION
    Build the module first (dotnet build, or build.ps1). The script prepares a simulated host with
    100 running jails in a temporary directory (one pwsh process), then starts each measured pwsh
    with JAILPS_SIMULATED_HOST naming it and PSModulePath starting with artifacts/module, the way
    build.ps1 runs Pester. Both commands are started the same way (the pinned pwsh through
    `dotnet pwsh`, unless -Pwsh names another), alternating, so machine load hits both alike.
    Wall-clock times: on a shared machine look at the ratio, not the absolute numbers.

.EXAMPLE
    dotnet pwsh -NoProfile -File tests/benchmarks/ColdStart.ps1 -Runs 15
#>
param(
    [int] $Runs = 11,
    [int] $Jails = 100,
    # The pwsh to start: default the repository's pinned one (dotnet pwsh).
    [string[]] $Pwsh = @('dotnet', 'pwsh')
)
$ErrorActionPreference = 'Stop'
$repo = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$modules = Join-Path $repo 'artifacts/module'
if (-not (Test-Path (Join-Path $modules 'JailPS/JailPS.psd1'))) { throw "build the module first: $modules/JailPS is missing" }
$root = Join-Path ([IO.Path]::GetTempPath()) ('jailps-coldstart-' + [guid]::NewGuid().ToString('N'))
$env:PSModulePath = $modules + [IO.Path]::PathSeparator + $env:PSModulePath
$env:JAILPS_SIMULATED_HOST = $root
Push-Location $repo
try {
    $prepare = "1..$Jails | ForEach-Object { New-Jail -Name `"j`$_`" -Path `"/usr/jails/j`$_`" -Persist | Out-Null }; Get-Jail | Start-Jail | Out-Null; (Get-Jail).Count"
    $count = & $Pwsh[0] @($Pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -c $prepare
    if ([int]($count | Select-Object -Last 1) -ne $Jails) { throw "preparing $Jails jails gave: $count" }

    function Time([string] $command) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $null = & $Pwsh[0] @($Pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -c $command
        $sw.Stop()
        if ($LASTEXITCODE -ne 0) { throw "pwsh -c '$command' failed ($LASTEXITCODE)" }
        $sw.Elapsed.TotalMilliseconds
    }
    $null = Time 'exit'; $null = Time 'Import-Module JailPS; Get-Jail' # warm the file cache
    $bare = [Collections.Generic.List[double]]::new()
    $jail = [Collections.Generic.List[double]]::new()
    for ($i = 0; $i -lt $Runs; $i++) {
        $bare.Add((Time 'exit'))
        $jail.Add((Time 'Import-Module JailPS; Get-Jail'))
    }
    function Median($list) { $s = @($list | Sort-Object); $s[[int][math]::Floor($s.Count / 2)] }
    $b = Median $bare; $j = Median $jail
    [pscustomobject]@{
        Runs                 = $Runs
        Jails                = $Jails
        'pwsh -c exit (ms)'  = [math]::Round($b)
        'Import + Get-Jail (ms)' = [math]::Round($j)
        Ratio                = [math]::Round($j / $b, 2)
    }
}
finally {
    Pop-Location
    Remove-Item -LiteralPath $root -Recurse -Force -ErrorAction SilentlyContinue
}
