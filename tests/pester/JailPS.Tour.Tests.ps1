#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    The README tour as a runbook test, against the simulated host (Pester 5, pwsh 7.4+).
    Run from the repository root after `dotnet build`:
        Invoke-Pester ./tests/pester
    Each Describe block gets its own simulated host under TestDrive, so the tests never touch
    a real host, on FreeBSD or anywhere else.
#>

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHost.ps1')
}

AfterAll {
    $env:JAILPS_SIMULATED_HOST = $null
}

Describe 'Defining a jail' {
    BeforeAll { $script:root = New-TestHost }

    It 'shows the plan and changes nothing with -WhatIf' {
        New-Jail -Name web -Path /usr/jails/web -WhatIf
        Test-Path (Join-Path $root 'etc/jail.conf.d/web.conf') | Should -BeFalse
        Get-Jail | Should -BeNullOrEmpty
    }

    It 'writes /etc/jail.conf.d/web.conf and returns the jail' {
        $jail = New-Jail -Name web -Path /usr/jails/web -Hostname web.example.org `
            -IPv4Address 10.1.0.5 -Parameter @{ 'allow.raw_sockets' = $false; securelevel = 3 } `
            -ExecStart '/bin/sh /etc/rc' -ExecStop '/bin/sh /etc/rc.shutdown jail'
        $jail.PSObject.TypeNames[0] | Should -Be 'JailPS.Jail'
        $jail.State | Should -Be 'Stopped'
        $jail.IsSimulated | Should -BeTrue
        $text = Get-Content -Raw (Join-Path $root 'etc/jail.conf.d/web.conf')
        $text | Should -Match 'web \{'
        $text | Should -Match 'allow\.noraw_sockets;'
        $text | Should -Match 'securelevel = 3;'
    }

    It 'refuses a second jail of the same name with a typed error' {
        { New-Jail -Name web -Path /usr/jails/web2 -ErrorAction Stop } |
            Should -Throw -ErrorId 'JailAlreadyExists,JailPS.Commands.NewJailCommand'
    }

    It 'refuses unknown parameters before writing anything' {
        { New-Jail -Name bad -Path /usr/jails/bad -Parameter @{ 'allow.nosuch' = 1 } -ErrorAction Stop } |
            Should -Throw -ErrorId 'JailParameterUnknown,JailPS.Commands.NewJailCommand'
        Test-Path (Join-Path $root 'etc/jail.conf.d/bad.conf') | Should -BeFalse
    }
}

