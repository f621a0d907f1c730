import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TickdbError } from '../../../src/errors.js';
import { tierDirs } from '../../../src/layout/tiers.js';
import {
  DEFAULT_SYSTEMD_UNIT_DIR,
  linuxServiceOptions,
  unitDirFor,
  windowsServiceOptions,
  type HostFacts,
} from '../../../src/service/defaults.js';
import { installService, linuxWarnings, uninstallService } from '../../../src/service/install.js';
import { systemctlAvailability, type SystemctlAvailability } from '../../../src/service/systemctl.js';
import { LINUX_TEMPLATE, REPO_BIN } from './fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tickdb-svc-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A systemctl that records what it was asked, instead of touching the host. */
function fakeSystemctl(): { availability: SystemctlAvailability; calls: string[][] } {
  const calls: string[][] = [];
  return { calls, availability: { runner: async (args) => void calls.push([...args]) } };
}

const noSystemctl: SystemctlAvailability = { reason: '--no-enable was given' };

describe('installService / uninstallService (linux)', () => {
  it('writes the unit atomically (0644), then daemon-reload and enable', async () => {
    const systemctl = fakeSystemctl();
    const report = await installService('[Service]\nType=exec\n', {
      platform: 'linux',
      unitDir: dir,
      dryRun: false,
      systemctl: systemctl.availability,
    });
    expect(report).toMatchObject({
      path: join(dir, 'tickdb.service'),
      change: 'created',
      systemctl: ['systemctl daemon-reload', 'systemctl enable tickdb.service'],
    });
    expect(systemctl.calls).toEqual([['daemon-reload'], ['enable', 'tickdb.service']]);
    expect(await readFile(join(dir, 'tickdb.service'), 'utf8')).toBe('[Service]\nType=exec\n');
    expect((await stat(join(dir, 'tickdb.service'))).mode & 0o777).toBe(0o644);
    expect(await readdir(dir)).toEqual(['tickdb.service']); // no *.tmp left behind
  });

  it('reports unchanged and replaced units; without systemctl it says why and what to run', async () => {
    const opts = { platform: 'linux' as const, unitDir: dir, dryRun: false, systemctl: noSystemctl };
    await installService('a\n', opts);
    expect((await installService('a\n', opts)).change).toBe('unchanged');
    const replaced = await installService('b\n', opts);
    expect(replaced).toMatchObject({ change: 'replaced', systemctl: [], systemctlSkipped: '--no-enable was given' });
    expect(replaced.next).toContain('systemctl enable tickdb.service');
  });

  it('--dry-run writes nothing and runs nothing', async () => {
    const systemctl = fakeSystemctl();
    const report = await installService('x\n', {
      platform: 'linux',
      unitDir: dir,
      dryRun: true,
      systemctl: systemctl.availability,
    });
    expect(report).toMatchObject({
      change: 'created',
      dryRun: true,
      systemctl: ['systemctl daemon-reload', 'systemctl enable tickdb.service'],
    });
    expect(systemctl.calls).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a unit directory that does not exist', async () => {
    await expect(
      installService('x\n', { platform: 'linux', unitDir: join(dir, 'nope'), dryRun: false, systemctl: noSystemctl }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', path: join(dir, 'nope') });
  });

  it('uninstall disables and stops, removes the unit, reloads', async () => {
    await writeFile(join(dir, 'tickdb.service'), 'x\n');
    const systemctl = fakeSystemctl();
    const report = await uninstallService({
      platform: 'linux',
      unitDir: dir,
      dryRun: false,
      systemctl: systemctl.availability,
    });
    expect(report.change).toBe('removed');
    expect(systemctl.calls).toEqual([['disable', '--now', 'tickdb.service'], ['daemon-reload']]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('uninstall refuses, touching nothing, when no unit is installed', async () => {
    const systemctl = fakeSystemctl();
    const err = await uninstallService({
      platform: 'linux',
      unitDir: dir,
      dryRun: false,
      systemctl: systemctl.availability,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TickdbError);
    expect((err as TickdbError).message).toMatch(/not installed.*nothing to uninstall/);
    expect(systemctl.calls).toEqual([]);
  });

  it('uninstall --dry-run keeps the unit', async () => {
    await writeFile(join(dir, 'tickdb.service'), 'x\n');
    const report = await uninstallService({ platform: 'linux', unitDir: dir, dryRun: true, systemctl: noSystemctl });
    expect(report).toMatchObject({ change: 'removed', dryRun: true });
    expect(await readdir(dir)).toEqual(['tickdb.service']);
  });
});

describe('installService / uninstallService (windows)', () => {
  it('writes tickdb.xml and tells how to register it with WinSW', async () => {
    const report = await installService('<service/>\n', {
      platform: 'windows',
      unitDir: dir,
      dryRun: false,
      systemctl: noSystemctl,
    });
    expect(report.path).toBe(join(dir, 'tickdb.xml'));
    expect(report.next.join('\n')).toMatch(/tickdb\.exe' install/);
    expect(report.next.join('\n')).toMatch(/install-windows\.ps1/);
    await uninstallService({ platform: 'windows', unitDir: dir, dryRun: false, systemctl: noSystemctl });
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('systemctlAvailability', () => {
  it('is not used without systemctl in PATH, or without a running systemd', async () => {
    expect(systemctlAvailability({ PATH: dir }).reason).toMatch(/not in PATH/);
    await writeFile(join(dir, 'systemctl'), '#!/bin/sh\nexit 0\n');
    await chmod(join(dir, 'systemctl'), 0o755);
    expect(systemctlAvailability({ PATH: dir }, join(dir, 'no-run-dir')).reason).toMatch(/systemd is not running/);
    await mkdir(join(dir, 'run'));
    expect(systemctlAvailability({ PATH: dir }, join(dir, 'run')).runner).toBeTypeOf('function');
  });

  it('reports a failing systemctl with its message', async () => {
    await writeFile(join(dir, 'systemctl'), '#!/bin/sh\necho "Failed to enable unit: Access denied" >&2\nexit 1\n');
    await chmod(join(dir, 'systemctl'), 0o755);
    await mkdir(join(dir, 'run'));
    const { runner } = systemctlAvailability({ PATH: dir }, join(dir, 'run'));
    await expect(runner?.(['enable', 'tickdb.service'])).rejects.toThrow(
      /systemctl enable tickdb.service failed: Failed to enable unit: Access denied/,
    );
  });
});

describe('service options and warnings', () => {
  const linuxHost: HostFacts = { platform: 'linux', execPath: '/usr/bin/node', env: {} };
  const windowsHost: HostFacts = {
    platform: 'win32',
    execPath: 'C:\\nodejs\\node.exe',
    env: { ProgramData: 'D:\\PD' },
  };

  it("linux: the config's tiers, this node and this launcher, user and group tickdb", () => {
    const dirs = tierDirs({ root: '/srv/ticks', archiveDir: '/mnt/nas/{host}', host: 'h1' });
    expect(linuxServiceOptions({}, dirs, '/etc/tickdb/config.json', linuxHost)).toEqual({
      root: '/srv/ticks',
      backupDir: '/srv/ticks/backup',
      archiveDir: '/mnt/nas/h1',
      metricsFile: '/srv/ticks/metrics/tickdb.prom',
      configFile: '/etc/tickdb/config.json',
      user: 'tickdb',
      group: 'tickdb',
      nodePath: '/usr/bin/node',
      tickdbBin: REPO_BIN,
    });
  });

  it('windows: %ProgramData%\\tickdb defaults, placeholders when generated elsewhere', () => {
    expect(windowsServiceOptions({}, '/etc/x.json', linuxHost)).toMatchObject({
      root: 'C:\\ProgramData\\tickdb\\data\\ticks',
      configFile: undefined,
      user: 'LocalService',
      nodePath: 'C:\\Program Files\\nodejs\\node.exe',
      logDir: 'C:\\ProgramData\\tickdb\\logs',
    });
    expect(windowsServiceOptions({ root: 'E:\\ticks' }, 'D:\\PD\\tickdb\\config.json', windowsHost)).toMatchObject({
      root: 'E:\\ticks',
      configFile: 'D:\\PD\\tickdb\\config.json',
      nodePath: 'C:\\nodejs\\node.exe',
      logDir: 'D:\\PD\\tickdb\\logs',
    });
  });

  it('unit folder: /etc/systemd/system, %ProgramData%\\tickdb\\service on Windows, --unit-dir otherwise', () => {
    expect(unitDirFor('linux', {}, linuxHost)).toBe(DEFAULT_SYSTEMD_UNIT_DIR);
    expect(unitDirFor('windows', {}, windowsHost)).toBe('D:\\PD\\tickdb\\service');
    expect(() => unitDirFor('windows', {}, linuxHost)).toThrow(/needs --unit-dir/);
    expect(unitDirFor('windows', { unitDir: dir }, linuxHost)).toBe(dir);
  });

  it('warns about missing tiers and about node or tickdb under a home folder', () => {
    const warnings = linuxWarnings({
      ...LINUX_TEMPLATE,
      root: dir,
      archiveDir: `${dir}-elsewhere/archive`,
      nodePath: '/home/op/.nvm/node',
    });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/archive does not exist/);
    expect(warnings[1]).toMatch(/ProtectHome/);
  });
});
