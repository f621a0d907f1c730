import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { SERVICE_NAME, type ServiceOptions, type ServicePlatform } from './options.js';
import { removeServiceFile, writeServiceFile, type ServiceFileChange } from './service-file.js';
import type { SystemctlAvailability } from './systemctl.js';
import { DROP_IN_DIR, DROP_IN_FILE } from './systemd-dropin.js';
import { SYSTEMD_UNIT_FILE, readWritePaths } from './systemd-unit.js';
import { WINSW_XML_FILE } from './winsw-xml.js';

/** What `tickdb service install|uninstall` did, or would do with --dry-run. */
export interface ServiceReport {
  platform: ServicePlatform;
  action: 'install' | 'uninstall';
  path: string;
  change: ServiceFileChange;
  dryRun: boolean;
  /** systemctl commands run (or, with dry-run, that would run). */
  systemctl: string[];
  /** Why systemctl was not run, if it was not. */
  systemctlSkipped?: string | undefined;
  /** What the operator does next. */
  next: string[];
  warnings: string[];
}

export interface ServiceChangeOptions {
  platform: ServicePlatform;
  /** Folder of the unit file (linux) or of the WinSW XML and executable (windows). */
  unitDir: string;
  dryRun: boolean;
  /** linux only: how to reach systemctl, or why not (--no-enable, no systemd). */
  systemctl: SystemctlAvailability;
}

const UNIT = SYSTEMD_UNIT_FILE;

/** A PowerShell single-quoted string. */
export function psQuote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

async function runAll(availability: SystemctlAvailability, commands: string[][], dryRun: boolean): Promise<string[]> {
  if (availability.runner === undefined) return [];
  for (const args of commands) if (!dryRun) await availability.runner(args);
  return commands.map((args) => `systemctl ${args.join(' ')}`);
}

export async function installService(content: string, opts: ServiceChangeOptions): Promise<ServiceReport> {
  if (opts.platform === 'windows') {
    const { path, change } = await writeServiceFile(opts.unitDir, WINSW_XML_FILE, content, opts.dryRun);
    const exe = join(opts.unitDir, `${SERVICE_NAME}.exe`);
    return {
      platform: 'windows',
      action: 'install',
      path,
      change,
      dryRun: opts.dryRun,
      systemctl: [],
      warnings: [],
      next: [
        `Copy-Item -Path <WinSW-x64.exe, version 2.x> -Destination ${psQuote(exe)}`,
        `& ${psQuote(exe)} install`,
        `Start-Service ${SERVICE_NAME}`,
        '(scripts\\install-windows.ps1 -WinSWExe <path> does all of this)',
      ],
    };
  }
  const { path, change } = await writeServiceFile(opts.unitDir, UNIT, content, opts.dryRun);
  const systemctl = await runAll(opts.systemctl, [['daemon-reload'], ['enable', UNIT]], opts.dryRun);
  return {
    platform: 'linux',
    action: 'install',
    path,
    change,
    dryRun: opts.dryRun,
    systemctl,
    systemctlSkipped: opts.systemctl.reason,
    warnings: [],
    next: [
      ...(systemctl.length === 0 ? ['systemctl daemon-reload', `systemctl enable ${UNIT}`] : []),
      `systemctl start ${UNIT}  (or restart, if it was running)`,
      `journalctl -u ${SERVICE_NAME} -f`,
    ],
  };
}

