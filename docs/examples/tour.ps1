<#
.SYNOPSIS
    A tour of JailPS: define, start, inspect, change, stop and remove jails.

.DESCRIPTION
    Runs the admin session from the JailPS README. Off FreeBSD it always uses the simulated
    host (a fresh directory that stands for the host's /, made by New-JailSimulatedHost and
    deleted at the end unless -KeepSimulation is given), and says so in its first line. On
    FreeBSD it also uses the simulated host unless -OnThisHost is given: then it creates the
    jails web, db1 and app on this machine for real (run as root; jail roots under /usr/jails
    must hold a userland).

    Run it with the module installed (build.ps1 -Task Install, or pkg install on FreeBSD):
        pwsh -File docs/examples/tour.ps1
    From a clone, `dotnet pwsh -File build.ps1 -Task Tour` builds the module and does the same.
#>
#Requires -Modules JailPS
param(
    [switch] $OnThisHost,
    [switch] $KeepSimulation
)

$ErrorActionPreference = 'Stop'

if ($OnThisHost) {
    if (-not [System.OperatingSystem]::IsFreeBSD()) { throw '-OnThisHost needs FreeBSD.' }
    $env:JAILPS_SIMULATED_HOST = $null
    $root = ''
    "Running the tour on this FreeBSD host, for real."
}
else {
    $simulation = New-JailSimulatedHost
    $root = $simulation.Path
    $why = if ([System.OperatingSystem]::IsFreeBSD()) { 'you did not pass -OnThisHost' } else { 'this machine is not FreeBSD' }
    "SIMULATED HOST: $why, so this tour runs against the simulated host in $root"
    "(a directory that stands for the host's /; no command runs on this machine)."
    # A jail.conf as an admin might already have, for Import-JailConfig below.
    [System.IO.Directory]::CreateDirectory("$root/etc") | Out-Null
    [System.IO.File]::WriteAllText("$root/etc/jail.conf", @'
# Databases, defined the classic way.
exec.start = "/bin/sh /etc/rc";
exec.stop = "/bin/sh /etc/rc.shutdown jail";
path = "/usr/jails/$name";
host.hostname = "$name.example.org";

db1 { ip4.addr = 10.1.0.21; }
db2 { ip4.addr = 10.1.0.22; }
'@)
    foreach ($d in 'db1', 'db2') { [System.IO.Directory]::CreateDirectory("$root/usr/jails/$d") | Out-Null }
}

try {
    "`n== New-Jail -WhatIf shows the plan and changes nothing"
    New-Jail -Name web -Path /usr/jails/web -Hostname web.example.org `
        -IPv4Address 10.1.0.5 -Parameter @{ 'allow.raw_sockets' = $false; securelevel = 3 } `
        -ExecStart '/bin/sh /etc/rc' -ExecStop '/bin/sh /etc/rc.shutdown jail' -WhatIf

    "`n== New-Jail writes /etc/jail.conf.d/web.conf"
    $web = New-Jail -Name web -Path /usr/jails/web -Hostname web.example.org `
        -IPv4Address 10.1.0.5 -Parameter @{ 'allow.raw_sockets' = $false; securelevel = 3 } `
        -ExecStart '/bin/sh /etc/rc' -ExecStop '/bin/sh /etc/rc.shutdown jail'
    [System.IO.File]::ReadAllText("$root/etc/jail.conf.d/web.conf")
    New-Jail -Name app -Path /usr/jails/app -IPv4Address 10.1.0.6 -DependsOn web -Persist | Out-Null

    "`n== Get-Jail: defined and running jails"
    Get-Jail | Out-Default

    "`n== Start-Jail web -PassThru (jail -c web)"
    Start-Jail web -PassThru | Out-Default

    "`n== The jid of the running jail"
    Get-Jail web | Where-Object State -eq Running | ForEach-Object Jid

    "`n== Start-Jail app starts what it depends on first"
    Start-Jail app -Verbose -PassThru 4>&1 | Out-Default

    "`n== Set-Jail: live (jail -m) and in its file"
    Set-Jail web -Parameter @{ 'host.hostname' = 'www.example.org' } -Persist -PassThru | ForEach-Object Hostname
    [System.IO.File]::ReadAllText("$root/etc/jail.conf.d/web.conf")

    "`n== Stop-Jail over a wildcard (jail -r); dependents stop first"
    Get-Jail -Name w* | Stop-Jail -Timeout 30 -PassThru | Out-Default

    "`n== Restart-Jail web"
    Restart-Jail web -PassThru | Out-Default

    "`n== Import-JailConfig /etc/jail.conf | Where-Object Name -like 'db*' | Start-Jail"
    Import-JailConfig /etc/jail.conf | Where-Object Name -like 'db*' | Start-Jail -PassThru | Out-Default

    "`n== Errors are typed: catch them by id"
    try { Start-Jail nosuch -ErrorAction Stop }
    catch { "caught $($_.FullyQualifiedErrorId) ($($_.CategoryInfo.Category)): $($_.Exception.Message)" }

    "`n== Get-Jail | Export-JailConfig"
    Get-Jail | Export-JailConfig

    "`n== Remove-Jail: definitions gone, root directories kept"
    Get-Jail | Remove-Jail -Force -Confirm:$false
    Get-Jail | Out-Default
    "jails left: $(@(Get-Jail).Count); /usr/jails/web still exists: $([System.IO.Directory]::Exists("$root/usr/jails/web"))"

    if (-not $OnThisHost) {
        "`nThe simulated host recorded every command it was asked to run:"
        "$(@(Get-JailSimulatedCommand).Count) commands in $($simulation.CommandLog)"
    }
}
finally {
    if ($simulation -and -not $KeepSimulation) { $simulation | Remove-JailSimulatedHost -Confirm:$false }
    elseif ($simulation) { "The simulated host is kept in $root." }
}
