# Shared by the remoting tests: real sshd instances on loopback, each standing for one FreeBSD host
# with its own simulated host (SetEnv JAILPS_SIMULATED_HOST), reached over PowerShell remoting
# with key authentication. Every sshd started here is stopped by the pid in its pid file.

# Why the remoting tests cannot run here, or $null when they can.
function Get-SshHostSkipReason {
    if (-not $IsLinux -and -not $IsMacOS -and -not $IsFreeBSD) { return 'needs a Unix host for sshd' }
    $sshd = Get-SshdPath
    if (-not $sshd) { return 'sshd is not installed (Debian: apt-get install openssh-server; .ci/run installs it)' }
    if (-not (Get-Command ssh -CommandType Application -ErrorAction Ignore)) { return 'the ssh client is not installed' }
    if ((id -u) -ne '0') { return 'sshd must start as root to log a user in (these tests log in as root over loopback)' }
    $null
}

function Get-SshdPath {
    foreach ($p in '/usr/sbin/sshd', '/usr/local/sbin/sshd') { if (Test-Path $p) { return $p } }
    (Get-Command sshd -CommandType Application -ErrorAction Ignore | Select-Object -First 1).Source
}

# A free TCP port on an address (the kernel picks one; nothing else on loopback races us for it in CI).
function Get-FreeLoopbackPort([string] $Address) {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Parse($Address), 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

<#
    Starts one sshd per name on its own loopback address (127.0.0.2, 127.0.0.3, ...: each host gets
    its own PSComputerName, as real hosts would), each with its own simulated host directory, and
    returns one object per host: Name, Address, Port, SimulatedHost, PidFile, Pid, KeyFile.
#>
function Start-SshHosts {
    param([Parameter(Mandatory)] [string] $Directory, [Parameter(Mandatory)] [string[]] $Name, [Parameter(Mandatory)] [string] $ModuleLayout)
    $sshd = Get-SshdPath
    New-Item -ItemType Directory -Force $Directory | Out-Null
    # sshd's privilege separation directory (the Debian package makes it at boot, not at install).
    if (-not (Test-Path /run/sshd)) { New-Item -ItemType Directory -Force /run/sshd | Out-Null }
    $key = Join-Path $Directory 'client_key'
    & ssh-keygen -q -t ed25519 -N '' -f $key | Out-Null
    if ($LASTEXITCODE) { throw "ssh-keygen failed for $key" }
    # The server runs the same pwsh as these tests: the dotnet tool is `dotnet pwsh.dll`.
    $exe = [Environment]::ProcessPath
    $pwsh = Join-Path $Directory 'pwsh-subsystem'
    if ([System.IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') {
        Set-Content -Path $pwsh -Value "#!/bin/sh`nexec '$exe' '$(Join-Path $PSHOME 'pwsh.dll')' `"`$@`"`n"
    }
    else {
        Set-Content -Path $pwsh -Value "#!/bin/sh`nexec '$exe' `"`$@`"`n"
    }
    & chmod 755 $pwsh
    $hosts = @()
    $i = 2
    foreach ($n in $Name) {
        $address = "127.0.0.$i"; $i++
        $port = Get-FreeLoopbackPort $address
        $dir = Join-Path $Directory $n
        New-Item -ItemType Directory -Force $dir | Out-Null
        $sim = (New-JailSimulatedHost -Path (Join-Path $dir 'host') -NoSelect).Path
        $hostKey = Join-Path $dir 'host_key'
        & ssh-keygen -q -t ed25519 -N '' -f $hostKey | Out-Null
        $pidFile = Join-Path $dir 'sshd.pid'
        $config = Join-Path $dir 'sshd_config'
        @(
            "Port $port"
            "ListenAddress $address"
            "HostKey $hostKey"
            "PidFile $pidFile"
            "AuthorizedKeysFile $key.pub"
            'PermitRootLogin prohibit-password'
            'PubkeyAuthentication yes'
            'PasswordAuthentication no'
            'KbdInteractiveAuthentication no'
            'UsePAM no'
            'StrictModes no'
            'LogLevel ERROR'
            "SetEnv JAILPS_SIMULATED_HOST=$sim PSModulePath=$ModuleLayout NO_COLOR=1"
            "Subsystem powershell $pwsh -sshs -NoLogo -NoProfile"
        ) | Set-Content -Path $config
        $log = Join-Path $dir 'sshd.log'
        & $sshd -f $config -E $log
        if ($LASTEXITCODE) { throw "sshd for $n did not start (exit $LASTEXITCODE): $(Get-Content -Raw $log -ErrorAction Ignore)" }
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while (-not (Test-Path $pidFile) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        if (-not (Test-Path $pidFile)) { throw "sshd for $n wrote no pid file: $(Get-Content -Raw $log -ErrorAction Ignore)" }
        $hosts += [pscustomobject]@{
            Name = $n; Address = $address; Port = $port; SimulatedHost = $sim
            PidFile = $pidFile; Pid = [int] (Get-Content $pidFile); KeyFile = $key; Log = $log
        }
    }
    $hosts
}

# A remoting session to each host, as an admin opens them (New-PSSession -HostName), key authentication.
function New-SshHostSession {
    param([Parameter(Mandatory)] [object[]] $SshHost)
    foreach ($h in $SshHost) {
        New-PSSession -HostName $h.Address -Port $h.Port -UserName root -KeyFilePath $h.KeyFile -Name $h.Name `
            -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' } -ErrorAction Stop
    }
}

# Stops each sshd by the pid it wrote (never by name: other sshd processes on the machine are not ours).
function Stop-SshHosts {
    param([object[]] $SshHost)
    foreach ($h in $SshHost) {
        if (-not $h -or -not $h.Pid) { continue }
        $p = Get-Process -Id $h.Pid -ErrorAction Ignore
        if ($p) { & kill -TERM $h.Pid; $p.WaitForExit(5000) | Out-Null }
    }
}
