import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseJson, runCli } from '../helpers/cli.js';
import { usePristineTree } from '../helpers/pristine-tree.js';

const NOW = '2026-03-10T12:00:00Z';
// Ages 1-2 sealed, 3-5 compressed, 6 archived; all backed up.
const ENV = { TICKDB_COMPRESSION_LEVEL: '3', TICKDB_COMPRESS_AFTER_DAYS: '3', TICKDB_ARCHIVE_AFTER_DAYS: '6' };
const tree = usePristineTree({ days: 6, rows: 300, now: NOW, env: ENV });

interface DayRec {
  state: string;
  sha256?: string;
  zstSha256?: string;
  quarantine?: unknown;
}
interface Meta {
  days: Record<string, DayRec>;
}
interface Result {
  key: string;
  path: string;
  sha256: string;
  rows: number;
  copied: boolean;
  keptAside: { path: string; as: string }[];
  previousState: string;
}

const tickdb = (args: string[]) => runCli([...args, '--root', tree.root, '--now', NOW], { env: ENV });
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const path = (tier: string, day: string, ext: string): string =>
  join(tree.root, tier, day.slice(0, 4), day.slice(5, 7), `ticks_${day}${ext}`);
const readMeta = (): Meta => JSON.parse(readFileSync(join(tree.root, 'db', 'rotation_metadata.json'), 'utf8')) as Meta;
const lastAudit = (): Record<string, unknown> => {
  const ls = readFileSync(join(tree.root, 'db', 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n');
  return JSON.parse(ls[ls.length - 1] ?? '{}') as Record<string, unknown>;
};

/** Every row, in order, as an independent reader sees it. */
function dump(file: string): unknown[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT * FROM ticks ORDER BY rowid').safeIntegers(true).raw().all();
  } finally {
    db.close();
  }
}

describe('tickdb restore DAY --from backup', () => {
  it('puts back a deleted sealed database, verified, read-only, with identical rows', () => {
    const db = path('db', '2026-03-09', '.db');
    const rows = dump(db);
    expect(rows).toHaveLength(300);
    const sealed = readMeta().days['ticks/2026-03-09'];
    expect(sealed?.state).toBe('sealed');
    rmSync(db);
    expect(tickdb(['verify']).code).toBe(1);

    const r = tickdb(['restore', '2026-03-09', '--from', 'backup', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = parseJson<Result>(r.stdout);
    expect(result).toMatchObject({
      key: 'ticks/2026-03-09',
      path: db,
      sha256: sealed?.sha256,
      rows: 300,
      copied: true,
      keptAside: [],
      previousState: 'sealed',
    });
    expect(statSync(db).mode & 0o777).toBe(0o444);
    expect(sha256(db)).toBe(sealed?.sha256);
    expect(dump(db)).toEqual(rows);
    expect(readMeta().days['ticks/2026-03-09']).toMatchObject({ state: 'sealed', sha256: sealed?.sha256 });
    expect(lastAudit()).toMatchObject({ event: 'restored', day: '2026-03-09', path: db, sha256: sealed?.sha256 });
    expect(tickdb(['verify']).code).toBe(0);
    expect(tickdb(['audit', 'verify']).code).toBe(0);
  });

  it('refuses while a copy of a day that is not quarantined is still in a tier; --force keeps that copy aside', () => {
    const zst = path('db', '2026-03-06', '.db.zst');
    const zstSha = sha256(zst);
    const refused = tickdb(['restore', '2026-03-06', '--from', 'backup']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(zst);
    expect(refused.stderr).toContain('--force');
    expect(existsSync(path('db', '2026-03-06', '.db'))).toBe(false);

    const forced = tickdb(['restore', '2026-03-06', '--from', 'backup', '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    const result = parseJson<Result>(forced.stdout);
    expect(result.keptAside).toEqual([
      { path: zst, as: expect.stringMatching(/ticks_2026-03-06\.db\.zst\.replaced-/) },
    ]);
    expect(sha256(result.keptAside[0]?.as ?? '')).toBe(zstSha); // never deleted
    expect(existsSync(zst)).toBe(false);
    expect(readMeta().days['ticks/2026-03-06']).toMatchObject({ state: 'sealed' });
    expect(readMeta().days['ticks/2026-03-06']?.zstSha256).toBeUndefined();
    // The next run compresses the restored day again; the tree verifies.
    expect(tickdb(['run', '--once']).code).toBe(0);
    expect(readMeta().days['ticks/2026-03-06']).toMatchObject({ state: 'compressed' });
    expect(tickdb(['verify', '--deep']).code).toBe(0);
  });

  it('a sealed .db already in place and intact: nothing to do', () => {
    const r = tickdb(['restore', '2026-03-08', '--from', 'backup']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('nothing to do');
  });

  it('a backup that does not match the recorded SHA-256 is refused and nothing changes', () => {
    const db = path('db', '2026-03-09', '.db');
    rmSync(db);
    const backup = path('backup', '2026-03-09', '.db');
    chmodSync(backup, 0o644);
    const buf = readFileSync(backup);
    buf[buf.length - 10] = (buf[buf.length - 10] ?? 0) ^ 0x01;
    writeFileSync(backup, buf);
    const before = readFileSync(join(tree.root, 'db', 'rotation_metadata.json'), 'utf8');
    const r = tickdb(['restore', '2026-03-09', '--from', 'backup']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(backup);
    expect(r.stderr).toMatch(/does not match the recorded SHA-256|fails its checks/);
    expect(existsSync(db)).toBe(false);
    expect(readdirSync(dirname(db)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(join(tree.root, 'db', 'rotation_metadata.json'), 'utf8')).toBe(before);
  });

  it("usage: --from is required, DAY must be a date, today is the writer's", () => {
    expect(tickdb(['restore', '2026-03-09']).code).toBe(2);
    expect(tickdb(['restore', '2026-02-30', '--from', 'backup']).code).toBe(2);
    expect(tickdb(['restore', '2026-03-09', '--from', 'tape']).code).toBe(2);
    // --from archive exists (DESIGN 12), but this day has no archived copy yet: nothing changes, exit 1.
    const notArchived = tickdb(['restore', '2026-03-09', '--from', 'archive']);
    expect(notArchived.code).toBe(1);
    expect(notArchived.stderr).toMatch(/no archived copy of ticks 2026-03-09/);
    const today = tickdb(['restore', '2026-03-10', '--from', 'backup']);
    expect(today.code).toBe(1);
    expect(today.stderr).toMatch(/no recorded SHA-256|writer owns it/);
  });
});
