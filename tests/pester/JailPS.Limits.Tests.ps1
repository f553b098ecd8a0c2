#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Resource limits as a runbook, against the simulated host (Pester 5, pwsh 7.4+): a limit set
    and persisted in /etc/rctl.conf, applied when the jail starts and taken back when it stops,
    usage read, and the limit removed. Run from the repository root after `dotnet build`:
        Invoke-Pester ./tests/pester/JailPS.Limits.Tests.ps1
#>

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHost.ps1')
}

AfterAll {
    $env:JAILPS_SIMULATED_HOST = $null
}

Describe 'Limits of a jail' {
    BeforeAll {
        $script:root = New-TestHost
        New-Item -ItemType Directory -Force (Join-Path $root 'usr/jails/web'), (Join-Path $root 'etc') | Out-Null
        Set-Content (Join-Path $root 'etc/rctl.conf') "# the admin's own line`nuser:1001:maxproc:deny=200"
        New-Jail web -Path /usr/jails/web -Persist | Out-Null
    }

    It 'sets a memory limit from 2GB, persisted beside the admin''s lines' {
        $limit = Set-JailLimit web -Resource memoryuse -Amount 2GB -Persist
        $limit.Amount | Should -Be 2147483648
        $limit.Unit | Should -Be 'bytes'
        $limit.Source | Should -Be 'Both'
        $conf = Get-Content (Join-Path $root 'etc/rctl.conf')
        $conf | Should -Contain "# the admin's own line"
        $conf | Should -Contain 'jail:web:memoryuse:deny=2147483648'
    }

    It 'refuses a rule the kernel does not take, with a typed error' {
        Set-JailLimit web -Resource cputime -Action deny -Amount 10 -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'JailLimitNotSupported,*'
        Set-JailLimit web -Resource memoryuse -Amount 'lots' -ErrorAction SilentlyContinue -ErrorVariable err2
        $err2[0].FullyQualifiedErrorId | Should -BeLike 'JailLimitInvalid,*'
    }

    It 'applies it when the jail starts, reports usage, and takes it back when it stops' {
        Start-Jail web
        (Get-JailResourceUsage web).Jail | Should -Be 'web'
        (Get-JailLimit web).Source | Should -Be 'Both'
        Stop-Jail web
        (Get-JailLimit web).Source | Should -Be 'Persisted'
    }

    It 'removes it from the kernel and the file' {
        Remove-JailLimit web -Resource memoryuse
        Get-JailLimit web | Should -BeNullOrEmpty
        Get-Content (Join-Path $root 'etc/rctl.conf') | Should -Contain 'user:1001:maxproc:deny=200'
    }
}

Describe 'CPUs of a jail' {
    BeforeAll {
        $script:root = New-TestHost
        New-Item -ItemType Directory -Force (Join-Path $root 'usr/jails/app') | Out-Null
        New-Jail app -Path /usr/jails/app -Persist | Out-Null
    }

    It 'keeps the list in the definition and applies it on start' {
        (Set-JailCpuSet app -Cpu 1-2 -Persist).Configured | Should -Be '1-2'
        Get-Content -Raw (Join-Path $root 'etc/jail.conf.d/app.conf') | Should -Match '\$jailps_cpuset = "?1-2"?;'
        Start-Jail app
        (Get-JailCpuSet app).Cpu | Should -Be '1-2'
    }

    It 'narrows and widens a running jail, and refuses a CPU the host lacks with a typed error' {
        (Set-JailCpuSet app -Cpu 2).Cpu | Should -Be '2'
        (Set-JailCpuSet app -Cpu 0-3).Cpu | Should -Be '0-3'
        Set-JailCpuSet app -Cpu 0-7 -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'JailCpuSetInvalid,*'
        Stop-Jail app
    }
}

