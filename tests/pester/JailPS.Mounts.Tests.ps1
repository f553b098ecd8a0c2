#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Mounts and devfs rulesets as a runbook test, against the simulated host (Pester 5, pwsh 7.4+).
    Run from the repository root after `dotnet build`:
        Invoke-Pester ./tests/pester
    Each Describe block gets its own simulated host under TestDrive; nothing touches a real host.
#>

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHost.ps1')

    # The simulated kernel's mounts beneath a jail root, as "fstype path".
    function Get-KernelMountsBelow([string] $JailRoot) {
        $jailHost = [JailPS.Core.Host.JailHost]::Simulated($env:JAILPS_SIMULATED_HOST)
        $jailHost.Simulation.Kernel.Mounts |
            Where-Object { $_.MountedOn.StartsWith("$JailRoot/") } |
            ForEach-Object { "$($_.FsType) $($_.MountedOn)" }
    }
}

AfterAll {
    $env:JAILPS_SIMULATED_HOST = $null
}

Describe 'A Debian jail with jail.conf mounts' {
    BeforeAll {
        $script:root = New-TestHost
        foreach ($dir in 'dev', 'proc', 'sys', 'run') { # dev/fd comes with the devfs mount
            New-Item -ItemType Directory -Path (Join-Path $root "usr/jails/debian/$dir") -Force | Out-Null
        }
        New-Jail -Name debian -Path /usr/jails/debian -Persist -Parameter ([ordered]@{
                'mount'         = @(
                    'linprocfs /usr/jails/debian/proc linprocfs rw 0 0'
                    'linsysfs /usr/jails/debian/sys linsysfs rw 0 0'
                    'tmpfs /usr/jails/debian/run tmpfs rw,mode=755,size=64m 0 0'
                )
                'mount.devfs'   = $true
                'mount.fdescfs' = $true
            }) | Out-Null
    }

    It 'mounts nothing with -WhatIf' {
        Start-Jail debian -WhatIf
        Get-KernelMountsBelow /usr/jails/debian | Should -BeNullOrEmpty
        (Get-Jail debian).State | Should -Be 'Stopped'
    }

    It 'mounts in jail(8) order when it starts' {
        Start-Jail debian
        Get-KernelMountsBelow /usr/jails/debian | Should -Be @(
            'linprocfs /usr/jails/debian/proc'
            'linsysfs /usr/jails/debian/sys'
            'tmpfs /usr/jails/debian/run'
            'devfs /usr/jails/debian/dev'
            'fdescfs /usr/jails/debian/dev/fd'
        )
        (Get-JailMount debian).State | Should -Not -Contain 'Leaked'
    }

    It 'gives the jail the devices it needs and none it must not see' {
        Test-JailDevice debian -Required null, zero, random, urandom -Forbidden mem, kmem -Quiet | Should -BeTrue
        $result = Test-JailDevice debian -Required null -Forbidden 'pts/*'
        $result.Passed | Should -BeFalse
        $result.Unexpected | Should -Contain 'pts/0'
    }

    It 'leaves nothing mounted after it stops' {
        Stop-Jail debian -WarningVariable warnings
        $warnings | Should -BeNullOrEmpty
        Get-KernelMountsBelow /usr/jails/debian | Should -BeNullOrEmpty
        (Get-JailMount debian).State | Sort-Object -Unique | Should -Be 'NotMounted'
    }
}

Describe 'Mounts JailPS refuses or cannot take down at once' {
    BeforeAll {
        $script:root = New-TestHost
        New-Item -ItemType Directory -Path (Join-Path $root 'usr/jails/basejail') -Force | Out-Null
        New-Item -ItemType Directory -Path (Join-Path $root 'usr/jails/web/basejail') -Force | Out-Null
        New-Item -ItemType Directory -Path (Join-Path $root 'etc') -Force | Out-Null
        New-Jail -Name web -Path /usr/jails/web -Persist | Out-Null
    }

    It 'refuses a mount point that is a symbolic link planted in the jail' {
        New-Item -ItemType SymbolicLink -Path (Join-Path $root 'usr/jails/web/evil') -Target (Join-Path $root 'etc') | Out-Null
        { Mount-JailFileSystem web -Type tmpfs -Target /evil -ErrorAction Stop } |
            Should -Throw -ErrorId 'JailPathEscape,JailPS.Commands.MountJailFileSystemCommand'
        Get-KernelMountsBelow /usr/jails/web | Should -BeNullOrEmpty
    }

    It 'reports a busy mount and completes with -Force' {
        Mount-JailFileSystem web -Type nullfs -Source /usr/jails/basejail -Target /basejail -ReadOnly
        $jailHost = [JailPS.Core.Host.JailHost]::Simulated($env:JAILPS_SIMULATED_HOST)
        $jailHost.Simulation.Kernel.SetMountBusy('/usr/jails/web/basejail', 1)
        $jailHost.Commit()
        { Dismount-JailFileSystem web -Target /basejail -ErrorAction Stop } |
            Should -Throw -ErrorId 'JailMountBusy,JailPS.Commands.DismountJailFileSystemCommand'
        { Remove-Jail web -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'JailMountsPresent,JailPS.Commands.RemoveJailCommand'
        Dismount-JailFileSystem web -Target /basejail -Force
        Get-KernelMountsBelow /usr/jails/web | Should -BeNullOrEmpty
    }
}

Describe 'devfs rulesets' {
    BeforeAll { $script:root = New-TestHost }

    It 'has the /etc/defaults/devfs.rules rulesets after boot' {
        (Get-DevfsRuleset).Number | Should -Be @(1, 2, 3, 4, 5)
        (Get-DevfsRuleset 4).Name | Should -Be 'devfsrules_jail'
    }

    It 'creates, shows and removes a ruleset' {
        New-DevfsRuleset -Number 1000 -Rule 'add include 1', 'add path null unhide', 'add path zero unhide'
        (Get-DevfsRuleset 1000).Rules.Count | Should -Be 3
        { New-DevfsRuleset -Number 1000 -Rule 'add hide' -ErrorAction Stop } |
            Should -Throw -ErrorId 'DevfsRulesetExists,JailPS.Commands.NewDevfsRulesetCommand'
        Remove-DevfsRuleset 1000 -Confirm:$false
        Get-DevfsRuleset 1000 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'imports devfs.rules(5) files without loading them' {
        $rules = Import-DevfsRules /etc/defaults/devfs.rules
        ($rules | Where-Object Number -EQ 4).Name | Should -Be 'devfsrules_jail'
    }
}
