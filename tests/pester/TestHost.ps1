# Shared by the Pester files here: dot-sourced in their BeforeAll blocks.
# Imports the built module and gives each test block its own simulated host under TestDrive.

$repo = Resolve-Path (Join-Path $PSScriptRoot '../..')
$manifest = Join-Path $repo 'artifacts/module/JailPS/JailPS.psd1'
if (-not (Test-Path $manifest)) { throw "Build first (dotnet build): $manifest is missing." }
Import-Module $manifest -Force

function New-TestHost {
    $root = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $root | Out-Null
    $env:JAILPS_SIMULATED_HOST = $root
    $root
}
