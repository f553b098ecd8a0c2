#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    Import-JailConfig reading standard input, as `jail -f -` does (usr.sbin/jail/config.c
    parse_config): a path of "-" in a pwsh whose standard input is a pipe or a file. It needs a
    process of its own (the hosted engine of the xUnit tests has no standard input to give), so
    each case runs a fresh pwsh with the built module, against a simulated host under TestDrive.
#>

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHost.ps1')

    # Runs $Command in a fresh pwsh whose standard input is $InputText; returns its output lines.
    function Invoke-WithStdin([string] $InputText, [string] $Command) {
        $pwsh = Get-FreshPwsh
        $prefix = $pwsh.Prefix
        $InputText | & $pwsh.Exe @prefix -NoProfile -NonInteractive -Command $Command 2>&1 | ForEach-Object { "$_" }
    }
}

AfterAll {
    $env:JAILPS_SIMULATED_HOST = $null
}

Describe 'Import-JailConfig -Path - (jail -f -)' {
    BeforeAll {
        $script:root = New-TestHost
    }

    It 'prints what jail -f - -e prints for the text on standard input' {
        $conf = "path = `"/j/`$name`";`nweb {`n`thost.hostname = `"web server`";`n`tsub { persist; }`n}`n"
        Invoke-WithStdin $conf "Import-JailConfig - -AsText -Separator '|'" | Should -Be @(
            'name=web|path=/j/web|host.hostname="web server"'
            'name=web.sub|path=/j/web.sub|persist'
        )
    }

    It 'returns Jail objects that name no file' {
        Invoke-WithStdin "web { persist; }`n" "Import-JailConfig -Path - | ForEach-Object { `"`$(`$_.Name) `$(`$_.State) [`$(`$_.ConfigFile)]`" }" |
            Should -Be 'web Stopped []'
    }

    It 'names standard input STDIN in a typed error' {
        $check = 'Import-JailConfig - -AsText -Separator " " -ErrorVariable e -ErrorAction SilentlyContinue; ' +
            '$e[0].FullyQualifiedErrorId; $e[0].CategoryInfo.Category; $e[0].TargetObject; $e[0].Exception.Message'
        $out = Invoke-WithStdin "a { }`nb {`n" $check
        $out[0] | Should -Be 'JailConfMissingBrace,JailPS.Commands.ImportJailConfigCommand'
        $out[1] | Should -Be 'ParserError'
        $out[2] | Should -Be 'STDIN'
        $out[3] | Should -BeLike 'STDIN:2:*'
    }

    It 'reads a relative .include from the current directory, not from a file''s directory' {
        New-Item -ItemType Directory -Force (Join-Path $root 'etc/jail.conf.d') | Out-Null
        Set-Content (Join-Path $root 'etc/jail.conf.d/db.conf') 'db { persist; }'
        $command = "Set-Location '$($root.Replace("'", "''"))/etc'; Import-JailConfig - -AsText -Separator ' '"
        Invoke-WithStdin '.include "jail.conf.d/*.conf";' $command | Should -Be 'name=db persist'
    }
}