export async function uninstallService(opts: ServiceChangeOptions): Promise<ServiceReport> {
  if (opts.platform === 'windows') {
    const exe = join(opts.unitDir, `${SERVICE_NAME}.exe`);
    const { path, change } = await removeServiceFile(opts.unitDir, WINSW_XML_FILE, opts.dryRun);
    return {
      platform: 'windows',
      action: 'uninstall',
      path,
      change,
      dryRun: opts.dryRun,
      systemctl: [],
      warnings: [
        `only ${WINSW_XML_FILE} was removed: WinSW needs it to unregister the service, so run \`& ${psQuote(exe)} stop\` and ` +
          `\`& ${psQuote(exe)} uninstall\` before this command (scripts\\uninstall-windows.ps1 does both in that order)`,
      ],
      next: [],
    };
  }
  // Refuse before touching systemd when the unit is not there.
  const probe = await removeServiceFile(opts.unitDir, UNIT, true);
  const stopped = await runAll(opts.systemctl, [['disable', '--now', UNIT]], opts.dryRun);
  const { path, change } = opts.dryRun ? probe : await removeServiceFile(opts.unitDir, UNIT, false);
  const reloaded = await runAll(opts.systemctl, [['daemon-reload']], opts.dryRun);
  return {
    platform: 'linux',
    action: 'uninstall',
    path,
    change,
    dryRun: opts.dryRun,
    systemctl: [...stopped, ...reloaded],
    systemctlSkipped: opts.systemctl.reason,
    warnings: [],
    next:
      stopped.length === 0 ? [`systemctl disable --now ${UNIT}  (if it still runs)`, 'systemctl daemon-reload'] : [],
  };
}

/**
 * What would keep the unit from starting: a writable path that does not exist (ProtectSystem=strict fails the
 * start with status 226/NAMESPACE) or node and the launcher under a folder that ProtectHome= hides.
 */
export function linuxWarnings(opts: ServiceOptions, exists: (path: string) => boolean = existsSync): string[] {
  const warnings: string[] = [];
  for (const dir of readWritePaths(opts)) {
    if (!exists(dir))
      warnings.push(
        `${dir} does not exist: create it (owned by the service's user and group) before starting the service`,
      );
  }
  for (const [what, file] of [
    ['node', opts.nodePath],
    ['the launcher', opts.tickdbBin],
  ] as const) {
    if (/^\/(?:home|root|run\/user)(?:\/|$)/.test(posix.normalize(file))) {
      warnings.push(
        `${what} (${file}) is under a home folder, which ProtectHome=yes hides from the service: install tickdb and node elsewhere (e.g. /opt/tickdb, /usr/bin/node)`,
      );
    }
  }
  return warnings;
}

/**
 * Beside a packaged unit: writes `tickdb.service.d/tickdb-service-install.conf` in the unit folder (creating the
 * folder) and reloads systemd. Enabling is the package's business; the next step is a restart.
 */
export async function installDropIn(content: string, opts: ServiceChangeOptions): Promise<ServiceReport> {
  const dir = join(opts.unitDir, DROP_IN_DIR);
  if (!opts.dryRun) await mkdir(dir, { recursive: true });
  const { path, change } =
    opts.dryRun && !existsSync(dir)
      ? { path: join(dir, DROP_IN_FILE), change: 'created' as const }
      : await writeServiceFile(dir, DROP_IN_FILE, content, opts.dryRun);
  const systemctl = await runAll(opts.systemctl, [['daemon-reload']], opts.dryRun);
  return {
    platform: 'linux',
    action: 'install',
    path,
    change,
    dryRun: opts.dryRun,
    systemctl,
    systemctlSkipped: opts.systemctl.reason,
    warnings: [],
    next: [
      ...(systemctl.length === 0 ? ['systemctl daemon-reload'] : []),
      `systemctl restart ${UNIT}`,
      `systemctl cat ${UNIT}  (the packaged unit, then this drop-in)`,
    ],
  };
}

/** Removes the drop-in (the packaged unit stays: removing it is the package manager's job) and reloads systemd. */
export async function uninstallDropIn(opts: ServiceChangeOptions): Promise<ServiceReport> {
  const dir = join(opts.unitDir, DROP_IN_DIR);
  const { path, change } = await removeServiceFile(dir, DROP_IN_FILE, opts.dryRun);
  const systemctl = await runAll(opts.systemctl, [['daemon-reload']], opts.dryRun);
  return {
    platform: 'linux',
    action: 'uninstall',
    path,
    change,
    dryRun: opts.dryRun,
    systemctl,
    systemctlSkipped: opts.systemctl.reason,
    warnings: [],
    next: [`systemctl restart ${UNIT}  (the packaged unit stays; apt remove tickdb removes it)`],
  };
}
