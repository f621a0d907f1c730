import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';

const NOW = '2026-03-10T12:00:00Z';
const ENV = { TICKDB_COMPRESSION_LEVEL: '3', TICKDB_COMPRESS_AFTER_DAYS: '3', TICKDB_ARCHIVE_AFTER_DAYS: '6' };

interface Quarantined {
  key: string;
  day: string;
  path: string;
  reason: string;
  since: string;
  previousState: string;
}
interface DayRec {
  state: string;
  sha256?: string;
  zstSha256?: string;
  quarantine?: unknown;
}

let dir: string;
let cleanup: () => void;
let root: string;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
  root = join(dir, 'root');
});
afterEach(() => cleanup());

const tickdb = (args: string[], now = NOW) => runCli([...args, '--root', root, '--now', now], { env: ENV });
const path = (tier: string, day: string, ext: string): string =>
  join(root, tier, day.slice(0, 4), day.slice(5, 7), `ticks_${day}${ext}`);
const record = (key: string): DayRec | undefined =>
  (JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')) as { days: Record<string, DayRec> })
    .days[key];
const list = (): Quarantined[] => {
  const r = tickdb(['quarantine', 'list', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return parseJson<Quarantined[]>(r.stdout);
};
const auditEvents = (): string[] =>
  readFileSync(join(root, 'db', 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { event: string }).event);

function damage(file: string): void {
  chmodSync(file, 0o644);
  const buf = readFileSync(file);
  buf.fill(0xa5, 4096 * 2, 4096 * 4);
  writeFileSync(file, buf);
}

describe('tickdb quarantine', () => {
  it('a database damaged before its seal is quarantined; release refuses while it is bad and succeeds once a good file is back', () => {
    expect(tickdb(['simulate', '--days', '3', '--rows', '300']).code).toBe(0);
    const db = path('db', '2026-03-08', '.db');
    const good = join(dir, 'good.db');
    copyFileSync(db, good);
    damage(db);
    const run = tickdb(['run', '--once']);
    expect(run.code).toBe(1);

    const q = list();
    expect(q).toEqual([
      expect.objectContaining({
        key: 'ticks/2026-03-08',
        day: '2026-03-08',
        path: db,
        previousState: 'live',
        reason: expect.stringMatching(/integrity/),
      }),
    ]);
    expect(q[0]?.since).toMatch(/^2026-03-10T12:00/);
    const human = tickdb(['quarantine', 'list']);
    expect(human.stdout).toMatch(
      /2026-03-08\s+ticks\s+2026-03-10T12:00.*ticks_2026-03-08\.db\s+integrity check failed/,
    );

    const refused = tickdb(['quarantine', 'release', '2026-03-08']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(db);
    expect(refused.stderr).toMatch(/still fails its checks .*stays quarantined/);
    expect(list()).toHaveLength(1);
    expect(record('ticks/2026-03-08')?.state).toBe('quarantined');

    copyFileSync(good, db);
    const released = tickdb(['quarantine', 'release', '2026-03-08', '--json']);
    expect(released.code, released.stderr).toBe(0);
    expect(parseJson<{ state: string; previousState: string }>(released.stdout)).toMatchObject({
      state: 'live',
      previousState: 'live',
    });
    expect(list()).toEqual([]);
    expect(auditEvents().at(-1)).toBe('quarantine-released');

    expect(tickdb(['run', '--once']).code).toBe(0);
    expect(record('ticks/2026-03-08')?.state).toBe('sealed');
    expect(tickdb(['verify']).code).toBe(0);
  });

  it('a day present twice: release refuses, naming both files, until only one copy remains', () => {
    expect(tickdb(['simulate', '--days', '4', '--rows', '300']).code).toBe(0);
    expect(tickdb(['run', '--once']).code).toBe(0);
    const zst = path('db', '2026-03-07', '.db.zst');
    const extra = path('db', '2026-03-07', '.db');
    expect(record('ticks/2026-03-07')?.state).toBe('compressed');
    copyFileSync(path('backup', '2026-03-07', '.db'), extra); // an operator's manual copy
    expect(tickdb(['run', '--once']).code).toBe(1);
    expect(list()).toEqual([
      expect.objectContaining({
        key: 'ticks/2026-03-07',
        previousState: 'compressed',
        reason: expect.stringMatching(/present 2 times/),
      }),
    ]);

    const refused = tickdb(['quarantine', 'release', '2026-03-07']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(zst);
    expect(refused.stderr).toContain(extra);
    expect(refused.stderr).toMatch(/present 2 times/);

    rmSync(extra);
    const released = tickdb(['quarantine', 'release', '2026-03-07']);
    expect(released.code, released.stderr).toBe(0);
    expect(released.stdout).toMatch(/released: ticks\/2026-03-07 -> compressed/);
    expect(record('ticks/2026-03-07')).toMatchObject({ state: 'compressed' });
    expect(record('ticks/2026-03-07')?.quarantine).toBeUndefined();
    expect(tickdb(['verify', '--deep']).code).toBe(0);
  });

  it('a sealed database damaged later is quarantined by compress; restore --from backup replaces it without --force', () => {
    expect(tickdb(['simulate', '--days', '2', '--rows', '300']).code).toBe(0);
    expect(tickdb(['run', '--once']).code).toBe(0);
    const db = path('db', '2026-03-08', '.db');
    const sealed = record('ticks/2026-03-08');
    expect(sealed?.state).toBe('sealed');
    damage(db);
    // A day later it is due for compression (age 3), which checks the recorded SHA-256 first.
    const later = '2026-03-11T12:00:00Z';
    expect(tickdb(['run', '--once'], later).code).toBe(1);
    expect(record('ticks/2026-03-08')).toMatchObject({
      state: 'quarantined',
      quarantine: { previousState: 'sealed', path: db },
    });
    expect(existsSync(path('db', '2026-03-08', '.db.zst'))).toBe(false);

    const release = tickdb(['quarantine', 'release', '2026-03-08'], later);
    expect(release.code).toBe(1);

    const restored = tickdb(['restore', '2026-03-08', '--from', 'backup', '--json'], later);
    expect(restored.code, restored.stderr).toBe(0);
    const r = parseJson<{ keptAside: { path: string; as: string }[]; previousState: string }>(restored.stdout);
    expect(r.previousState).toBe('quarantined');
    expect(r.keptAside).toEqual([{ path: db, as: expect.stringContaining('ticks_2026-03-08.db.replaced-') }]);
    expect(record('ticks/2026-03-08')).toMatchObject({ state: 'sealed', sha256: sealed?.sha256 });
    expect(record('ticks/2026-03-08')?.quarantine).toBeUndefined();
    expect(tickdb(['run', '--once'], later).code).toBe(0);
    expect(record('ticks/2026-03-08')).toMatchObject({ state: 'compressed', sha256: sealed?.sha256 });
    expect(tickdb(['verify', '--deep'], later).code).toBe(0);
  });

  it('release of a day that is not quarantined exits 1', () => {
    expect(tickdb(['simulate', '--days', '1', '--rows', '100']).code).toBe(0);
    expect(tickdb(['run', '--once']).code).toBe(0);
    const r = tickdb(['quarantine', 'release', '2026-03-09']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not quarantined \(state sealed\)/);
    expect(tickdb(['quarantine', 'release', 'yesterday']).code).toBe(2);
  });
});
