<#
.SYNOPSIS
  Removes the tickdb Windows service. The tick data, its backups, archive and the logs are never touched.

.DESCRIPTION
  Run from an elevated PowerShell. Stops the service and unregisters it with its WinSW executable
  (%ProgramData%\tickdb\service\tickdb.exe, which needs tickdb.xml beside it), then removes both files.
  Safe to run again: a service that is not there is reported and skipped.
#>
[CmdletBinding()]
param()

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  throw 'run this script from an elevated PowerShell (Run as administrator)'
}

$tickdbHome = Join-Path $env:ProgramData 'tickdb'
$serviceDir = Join-Path $tickdbHome 'service'
$exe = Join-Path $serviceDir 'tickdb.exe'
$xml = Join-Path $serviceDir 'tickdb.xml'

if (Get-Service -Name tickdb -ErrorAction SilentlyContinue) {
  if ((Test-Path -LiteralPath $exe) -and (Test-Path -LiteralPath $xml)) {
    & $exe stop | Out-Host
    & $exe uninstall | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "WinSW uninstall failed (exit code $LASTEXITCODE)" }
  } else {
    # Without WinSW's files, the service control manager removes it (stopping it first).
    Stop-Service -Name tickdb -ErrorAction SilentlyContinue
    sc.exe delete tickdb | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "sc.exe delete tickdb failed (exit code $LASTEXITCODE)" }
  }
  Write-Host 'service tickdb removed'
} else {
  Write-Host 'no service named tickdb: nothing to unregister'
}

foreach ($file in @($exe, $xml)) {
  if (Test-Path -LiteralPath $file) { Remove-Item -LiteralPath $file -Force }
}
Write-Host "The tick data and the logs under $tickdbHome were left in place."
