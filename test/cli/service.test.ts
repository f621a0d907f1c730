import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { child, childrenNamed, parseXml } from '../unit/service/xml-parse.js';
import { findProgram, needProgram } from '../helpers/external-programs.js';

/** Black-box: the real launcher, built to dist/ (`npm test` builds first; by hand: `npm run build`). */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(REPO, 'bin', 'tickdb.js');
const ANALYZE = needProgram('systemd-analyze') ? findProgram('systemd-analyze') : undefined;

/** The environment without tickdb's own variables or the older scripts' ones, so that only flags count. */
function cleanEnv(): NodeJS.ProcessEnv {
  const legacy = new Set(['DAYS_BEFORE_COMPRESS', 'COMPRESSION_LEVEL', 'RETENTION_DAYS', 'DRY_RUN']);
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TICKDB_') && !legacy.has(k)));
}

let work: string;
function tickdb(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, env: cleanEnv(), encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist', 'src', 'cli', 'service.js'))) {
    throw new Error('dist/ is not built: run `npm run build` (npm test does it) before the CLI tests');
  }
  work = await mkdtemp(join(tmpdir(), 'tickdb-cli-service-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('tickdb service print', () => {
  it('prints the systemd unit for the given root, running this node and this launcher', () => {
    const r = tickdb('service', 'print', '--platform', 'linux', '--root', '/tmp/x');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`\nExecStart=${process.execPath} ${BIN} run --root /tmp/x\n`);
    expect(r.stdout).toContain('\nReadWritePaths=/tmp/x\n');
    expect(r.stdout).toContain('\nRestartPreventExitStatus=2\n');
    expect(r.stdout).toMatch(/^\[Install\]$/m);
  });

  it.skipIf(ANALYZE === undefined)('prints a unit that systemd-analyze verify accepts', async () => {
    const r = tickdb(
      'service',
      'print',
      '--platform',
      'linux',
      '--root',
      join(work, 'root dir'),
      '--group',
      'md-writers',
    );
    const unit = join(work, 'verify', 'tickdb.service');
    await mkdir(dirname(unit), { recursive: true });
    await writeFile(unit, r.stdout);
    const v = spawnSync(ANALYZE ?? 'systemd-analyze', ['verify', '--man=no', unit], { encoding: 'utf8' });
    expect(v.stderr.split('\n').filter((l) => l.includes('tickdb.service'))).toEqual([]);
    expect(v.status).toBe(0);
  });

  it('prints a well-formed WinSW configuration with the Windows root escaped', () => {
    const root = 'D:\\R&D tick data';
    const r = tickdb('service', 'print', '--platform', 'windows', '--root', root);
    expect(r.code).toBe(0);
    const service = parseXml(r.stdout);
    expect(child(service, 'id').text).toBe('tickdb');
    expect(childrenNamed(service, 'env').find((e) => e.attrs.name === 'TICKDB_ROOT')?.attrs.value).toBe(root);
    expect(child(service, 'arguments').text).toMatch(/ run --root "D:\\R&D tick data"$/);
    expect(r.stdout).toContain('R&amp;D');
  });

  it('reproduces the checked-in systemd/tickdb.service and windows/tickdb.xml (commands of docs/service.md)', async () => {
    const linux = tickdb(
      'service',
      'print',
      '--platform',
      'linux',
      '--root',
      '/var/lib/tickdb/ticks',
      '--service-config',
      '/etc/tickdb/config.json',
      '--node',
      '/usr/bin/node',
      '--tickdb-bin',
      '/opt/tickdb/bin/tickdb.js',
    );
    expect(linux.code).toBe(0);
    expect(linux.stdout).toBe(await readFile(join(REPO, 'systemd', 'tickdb.service'), 'utf8'));
    const windows = tickdb(
      'service',
      'print',
      '--platform',
      'windows',
      '--service-config',
      'C:\\ProgramData\\tickdb\\config.json',
    );
    expect(windows.code).toBe(0);
    expect(windows.stdout).toBe(await readFile(join(REPO, 'windows', 'tickdb.xml'), 'utf8'));
  });

  it('--json gives the file name and the content', () => {
    const r = tickdb('service', 'print', '--platform', 'linux', '--root', '/tmp/x', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { platform: string; file: string; content: string };
    expect(doc).toMatchObject({ platform: 'linux', file: 'tickdb.service', writablePaths: ['/tmp/x'] });
    expect(doc.content).toContain('ExecStart=');
  });

  it('exits 2 on bad usage: an unknown platform, a relative Windows root, an unreadable config', () => {
    expect(tickdb('service', 'print', '--platform', 'solaris').code).toBe(2);
    const rel = tickdb('service', 'print', '--platform', 'windows', '--root', 'data\\ticks');
    expect(rel.code).toBe(2);
    expect(rel.stderr).toMatch(/absolute Windows path/);
    expect(tickdb('service', 'print', '--platform', 'linux', '--config', join(work, 'missing.json')).code).toBe(2);
  });
});

