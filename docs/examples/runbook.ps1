<#
.SYNOPSIS
    A maintenance runbook for a small web farm in jails: bring it up, check nginx everywhere,
    repair the jail where it is down, patch every jail, and take the farm down again.

.DESCRIPTION
    The farm is a database jail, db, and three web jails, web1 to web3, that depend on it. The
    runbook shows the parts of JailPS an administrator uses inside jails:

      - Wait-Jail as a gate before work starts and after the jails are stopped;
      - Invoke-JailCommand with argv (-Command), result objects and their exit codes;
      - a failing check caught with -ErrorAction Stop and try/catch, with the exit code read
        from the error record, and a repair that follows a log with -Stream;
      - -ScriptBlock where the jail has pwsh, and a fallback when it does not
        (JailPwshNotFound);
      - pkg upgrade fanned out over all jails with -ThrottleLimit, failures collected with
        -ErrorVariable instead of stopping the run.

    Off FreeBSD it always runs against a fresh simulated host (a temporary directory that stands
    for the host's /), and on FreeBSD too unless you pass -OnThisHost. On the simulated host no
    command runs: the runbook writes DIR/.simulation/responses.json so that service, tail, nginx,
    pkg, df and pwsh answer as they would on a real farm, web2 included, whose nginx has died.
    The directory is deleted at the end unless you pass -KeepSimulation.

    With -OnThisHost the jails are created on this machine for real (run as root; the roots
    under /usr/jails must hold a FreeBSD userland with nginx installed), and removed again at
    the end; their root directories are kept.

    Run it with the module installed (build.ps1 -Task Install, or pkg install on FreeBSD):
        pwsh -File docs/examples/runbook.ps1
#>
#Requires -Modules JailPS
param(
    [switch] $OnThisHost,
    [switch] $KeepSimulation
)

$ErrorActionPreference = 'Stop'
$webJails = 'web1', 'web2', 'web3'
$allJails = @('db') + $webJails

# The simulated host answers every command from DIR/.simulation/responses.json: the first rule
# whose Command, Jail and Purpose patterns match gives the exit code and output. On a real host
# this function does nothing.
function Set-SimulatedAnswer([string] $Json) {
    if (-not $script:OnThisHost) {
        [System.IO.File]::WriteAllText([System.IO.Path]::Combine($script:root, '.simulation', 'responses.json'), $Json)
    }
}

$rules = $null
if ($OnThisHost) {
    if (-not [System.OperatingSystem]::IsFreeBSD()) { throw '-OnThisHost needs FreeBSD.' }
    $env:JAILPS_SIMULATED_HOST = $null
    $root = ''
    'Running the runbook on this FreeBSD host, for real.'
}
else {
    $simulation = New-JailSimulatedHost
    $root = $simulation.Path
    $why = if ([System.OperatingSystem]::IsFreeBSD()) { 'you did not pass -OnThisHost' } else { 'this machine is not FreeBSD' }
    "SIMULATED HOST: $why, so this runbook runs against the simulated host in $root"
    '(a directory that stands for the host''s /; no command runs on this machine).'

    # nginx runs in web1 and web3 but died in web2 (its log says why); db has pwsh, the web
    # jails do not; pkg finds upgrades in the web jails and nothing to do in db, and cannot reach
    # the package mirror from web3.
    $rules = @'
[
  { "Command": "service nginx status", "Jail": "web2", "ExitCode": 1,
    "StandardError": "nginx is not running.\n" },
  { "Command": "service nginx status", "StandardOutput": "nginx is running as pid 1187.\n" },
  { "Command": "tail -n 3 /var/log/nginx/error.log", "Jail": "web2", "LineDelayMilliseconds": 200,
    "StandardOutput": "2026/11/24 02:14:51 [alert] 1187#100134: worker process 1190 exited on signal 9\n2026/11/24 02:14:51 [alert] 1187#100134: worker process 1191 exited on signal 9\n2026/11/24 02:14:52 [emerg] 1187#100134: shared memory zone \"static\" was locked by 1191\n" },
  { "Command": "nginx -t",
    "StandardError": "nginx: the configuration file /usr/local/etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /usr/local/etc/nginx/nginx.conf test is successful\n" },
  { "Command": "service nginx start", "StandardOutput": "Performing sanity check on nginx configuration:\nStarting nginx.\n" },
  { "Purpose": "invoke.pwsh", "Jail": "db",
    "StandardOutput": "#< CLIXML\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><I64>41875931136</I64></Objs>\n" },
  { "Purpose": "invoke.pwsh", "ExitCode": 127 },
  { "Command": "df -h /", "StandardOutput": "Filesystem         Size    Used   Avail Capacity  Mounted on\nzroot/jails/web    112G    3.1G    109G     3%    /\n" },
  { "Command": "pkg upgrade -y", "Jail": "db", "DelayMilliseconds": 400,
    "StandardOutput": "Updating FreeBSD repository catalogue...\nFreeBSD repository is up to date.\nAll repositories are up to date.\nChecking for upgrades (0 candidates): done\nProcessing candidates (0 candidates): done\nChecking integrity... done (0 conflicting)\nYour packages are up to date.\n" },
  { "Command": "pkg upgrade -y", "Jail": "web3", "DelayMilliseconds": 1200, "ExitCode": 1,
    "StandardOutput": "Updating FreeBSD repository catalogue...\n",
    "StandardError": "pkg: https://pkg.FreeBSD.org/FreeBSD:14:amd64/quarterly/meta.conf: Operation timed out\nrepository FreeBSD has no meta file, using default settings\nUnable to update repository FreeBSD\nError updating repositories!\n" },
  { "Command": "pkg upgrade -y", "DelayMilliseconds": 900,
    "StandardOutput": "Updating FreeBSD repository catalogue...\nFreeBSD repository is up to date.\nAll repositories are up to date.\nChecking for upgrades (2 candidates): .. done\nProcessing candidates (2 candidates): .. done\nThe following 2 package(s) will be affected (of 0 checked):\n\nInstalled packages to be UPGRADED:\n\tcurl: 8.10.1 -> 8.11.0\n\tnginx: 1.26.2_3,3 -> 1.26.2_4,3\n\nNumber of packages to be upgraded: 2\n[1/2] Upgrading curl from 8.10.1 to 8.11.0...\n[2/2] Upgrading nginx from 1.26.2_3,3 to 1.26.2_4,3...\n" },
  { "Command": "service nginx restart", "StandardOutput": "Performing sanity check on nginx configuration:\nStopping nginx.\nWaiting for PIDS: 1187.\nStarting nginx.\n" }
]
'@
    Set-SimulatedAnswer $rules
}

"`n== Define the farm: db, and web1..web3 that depend on it"
New-Jail -Name db -Path /usr/jails/db -Hostname db.example.org -IPv4Address 10.1.0.20 `
    -ExecStart '/bin/sh /etc/rc' -ExecStop '/bin/sh /etc/rc.shutdown jail' | Out-Null
$n = 0
foreach ($web in $webJails) {
    $n++
    New-Jail -Name $web -Path "/usr/jails/$web" -Hostname "$web.example.org" -IPv4Address "10.1.0.1$n" `
        -DependsOn db -ExecStart '/bin/sh /etc/rc' -ExecStop '/bin/sh /etc/rc.shutdown jail' | Out-Null
}
Get-Jail -Name $allJails | Out-Default

