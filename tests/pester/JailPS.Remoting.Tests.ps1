#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    A fleet over real PowerShell remoting (Pester 5, pwsh 7.4+): three real sshd processes on
    loopback (127.0.0.2-4, each on its own port), each with SetEnv JAILPS_SIMULATED_HOST so it
    stands for one FreeBSD host with its own jails, reached with New-PSSession -HostName and a key.
    The server side is the same pwsh as this one, with the built module on its PSModulePath.
    Skipped, with the reason, where sshd cannot be started (not installed, or not root).
    Run from the repository root after `dotnet build`:
        Invoke-Pester ./tests/pester/JailPS.Remoting.Tests.ps1
#>

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHost.ps1')
    . (Join-Path $PSScriptRoot 'SshHosts.ps1')
    $script:reason = Get-SshHostSkipReason
    $script:hosts = @()
    $script:sessions = @()
    if (-not $reason) {
        $script:hosts = @(Start-SshHosts -Directory (Join-Path $TestDrive 'fleet') -Name bsd1, bsd2, bsd3 -ModuleLayout $layout)
        $script:sessions = @(New-SshHostSession $hosts)
        # Each host its own jails: web on all three, db on bsd1, cache on bsd3.
        Invoke-Command $sessions {
            New-Jail web -Path /usr/jails/web -Hostname web.example.org -IPv4Address 10.0.0.5 -Persist -ExecStart '/bin/sh /etc/rc' | Out-Null
            Start-Jail web
        }
        Invoke-Command $sessions[0] {
            New-Jail db -Path /usr/jails/db -Persist | Start-Jail
            New-Item -ItemType Directory -Force (Join-Path $env:JAILPS_SIMULATED_HOST 'usr/jails/web/tmp') | Out-Null
            Mount-JailFileSystem web -Type tmpfs -Source tmpfs -Target /tmp | Out-Null
        }
        Invoke-Command $sessions[2] { New-Jail cache -Path /usr/jails/cache -Persist | Out-Null }
        # This machine is a fourth host, with a web jail of its own.
        $env:JAILPS_SIMULATED_HOST = (New-JailSimulatedHost -Path (Join-Path $TestDrive 'local') -NoSelect).Path
        New-Jail web -Path /usr/jails/web -Persist | Start-Jail
    }
}

AfterAll {
    if ($sessions) { $sessions | Remove-PSSession -ErrorAction Ignore }
    Stop-SshHosts $hosts
    $env:JAILPS_SIMULATED_HOST = $null
}

