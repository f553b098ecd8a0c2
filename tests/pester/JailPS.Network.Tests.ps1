#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Networking as runbooks, against the simulated host (Pester 5, pwsh 7.4+): seed 003's private
    loopback with pf isolation and a port forward, and a VNET jail on a bridge. Run from the
    repository root after `dotnet build`:
        Invoke-Pester ./tests/pester/JailPS.Network.Tests.ps1
    Each Describe block gets its own simulated host under TestDrive; nothing touches a real host.
#>

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHost.ps1')

    function Get-SimKernel {
        ([JailPS.Core.Host.JailHost]::Simulated($env:JAILPS_SIMULATED_HOST)).Simulation.Kernel
    }
}

AfterAll {
    $env:JAILPS_SIMULATED_HOST = $null
}

Describe 'Seed 003: jails on lo1 with pf isolation and a port forward' {
    BeforeAll {
        $script:root = New-TestHost
        # The host's pf.conf, hooked for JailPS's anchors as the warning asks.
        Set-Content -Path (Join-Path $root 'etc/pf.conf') -Value @(
            'ext_if = "em0"'
            'rdr-anchor "jailps/*"'
            'block in all'
            'anchor "jailps/*"'
            'pass out all'
        )
        foreach ($j in 'db', 'web') { New-Item -ItemType Directory -Force (Join-Path $root "usr/jails/$j") | Out-Null }
        New-Jail db -Path /usr/jails/db -PrivateLoopback -Persist | Out-Null
        New-Jail web -Path /usr/jails/web -PrivateLoopback -IPv4Address 'em0|192.0.2.11/24' -Persist | Out-Null
    }

    It 'gives each jail its own 127.0.1.N on lo1, kept in its definition' {
        Get-Content -Raw (Join-Path $root 'etc/jail.conf.d/db.conf') | Should -Match 'ip4.addr = "lo1\|127\.0\.1\.1/32";'
        Get-Content -Raw (Join-Path $root 'etc/jail.conf.d/web.conf') | Should -Match 'ip4.addr = "lo1\|127\.0\.1\.2/32", "em0\|192\.0\.2\.11/24";'
    }

    It 'changes nothing with -WhatIf' {
        Start-Jail db -WhatIf
        (Get-SimKernel).PfAnchors.Count | Should -Be 0
        (Get-SimKernel).InterfaceSummary | Should -Not -Contain 'lo1'
        @(Get-JailSimulatedCommand -Purpose pfctl | Where-Object { $_.Arguments -contains '-f' }) | Should -BeNullOrEmpty
    }

    It 'starts both, each isolated in its own anchor, with no warning and no ifconfig process' {
        Start-Jail db, web -WarningVariable warned
        $warned | Should -BeNullOrEmpty
        (Get-JailSimulatedCommand -Purpose pfctl | Where-Object { $_.Arguments -contains '-f' }).Arguments -join ' ' |
            Should -Match '/sbin/pfctl -a jailps/db -f -'
        @(Get-JailSimulatedCommand | Where-Object { $_.Arguments -match 'ifconfig' }) | Should -BeNullOrEmpty
        $k = Get-SimKernel
        $k.PfAnchors['jailps/db'] | Should -Contain 'block drop quick inet from ! 127.0.1.1 to 127.0.1.1'
        $k.PfAnchors['jailps/web'] | Should -Contain 'block drop quick inet from ! 127.0.1.2 to 127.0.1.2'
        $k.InterfaceSummary | Should -Contain 'lo1 127.0.1.1/32 127.0.1.2/32'
        (Get-JailIPAddress web | Where-Object Interface -eq 'lo1').State | Should -Be 'Active'
    }

    It 'forwards 80 and 443 of the external address to the jail, live and in the definition' {
        Add-JailPortForward web -Port 80, 443 -ExternalAddress 192.0.2.2
        $f = Get-JailPortForward web
        $f | Should -HaveCount 2
        $f.State | Should -Be @('Active', 'Active')
        $f.JailAddress.IPAddressToString | Should -Be @('192.0.2.11', '192.0.2.11')
        Get-RemotingProblem $f | Should -BeNullOrEmpty
        ($f | ConvertTo-RemoteCopy | Where-Object State -eq Active).Count | Should -Be 2
        (Get-SimKernel).PfAnchors['jailps/web'] | Should -Contain 'rdr pass on em0 inet proto tcp from any to 192.0.2.2 port 443 -> 192.0.2.11 port 443'
        Get-Content -Raw (Join-Path $root 'etc/jail.conf.d/web.conf') | Should -Match '\$jailps_rdr = "tcp 192\.0\.2\.2:80 -> 192\.0\.2\.11:80; tcp 192\.0\.2\.2:443 -> 192\.0\.2\.11:443";'
    }

    It 'refuses the same external port for another jail with a typed error' {
        Add-JailPortForward db -Port 80 -ExternalAddress 192.0.2.2 -JailPort 8080 -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'JailPortForwardInUse,*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
    }

    It 'removes a forward piped from Get-JailPortForward' {
        Get-JailPortForward web | Where-Object ExternalPort -eq 80 | Remove-JailPortForward
        (Get-JailPortForward web).ExternalPort | Should -Be 443
    }

    It 'leaves no alias and no pf rule behind when both stop, and keeps lo1' {
        Stop-Jail db, web
        (Get-SimKernel).PfAnchors.Count | Should -Be 0
        (Get-SimKernel).InterfaceSummary | Should -Contain 'lo1'
        (Get-JailPortForward web).State | Should -Be 'Configured'
    }
}

