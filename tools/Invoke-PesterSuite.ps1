#requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester suite in this (fresh) pwsh process and writes its counts as JSON.

.DESCRIPTION
    Called by build.ps1 -Task Test in a new pwsh whose PSModulePath starts with the built module
    layout, so the tests load the module a user would install. Pester comes from the NuGet
    package (not the gallery); its exact path is given. Results also go to an NUnit XML file
    beside the summary, for CI systems that read one.
#>
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory)] [string] $TestPath,
    [Parameter(Mandatory)] [string] $SummaryPath
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterManifest -Force

$resultDir = [System.IO.Path]::GetDirectoryName($SummaryPath)
[void] [System.IO.Directory]::CreateDirectory($resultDir)
if ([System.IO.File]::Exists($SummaryPath)) { [System.IO.File]::Delete($SummaryPath) }

$config = New-PesterConfiguration
$config.Run.Path = $TestPath
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = [System.IO.Path]::Combine($resultDir, 'pester.xml')
$result = Invoke-Pester -Configuration $config

# Failed blocks (a BeforeAll that threw) fail their tests without counting them as failed tests.
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
[ordered]@{
    Passed  = $result.PassedCount
    Failed  = $failed
    Skipped = $result.SkippedCount + $result.NotRunCount
} | ConvertTo-Json | Set-Content -LiteralPath $SummaryPath -Encoding utf8NoBOM
exit ([int] ($failed -gt 0))
