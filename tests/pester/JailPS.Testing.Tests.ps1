#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    The testing helpers a user's runbook tests rely on (New-/Remove-JailSimulatedHost,
    Get-JailSimulatedCommand, Set-JailSimulatedResponse), the example of about_JailPS_Testing run
    as it is, and the examples in docs/examples run with plain `pwsh -File`.
#>

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHost.ps1')
    $script:before = $env:JAILPS_SIMULATED_HOST
}

AfterAll {
    $env:JAILPS_SIMULATED_HOST = $null
}

Describe 'New-JailSimulatedHost and Remove-JailSimulatedHost' {
    It 'makes a fresh host under TestDrive and selects it' {
        $env:JAILPS_SIMULATED_HOST = '/somewhere/else'
        $lab = New-JailSimulatedHost
        $lab.Path | Should -BeLike "$((Get-PSDrive TestDrive).Root)*"
        $env:JAILPS_SIMULATED_HOST | Should -Be $lab.Path
        Test-Path (Join-Path $lab.Path '.simulation') | Should -BeTrue
        Test-Path (Join-Path $lab.Path 'etc/defaults/devfs.rules') | Should -BeTrue
        (Get-DevfsRuleset).Count | Should -Be 5
        $lab | Remove-JailSimulatedHost
        Test-Path $lab.Path | Should -BeFalse
        $env:JAILPS_SIMULATED_HOST | Should -Be '/somewhere/else'
        $env:JAILPS_SIMULATED_HOST = $null
    }

    It 'refuses a directory that is not empty' {
        $dir = Join-Path $TestDrive 'busy'
        New-Item -ItemType Directory $dir | Out-Null
        Set-Content (Join-Path $dir 'keep.txt') 'mine'
        { New-JailSimulatedHost -Path $dir -ErrorAction Stop } |
            Should -Throw -ErrorId 'JailSimulatedHostNotEmpty,JailPS.Commands.NewJailSimulatedHostCommand'
        Get-Content (Join-Path $dir 'keep.txt') | Should -Be 'mine'
    }

    It 'never deletes a directory that is not a simulated host' {
        $dir = Join-Path $TestDrive 'plain'
        New-Item -ItemType Directory $dir | Out-Null
        Remove-JailSimulatedHost -Path $dir -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be 'JailSimulatedHostNotFound,JailPS.Commands.RemoveJailSimulatedHostCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Test-Path $dir | Should -BeTrue
    }

    It 'removes a link inside the host without following it' {
        $outside = Join-Path $TestDrive 'outside'
        New-Item -ItemType Directory $outside | Out-Null
        Set-Content (Join-Path $outside 'precious.txt') 'keep me'
        $lab = New-JailSimulatedHost
        New-Item -ItemType SymbolicLink -Path (Join-Path $lab.Path 'usr') -Target $outside | Out-Null
        $lab | Remove-JailSimulatedHost
        Get-Content (Join-Path $outside 'precious.txt') | Should -Be 'keep me'
    }

    It 'creates and selects nothing with -WhatIf' {
        $dir = Join-Path $TestDrive 'whatif'
        New-JailSimulatedHost -Path $dir -WhatIf
        Test-Path $dir | Should -BeFalse
        $env:JAILPS_SIMULATED_HOST | Should -BeNullOrEmpty
    }
}