Describe 'Without the anchor hook in pf.conf' {
    BeforeAll {
        $script:root = New-TestHost
        Set-Content -Path (Join-Path $root 'etc/pf.conf') -Value 'pass all'
        New-Item -ItemType Directory -Force (Join-Path $root 'usr/jails/db') | Out-Null
        New-Jail db -Path /usr/jails/db -PrivateLoopback -Persist | Out-Null
    }
    AfterAll { Stop-Jail db -ErrorAction SilentlyContinue }

    It 'says exactly which line to add and does not claim isolation' {
        Start-Jail db -WarningVariable warned -WarningAction SilentlyContinue
        "$warned" | Should -Match 'anchor "jailps/\*"'
        "$warned" | Should -Match 'NOT isolated'
        "$warned" | Should -Match 'pfctl -f /etc/pf\.conf'
    }
}

Describe 'A VNET jail on a bridge' {
    BeforeAll {
        $script:root = New-TestHost
        New-Item -ItemType Directory -Force (Join-Path $root 'usr/jails/app/etc') | Out-Null
        New-Jail app -Path /usr/jails/app -Vnet -Bridge bridge0 -IPv4Address 10.0.0.5/24 -DefaultGateway 10.0.0.1 -Persist | Out-Null
    }

    It 'writes the epair names, the MAC and the jail''s own rc.conf' {
        $conf = Get-Content -Raw (Join-Path $root 'etc/jail.conf.d/app.conf')
        $conf | Should -Match 'vnet\.interface = e0b_app;'
        $conf | Should -Match '\$jailps_epair = "e0a_app e0b_app";'
        $rc = Get-Content -Raw (Join-Path $root 'usr/jails/app/etc/rc.conf')
        $rc | Should -Match 'ifconfig_e0b_app="inet 10\.0\.0\.5/24"'
        $rc | Should -Match 'defaultrouter="10\.0\.0\.1"'
    }

    It 'starts with the epair on the bridge and its jail side inside, and no ifconfig process' {
        Start-Jail app
        $a = Get-JailNetworkAdapter app
        $a.State | Should -Be 'Attached'
        $a.Bridge | Should -Be 'bridge0'
        (Get-SimKernel).BridgeMembers('bridge0') | Should -Be 'e0a_app'
        $jid = (Get-Jail app).Jid
        (Get-SimKernel).InterfaceSummaryOf($jid) | Should -Contain 'e0b_app'
        @(Get-JailSimulatedCommand | Where-Object { $_.Arguments -match 'ifconfig' }) | Should -BeNullOrEmpty
    }

    It 'stops with the epair destroyed and the bridge kept' {
        Stop-Jail app
        $names = (Get-SimKernel).InterfaceSummary | ForEach-Object { ($_ -split ' ')[0] }
        $names | Should -Not -Contain 'e0a_app'
        $names | Should -Contain 'bridge0'
        (Get-JailNetworkAdapter app).State | Should -Be 'NotCreated'
    }
}
