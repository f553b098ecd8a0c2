#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Jails tied by depend, driven the way a runbook drives them, against the simulated host
    (Pester 5, pwsh 7.4+). Run from the repository root after `dotnet build`:
        Invoke-Pester ./tests/pester
    Each Describe block gets its own simulated host under TestDrive; nothing touches a real host.

    The stack: db; web1 and web2 depend on db; app depends on web1 and db. Get-Jail lists them as
    app, db, web1, web2, so a pipeline names dependencies after the jails that need them and
    dependents after the jails they need.
#>

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHost.ps1')

    function New-Stack {
        New-Jail -Name db -Path /usr/jails/db -Persist | Out-Null
        New-Jail -Name web1 -Path /usr/jails/web1 -Persist -DependsOn db | Out-Null
        New-Jail -Name web2 -Path /usr/jails/web2 -Persist -DependsOn db | Out-Null
        New-Jail -Name app -Path /usr/jails/app -Persist -DependsOn web1, db | Out-Null
    }

    # What a command wrote to the host (the "What if:" lines), through a transcript.
    function Get-HostText([scriptblock] $Script) {
        $file = Join-Path $TestDrive ([guid]::NewGuid().ToString('N') + '.txt')
        Start-Transcript -Path $file -UseMinimalHeader | Out-Null
        try { & $Script | Out-Null } finally { Stop-Transcript | Out-Null }
        Get-Content -Raw $file
    }

    function Get-Count([string] $Text, [string] $Pattern) {
        ([regex]::Matches($Text, [regex]::Escape($Pattern))).Count
    }
}

AfterAll {
    $env:JAILPS_SIMULATED_HOST = $null
}

Describe 'Starting and stopping a stack of jails from the pipeline' {
    BeforeAll {
        $script:root = New-TestHost
        New-Stack
    }

    It 'starts every jail once, dependencies first, without errors' {
        $started = Get-Jail | Start-Jail -PassThru -ErrorAction Stop
        $started.Name | Sort-Object | Should -Be @('app', 'db', 'web1', 'web2')
        $order = @($started.Name)
        $order.IndexOf('db') | Should -BeLessThan $order.IndexOf('web1')
        $order.IndexOf('web1') | Should -BeLessThan $order.IndexOf('app')
        (Get-Jail).Jid | Sort-Object | Should -Be @(1, 2, 3, 4)
    }

    It 'shows each stop plan once with -WhatIf' {
        $text = Get-HostText { Get-Jail | Stop-Jail -WhatIf }
        foreach ($name in 'app', 'db', 'web1', 'web2') {
            Get-Count $text "What if: Stop jail `"$name`"" | Should -Be 1
        }
        (Get-Jail | Where-Object State -eq Running).Count | Should -Be 4
    }

    It 'restarts every jail once: one new jid each' {
        $restarted = Get-Jail | Restart-Jail -PassThru -ErrorAction Stop
        $restarted.Name | Sort-Object | Should -Be @('app', 'db', 'web1', 'web2')
        (Get-Jail).Jid | Sort-Object | Should -Be @(5, 6, 7, 8)
    }

    It 'stops every jail once, dependents first, and the runbook goes on under -ErrorAction Stop' {
        # A JailNotRunning for a dependent stopped on the way would throw here and fail the test.
        $stopped = Get-Jail | Stop-Jail -PassThru -ErrorAction Stop
        $stopped.Name | Sort-Object | Should -Be @('app', 'db', 'web1', 'web2')
        $order = @($stopped.Name)
        $order.IndexOf('app') | Should -BeLessThan $order.IndexOf('web1')
        $order.IndexOf('web1') | Should -BeLessThan $order.IndexOf('db')
        $order.IndexOf('web2') | Should -BeLessThan $order.IndexOf('db')
        Get-Jail | Where-Object State -ne Stopped | Should -BeNullOrEmpty
    }

    It 'still reports a jail that was not running before the command' {
        { Stop-Jail db -ErrorAction Stop } | Should -Throw -ErrorId 'JailNotRunning,JailPS.Commands.StopJailCommand'
    }
}

Describe 'Naming a jail and its dependent together' {
    BeforeAll {
        $script:root = New-TestHost
        New-Jail -Name db -Path /usr/jails/db -Persist | Out-Null
        New-Jail -Name app -Path /usr/jails/app -Persist -DependsOn db | Out-Null
        Start-Jail app
    }

    It 'stops each once and returns each once' {
        $stopped = Stop-Jail db, app -PassThru -Confirm:$false -ErrorAction Stop
        $stopped.Name | Should -Be @('app', 'db')
        $stopped.State | Should -Be @('Stopped', 'Stopped')
    }

    It 'names the dependency in the -WhatIf heading' {
        $text = Get-HostText { Start-Jail app -WhatIf }
        $text | Should -Match 'What if: Start jail "db" \(a dependency of "app"\) on simulated:'
        Get-Count $text 'What if: Start jail' | Should -Be 2
    }
}

Describe 'Completing jail names' {
    BeforeAll {
        $script:root = New-TestHost
        New-Jail -Name web -Path /usr/jails/web | Out-Null
        New-Jail -Name db -Path /usr/jails/db | Out-Null
    }

    It 'completes jail names for <Command> with nothing typed' -ForEach @(
        @{ Command = 'Start-Jail' }, @{ Command = 'Stop-Jail' }, @{ Command = 'Restart-Jail' },
        @{ Command = 'Set-Jail' }, @{ Command = 'Remove-Jail' }, @{ Command = 'Wait-Jail' },
        @{ Command = 'Export-JailConfig' }, @{ Command = 'Mount-JailFileSystem' }, @{ Command = 'Get-Jail' }
    ) {
        $line = "$Command "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText |
            Should -Be @('db', 'web')
    }

    It 'offers each name once when part of it is typed' {
        (TabExpansion2 -inputScript 'Stop-Jail w' -cursorColumn 11).CompletionMatches.CompletionText |
            Should -Be @('web')
    }
}
