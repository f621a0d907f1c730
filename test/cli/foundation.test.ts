import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';
import packageJson from '../../package.json' with { type: 'json' };

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

interface Entry {
  day: string;
  dataset: string;
  tier: string;
  path: string;
  bytes: number;
  state: string;
}

describe('tickdb CLI foundation', () => {
  it('prints help from the checkout, every command listed though each is loaded on demand', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    const listed = [...r.stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
    expect(listed).toEqual([
      'run',
      'rotate',
      'compress',
      'archive',
      'purge',
      'decompress',
      'query',
      'export',
      'simulate',
      'inventory',
      'status',
      'policy',
      'analyze',
      'verify',
      'audit',
      'restore',
      'drill',
      'quarantine',
      'service',
      'help',
    ]);
    // --version and -V are answered before commander loads; with anything after them, commander answers.
    for (const args of [['--version'], ['-V'], ['--version', '--json']]) {
      const version = runCli(args);
      expect(version.code).toBe(0);
      expect(version.stdout).toBe(`${packageJson.version}\n`);
    }
    const sub = runCli(['decompress', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('Usage: tickdb decompress');
    const typo = runCli(['statu']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('Did you mean status?');
  });

  it('simulate --days 14 then inventory --json lists 14 days with their sizes', () => {
    const root = join(dir, 't');
    const sim = runCli(['simulate', '--days', '14', '--rows', '1000', '--root', root, '--now', '2026-01-05T09:00:00Z']);
    expect(sim.code, sim.stderr).toBe(0);
    const inv = runCli(['inventory', '--json', '--root', root]);
    expect(inv.code, inv.stderr).toBe(0);
    const entries = parseJson<Entry[]>(inv.stdout);
    expect(entries).toHaveLength(14);
    expect(entries.map((e) => e.day)).toEqual(
      Array.from({ length: 14 }, (_, i) => new Date(Date.UTC(2025, 11, 22 + i)).toISOString().slice(0, 10)),
    );
    for (const e of entries) {
      expect(e).toMatchObject({ dataset: 'ticks', tier: 'db', state: 'unrecorded' });
      expect(e.bytes).toBeGreaterThan(50_000);
      expect(existsSync(e.path)).toBe(true);
    }
    // Crosses a year boundary: December 2025 and January 2026 folders.
    expect(readdirSync(join(root, 'db'))).toEqual(['2025', '2026']);
    const csv = runCli(['inventory', '--csv', '--root', root]);
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^day,dataset,tier,kind,path,bytes,sha256/);
    expect(csv.stdout.trim().split('\r\n')).toHaveLength(15);
  });

  it.each([
    ['a negative threshold', { compressAfterDays: -3 }, {}, /compressAfterDays = -3/],
    ['archive before compress', { compressAfterDays: 10, archiveAfterDays: 5 }, {}, /archiveAfterDays/],
    ['an unknown field', { compresAfterDays: 7 }, {}, /unknown field "compresAfterDays"/],
    ['a malformed cron string', { schedules: { compress: 'every day' } }, {}, /schedules\.compress = "every day"/],
    [
      'a non-numeric env value',
      {},
      { TICKDB_COMPRESSION_LEVEL: 'fast' },
      /TICKDB_COMPRESSION_LEVEL="fast" is not a number/,
    ],
    [
      'a purge below the regulatory floor',
      { minimumRetentionDays: 2190 },
      {},
      /purgeAfterDays \(180\) is below minimumRetentionDays \(2190\)/,
    ],
  ])('exits 2 on %s, naming the field and value, and touches nothing', (_what, content, env, message) => {
    const root = join(dir, 'r');
    const config = join(dir, 'c.json');
    writeFileSync(config, JSON.stringify(content));
    for (const cmd of [['run', '--once'], ['rotate'], ['simulate', '--days', '2'], ['inventory']]) {
      const r = runCli([...cmd, '--root', root, '--config', config], { env });
      expect(r.code, `${cmd.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(root)).toBe(false);
  });

  it('exits 2 on a bad --now and on an unknown option', () => {
    expect(runCli(['rotate', '--root', dir, '--now', 'yesterday']).code).toBe(2);
    expect(runCli(['rotate', '--root', dir, '--bogus']).code).toBe(2);
  });

  it('a kill between the metadata tmp write and its rename leaves a readable metadata file', () => {
    const root = join(dir, 't');
    runCli(['simulate', '--days', '2', '--rows', '200', '--root', root, '--now', '2026-03-03T12:00:00Z']);
    const first = runCli(['rotate', '--root', root, '--now', '2026-03-03T12:00:00Z']);
    expect(first.code, first.stderr).toBe(0);
    const metaPath = join(root, 'db', 'rotation_metadata.json');
    const before = readFileSync(metaPath, 'utf8');
    const crashed = runCli(['rotate', '--root', root, '--now', '2026-03-04T12:00:00Z'], {
      env: { TICKDB_FAULT: 'metadata:before-rename' },
    });
    expect(crashed.signal).toBe('SIGKILL');
    const after = readFileSync(metaPath, 'utf8');
    expect(after).toBe(before); // the old version, whole
    expect(() => JSON.parse(after)).not.toThrow();
    expect(readdirSync(join(root, 'db')).some((n) => n.endsWith('.tmp'))).toBe(true);
    const next = runCli(['rotate', '--root', root, '--now', '2026-03-04T12:00:00Z']);
    expect(next.code, next.stderr).toBe(0);
    expect(readdirSync(join(root, 'db')).some((n) => n.endsWith('.tmp'))).toBe(false);
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { days: Record<string, { state: string }> };
    expect(meta.days['ticks/2026-03-03']?.state).toBe('sealed');
  });

  it('keeps an old-format metadata file aside, never loses it, and rebuilds', () => {
    const root = join(dir, 't');
    runCli(['simulate', '--days', '2', '--rows', '200', '--root', root, '--now', '2026-03-03T12:00:00Z']);
    const legacy = '# rotation metadata written by rotate.sh\nlast_rotation=2026-03-01\n';
    writeFileSync(join(root, 'db', 'rotation_metadata.json'), legacy);
    const r = runCli(['rotate', '--root', root, '--now', '2026-03-03T12:00:00Z']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kept aside/);
    const aside = readdirSync(join(root, 'db')).filter((n) => n.startsWith('rotation_metadata.json.unreadable-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(root, 'db', aside[0] ?? ''), 'utf8')).toBe(legacy);
    const meta = JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')) as {
      schemaVersion: number;
    };
    expect(meta.schemaVersion).toBe(1);
  });

  it("refuses a second command while one holds the lock, naming the pid; takes over a dead holder's lock", async () => {
    const root = join(dir, 't');
    mkdirSync(join(root, 'db'), { recursive: true });
    // A live process whose command line names tickdb holds the lock.
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'tickdb-fake-holder'], {
      stdio: 'ignore',
    });
    const fake = { pid: holder.pid, startedAt: '2026-03-03T00:00:00Z', command: 'run', host: hostname() };
    writeFileSync(join(root, 'db', 'tickdb.lock'), JSON.stringify(fake));
    const r = runCli(['rotate', '--root', root, '--now', '2026-03-03T12:00:00Z']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`pid ${holder.pid}`);
    expect(r.stderr).toContain('the agent is running');
    const exited = new Promise<void>((res) => holder.once('exit', () => res()));
    holder.kill('SIGKILL');
    await exited;
    // Now the holder is dead: its lock is taken over.
    const r2 = runCli(['rotate', '--root', root, '--now', '2026-03-03T12:00:00Z']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(existsSync(join(root, 'db', 'tickdb.lock'))).toBe(false);
  });
});