describe('tickdb service install / uninstall', () => {
  it('installs the unit into --unit-dir without systemctl (--no-enable), idempotently, and uninstalls it', async () => {
    const unitDir = join(work, 'units');
    const root = join(work, 'ticks');
    await mkdir(unitDir);
    await mkdir(root);
    const printed = tickdb('service', 'print', '--platform', 'linux', '--root', root).stdout;

    const first = tickdb(
      'service',
      'install',
      '--platform',
      'linux',
      '--root',
      root,
      '--unit-dir',
      unitDir,
      '--no-enable',
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`installed ${join(unitDir, 'tickdb.service')} (created)`);
    expect(first.stdout).toContain('systemctl not run: --no-enable was given');
    expect(first.stderr).toBe('');
    expect(await readFile(join(unitDir, 'tickdb.service'), 'utf8')).toBe(printed);

    const again = tickdb(
      'service',
      'install',
      '--platform',
      'linux',
      '--root',
      root,
      '--unit-dir',
      unitDir,
      '--no-enable',
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('(unchanged)');

    const removed = tickdb('service', 'uninstall', '--platform', 'linux', '--unit-dir', unitDir, '--no-enable');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`uninstalled ${join(unitDir, 'tickdb.service')} (removed)`);
    expect(await readdir(unitDir)).toEqual([]);

    const absent = tickdb('service', 'uninstall', '--platform', 'linux', '--unit-dir', unitDir, '--no-enable');
    expect(absent.code).toBe(1);
    expect(absent.stderr).toMatch(/not installed here: .*tickdb\.service does not exist, nothing to uninstall/);
  });

  it('--dry-run shows the plan and the unit, and writes nothing', async () => {
    const unitDir = join(work, 'dry');
    await mkdir(unitDir);
    const r = tickdb(
      'service',
      'install',
      '--platform',
      'linux',
      '--root',
      '/tmp/x',
      '--unit-dir',
      unitDir,
      '--no-enable',
      '--dry-run',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^would have installed .*tickdb\.service \(created, dry run: nothing changed\)/);
    expect(r.stdout).toContain('ExecStart=');
    expect(await readdir(unitDir)).toEqual([]);
  });

  it('--json reports what was done', async () => {
    const unitDir = join(work, 'json');
    await mkdir(unitDir);
    const r = tickdb(
      'service',
      'install',
      '--platform',
      'linux',
      '--root',
      '/tmp/x',
      '--unit-dir',
      unitDir,
      '--no-enable',
      '--json',
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ ok: true, platform: 'linux', action: 'install', change: 'created', systemctl: [] });
    expect(doc.warnings).toEqual([expect.stringMatching(/\/tmp\/x does not exist/)]);
  });

  it('fails with exit 1 when the unit directory does not exist', () => {
    const r = tickdb(
      'service',
      'install',
      '--platform',
      'linux',
      '--root',
      '/tmp/x',
      '--unit-dir',
      join(work, 'nope'),
      '--no-enable',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not exist or is not a directory/);
  });

  it('windows: writes tickdb.xml into --unit-dir and prints the PowerShell commands; needs --unit-dir off Windows', async () => {
    const unitDir = join(work, 'winsw');
    await mkdir(unitDir);
    const r = tickdb('service', 'install', '--platform', 'windows', '--unit-dir', unitDir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/tickdb\.exe' install/);
    expect(child(parseXml(await readFile(join(unitDir, 'tickdb.xml'), 'utf8')), 'startmode').text).toBe('Automatic');
    const missing = tickdb('service', 'install', '--platform', 'windows');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/needs --unit-dir/);
  });
});

describe('scripts/install-linux.sh and uninstall-linux.sh (--dry-run: no user is created, nothing is written)', () => {
  function script(name: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync('bash', [join(REPO, 'scripts', name), ...args], {
      cwd: work,
      env: cleanEnv(),
      encoding: 'utf8',
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('install --dry-run prints the user, directory and unit steps', async () => {
    const unitDir = join(work, 'script-units');
    const root = join(work, 'script root');
    await mkdir(unitDir);
    const r = script(
      'install-linux.sh',
      '--dry-run',
      '--root',
      root,
      '--unit-dir',
      unitDir,
      '--no-enable',
      '--user',
      'tickdb-test-nouser',
    );
    expect(r.stderr).toMatch(/does not exist: create it/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+ useradd --system --user-group');
    expect(r.stdout).toContain(
      `+ install -d -o tickdb-test-nouser -g tickdb-test-nouser -m 2775 ${root.replace(/ /g, '\\ ')}`,
    );
    expect(r.stdout).toMatch(/would have installed .*tickdb\.service/);
    expect(r.stdout).toContain('User=tickdb-test-nouser');
    expect(r.stdout).toContain('Dry run: nothing was changed.');
    expect(existsSync(root)).toBe(false);
    expect(await readdir(unitDir)).toEqual([]);
  });

  it('install refuses a relative root and an unknown writer group (exit 2)', () => {
    expect(script('install-linux.sh', '--dry-run', '--root', 'data/ticks').code).toBe(2);
    const r = script('install-linux.sh', '--dry-run', '--writer-group', 'no-such-group-tickdb');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-such-group-tickdb does not exist/);
  });

  it('uninstall --dry-run keeps the unit; with no unit it has nothing to do', async () => {
    const unitDir = join(work, 'script-uninstall');
    await mkdir(unitDir);
    expect(script('uninstall-linux.sh', '--dry-run', '--unit-dir', unitDir).stdout).toMatch(
      /not installed, nothing to remove/,
    );
    await writeFile(join(unitDir, 'tickdb.service'), '[Service]\n');
    const r = script('uninstall-linux.sh', '--dry-run', '--unit-dir', unitDir, '--no-enable');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/would have uninstalled .*tickdb\.service/);
    expect(await readdir(unitDir)).toEqual(['tickdb.service']);
  });
});
