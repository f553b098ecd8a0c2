#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0' }
<#
    OCI images as a runbook, against the simulated host (Pester 5, pwsh 7.4+): the release
    mirror's container-image .txz imported with its CHECKSUM.SHA256, the same image pushed to a
    registry this file serves on 127.0.0.1 and pulled from it, then New-Jail -Image, start, stop
    and remove. Run from the repository root after `dotnet build`:
        Invoke-Pester ./tests/pester/JailPS.Images.Tests.ps1
    The registry is an HttpListener in a runspace of this process, stopped in AfterAll.
#>

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHost.ps1')

    # A registry that serves /v2/REPO/manifests/TAG and /v2/REPO/blobs/DIGEST from a directory.
    function Start-TestRegistry([string] $Directory) {
        $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $probe.Start(); $port = $probe.LocalEndpoint.Port; $probe.Stop()
        $listener = [System.Net.HttpListener]::new()
        $listener.Prefixes.Add("http://127.0.0.1:$port/")
        $listener.Start()
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
            param($listener, $dir)
            while ($listener.IsListening) {
                try { $ctx = $listener.GetContext() } catch { return }
                $file = Join-Path $dir ($ctx.Request.Url.AbsolutePath.TrimStart('/') -replace ':', '_')
                if (Test-Path -PathType Leaf $file) {
                    $bytes = [System.IO.File]::ReadAllBytes($file)
                    if (Test-Path "$file.type") { $ctx.Response.ContentType = (Get-Content "$file.type" -Raw).Trim() }
                    $ctx.Response.ContentLength64 = $bytes.Length
                    $ctx.Response.OutputStream.Write($bytes, 0, $bytes.Length)
                } else { $ctx.Response.StatusCode = 404 }
                $ctx.Response.Close()
            }
        }).AddArgument($listener).AddArgument($Directory)
        $null = $ps.BeginInvoke()
        [pscustomobject]@{ Host = "127.0.0.1:$port"; Listener = $listener; PowerShell = $ps }
    }
}

AfterAll {
    if ($script:registry) { $registry.Listener.Stop(); $registry.Listener.Close(); $registry.PowerShell.Dispose() }
    $env:JAILPS_SIMULATED_HOST = $null
}

