import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Black-box: the built launcher. The drop-in beside a packaged unit, and the macOS files, written to folders of ours. */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(REPO, 'bin', 'tickdb.js');

let work: string;
function tickdb(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TICKDB_')));
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tickdb-cli-dropin-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('tickdb service install --drop-in (beside a packaged unit)', () => {
  it('writes only the writable tiers of the config into tickdb.service.d, and removes them again', async () => {
    const config = join(work, 'config.json');
    const root = join(work, 'ticks');
    await mkdir(root);
    await writeFile(config, JSON.stringify({ root, backupDir: join(work, 'backup'), metricsFile: '/srv/m/t.prom' }));
    const units = join(work, 'units');
    await mkdir(units);
    const r = tickdb('service', 'install', '--drop-in', '--no-enable', '--unit-dir', units, '--config', config);
    expect(r.code, r.stderr).toBe(0);
    const file = join(units, 'tickdb.service.d', 'tickdb-service-install.conf');
    const text = await readFile(file, 'utf8');
    expect(text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([
      '[Service]',
      `ReadWritePaths=${root}`,
      `ReadWritePaths=-${join(work, 'backup')}`,
      'ReadWritePaths=-/srv/m',
    ]);
    expect(existsSync(join(units, 'tickdb.service'))).toBe(false);
    const again = tickdb('service', 'install', '--drop-in', '--no-enable', '--unit-dir', units, '--config', config);
    expect(again.stdout).toContain('(unchanged)');
    const u = tickdb('service', 'uninstall', '--drop-in', '--no-enable', '--unit-dir', units);
    expect(u.code, u.stderr).toBe(0);
    expect(existsSync(file)).toBe(false);
  });

  it("refuses a root that is not the config file's own (the packaged unit reads it from there): exit 2", () => {
    const r = tickdb('service', 'print', '--drop-in', '--root', join(work, 'ticks'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/reads the root from its config file/);
  });

  it('a unit whose root comes from its config file does not pass --root', async () => {
    const config = join(work, 'c2.json');
    await writeFile(config, JSON.stringify({ root: '/var/lib/tickdb/ticks' }));
    const r = tickdb(
      'service',
      'print',
      '--platform',
      'linux',
      '--config',
      config,
      '--node',
      '/n',
      '--tickdb-bin',
      '/t.js',
    );
    expect(r.stdout).toContain(`\nExecStart=/n /t.js run --config ${config}\n`);
    expect(r.stdout).toContain('\nReadWritePaths=/var/lib/tickdb/ticks\n');
  });
});

describe('tickdb service with an S3 archive target (issue 17 item 6)', () => {
  const s3Config = async (name: string, endpoint: string): Promise<string> => {
    const config = join(work, name);
    const target = { type: 's3', endpoint, bucket: 'ticks-archive', forcePathStyle: true };
    await writeFile(config, JSON.stringify({ root: join(work, 'ticks'), archiveTarget: target }));
    return config;
  };

  it('install --drop-in gives the packaged unit the network, the endpoint and the credentials file', async () => {
    const config = await s3Config('s3.json', 'http://127.0.0.1:7480');
    const units = join(work, 'units-s3');
    await mkdir(units);
    const r = tickdb('service', 'install', '--drop-in', '--no-enable', '--unit-dir', units, '--config', config);
    expect(r.code, r.stderr).toBe(0);
    const text = await readFile(join(units, 'tickdb.service.d', 'tickdb-service-install.conf'), 'utf8');
    expect(text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([
      '[Unit]',
      'Wants=network-online.target',
      'After=network-online.target',
      '[Service]',
      `ReadWritePaths=${join(work, 'ticks')}`,
      'PrivateNetwork=no',
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
      'IPAddressAllow=127.0.0.1',
      'EnvironmentFile=-/etc/tickdb/aws.env',
    ]);
  });

  it('print (a whole unit) allows a host-name endpoint without an IP filter, and keeps the rest of the sandbox', async () => {
    const config = await s3Config('s3-name.json', 'https://s3.internal.example');
    const r = tickdb('service', 'print', '--platform', 'linux', '--no-drop-in', '--config', config);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6');
    expect(lines).toContain('EnvironmentFile=-/etc/tickdb/aws.env');
    expect(lines.filter((l) => /^(PrivateNetwork|IPAddress(Allow|Deny))=/.test(l))).toEqual([]);
    for (const kept of ['ProtectSystem=strict', 'ProtectHome=yes', 'NoNewPrivileges=yes', 'CapabilityBoundingSet='])
      expect(lines).toContain(kept);
  });
});

describe('tickdb service install --platform macos', () => {
  it('writes the LaunchDaemon plist and the newsyslog entry into --unit-dir, and removes both', async () => {
    const dir = join(work, 'launchd');
    await mkdir(dir);
    const r = tickdb('service', 'install', '--platform', 'macos', '--unit-dir', dir, '--root', join(work, 'ticks'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('launchctl bootstrap system');
    expect(await readFile(join(dir, 'tickdb.plist'), 'utf8')).toContain(
      '<key>ProcessType</key><string>Background</string>',
    );
    expect(await readFile(join(dir, 'tickdb.conf'), 'utf8')).toContain('/Library/Logs/tickdb/tickdb.log');
    const u = tickdb('service', 'uninstall', '--platform', 'macos', '--unit-dir', dir);
    expect(u.code, u.stderr).toBe(0);
    expect(existsSync(join(dir, 'tickdb.plist')) || existsSync(join(dir, 'tickdb.conf'))).toBe(false);
  });
});