Describe 'Drift' {
    BeforeAll {
        $script:root = New-TestHost
        New-Item -ItemType Directory -Force (Join-Path $root 'usr/jails/web') | Out-Null
        New-Jail web -Path /usr/jails/web -Hostname web.example.org -Persist | Out-Null
        Start-Jail web
    }
    AfterAll { Stop-Jail web -Force -ErrorAction SilentlyContinue }

    It 'is $true for a jail as its definition says, with nothing in detail' {
        Test-Jail | Should -BeTrue
        Test-Jail web -Detailed | Should -BeNullOrEmpty
    }

    It 'is $false after a live change, and names it' {
        Set-Jail web -Parameter @{ 'host.hostname' = 'changed.example.org' }
        Test-Jail web | Should -BeFalse
        $d = Test-Jail web -Detailed
        $d.Kind | Should -Be 'Parameter'
        $d.Item | Should -Be 'host.hostname'
        $d.Expected | Should -Be 'web.example.org'
        $d.Actual | Should -Be 'changed.example.org'
    }

    It 'puts it back with Repair-Jail, after showing the plan' {
        Repair-Jail web -WhatIf | Should -BeNullOrEmpty
        Test-Jail web | Should -BeFalse
        Repair-Jail web | Should -BeNullOrEmpty        # nothing left that needs a restart
        Test-Jail web | Should -BeTrue
        (Get-Jail web).Hostname | Should -Be 'web.example.org'
    }
}

Describe 'Moving over from Bastille' {
    BeforeAll {
        $script:root = New-TestHost
        $dir = Join-Path $root 'usr/local/bastille/jails/old'
        New-Item -ItemType Directory -Force (Join-Path $dir 'root') | Out-Null
        Set-Content (Join-Path $dir 'fstab') ''
        Set-Content (Join-Path $dir 'rctl.conf') "jail:old:maxproc:deny=200/jail`njail:old:maxproc:log=200/jail"
        Set-Content (Join-Path $dir 'cpuset.conf') '1,2'
        Set-Content (Join-Path $dir 'jail.conf') "old {`n  host.hostname = old;`n  mount.fstab = /usr/local/bastille/jails/old/fstab;`n  path = /usr/local/bastille/jails/old/root;`n  persist;`n}"
    }

    It 'plans the takeover with -WhatIf and writes nothing' {
        Import-BastilleJail -All -WhatIf | Should -BeNullOrEmpty
        Test-Path (Join-Path $root 'etc/jail.conf.d/old.conf') | Should -BeFalse
    }

    It 'imports it as a plain jail.conf jail that starts and stops, Bastille''s file untouched' {
        $before = Get-Content -Raw (Join-Path $root 'usr/local/bastille/jails/old/jail.conf')
        $jail = Import-BastilleJail old
        $jail.ManagedBy | Should -Be 'jail.conf'
        $jail.ConfigFile | Should -Be '/etc/jail.conf.d/old.conf'
        Get-Content -Raw (Join-Path $root 'usr/local/bastille/jails/old/jail.conf') | Should -Be $before
        (Get-JailLimit old).Rule | Should -Be @('jail:old:maxproc:deny=200', 'jail:old:maxproc:log=200')
        Start-Jail old
        (Get-Jail old).State | Should -Be 'Running'
        (Get-JailLimit old).Source | Should -Be @('Both', 'Both')
        (Get-JailCpuSet old).Cpu | Should -Be '1-2'
        (Get-JailCpuSet old).Configured | Should -Be '1-2'
        Test-Jail old | Should -BeTrue
        Stop-Jail old
    }

    It 'refuses a name it does not keep, with a typed error' {
        Import-BastilleJail nosuch -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'JailNotFound,*'
    }
}

Describe 'Moving over from iocage' {
    BeforeAll {
        $script:root = New-TestHost
        New-Item -ItemType Directory -Force (Join-Path $root 'iocage/jails/db/root'), (Join-Path $root 'iocage/log') | Out-Null
        Set-Content (Join-Path $root 'iocage/jails/db/fstab') ''
        Set-Content (Join-Path $root 'iocage/jails/db/config.json') '{"host_hostname": "db", "vnet": "off", "exec_start": "/usr/bin/true", "memoryuse": "deny=1G", "cpuset": "0,2"}'
    }

    It 'imports ioc-db with iocage''s parameters, and it starts' {
        $jail = Import-IocageJail db
        $jail.Name | Should -Be 'ioc-db'
        $jail.Hostname | Should -Be 'db'
        (Get-JailLimit ioc-db).Rule | Should -Be 'jail:ioc-db:memoryuse:deny=1073741824'
        Start-Jail ioc-db
        (Get-Jail ioc-db).State | Should -Be 'Running'
        (Get-JailLimit ioc-db).Source | Should -Be 'Both'
        (Get-JailCpuSet ioc-db).Cpu | Should -Be '0,2'
        Stop-Jail ioc-db
    }
}
