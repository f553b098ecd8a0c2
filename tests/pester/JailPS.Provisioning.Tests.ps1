#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Provisioning as a runbook, against the simulated host (Pester 5, pwsh 7.4+): a release saved
    from a local directory (an offline host's copy of a release's dist files), a thick jail built
    from it, started and stopped. Run from the repository root after `dotnet build`:
        Invoke-Pester ./tests/pester/JailPS.Provisioning.Tests.ps1
    Each Describe block gets its own simulated host under TestDrive; nothing touches a real host.
#>

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHost.ps1')
}

AfterAll {
    $env:JAILPS_SIMULATED_HOST = $null
}

Describe 'A release, then a thick jail from it' {
    BeforeAll {
        $script:root = New-TestHost
        # The dist directory of an offline host: MANIFEST and base.txz (a tiny stand-in, tests/fixtures).
        $script:media = Join-Path $TestDrive 'freebsd-dist'
        New-Item -ItemType Directory -Force $media | Out-Null
        Copy-Item (Join-Path $PSScriptRoot '../fixtures/base.txz') $media
        $sha = (Get-FileHash -Algorithm SHA256 (Join-Path $media 'base.txz')).Hash.ToLowerInvariant()
        [System.IO.File]::WriteAllText((Join-Path $media 'MANIFEST'), "base.txz`t$sha`t19`tbase`t`"Base system (MANDATORY)`"`ton`n")
        Set-Content -Path (Join-Path $root 'etc/resolv.conf') -Value 'nameserver 192.0.2.53'
    }

    It 'saves nothing with -WhatIf' {
        Save-JailRelease 14.3-RELEASE -Path $media -WhatIf
        Get-JailRelease | Should -BeNullOrEmpty
    }

    It 'saves the release verified and lists it' {
        $r = Save-JailRelease 14.3-RELEASE -Path $media
        $r.Verified | Should -BeTrue
        $r.Distributions | Should -Be 'base.txz'
        (Get-JailRelease 14.*).Name | Should -Be '14.3-RELEASE'
    }

    It 'refuses a release it does not have with a typed error' {
        New-Jail db -Path /usr/jails/db -Release 13.5-RELEASE -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'JailReleaseNotCached,*'
        Test-Path (Join-Path $root 'usr/jails/db') | Should -BeFalse
    }

    It 'builds the thick root with the release''s files and the host''s resolver' {
        New-Jail web -Path /usr/jails/web -Release 14.3-RELEASE -Persist | Out-Null
        Get-Content (Join-Path $root 'usr/jails/web/etc/motd') | Should -Be 'FreeBSD 14.3-RELEASE (JailPS test fixture)'
        Get-Content (Join-Path $root 'usr/jails/web/etc/resolv.conf') | Should -Be 'nameserver 192.0.2.53'
        (Get-JailSimulatedCommand web -Purpose provision).Arguments -join ' ' |
            Should -Be '/usr/bin/tar -xpf /var/db/jailps/releases/amd64/14.3-RELEASE/base.txz -C /usr/jails/web'
    }

    It 'starts it with its rc and a devfs, and stops it' {
        Start-Jail web
        (Get-Jail web).State | Should -Be 'Running'
        (Get-JailMount web).MountPoint | Should -Contain '/usr/jails/web/dev'
        Stop-Jail web
        (Get-Jail web).State | Should -Be 'Stopped'
    }

    It 'makes thin jails that share the read-only basejail' {
        New-Jail app -Path /usr/jails/app -Release 14.3-RELEASE -Thin -Persist | Out-Null
        New-Jail db -Path /usr/jails/db -Release 14.3-RELEASE -Thin -Persist | Out-Null
        (Get-Item (Join-Path $root 'usr/jails/db/bin')).LinkTarget | Should -Be '/basejail/bin'
        @(Get-JailSimulatedCommand db -Purpose provision).Count | Should -Be 1   # the copy only
        Start-Jail app
        $m = Get-JailMount app | Where-Object MountPoint -eq '/usr/jails/app/basejail'
        $m.FsType | Should -Be 'nullfs'
        $m.State | Should -Be 'Mounted'
    }

    It 'updates the shared basejail with its own release, then rebuilds the running jail''s databases' {
        Update-JailRelease 14.3-RELEASE -WarningVariable notes -WarningAction SilentlyContinue
        $ran = Get-JailSimulatedCommand -Purpose update
        ($ran | Where-Object { $_.Arguments[0] -eq '/usr/sbin/freebsd-update' }).Arguments -join ' ' |
            Should -Match '-b /usr/jails/basejail/14\.3-RELEASE .*--currently-running 14\.3-RELEASE fetch'
        @($ran | Where-Object Jail -eq 'app').Count | Should -Be 3    # cap_mkdb, services_mkdb, pwd_mkdb
        "$notes" | Should -Match 'jail db is stopped'
    }

    It 'deletes a running thin jail''s root with -Force, never the basejail it mounts' {
        Remove-Jail app -DeleteRoot -Force -Confirm:$false
        Test-Path (Join-Path $root 'usr/jails/app') | Should -BeFalse
        Get-Jail app -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path (Join-Path $root 'usr/jails/basejail/14.3-RELEASE/lib/libc.so.7') | Should -BeTrue
        Remove-Jail web -DeleteRoot -Confirm:$false
        Test-Path (Join-Path $root 'usr/jails/web') | Should -BeFalse
    }
}
