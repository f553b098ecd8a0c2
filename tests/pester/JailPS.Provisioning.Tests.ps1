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
        # What Invoke-Command brings back of a release keeps its view and its properties.
        Get-RemotingProblem @($r) | Should -BeNullOrEmpty
        Get-RemotingProblem @(Get-JailRelease) | Should -BeNullOrEmpty
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

Describe 'Jails on ZFS: base.txz into a dataset, clones, snapshots, destroy (seed 003)' {
    BeforeAll {
        # The simulated host's pool with the jails' directory as a dataset, as zfs create -o mountpoint=/usr/jails zroot/jails makes it.
        $script:root = (New-JailSimulatedHost -ZfsDataset 'zroot/jails=/usr/jails').Path
        $script:media = Join-Path $TestDrive 'freebsd-dist-zfs'
        New-Item -ItemType Directory -Force $media | Out-Null
        Copy-Item (Join-Path $PSScriptRoot '../fixtures/base.txz') $media
        $sha = (Get-FileHash -Algorithm SHA256 (Join-Path $media 'base.txz')).Hash.ToLowerInvariant()
        [System.IO.File]::WriteAllText((Join-Path $media 'MANIFEST'), "base.txz`t$sha`t19`tbase`t`"Base system (MANDATORY)`"`ton`n")
        Save-JailRelease 14.3-RELEASE -Path $media | Out-Null
    }

    It 'makes no dataset and writes nothing with -WhatIf' {
        New-Jail web -Path /usr/jails/web -Release 14.3-RELEASE -WhatIf
        Get-JailSimulatedCommand -Purpose zfs | Where-Object { $_.Arguments[1] -notin 'list', 'get' } | Should -BeNullOrEmpty
        Test-Path (Join-Path $root 'usr/jails/web') | Should -BeFalse
        Test-Path (Join-Path $root 'etc/jail.conf.d/web.conf') | Should -BeFalse
    }

    It 'makes a thick jail a clone of the release: the second one runs no tar and holds only its new files' {
        New-Jail web -Path /usr/jails/web -Release 14.3-RELEASE -Persist | Out-Null
        New-Jail app -Path /usr/jails/app -Release 14.3-RELEASE -Persist | Out-Null
        @(Get-JailSimulatedCommand app -Purpose provision) | Should -BeNullOrEmpty      # no tar, no cp
        $app = Get-JailDataset app
        $app.Dataset | Should -Be 'zroot/jails/app'
        $app.Role | Should -Be 'Root'
        $app.Origin | Should -Be 'zroot/jails/releases/14.3-RELEASE@jailps-app'
        $app.Used | Should -BeLessThan $app.Referenced
        Get-RemotingProblem @(Get-JailDataset) | Should -BeNullOrEmpty
        (Get-JailDataset app | ConvertTo-RemoteCopy).Role | Should -Be 'Root'
        Get-Content (Join-Path $root 'usr/jails/app/etc/motd') | Should -Be 'FreeBSD 14.3-RELEASE (JailPS test fixture)'
    }

    It 'starts the clone and refuses to roll it back while it runs' {
        Start-Jail web
        New-JailSnapshot web -SnapshotName before-change | Select-Object -ExpandProperty FullName | Should -Be 'zroot/jails/web@before-change'
        Get-RemotingProblem @(Get-JailSnapshot web) | Should -BeNullOrEmpty
        Restore-JailSnapshot web before-change -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'JailIsRunning,*'
        Stop-Jail web
    }

    It 'rolls a stopped jail back to its snapshot' {
        Set-Content -Path (Join-Path $root 'usr/jails/web/etc/motd') -Value 'changed'
        Get-JailSnapshot web | Restore-JailSnapshot -Confirm:$false
        Get-Content (Join-Path $root 'usr/jails/web/etc/motd') | Should -Be 'FreeBSD 14.3-RELEASE (JailPS test fixture)'
        Remove-JailSnapshot web before-change -Confirm:$false
        Get-JailSnapshot web | Should -BeNullOrEmpty
    }

    It 'hands a jailed dataset to a jail with zfs.dataset and refuses one that is not jailed' {
        New-Jail db -Path /usr/jails/db -Persist -Parameter @{ 'zfs.dataset' = 'zroot/jails/db/data'; 'allow.mount' = $true; 'allow.mount.zfs' = $true; 'enforce_statfs' = 1 } | Out-Null
        Start-Jail db -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'JailDatasetNotFound,*'
        (Get-Jail db).State | Should -Be 'Stopped'
    }

    It 'destroys the dataset and its origin snapshot with Remove-Jail -DeleteRoot, and keeps the release' {
        Remove-Jail app -DeleteRoot -Confirm:$false
        Test-Path (Join-Path $root 'usr/jails/app') | Should -BeFalse
        (Get-JailSimulatedCommand app -Purpose zfs).Arguments -join ' ' | Should -Match 'destroy -r zroot/jails/app'
        Get-JailDataset app -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path (Join-Path $root 'usr/jails/releases/14.3-RELEASE/lib/libc.so.7') | Should -BeTrue
    }
}

Describe 'A Debian jail, as seeds 000/001 build one by hand' {
    BeforeAll {
        $script:root = New-TestHost
        Set-Content -Path (Join-Path $root 'etc/resolv.conf') -Value 'nameserver 10.1.0.1'
    }

    It 'installs nothing with -WhatIf' {
        New-Jail deb -Path /usr/jails/deb -Distribution Debian -Suite bookworm -WhatIf
        Test-Path (Join-Path $root 'usr/jails/deb') | Should -BeFalse
        # Only the read-only checks ran (kldstat -q -m linux64elf, debootstrap --version), never debootstrap itself.
        Get-JailSimulatedCommand -Purpose provision | Where-Object { $_.Arguments[0] -like '*debootstrap' -and $_.Arguments[1] -ne '--version' } | Should -BeNullOrEmpty
    }

    It 'debootstraps bookworm with the seeds'' exclusions adapted, and writes hostname and hosts' {
        $jail = New-Jail deb -Path /usr/jails/deb -Distribution Debian -Suite bookworm -Hostname deb.example.org -IPv4Address 10.1.0.30 -Persist
        $jail.Name | Should -Be 'deb'
        $run = (Get-JailSimulatedCommand deb -Purpose provision | Where-Object { $_.Arguments[0] -like '*debootstrap' }).Arguments -join ' '
        $run | Should -Match '--include=sysvinit-core --exclude=dmidecode,isc-dhcp-client,isc-dhcp-common,systemd-sysv bookworm /usr/jails/deb'
        Get-Content (Join-Path $root 'usr/jails/deb/etc/hostname') | Should -Be 'deb.example.org'
        Get-Content (Join-Path $root 'usr/jails/deb/etc/hosts') | Should -Contain "10.1.0.30`tdeb.example.org deb"
    }

    It 'starts it with linprocfs, linsysfs, tmpfs, devfs ruleset 4 and fdescfs, and the devices the seeds check' {
        Start-Jail deb
        $types = (Get-JailMount deb | Where-Object State -eq 'Mounted').FsType
        foreach ($t in 'linprocfs', 'linsysfs', 'tmpfs', 'devfs', 'fdescfs') { $types | Should -Contain $t }
        Test-JailDevice deb -Required null, zero, random, urandom, ptmx, pts, fd, stdin, stdout, stderr -Forbidden mem, kmem -Quiet | Should -BeTrue
        Test-JailDevice deb -Required mem -Quiet | Should -BeFalse          # the check can fail: ruleset 4 hides mem
        (Get-JailSimulatedCommand deb -Purpose exec.start).Arguments -join ' ' | Should -Match 'ln -sfn /run/shm /dev/shm'
    }

    It 'stops it leaving nothing mounted, and deletes its root' {
        Stop-Jail deb
        Get-JailMount deb | Where-Object State -in 'Mounted', 'Leaked' | Should -BeNullOrEmpty
        Remove-Jail deb -DeleteRoot -Confirm:$false
        Test-Path (Join-Path $root 'usr/jails/deb') | Should -BeFalse
    }
}

Describe 'FreeBSD 15 from its packaged base (pkgbase)' {
    BeforeAll {
        $script:root = New-TestHost
        # The host's signing keys, as a FreeBSD 15 host has them in /usr/share/keys.
        New-Item -ItemType Directory -Force (Join-Path $root 'usr/share/keys/pkgbase-15/trusted'), (Join-Path $root 'usr/share/keys/pkg/trusted') | Out-Null
    }

    It 'installs FreeBSD-set-minimal-jail with pkg into the cache and lists it as verified' {
        $r = Save-JailRelease 15.0-RELEASE -Source PkgBase
        $r.Format | Should -Be 'pkgbase'
        $r.Verified | Should -BeTrue
        $r.Distributions | Should -Be 'FreeBSD-set-minimal-jail'
        $pkg = @(Get-JailSimulatedCommand -Purpose provision | Where-Object { $_.Arguments[0] -eq '/usr/sbin/pkg' -and $_.Arguments.Count -gt 2 })
        $pkg.Count | Should -Be 3                                   # update, fetch, install
        $pkg[2].Arguments -join ' ' | Should -Match '-o ABI=FreeBSD:15:amd64 .*install -U -y -r FreeBSD-base FreeBSD-set-minimal-jail'
    }

    It 'refuses a release without a packaged base with a typed error' {
        Save-JailRelease 14.3-RELEASE -Source PkgBase -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'JailReleaseInvalid,*'
    }

    It 'builds thick and thin jails from it and updates the thick one with its own release' {
        New-Jail web -Path /usr/jails/web -Release 15.0-RELEASE -Persist | Out-Null
        Get-Content (Join-Path $root 'usr/jails/web/etc/motd') | Should -Be 'FreeBSD 15.0-RELEASE (pkgbase, simulated)'
        New-Jail app -Path /usr/jails/app -Release 15.0-RELEASE -Thin -Persist | Out-Null
        (Get-Item (Join-Path $root 'usr/jails/app/bin')).LinkTarget | Should -Be '/basejail/bin'
        Start-Jail web
        Update-Jail web
        # Inside the jail, by pkg: a packaged base is never handed to freebsd-update, nor touched from the host.
        $up = Get-JailSimulatedCommand web -Purpose update | Select-Object -First 1
        $up.Arguments -join ' ' | Should -Be '/usr/sbin/pkg upgrade -y -r FreeBSD-base'
        $up.Jid | Should -Not -BeNullOrEmpty
        Update-Jail app -ErrorAction SilentlyContinue -ErrorVariable thin
        $thin[0].FullyQualifiedErrorId | Should -BeLike 'JailIsThin,*'
    }
}