Describe 'Answers and the command record' {
    BeforeAll {
        $script:lab = New-JailSimulatedHost -Response @{ Command = 'service nginx status'; ExitCode = 3; StandardOutput = "down`n" }
        New-Jail -Name web -Path /usr/jails/web -Persist | Out-Null
        Start-Jail web
    }
    AfterAll { $lab | Remove-JailSimulatedHost }

    It 'answers with the rules given to New-JailSimulatedHost' {
        $r = Invoke-JailCommand web -Command service, nginx, status -ErrorAction SilentlyContinue -ErrorVariable err
        $r.ExitCode | Should -Be 3
        $r.Output | Should -Be 'down'
        $err[0].FullyQualifiedErrorId | Should -Be 'JailCommandFailed,JailPS.Commands.InvokeJailCommandCommand'
    }

    It 'records each command with its argv' {
        $c = @(Get-JailSimulatedCommand web -Purpose invoke)[-1]
        $c.PSObject.TypeNames[0] | Should -Be 'JailPS.SimulatedCommand'
        $c.Arguments | Should -Be '/usr/sbin/jexec', '1', 'service', 'nginx', 'status'
        $c.ExitCode | Should -Be 3
    }

    It 'takes new rules at once, and appends after the existing ones' {
        Set-JailSimulatedResponse @{ Command = 'uptime'; StandardOutput = "up 3 days`n" }
        (Invoke-JailCommand web -Command uptime).Output | Should -Be 'up 3 days'
        Set-JailSimulatedResponse -Append @{ Command = 'uptime'; StandardOutput = "never used`n" }, @{ Command = 'date'; StandardOutput = "today`n" }
        (Invoke-JailCommand web -Command uptime).Output | Should -Be 'up 3 days'
        (Invoke-JailCommand web -Command date).Output | Should -Be 'today'
    }

    It 'refuses a rule with a field that does not exist' {
        { Set-JailSimulatedResponse @{ Comand = 'typo' } } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,JailPS.Commands.SetJailSimulatedResponseCommand'
    }
}

Describe 'The example of about_JailPS_Testing' {
    It 'passes as it is written, in a fresh pwsh under Pester' {
        $topic = Get-Content -Raw (Join-Path $repo 'module/en-US/about_JailPS_Testing.help.txt')
        $m = [regex]::Match($topic, '(?s)# --- begin example: Farm\.Tests\.ps1 ---\r?\n(.*?)\r?\n\s*# --- end example ---')
        $m.Success | Should -BeTrue
        $lines = $m.Groups[1].Value -split '\r?\n'
        $indent = ($lines | Where-Object { $_.Trim() } | ForEach-Object { $_.Length - $_.TrimStart().Length } | Measure-Object -Minimum).Minimum
        $file = Join-Path $TestDrive 'Farm.Tests.ps1'
        ($lines | ForEach-Object { if ($_.Length -ge $indent) { $_.Substring($indent) } else { $_.TrimStart() } }) -join "`n" | Set-Content $file
        $pester = (Get-Module Pester).Path -replace 'psm1$', 'psd1'
        $run = Invoke-FreshPwsh @('-Command', "Import-Module '$pester'; `$r = Invoke-Pester -Path '$file' -PassThru -Output None; `"`$(`$r.PassedCount)/`$(`$r.TotalCount)`"; exit `$r.FailedCount") @{ JAILPS_SIMULATED_HOST = $null }
        $run.Output[-1] | Should -Be '5/5' -Because ($run.Output -join "`n")
        $run.ExitCode | Should -Be 0
    }
}

Describe 'The examples in docs/examples under plain pwsh -File' -ForEach @(
    @{ Script = 'tour.ps1'; Expect = 'jails left: 0' }
    @{ Script = 'runbook.ps1'; Expect = 'The simulated host answered' }
    @{ Script = 'debian-jail.ps1'; Expect = 'mounts left under /usr/jails/debian: 0' }
) {
    It '<Script> runs against the simulated host, says so first, and leaves nothing behind' {
        $tmp = Join-Path $TestDrive "tmp-$Script"
        New-Item -ItemType Directory $tmp | Out-Null
        $run = Invoke-FreshPwsh @('-File', (Join-Path $repo "docs/examples/$Script")) @{ TMPDIR = $tmp; JAILPS_SIMULATED_HOST = $null }
        $run.ExitCode | Should -Be 0 -Because ($run.Output -join "`n")
        $run.Output[0] | Should -BeLike 'SIMULATED HOST: *'
        ($run.Output -join "`n") | Should -BeLike "*$Expect*"
        @(Get-ChildItem -Force $tmp) | Should -BeNullOrEmpty -Because 'the example deletes its simulated host'
    }
}