Describe 'An OCI image, then a jail from it' {
    BeforeAll {
        $script:root = New-TestHost
        $script:media = Join-Path $TestDrive 'OCI-IMAGES'
        New-Item -ItemType Directory -Force $media | Out-Null
        $script:file = 'FreeBSD-15.0-RELEASE-amd64-container-image-runtime.txz'
        Copy-Item (Join-Path $PSScriptRoot "../fixtures/$file"), (Join-Path $PSScriptRoot '../fixtures/CHECKSUM.SHA256') $media
    }

    It 'imports the mirror''s file, checked against CHECKSUM.SHA256' {
        $image = Save-JailImage -Path (Join-Path $media $file) -Verbose 4>&1 | Tee-Object -Variable out | Where-Object { $_ -is [JailPS.JailImage] }
        $image.Reference | Should -Be 'localhost/freebsd-runtime:15.0-RELEASE-amd64'
        $image.Platform | Should -Be 'freebsd/amd64'
        $image.Boots | Should -BeTrue
        (($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n") | Should -Match 'SHA-256 matches'
        (Get-JailImage freebsd-runtime:15.0-RELEASE-amd64).Digest | Should -Be $image.Digest
        Get-RemotingProblem @($image) | Should -BeNullOrEmpty
    }

    It 'refuses a file its checksum does not match, with a typed error' {
        $bad = Join-Path $TestDrive 'bad'
        New-Item -ItemType Directory -Force $bad | Out-Null
        Copy-Item (Join-Path $media $file) $bad
        Set-Content (Join-Path $bad 'CHECKSUM.SHA256') "SHA256 ($file) = $('0' * 64)"
        Save-JailImage -Path (Join-Path $bad $file) -Name example.org/bad:1 -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'JailImageChecksumMismatch,*'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
        Get-JailImage example.org/bad:1 | Should -BeNullOrEmpty
    }

    It 'pulls the same image from a registry on 127.0.0.1' {
        # Push: the cached blobs, served at the registry's paths, the manifest by its tag.
        $dir = Join-Path $TestDrive 'registry'
        $repo = Join-Path $dir 'v2/freebsd/freebsd-runtime'
        New-Item -ItemType Directory -Force (Join-Path $repo 'blobs'), (Join-Path $repo 'manifests') | Out-Null
        $local = Get-JailImage freebsd-runtime:15.0-RELEASE-amd64
        foreach ($blob in Get-ChildItem (Join-Path $root 'var/db/jailps/images/blobs/sha256')) {
            Copy-Item $blob.FullName (Join-Path $repo "blobs/sha256_$($blob.Name)")
        }
        Copy-Item (Join-Path $repo ("blobs/sha256_" + $local.Digest.Substring(7))) (Join-Path $repo 'manifests/15.0')
        Set-Content (Join-Path $repo 'manifests/15.0.type') 'application/vnd.oci.image.manifest.v1+json'
        $script:registry = Start-TestRegistry $dir
        Remove-JailImage freebsd-runtime:15.0-RELEASE-amd64

        $pulled = Save-JailImage "$($registry.Host)/freebsd/freebsd-runtime:15.0"
        $pulled.Reference | Should -Be "$($registry.Host)/freebsd/freebsd-runtime:15.0"
        $pulled.Digest | Should -Be $local.Digest
        @(Get-JailImage).Count | Should -Be 1
    }

    It 'shows the jail it would make with -WhatIf, and makes nothing' {
        New-Jail web -Path /usr/jails/web -Image "$($registry.Host)/freebsd/freebsd-runtime:15.0" -WhatIf | Should -BeNullOrEmpty
        Test-Path (Join-Path $root 'usr/jails/web') | Should -BeFalse
        Get-Jail web -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'makes a plain jail.conf jail of it, which starts and stops' {
        $jail = New-Jail web -Path /usr/jails/web -Image "$($registry.Host)/freebsd/freebsd-runtime:15.0" -IPv4Address 10.1.0.20
        $jail.ManagedBy | Should -Be 'jail.conf'
        Get-Content (Join-Path $root 'usr/jails/web/etc/motd') | Should -Be 'FreeBSD 15.0-RELEASE OCI runtime image (JailPS test fixture)'
        $conf = Get-Content (Join-Path $root 'etc/jail.conf.d/web.conf') -Raw
        $conf | Should -Match 'exec.start = "/bin/sh /etc/rc";'
        $conf | Should -Match ([regex]::Escape("`$jailps_image = `"$($registry.Host)/freebsd/freebsd-runtime:15.0@$((Get-JailImage).Digest)`";"))
        (Get-JailImage).Jails | Should -Be 'web'
        Start-Jail web
        (Get-Jail web).State | Should -Be 'Running'
        Stop-Jail web
        (Get-Jail web).State | Should -Be 'Stopped'
    }

    It 'keeps the image while a jail names it, and removes both on request' {
        Remove-JailImage "$($registry.Host)/freebsd/freebsd-runtime:15.0" -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'JailImageInUse,*'
        Remove-Jail web -DeleteRoot -Confirm:$false
        Test-Path (Join-Path $root 'usr/jails/web') | Should -BeFalse
        Get-JailImage | Remove-JailImage
        Get-JailImage | Should -BeNullOrEmpty
        @(Get-ChildItem (Join-Path $root 'var/db/jailps/images/blobs/sha256')).Count | Should -Be 0
    }
}

Describe 'Beside podman' {
    BeforeAll {
        $script:root = New-TestHost
        # A jail as ocijail leaves one: named by the container's ID, its state under /var/run/ocijail.
        $script:id = '9c3f' + ('0123456789abcdef' * 3) + '0123456789ab'
        $graph = "/var/db/containers/storage/zfs/graph/$('e' * 64)"
        New-Item -ItemType Directory -Force (Join-Path $root $graph.TrimStart('/')) | Out-Null
        New-Jail $id -Path $graph -Persist | Out-Null
        Start-Jail $id
        $state = Join-Path $root "var/run/ocijail/$id"
        New-Item -ItemType Directory -Force $state | Out-Null
        Set-Content (Join-Path $state 'state.json') "{`"root_path`":`"$graph`",`"status`":`"running`",`"jid`":$((Get-Jail $id).Jid)}"
    }

    It 'lists the container''s jail as ocijail''s' {
        (Get-Jail | Where-Object ManagedBy -eq 'ocijail').Name | Should -Be $id
    }

    It 'does not stop or remove it without -Force, and says what to use' {
        Stop-Jail $id -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'JailManagedElsewhere,*'
        $err[0].ErrorDetails.RecommendedAction | Should -Match "podman stop $id"
        Remove-Jail $id -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable err2
        $err2[0].FullyQualifiedErrorId | Should -BeLike 'JailManagedElsewhere,*'
        (Get-Jail $id).State | Should -Be 'Running'
    }

    It 'stops it with -Force' {
        Stop-Jail $id -Force
        (Get-Jail $id).State | Should -Be 'Stopped'
    }
}
