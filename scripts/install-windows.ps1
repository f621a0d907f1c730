<#
.SYNOPSIS
  Installs tickdb as a Windows service, wrapped by WinSW 2.x. Downloads nothing.

.DESCRIPTION
  Run from an elevated PowerShell, in a tickdb checkout where `npm ci` has run (it builds dist\).
    1. creates %ProgramData%\tickdb with data\ticks (or -DataRoot), logs and service folders;
    2. restricts %ProgramData%\tickdb to SYSTEM and Administrators (full), the service account (read; Modify on
       the tick store and the logs) and, with -WriterAccount, the trading engine's account (Modify on the store);
    3. writes service\tickdb.xml with `tickdb service install --platform windows` (which validates -ConfigFile);
    4. copies the WinSW executable you supply to service\tickdb.exe and registers the service with it
       (an existing tickdb service is stopped and registered again);
    5. starts it, unless -NoStart.
  Safe to run again (for instance after changing -DataRoot or upgrading tickdb).

.EXAMPLE
  .\scripts\install-windows.ps1 -WinSWExe C:\Downloads\WinSW-x64.exe -ConfigFile C:\ProgramData\tickdb\config.json -WriterAccount 'CORP\mdwriter'
#>
[CmdletBinding()]
param(
  # WinSW 2.x executable (WinSW-x64.exe or WinSW-NET461.exe), obtained and vetted by the operator.
  [Parameter(Mandatory = $true)] [string] $WinSWExe,
  # node.exe the service runs (Node 20 or later); default: the one in PATH.
  [string] $NodeExe = '',
  # The tickdb checkout (holding bin\tickdb.js); default: the folder above this script.
  [string] $TickdbDir = (Split-Path -Parent $PSScriptRoot),
  # Root of the tick store; default %ProgramData%\tickdb\data\ticks.
  [string] $DataRoot = '',
  # JSON config file for the service (optional).
  [string] $ConfigFile = '',
  # LocalService (default), NetworkService (reaches a NAS archive as the machine account), LocalSystem or DOMAIN\gmsa$.
  [string] $ServiceAccount = 'LocalService',
  # Account of the trading engine that writes the databases; granted Modify on the tick store.
  [string] $WriterAccount = '',
  [switch] $NoStart
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Assert-Admin {
  $principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
  if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'run this script from an elevated PowerShell (Run as administrator)'
  }
}

# The icacls name of an account: well-known SIDs for the built-in service accounts (their names are localized).
function Get-IcaclsName([string] $Account) {
  switch -Regex ($Account) {
    '^(NT AUTHORITY\\)?LocalService$' { return '*S-1-5-19' }
    '^(NT AUTHORITY\\)?NetworkService$' { return '*S-1-5-20' }
    '^(\.\\)?LocalSystem$' { return '*S-1-5-18' }
    default { return $Account }
  }
}

function Invoke-Checked([string] $What, [scriptblock] $Command) {
  & $Command
  if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)" }
}

Assert-Admin

if (-not (Test-Path -LiteralPath $WinSWExe -PathType Leaf)) { throw "WinSW executable not found: $WinSWExe" }
if ($NodeExe -eq '') {
  $found = Get-Command node.exe -ErrorAction SilentlyContinue
  if ($null -eq $found) { throw 'node.exe is not in PATH: give -NodeExe' }
  $NodeExe = $found.Source
}
if (-not (Test-Path -LiteralPath $NodeExe -PathType Leaf)) { throw "node.exe not found: $NodeExe" }
$TickdbDir = (Resolve-Path -LiteralPath $TickdbDir).Path
$tickdbBin = Join-Path $TickdbDir 'bin\tickdb.js'
if (-not (Test-Path -LiteralPath (Join-Path $TickdbDir 'dist\bundle\main.js'))) { throw "tickdb is not built in ${TickdbDir}: run npm ci there" }
if ($TickdbDir -like "$env:SystemDrive\Users\*") {
  Write-Warning "$TickdbDir is under a user profile, which $ServiceAccount may not read: install tickdb under C:\Program Files\tickdb"
}

# 1. Folders.
$tickdbHome = Join-Path $env:ProgramData 'tickdb'
if ($DataRoot -eq '') { $DataRoot = Join-Path $tickdbHome 'data\ticks' }
$DataRoot = [IO.Path]::GetFullPath($DataRoot)
$logDir = Join-Path $tickdbHome 'logs'
$serviceDir = Join-Path $tickdbHome 'service'
foreach ($dir in @($tickdbHome, $DataRoot, $logDir, $serviceDir)) {
  New-Item -ItemType Directory -Force -Path $dir | Out-Null
}

# 2. Access: nothing inherited from %ProgramData% (where every user may create files). The service account reads
#    everything (its XML, the config) and modifies only the tick store and the logs; the writer modifies the store.
$svc = Get-IcaclsName $ServiceAccount
Invoke-Checked "icacls $tickdbHome" {
  icacls $tickdbHome /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' "${svc}:(OI)(CI)RX" /Q
}
Invoke-Checked "icacls $logDir" { icacls $logDir /grant:r "${svc}:(OI)(CI)M" /Q }
$dataGrants = @("${svc}:(OI)(CI)M")
if ($WriterAccount -ne '') { $dataGrants += "$(Get-IcaclsName $WriterAccount):(OI)(CI)M" }
Invoke-Checked "icacls $DataRoot" { icacls $DataRoot /grant:r $dataGrants /Q }

# 3. The WinSW configuration, generated and checked by tickdb itself.
$tickdbArgs = @($tickdbBin, 'service', 'install', '--platform', 'windows', '--root', $DataRoot, '--unit-dir', $serviceDir,
  '--user', $ServiceAccount, '--node', $NodeExe, '--tickdb-bin', $tickdbBin)
if ($ConfigFile -ne '') {
  $ConfigFile = (Resolve-Path -LiteralPath $ConfigFile).Path
  $tickdbArgs += @('--config', $ConfigFile, '--service-config', $ConfigFile)
}
Invoke-Checked 'tickdb service install' { & $NodeExe @tickdbArgs }

# 4. WinSW next to its XML, as tickdb.exe; a service already there is stopped and registered again.
$exe = Join-Path $serviceDir 'tickdb.exe'
if (Get-Service -Name tickdb -ErrorAction SilentlyContinue) {
  if (Test-Path -LiteralPath $exe) {
    & $exe stop | Out-Host
    Invoke-Checked 'WinSW uninstall' { & $exe uninstall }
  } else {
    throw 'a service named tickdb exists but was not installed by this script: remove it first (sc.exe delete tickdb)'
  }
}
Copy-Item -LiteralPath $WinSWExe -Destination $exe -Force
Invoke-Checked 'WinSW install' { & $exe install }

# 5. Start.
if (-not $NoStart) { Start-Service -Name tickdb }
Get-Service -Name tickdb | Format-Table -AutoSize Name, Status, StartType
Write-Host "Logs:   $logDir\tickdb.out.log and tickdb.err.log (rolled by size)"
Write-Host "Health: & '$NodeExe' '$tickdbBin' status --root '$DataRoot'"