Describe 'Running a jail' {
    BeforeAll {
        $script:root = New-TestHost
        New-Jail -Name web -Path /usr/jails/web -Hostname web.example.org -IPv4Address 10.1.0.5 `
            -ExecStart '/bin/sh /etc/rc' -ExecStop '/bin/sh /etc/rc.shutdown jail' | Out-Null
    }

    It 'starts it like jail -c' {
        $jail = Start-Jail web -PassThru
        $jail.State | Should -Be 'Running'
        $jail.Jid | Should -BeGreaterThan 0
        $jail.IPv4Address | Should -Be @('10.1.0.5')
        (Get-Jail web | Where-Object State -eq Running | ForEach-Object Jid) | Should -Be $jail.Jid
    }

    It 'changes it live and in its file with Set-Jail -Persist' {
        (Set-Jail web -Parameter @{ 'host.hostname' = 'www.example.org' } -Persist -PassThru).Hostname |
            Should -Be 'www.example.org'
        Get-Content -Raw (Join-Path $root 'etc/jail.conf.d/web.conf') | Should -Match 'www\.example\.org'
    }

    It 'stops it like jail -r' {
        Get-Jail -Name w* | Stop-Jail -Timeout 30
        (Get-Jail web).State | Should -Be 'Stopped'
    }

    It 'restarts it' {
        (Restart-Jail web -PassThru).State | Should -Be 'Running'
    }

    It 'will not remove a running jail without -Force' {
        { Remove-Jail web -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'JailIsRunning,JailPS.Commands.RemoveJailCommand'
    }

    It 'removes the definition but keeps the root directory' {
        Remove-Jail web -Force -Confirm:$false
        Get-Jail -Name web -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Test-Path (Join-Path $root 'usr/jails/web') | Should -BeTrue
    }
}

Describe 'jail.conf import and export' {
    BeforeAll {
        $script:root = New-TestHost
        New-Item -ItemType Directory -Force -Path (Join-Path $root 'etc'), (Join-Path $root 'usr/jails/db1'), (Join-Path $root 'usr/jails/db2') | Out-Null
        Set-Content -Path (Join-Path $root 'etc/jail.conf') -Value @'
path = "/usr/jails/$name";
exec.start = "/bin/sh /etc/rc";
db1 { ip4.addr = 10.1.0.21; }
db2 { ip4.addr = 10.1.0.22; }
'@
    }

    It 'starts the imported jails that match' {
        Import-JailConfig /etc/jail.conf | Where-Object Name -like 'db*' | Start-Jail
        (Get-Jail db* | Where-Object State -eq Running).Count | Should -Be 2
    }

    It 'exports jail.conf text' {
        $text = Get-Jail db1 | Export-JailConfig
        $text | Should -Match 'db1 \{'
        $text | Should -Match '/usr/jails/db1'
    }
}

Describe 'Remoting round trip' {
    BeforeAll {
        $script:root = New-TestHost
        New-Jail -Name web -Path /usr/jails/web -Hostname web.example.org | Out-Null
    }

    It 'keeps properties through PSSerializer' {
        $xml = [System.Management.Automation.PSSerializer]::Serialize((Get-Jail web))
        $copy = [System.Management.Automation.PSSerializer]::Deserialize($xml)
        $copy.PSObject.TypeNames[0] | Should -Be 'Deserialized.JailPS.Jail'
        $copy.Name | Should -Be 'web'
        $copy.Hostname | Should -Be 'web.example.org'
        $copy.ComputerName | Should -BeLike 'simulated:*'
    }
}

Describe 'Working inside jails' {
    BeforeAll {
        $script:root = New-TestHost
        New-Jail -Name web -Path /usr/jails/web -Persist | Start-Jail
        New-Item -ItemType Directory -Force -Path (Join-Path $root '.simulation') | Out-Null
        Set-Content -Path (Join-Path $root '.simulation/responses.json') -Value @'
[
  { "Command": "service nginx status", "StandardOutput": "nginx is running as pid 42.\n" },
  { "Command": "service nginx stop-check", "StandardError": "nginx is not running.\n", "ExitCode": 3 },
  { "Command": "tail*", "Hang": true }
]
'@
    }

    It 'returns a result object with the exit code and output' {
        $r = Invoke-JailCommand web -Command service, nginx, status
        $r.PSObject.TypeNames[0] | Should -Be 'JailPS.JailCommandResult'
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Be @('nginx is running as pid 42.')
    }

    It 'stops a runbook on a failing command under -ErrorAction Stop, with the exit code' {
        { Invoke-JailCommand web -Command service, nginx, stop-check -ErrorAction Stop } |
            Should -Throw -ErrorId 'JailCommandFailed,JailPS.Commands.InvokeJailCommandCommand'
        try { Invoke-JailCommand web -Command service, nginx, stop-check -ErrorAction Stop }
        catch { $_.TargetObject.ExitCode | Should -Be 3 }
    }

    It 'ends a hanging command at -Timeout' {
        { Invoke-JailCommand web -Command tail, -f, /var/log/messages -Timeout 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'JailCommandTimedOut,JailPS.Commands.InvokeJailCommandCommand'
    }

    It 'waits for a state and times out with a typed error' {
        (Wait-Jail web -For Running -Timeout 5 -PassThru).State | Should -Be 'Running'
        { Wait-Jail web -For Stopped -Timeout 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'JailWaitTimeout,JailPS.Commands.WaitJailCommand'
    }
}
