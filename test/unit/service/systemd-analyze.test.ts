import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceOptions } from '../../../src/service/options.js';
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

function exposure(unitPath: string): { score: number; label: string; line: string } {
  const out = execFileSync(ANALYZE ?? 'systemd-analyze', ['security', '--offline=yes', unitPath], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.includes('Overall exposure level')) ?? '';
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?) (\S+)/.exec(line);
  if (m === null) throw new Error(`no "Overall exposure level" line in:\n${out}`);
  return { score: Number(m[1]), label: m[2] ?? '', line: line.trim() };
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
});
