# What Invoke-Command does to objects, and what must survive it. Dot-sourced by the Pester files
# (through TestHost.ps1) and by the xUnit RenderingTests and CrossHostTests, so all make remote
# copies one way and check one rule.

# A copy of an object as Invoke-Command returns it: serialized at the remoting depth (or the
# type's own SerializationDepth), deserialized, with PSComputerName added (PSShowComputerName only
# with -ShowComputerName, as Invoke-Command without -HideComputerName adds it).
function ConvertTo-RemoteCopy {
    param([Parameter(Mandatory, ValueFromPipeline)] $InputObject, [string] $ComputerName = 'bsd2', [switch] $ShowComputerName)
    process {
        $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($InputObject))
        $copy = $copy | Add-Member -NotePropertyName PSComputerName -NotePropertyValue $ComputerName -PassThru
        if ($ShowComputerName) { $copy = $copy | Add-Member -NotePropertyName PSShowComputerName -NotePropertyValue $true -PassThru }
        $copy
    }
}

<#
    What a remote copy of these objects loses that users rely on, one line per problem (nothing
    when it keeps everything): the Deserialized type name, the same view as the live objects
    (as Invoke-Command -HideComputerName shows them), the PSComputerName column or line when
    shown, every property serialized, no enum (which comes back as its number), every value and
    list as it was, and no nested object flattened to its type name.
#>
function Get-RemotingProblem {
    param([Parameter(Mandatory)] [object[]] $Live)
    $problems = [System.Collections.Generic.List[string]]::new()
    $copies = foreach ($o in $Live) {
        $c = ConvertTo-RemoteCopy $o
        $type = $o.PSObject.TypeNames[0]
        if ($c.PSObject.TypeNames[0] -ne "Deserialized.$type") { $problems.Add("type: $($c.PSObject.TypeNames[0])") }
        foreach ($p in $o.PSObject.Properties) {
            if ($p.MemberType -ne 'Property' -or $null -eq $p.Value) { continue }
            $v = $p.Value; $cv = $c.($p.Name)
            if ($null -eq $c.PSObject.Properties[$p.Name]) { $problems.Add("$type.$($p.Name): not serialized"); continue }
            if ($v -is [enum]) { $problems.Add("$type.$($p.Name): an enum comes back as a number"); continue }
            if ($v -is [string] -or $v -is [ValueType]) {
                if ("$cv" -ne "$v") { $problems.Add("$type.$($p.Name): '$cv' instead of '$v'") }
                continue
            }
            if ($v -is [System.Collections.IEnumerable]) {
                if (@($cv).Count -ne @($v).Count) { $problems.Add("$type.$($p.Name): $(@($cv).Count) items instead of $(@($v).Count)") }
                $item = @($v)[0]; $copyItem = @($cv)[0]
                if ($null -ne $item -and $item -isnot [string] -and $item -isnot [ValueType] -and $copyItem -is [string]) { $problems.Add("$type.$($p.Name): items flattened to '$copyItem'") }
                continue
            }
            if ($cv -is [string] -and $cv -ne "$v") { $problems.Add("$type.$($p.Name): flattened to '$cv'") }
        }
        $c
    }
    if (($Live | Out-String -Width 250) -ne ($copies | Out-String -Width 250)) { $problems.Add('a remote copy renders differently from the live object') }
    $shown = $copies | Add-Member -NotePropertyName PSShowComputerName -NotePropertyValue $true -PassThru
    if (($shown | Out-String -Width 250) -notmatch 'PSComputerName\s*:\s*bsd2|PSComputerName[^\n]*\n(.*\n)*.*bsd2') { $problems.Add('no PSComputerName in the remote rendering') }
    $problems
}