"`n== Start db and wait until it runs, then the web jails"
Start-Jail db
Wait-Jail db -For Running -Timeout 60
Start-Jail -Name $webJails
Wait-Jail -Name $webJails -For Running -Timeout 60 -PassThru | ForEach-Object { '  {0,-5} running as JID {1}' -f $_.Name, $_.Jid }

"`n== Check nginx in every web jail; repair the one where it is down"
foreach ($jail in $webJails) {
    try {
        # argv, not a shell string: each element reaches service(8) unchanged.
        $check = Invoke-JailCommand $jail -Command service, nginx, status -Timeout 30 -ErrorAction Stop
        '  {0}: ok ({1})' -f $jail, $check.Output[0]
    }
    catch {
        # Anything but a failed check (a stopped jail, a timeout) is for a human: stop the run.
        if ($_.FullyQualifiedErrorId -notlike 'JailCommandFailed,*') { throw }
        $failed = $_.TargetObject                   # the JailPS.JailCommandResult
        $exitCode = $_.Exception.Data['ExitCode']
        '  {0}: DOWN - "{1}" exited with {2}: {3}' -f $jail, ($failed.Command -join ' '), $exitCode, ($failed.Error -join ' ')

        '  last lines of its error log, as they arrive:'
        Invoke-JailCommand $jail -Command tail, -n, 3, /var/log/nginx/error.log -Stream |
            ForEach-Object { '    [{0}] {1}' -f $_.JailName, $_ }

        # Workers killed by signal 9 point to memory, not to the configuration: if nginx -t agrees,
        # start nginx again and check once more.
        $test = Invoke-JailCommand $jail -Command nginx, -t -Timeout 30
        '  nginx -t exited with {0}: {1}' -f $test.ExitCode, $test.Error[-1]
        Invoke-JailCommand $jail -Command service, nginx, start -ErrorAction Stop | Out-Null

        # On the simulated host, nginx in web2 now runs: a rule put first answers the next check.
        if ($rules) {
            $rules = '[ { "Command": "service nginx status", "Jail": "web2", "StandardOutput": "nginx is running as pid 2043.\n" },' +
                $rules.TrimStart().Substring(1)
            Set-SimulatedAnswer $rules
        }
        $again = Invoke-JailCommand $jail -Command service, nginx, status -ErrorAction Stop
        '  {0}: repaired ({1})' -f $jail, $again.Output[0]
    }
}