Describe 'A fleet over SSH remoting' {
    BeforeEach {
        if ($reason) { Set-ItResult -Skipped -Because $reason }
    }

    It 'answers from three real sshd processes, each a host of its own' {
        $hosts.Count | Should -Be 3
        foreach ($h in $hosts) { Get-Process -Id $h.Pid | Should -Not -BeNullOrEmpty }
        @($sessions | Where-Object State -eq Opened).Count | Should -Be 3
        $sessions.Transport | Select-Object -Unique | Should -Be 'SSH'
    }

    It 'takes one inventory of every host, grouped by PSComputerName' {
        $all = Invoke-Command $sessions { Get-Jail }
        $byHost = $all | Group-Object PSComputerName -AsHashTable -AsString
        $byHost.Keys | Sort-Object | Should -Be @('127.0.0.2', '127.0.0.3', '127.0.0.4')
        $byHost['127.0.0.2'].Name | Sort-Object | Should -Be @('db', 'web')
        $byHost['127.0.0.3'].Name | Should -Be 'web'
        $byHost['127.0.0.4'].Name | Sort-Object | Should -Be @('cache', 'web')
        # State by name and the addresses survive remoting.
        @($all | Where-Object State -eq Running).Count | Should -Be 4
        ($all | Where-Object { $_.PSComputerName -eq '127.0.0.3' }).IPv4Address | Should -Be '10.0.0.5'
        ($all | Group-Object PSComputerName | Where-Object { @($_.Group | Where-Object State -eq Stopped).Count }).Name | Should -Be '127.0.0.4'
        $table = $all | Format-Table -GroupBy PSComputerName | Out-String -Width 120
        $table | Should -Match 'PSComputerName: 127\.0\.0\.2'
        $table | Should -Match 'JID Name\s+State\s+IP Address'
    }

    It 'renders a remote object with the same view as on its own host' {
        $there = Invoke-Command $sessions[0] { Get-Jail | Out-String -Width 120 }
        $here = Invoke-Command $sessions[0] { Get-Jail } -HideComputerName | Out-String -Width 120
        $here | Should -Be ($there -join '')
        $mountsThere = Invoke-Command $sessions[0] { Get-JailMount | Out-String -Width 120 }
        $mountsHere = Invoke-Command $sessions[0] { Get-JailMount } -HideComputerName | Out-String -Width 120
        $mountsHere | Should -Be ($mountsThere -join '')
        $mountsHere | Should -Match 'tmpfs'
        (Invoke-Command $sessions[0] { Get-JailMount web } | Where-Object State -eq Mounted).FsType | Should -Be 'tmpfs'
        (Invoke-Command $sessions[0] { Get-Jail web })[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.JailPS.Jail'
    }

    It 'refuses a jail from another host piped into a local Stop-Jail, and acts on this host''s jail when it is named' {
        $remote = Invoke-Command $sessions[1] { Get-Jail web }
        $remote | Stop-Jail -ErrorAction SilentlyContinue -ErrorVariable err
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'JailObjectFromOtherHost,JailPS.Commands.StopJailCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        $err[0].Exception.Message | Should -Match 'reached as 127\.0\.0\.3'
        (Get-Jail web).State | Should -Be 'Running'
        (Invoke-Command $sessions[1] { (Get-Jail web).State }) | Should -Be 'Running'

        # An inventory saved with Export-Clixml stays another host's.
        $file = Join-Path $TestDrive 'bsd2.xml'
        $remote | Export-Clixml $file
        Import-Clixml $file | Restart-Jail -ErrorAction SilentlyContinue -ErrorVariable err2
        $err2[0].FullyQualifiedErrorId | Should -BeLike 'JailObjectFromOtherHost,*'

        # The recommended action: name the jail (without piping the other host's object).
        $err[0].ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape("Stop-Jail -Name 'web'"))
        Stop-Jail -Name web
        (Get-Jail web).State | Should -Be 'Stopped'
        (Invoke-Command $sessions[1] { (Get-Jail web).State }) | Should -Be 'Running'
        Start-Jail web
    }

    It 'rolls a restart host by host and stops at the first host that fails' {
        $before = Invoke-Command $sessions { Get-Jail web } | Group-Object PSComputerName -AsHashTable -AsString
        # The second host's exec.start now fails (its /etc/rc exits 1).
        Invoke-Command $sessions[1] { Set-JailSimulatedResponse @{ Purpose = 'exec.start'; ExitCode = 1 } }
        $steps = Invoke-JailRollout $sessions { Get-Jail web | Restart-Jail -PassThru } -ErrorAction SilentlyContinue -ErrorVariable err
        $steps.Status | Should -Be @('Done', 'Failed', 'NotRun')
        $steps.ComputerName | Should -Be @('127.0.0.2', '127.0.0.3', '127.0.0.4')
        $steps[0].Output.State | Should -Be 'Running'
        $steps[1].Errors[0].FullyQualifiedErrorId | Should -BeLike 'JailCommandFailed,*'
        $err[-1].FullyQualifiedErrorId | Should -Be 'JailRolloutStopped,JailPS.Commands.InvokeJailRolloutCommand'
        $err[-1].Exception.Message | Should -Match 'Done: 127\.0\.0\.2\. Not run: 127\.0\.0\.4\.'
        $err[-1].ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape('$sessions[1..2]'))

        $after = Invoke-Command $sessions { Get-Jail web } | Group-Object PSComputerName -AsHashTable -AsString
        $after['127.0.0.2'].Jid | Should -Not -Be $before['127.0.0.2'].Jid     # restarted
        $after['127.0.0.3'].State | Should -Be 'Stopped'                       # its start failed and was rolled back
        $after['127.0.0.4'].Jid | Should -Be $before['127.0.0.4'].Jid          # never touched

        # Fixed, the rollout goes on from the host that failed.
        Invoke-Command $sessions[1] { Set-JailSimulatedResponse @{ Purpose = 'exec.start'; ExitCode = 0 } }
        $rest = Invoke-JailRollout $sessions[1..2] { Get-Jail web | Restart-Jail -PassThru }
        $rest.Status | Should -Be @('Done', 'Done')

        # -WhatIf names the hosts and runs nothing on them.
        (Invoke-JailRollout $sessions { Stop-Jail web } -WhatIf).Status | Should -Be @('Skipped', 'Skipped', 'Skipped')
        Invoke-Command $sessions { (Get-Jail web).State } | Should -Be @('Running', 'Running', 'Running')
    }

    It 'keeps every step under -ErrorAction Stop, and passes the hosts'' information records on' {
        $steps = $null
        try { Invoke-JailRollout $sessions { if ($env:JAILPS_SIMULATED_HOST -like '*bsd2*') { Write-Error 'bsd2 is not ready' } } -ErrorAction Stop -OutVariable steps | Out-Null }
        catch { $stopped = $_ }
        $stopped.Exception.Message | Should -Match 'bsd2 is not ready'
        $steps.Status | Should -Be @('Done', 'Failed', 'NotRun')

        $out = Invoke-JailRollout $sessions[0] { Write-Information 'note' -Tags fleet; 42 } -InformationVariable iv
        $out.Output | Should -Be 42
        ($iv | Where-Object { $_.Tags -contains 'fleet' }).MessageData | Should -Be 'note'
    }

    It 'finds drift across the fleet from one boolean per host' {
        Invoke-Command $sessions { Test-Jail } | Should -Be @($true, $true, $true)
        # Someone changes a live parameter on bsd3 by hand, without the definition.
        Invoke-Command $sessions[2] { Set-Jail web -Parameter @{ 'host.hostname' = 'changed.example.org' } }
        $drifted = Invoke-Command $sessions { Test-Jail } | Where-Object { -not $_ }
        $drifted.PSComputerName | Should -Be '127.0.0.4'
        $details = Invoke-Command $sessions[2] { Test-Jail -Detailed }
        $details.Jail | Should -Be 'web'
        $details.Kind | Should -Be 'Parameter'
        $details.Item | Should -Be 'host.hostname'
        $details.Actual | Should -Be 'changed.example.org'
        $details[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.JailPS.JailDrift'
        # The fix goes through the same rollout.
        (Invoke-JailRollout $sessions[2] { Repair-Jail -Confirm:$false | Out-Null; Test-Jail }).Output | Should -Be $true
    }

    It 'runs the fleet runbook of about_JailPS_Remoting as it is written there' {
        $topic = Get-Content -Raw (Join-Path $repo 'module/en-US/about_JailPS_Remoting.help.txt')
        $m = [regex]::Match($topic, '(?s)# --- begin example: Fleet\.ps1 ---\r?\n(.*?)\r?\n\s*# --- end example ---')
        $m.Success | Should -BeTrue
        # The topic indents the example by 8 spaces.
        $code = ($m.Groups[1].Value -split '\r?\n' | ForEach-Object { $_ -replace '^ {8}', '' }) -join "`n"
        Invoke-Command $sessions[1] { Set-Jail web -Parameter @{ 'host.hostname' = 'by-hand.example.org' } }
        $lines = & ([scriptblock]::Create($code)) -Sessions $sessions
        $lines | Should -Contain '127.0.0.2: 2 running'
        $lines | Should -Contain '127.0.0.3: 1 running'
        $lines | Should -Contain '127.0.0.3 drift: web Parameter host.hostname'
        @($lines | Where-Object { $_ -like '* drift: *' }).Count | Should -Be 1
        $lines | Should -Contain '127.0.0.2: Done'
        $lines | Should -Contain '127.0.0.4: Done'
    }
}
