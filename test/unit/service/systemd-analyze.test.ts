import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceOptions } from '../../../src/service/options.js';
import { renderDropIn } from '../../../src/service/systemd-dropin.js';
import { renderSystemdUnit } from '../../../src/service/systemd-unit.js';
import { REPO_BIN } from './fixtures.js';
import { findProgram, needProgram } from '../../helpers/external-programs.js';

/**
 * The generated unit against systemd's own checkers, offline (no running systemd needed):
 * `systemd-analyze verify` (syntax, known settings, ExecStart's binary exists and is executable; User= need not
 * resolve) and `systemd-analyze security --offline=yes` (exposure score, must be "OK" or better: <= 2.5).
 */
const ANALYZE = needProgram('systemd-analyze') ? findProgram('systemd-analyze') : undefined;
const MAX_EXPOSURE = 2.5;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tickdb-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeUnit(name: string, opts: ServiceOptions): Promise<string> {
  await mkdir(join(dir, name), { recursive: true });
  const path = join(dir, name, 'tickdb.service');
  await writeFile(path, renderSystemdUnit(opts));
  return path;
}

function verify(unitPath: string): { status: number | null; stderr: string } {
  const r = spawnSync(ANALYZE ?? 'systemd-analyze', ['verify', '--man=no', unitPath], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

/** Lines of verify's stderr about our unit (other units of the host may have their own complaints). */
function complaints(stderr: string, unitPath: string): string[] {
  return stderr.split('\n').filter((l) => l.includes(unitPath) || l.includes('tickdb.service'));
}

function exposure(
  unitPath: string,
  env?: NodeJS.ProcessEnv,
): { score: number; label: string; line: string; out: string } {
  const out = execFileSync(ANALYZE ?? 'systemd-analyze', ['security', '--offline=yes', unitPath], {
    encoding: 'utf8',
    ...(env === undefined ? {} : { env }),
  });
  const line = out.split('\n').find((l) => l.includes('Overall exposure level')) ?? '';
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?) (\S+)/.exec(line);
  if (m === null) throw new Error(`no "Overall exposure level" line in:\n${out}`);
  return { score: Number(m[1]), label: m[2] ?? '', line: line.trim(), out };
}

const base: ServiceOptions = {
  root: '/var/lib/tickdb/ticks',
  user: 'tickdb',
  group: 'tickdb',
  nodePath: process.execPath,
  tickdbBin: REPO_BIN,
};

describe.skipIf(ANALYZE === undefined)('systemd-analyze', () => {
  it('verify accepts the unit', async () => {
    const path = await writeUnit('plain', { ...base, configFile: '/etc/tickdb/config.json' });
    const r = verify(path);
    expect(complaints(r.stderr, path)).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('verify accepts paths with spaces, % and $ (ExecStart quoting reaches the real binary)', async () => {
    const odd = join(dir, 'node dir %n $HOME;x');
    await mkdir(odd, { recursive: true });
    await symlink(process.execPath, join(odd, 'node'));
    const path = await writeUnit('odd', {
      ...base,
      nodePath: join(odd, 'node'),
      root: '/srv/tick data/%i',
      archiveDir: '/mnt/nas share/$host',
      metricsFile: '/var/lib/node exporter/tickdb.prom',
      configFile: '/etc/tickdb/"my" config\\.json',
      group: 'md-writers',
    });
    const r = verify(path);
    expect(complaints(r.stderr, path)).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('verify catches a broken unit (the check is real)', async () => {
    const path = await writeUnit('broken', { ...base, nodePath: join(dir, 'no-such-node') });
    const r = verify(path);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/no-such-node/);
  });

  it(`security --offline=yes rates it at most ${MAX_EXPOSURE} ("OK" or "SAFE")`, async () => {
    const path = await writeUnit('security', {
      ...base,
      archiveDir: '/mnt/nas/archive',
      metricsFile: '/var/lib/node_exporter/textfile/tickdb.prom',
    });
    const { score, label, line } = exposure(path);
    console.info(`systemd-analyze security --offline=yes: ${line}`);
    expect(score).toBeLessThanOrEqual(MAX_EXPOSURE);
    expect(['SAFE', 'OK']).toContain(label);
  });

  it('verify accepts the unit with an S3 target (an endpoint address, a host name, AWS); still at most 2.5', async () => {
    for (const [name, s3] of [
      ['s3-ip', { endpoint: 'http://127.0.0.1:7480' }],
      ['s3-name', { endpoint: 'https://s3.internal.example:9000' }],
      ['s3-aws', {}],
    ] as const) {
      const path = await writeUnit(name, { ...base, configFile: '/etc/tickdb/config.json', s3 });
      const r = verify(path);
      expect(complaints(r.stderr, path), name).toEqual([]);
      expect(r.status, name).toBe(0);
      const { score, line } = exposure(path);
      console.info(`systemd-analyze security --offline=yes (${name}): ${line}`);
      expect(score, name).toBeLessThanOrEqual(MAX_EXPOSURE);
    }
  });

  it('the packaged unit plus the S3 drop-in, merged by systemd itself: network on, the endpoint allowed', async () => {
    // systemd reads tickdb.service.d/*.conf beside a unit found on its unit path (SYSTEMD_UNIT_PATH, ':' = and the
    // usual folders), as it will on the host; security then rates the merged settings.
    const units = join(dir, 'packaged');
    await mkdir(join(units, 'tickdb.service.d'), { recursive: true });
    const opts = { ...base, configFile: '/etc/tickdb/config.json', rootFromConfig: true };
    await writeFile(join(units, 'tickdb.service'), renderSystemdUnit(opts));
    const env = { ...process.env, SYSTEMD_UNIT_PATH: `${units}:` };
    const before = exposure('tickdb.service', env).out;
    expect(before).toMatch(/✓ PrivateNetwork=/);
    await writeFile(
      join(units, 'tickdb.service.d', 'tickdb-service-install.conf'),
      renderDropIn({ ...opts, s3: { endpoint: 'http://127.0.0.1:7480' } }, join(units, 'tickdb.service'), {}),
    );
    const v = spawnSync(ANALYZE ?? 'systemd-analyze', ['verify', '--man=no', 'tickdb.service'], {
      encoding: 'utf8',
      env,
    });
    expect(complaints(v.stderr, 'tickdb.service')).toEqual([]);
    expect(v.status).toBe(0);
    const after = exposure('tickdb.service', env);
    expect(after.out).toMatch(/✗ PrivateNetwork=\s+Service has access to the host's network/);
    expect(after.out).toMatch(/✗ RestrictAddressFamilies=~AF_\(INET\|INET6\)\s+Service may allocate Internet sockets/);
    expect(after.out).toMatch(/✗ IPAddressDeny=\s+Service defines IP address allow list with only localhost entries/);
    expect(after.out).toMatch(/✓ RestrictAddressFamilies=~AF_PACKET/);
    expect(after.score).toBeLessThanOrEqual(MAX_EXPOSURE);
  });
});
