@{
    RootModule           = 'JailPS.dll'
    ModuleVersion        = '{{ModuleVersion}}'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    GUID                 = '6f0e2a8c-3d5b-4f1e-9a47-2c8b1d7e5f30'
    Author               = 'JailPS contributors'
    CompanyName          = 'JailPS'
    Copyright            = '(c) JailPS contributors. BSD 2-Clause licence.'
    Description          = 'FreeBSD jails as PowerShell objects: define, start, stop, change and remove jails over the native jail_set/jail_get interface, with jail.conf(5) as the persistent format, -WhatIf plans and rollback. Includes an opt-in simulated host for testing runbooks off FreeBSD.'
    FormatsToProcess     = @('JailPS.Format.ps1xml', 'JailPS.Mount.Format.ps1xml', 'JailPS.Devfs.Format.ps1xml', 'JailPS.Network.Format.ps1xml', 'JailPS.Provisioning.Format.ps1xml', 'JailPS.Limits.Format.ps1xml')
    TypesToProcess       = @('JailPS.Types.ps1xml')
    CmdletsToExport      = @(
        'Get-Jail'
        'New-Jail'
        'Start-Jail'
        'Stop-Jail'
        'Restart-Jail'
        'Set-Jail'
        'Remove-Jail'
        'Import-JailConfig'
        'Export-JailConfig'
        'Enter-Jail'
        'Invoke-JailCommand'
        'Wait-Jail'
        'Get-JailMount'
        'Mount-JailFileSystem'
        'Dismount-JailFileSystem'
        'Get-JailIPAddress'
        'Add-JailIPAddress'
        'Remove-JailIPAddress'
        'Get-JailNetworkAdapter'
        'Get-JailPortForward'
        'Add-JailPortForward'
        'Remove-JailPortForward'
        'Save-JailRelease'
        'Get-JailRelease'
        'Update-JailRelease'
        'Save-JailImage'
        'Get-JailImage'
        'Remove-JailImage'
        'Get-JailLimit'
        'Set-JailLimit'
        'Remove-JailLimit'
        'Get-JailResourceUsage'
        'Get-JailCpuSet'
        'Set-JailCpuSet'
        'Test-Jail'
        'Import-BastilleJail'
        'Import-IocageJail'
        'Update-Jail'
        'Get-JailDataset'
        'Get-JailSnapshot'
        'New-JailSnapshot'
        'Restore-JailSnapshot'
        'Remove-JailSnapshot'
        'Get-DevfsRuleset'
        'New-DevfsRuleset'
        'Set-DevfsRuleset'
        'Remove-DevfsRuleset'
        'Import-DevfsRules'
        'Test-JailDevice'
        'New-JailSimulatedHost'
        'Remove-JailSimulatedHost'
        'Get-JailSimulatedCommand'
        'Set-JailSimulatedResponse'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('FreeBSD', 'Jail', 'Jails', 'Containers', 'jail.conf', 'PSEdition_Core')
            LicenseUri   = 'https://opensource.org/license/bsd-2-clause'
            ProjectUri   = 'https://github.com/jailps/jailps'
            ReleaseNotes = 'Foundation: native jail interface, simulated host, jail.conf engine, lifecycle cmdlets.'
        }
    }
}