"`n== Free space: PowerShell in the jail where there is one, df(1) elsewhere"
foreach ($jail in $allJails) {
    try {
        Invoke-JailCommand $jail -ScriptBlock { [System.IO.DriveInfo]::new('/').AvailableFreeSpace } -ErrorAction Stop |
            ForEach-Object { '  {0}: {1:N1} GiB free (from pwsh in the jail)' -f $_.JailName, ($_ / 1GB) }
    }
    catch {
        if ($_.FullyQualifiedErrorId -notlike 'JailPwshNotFound,*') { throw }
        $df = Invoke-JailCommand $jail -Command df, -h, /
        $fields = $df.Output[-1] -split '\s+'
        '  {0}: {1} free (no pwsh in the jail, so df -h)' -f $jail, $fields[3]
    }
}

"`n== pkg upgrade -y in every running jail, two at a time"
$started = [System.Diagnostics.Stopwatch]::StartNew()
$upgrades = Get-Jail -Name $allJails -State Running |
    Invoke-JailCommand -Command pkg, upgrade, -y -ThrottleLimit 2 -Timeout 900 -ErrorAction SilentlyContinue -ErrorVariable pkgFailures
# Results arrive in the order the upgrades finish; each one names its jail.
foreach ($r in $upgrades) {
    $summary = if ($r.Succeeded) { @($r.Output)[-1] } else { @($r.Error)[-1] }
    '  {0,-5} exit {1}  {2,5:N1}s  {3}' -f $r.Jail, $r.ExitCode, $r.Duration.TotalSeconds, $summary
}
'  {0} jails in {1:N1}s; {2} failed:' -f @($upgrades).Count, $started.Elapsed.TotalSeconds, $pkgFailures.Count
foreach ($e in $pkgFailures) {
    '    {0}: {1} (exit code {2})' -f $e.TargetObject.Jail, ($e.FullyQualifiedErrorId -split ',')[0], $e.Exception.Data['ExitCode']
}

"`n== Restart nginx where pkg upgraded it"
$nginxUpgraded = @($upgrades | Where-Object { $_.Succeeded -and ($_.Output -match 'Upgrading nginx') } | ForEach-Object Jail)
if ($nginxUpgraded.Count -gt 0) {
    Invoke-JailCommand -Name $nginxUpgraded -Command service, nginx, restart -ThrottleLimit 2 |
        ForEach-Object { '  {0}: {1}' -f $_.Jail, $_.Output[-1] }
}

"`n== Take the farm down: web jails first (they depend on db), then db"
Stop-Jail -Name ($webJails + 'db') -Timeout 30
Wait-Jail -Name $allJails -For Stopped -Timeout 60
Get-Jail -Name $allJails | ForEach-Object { '  {0,-5} {1}' -f $_.Name, $_.State }
Remove-Jail -Name $allJails -Force -Confirm:$false
"  jails left: $(@(Get-Jail).Count)"

if (-not $OnThisHost) {
    $log = @(Get-JailSimulatedCommand)
    $inJails = @($log | Where-Object Purpose -like 'invoke*').Count
    "`nThe simulated host answered $($log.Count) commands, $inJails of them from Invoke-JailCommand."
    if ($KeepSimulation) {
        "It is kept in $root; the commands are in $($simulation.CommandLog)."
    }
    else {
        $simulation | Remove-JailSimulatedHost -Confirm:$false
    }
}
