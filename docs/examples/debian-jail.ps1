<#
.SYNOPSIS
    A Debian (Linux) jail on FreeBSD with JailPS: the file systems Linux programs expect, the
    device list checked, and nothing left mounted after it stops.

.DESCRIPTION
    A Linux jail runs a Debian userland (installed with debootstrap into /usr/jails/debian) under
    FreeBSD's Linux ABI. Linux programs expect linprocfs on /proc, linsysfs on /sys, a tmpfs on
    /run, devfs and fdescfs on /dev and /dev/fd, and /dev/shm pointing at /run/shm. This script
    defines such a jail with jail.conf's own mount parameters, checks the devices the jail sees
    against what it needs and what it must never see, then stops it and proves every mount is gone.

    New-Jail -Distribution Debian installs and defines such a jail in one command: it checks that
    the Linux ABI is loaded and debootstrap installed, runs debootstrap into a new root, writes
    etc/hostname and etc/hosts, and writes a definition much like this one (see Get-Help New-Jail
    -Examples). This script writes the definition by hand with -Parameter instead, for a Debian
    root installed beforehand, so that each part can be seen on its own.

    Off FreeBSD (or without -OnThisHost) it runs against the simulated host, a fresh directory
    standing for the host's /, and says so. With -OnThisHost on FreeBSD it acts on this machine:
    run it as root, with the Linux ABI loaded (sysrc linux_enable=YES; service linux start) and a
    Debian userland in /usr/jails/debian (pkg install debootstrap, then for example
    debootstrap --include=sysvinit-core --exclude=systemd-sysv bookworm /usr/jails/debian).

    The simulated host is deleted at the end unless -KeepSimulation is given.

    Run it with the module installed (build.ps1 -Task Install, or pkg install on FreeBSD):
        pwsh -File docs/examples/debian-jail.ps1
#>
#Requires -Modules JailPS
param(
    [switch] $OnThisHost,
    [switch] $KeepSimulation
)

$ErrorActionPreference = 'Stop'
$jailRoot = '/usr/jails/debian'

if ($OnThisHost) {
    if (-not [System.OperatingSystem]::IsFreeBSD()) { throw '-OnThisHost needs FreeBSD.' }
    $env:JAILPS_SIMULATED_HOST = $null
    $local = $jailRoot
    "Setting up the Debian jail on this FreeBSD host, for real."
}
else {
    $simulation = New-JailSimulatedHost
    $sim = $simulation.Path
    $local = "$sim$jailRoot"
    $why = if ([System.OperatingSystem]::IsFreeBSD()) { 'you did not pass -OnThisHost' } else { 'this machine is not FreeBSD' }
    "SIMULATED HOST: $why, so this runs against the simulated host in $sim"
    "(a directory that stands for the host's /; no command runs on this machine)."
}

# jail(8) and JailPS mount only on directories that exist in the jail's root; debootstrap makes
# most of them. JailPS never creates mount points itself (the jail's root owns that tree);
# /dev/fd is devfs's own directory, there once devfs is mounted on /dev.
foreach ($dir in 'dev', 'proc', 'sys', 'run') {
    [System.IO.Directory]::CreateDirectory("$local/$dir") | Out-Null
}

"`n== The default devfs rulesets the kernel has (rc.d/devfs loads them at boot)"
Get-DevfsRuleset | Out-Default

"`n== New-Jail: jail.conf's own mount parameters, in the order jail(8) mounts them"
# `mount` lines (fstab(5) format) come first, then devfs on /dev with ruleset 4
# (devfsrules_jail), then fdescfs on /dev/fd. In the jail, exec.start makes /run/shm
# and the /dev/shm link before Debian's init scripts run: done by the jail's own root,
# never by the host through a path inside the jail.
New-Jail -Name debian -Path $jailRoot -Hostname debian.example.org -IPv4Address 10.1.0.30 -Persist -Parameter ([ordered]@{
        'mount'         = @(
            "linprocfs $jailRoot/proc linprocfs rw 0 0"
            "linsysfs $jailRoot/sys linsysfs rw 0 0"
            "tmpfs $jailRoot/run tmpfs rw,mode=755,size=64m 0 0"
        )
        'mount.devfs'   = $true
        'devfs_ruleset' = 4
        'mount.fdescfs' = $true
        'exec.start'    = @(
            '/bin/mkdir -p -m 1777 /run/shm'
            '/bin/ln -sfn /run/shm /dev/shm'
            '/etc/init.d/rc 3'
        )
        'exec.stop'     = '/etc/init.d/rc 0'
    }) | Out-Null
[System.IO.File]::ReadAllText($(if ($OnThisHost) { '/etc/jail.conf.d/debian.conf' } else { "$sim/etc/jail.conf.d/debian.conf" }))

"`n== Start-Jail -WhatIf: the exact nmount calls, before anything changes"
Start-Jail debian -WhatIf

"`n== Start-Jail debian"
Start-Jail debian -PassThru | Out-Default

"`n== Get-JailMount: what is mounted under the jail's root, against what is expected"
Get-JailMount debian | Out-Default

"`n== Test-JailDevice: what a Debian userland needs, and what a jail must never see"
$check = Test-JailDevice debian -Required null, zero, random, urandom, stdin, stdout, stderr, ptmx, 'pts', 'fd' `
    -Forbidden mem, kmem, io, 'nvme*', 'nda*', 'ada*', 'da*', 'cd*', 'bpf*', 'pf'
"device check passed: $($check.Passed)"
if (-not $check.Passed) {
    "missing: $($check.Missing -join ', '); visible but forbidden: $($check.Unexpected -join ', ')"
}
"the jail sees $($check.Visible.Count) device nodes: $($check.Visible -join ' ')"

"`n== Stop-Jail debian: unmounts in reverse, then checks that nothing is left"
Stop-Jail debian
$left = @(Get-JailMount debian | Where-Object State -in 'Mounted', 'Leaked')
"mounts left under ${jailRoot}: $($left.Count)"
Get-JailMount debian | Out-Default

"`n== Remove-Jail: the definition goes, the root stays"
Remove-Jail debian -Confirm:$false
"jails left: $(@(Get-Jail).Count)"

if (-not $OnThisHost) {
    "`nIn-jail commands the simulated host recorded (never run on this machine):"
    Get-JailSimulatedCommand | Where-Object Jid | ForEach-Object { "  $($_.Purpose): $($_.Text)" }
    if ($KeepSimulation) { "The simulated host is kept in $sim." }
    else { $simulation | Remove-JailSimulatedHost -Confirm:$false }
}
