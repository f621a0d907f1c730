import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, tempDir, expectExit } from '../helpers/cli.js';
import { needProgram } from '../helpers/external-programs.js';

const NOW = '2026-03-10T12:00:00Z';
const ENV = { TICKDB_COMPRESSION_LEVEL: '3' };
let dir: string;
let cleanup: () => void;
let root: string;

interface Report {
  path: string;
  kind: 'db' | 'zst';
  bytes: number;
  sha256: string;
  zst?: { frames: number; seekTable: boolean; contentBytes: number; contentSha256: string };
  sideFiles?: { walBytes: number | null; shm: boolean };
  analysedCopy: boolean;
  database: {
    journalMode: string;
    pageSize: number;
    pageCount: number;
    freelistCount: number;
    tables: { name: string; rows: number }[];
    timeRange: { min: string; max: string; minIso: string; maxIso: string } | null;
    symbols: { count: number; top: { symbol: string; rows: number }[] } | null;
    integrity: { ok: boolean; problems: string[] };
  };
  recorded?: { state: string; sha256Matches: boolean | null; zstSha256Matches: boolean | null };
  ok: boolean;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const dbPath = (day: string, ext = '.db'): string =>
  join(root, 'db', day.slice(0, 4), day.slice(5, 7), `ticks_${day}${ext}`);

function analyze(path: string): { code: number | null; report: Report; stderr: string } {
  const r = runCli(['analyze', path, '--json', '--root', root], { env: ENV });
  return { code: r.code, report: parseJson<Report>(r.stdout), stderr: r.stderr };
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  root = join(dir, 'root');
  // Ages 1..9; with compressAfterDays 7, 2026-03-01..03 are compressed, 03-04..09 sealed.
  expectExit(runCli(['simulate', '--days', '9', '--rows', '400', '--root', root, '--now', NOW], { env: ENV }));
  const run = runCli(['run', '--once', '--root', root, '--now', NOW], { env: ENV });
  expect(run.code, run.stderr).toBe(0);
});
afterAll(() => cleanup());

describe.skipIf(!needProgram('zstd'))('tickdb analyze', () => {
  it('describes a sealed, read-only .db in place without changing or adding anything', () => {
    const path = dbPath('2026-03-05');
    expect(statSync(path).mode & 0o777).toBe(0o444);
    const before = { sha: sha256(path), files: readdirSync(dirname(path)).sort() };
    const { code, report } = analyze(path);
    expect(code).toBe(0);
    expect(report).toMatchObject({
      kind: 'db',
      ok: true,
      sha256: before.sha,
      bytes: statSync(path).size,
      analysedCopy: false,
    });
    expect(report.database).toMatchObject({
      journalMode: 'delete',
      pageSize: 4096,
      freelistCount: 0,
      integrity: { ok: true, problems: [] },
    });
    expect(report.database.pageCount * report.database.pageSize).toBe(report.bytes);
    expect(report.database.tables).toEqual([{ name: 'ticks', rows: 400 }]);
    const t = report.database.timeRange;
    expect(BigInt(t?.min ?? '0')).toBeLessThanOrEqual(BigInt(t?.max ?? '0'));
    expect(t?.minIso.startsWith('2026-03-05T')).toBe(true);
    expect(t?.maxIso.startsWith('2026-03-05T')).toBe(true);
    expect(report.database.symbols?.count).toBeGreaterThan(1);
    expect(report.database.symbols?.top[0]?.rows).toBeGreaterThan(0);
    expect(report.recorded).toMatchObject({ state: 'sealed', sha256Matches: true });
    expect(sha256(path)).toBe(before.sha);
    expect(readdirSync(dirname(path)).sort()).toEqual(before.files);

    const human = runCli(['analyze', path, '--root', root]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/integrity\s+ok/);
    expect(human.stdout).toMatch(/ticks\s+400/);
  });

  it('decompresses a .db.zst made by tickdb to a temp folder and checks it against the sealed hash', () => {
    const path = dbPath('2026-03-02', '.db.zst');
    const before = readdirSync(dirname(path)).sort();
    const { code, report } = analyze(path);
    expect(code).toBe(0);
    expect(report).toMatchObject({ kind: 'zst', ok: true, sha256: sha256(path), analysedCopy: true });
    expect(report.zst).toMatchObject({ seekTable: true });
    expect(report.zst?.frames).toBeGreaterThanOrEqual(1);
    expect(report.recorded).toMatchObject({ state: 'compressed', sha256Matches: true, zstSha256Matches: true });
    expect(report.database.tables).toEqual([{ name: 'ticks', rows: 400 }]);
    expect(readdirSync(dirname(path)).sort()).toEqual(before);
  });

  it('reads a .db.zst made by the zstd CLI (one frame, no seek table)', () => {
    const src = dbPath('2026-03-06');
    const out = join(dir, 'ticks_2026-03-06.db.zst');
    const z = spawnSync('zstd', ['-19', '-q', src, '-o', out]);
    expect(z.status, String(z.stderr)).toBe(0);
    const { code, report } = analyze(out);
    expect(code).toBe(0);
    expect(report.zst).toMatchObject({
      frames: 1,
      seekTable: false,
      contentSha256: sha256(src),
      contentBytes: statSync(src).size,
    });
    expect(report.database.tables).toEqual([{ name: 'ticks', rows: 400 }]);
    expect(report.database.integrity.ok).toBe(true);
  });

  it('reads a live WAL database with rows still in its -wal, read-only, leaving the files as they were', () => {
    const path = join(dir, 'live', 'ticks_2026-03-10.db');
    const script = `
      const Database = require('better-sqlite3');
      require('fs').mkdirSync(require('path').dirname(${JSON.stringify(path)}), { recursive: true });
      const db = new Database(${JSON.stringify(path)});
      db.pragma('journal_mode = WAL');
      db.pragma('wal_autocheckpoint = 0');
      db.exec('CREATE TABLE ticks (ts INTEGER NOT NULL, symbol TEXT NOT NULL)');
      const ins = db.prepare('INSERT INTO ticks VALUES (?, ?)');
      for (let i = 0; i < 50; i++) ins.run(1773100800000000000n + BigInt(i), i % 2 ? 'AAPL' : 'MSFT');
      process.exit(0); // a writer that dies: the rows stay in the -wal
    `;
    expect(spawnSync(process.execPath, ['-e', script], { cwd: join(import.meta.dirname, '..', '..') }).status).toBe(0);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    const before = Object.fromEntries(readdirSync(dirname(path)).map((f) => [f, sha256(join(dirname(path), f))]));
    const { code, report } = analyze(path);
    expect(code).toBe(0);
    expect(report.database.journalMode).toBe('wal');
    expect(report.sideFiles?.walBytes).toBeGreaterThan(0);
    expect(report.database.tables).toEqual([{ name: 'ticks', rows: 50 }]);
    expect(report.database.timeRange?.minIso).toBe('2026-03-10T00:00:00.000000000Z');
    const after = Object.fromEntries(readdirSync(dirname(path)).map((f) => [f, sha256(join(dirname(path), f))]));
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(after[basename(path)]).toBe(before[basename(path)]);
    expect(after[`${basename(path)}-wal`]).toBe(before[`${basename(path)}-wal`]);
  });

  it('analyses a copy of a WAL database that has no -shm, so that none is created beside it', () => {
    const path = dbPath('2026-03-10'); // today's, pre-created by the run: WAL mode, closed
    const before = readdirSync(dirname(path)).sort();
    const { code, report } = analyze(path);
    expect(code).toBe(0);
    expect(report.analysedCopy).toBe(true);
    expect(report.database.tables).toEqual([{ name: 'ticks', rows: 0 }]);
    expect(readdirSync(dirname(path)).sort()).toEqual(before);
  });

  it('exits 1 on a damaged database, listing the integrity problems', () => {
    const path = join(dir, 'damaged_2026-03-07.db');
    copyFileSync(dbPath('2026-03-07'), path);
    const buf = readFileSync(path);
    buf.fill(0xa5, 4096, 4096 * 4);
    writeFileSync(path, buf);
    const r = runCli(['analyze', path, '--json', '--root', root]);
    expect(r.code).toBe(1);
    const report = parseJson<Report>(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.database.integrity.problems.length).toBeGreaterThan(0);
  });

  it('bad input exits 1 with an error naming the file', () => {
    const garbage = join(dir, 'garbage_2026-03-01.db');
    writeFileSync(
      garbage,
      'this is not a database at all, just some text that is long enough to be read as a header ...........',
    );
    const empty = join(dir, 'empty.db');
    writeFileSync(empty, '');
    const truncated = join(dir, 'truncated.db.zst');
    const zst = readFileSync(dbPath('2026-03-01', '.db.zst'));
    writeFileSync(truncated, zst.subarray(0, Math.floor(zst.length / 2)));
    const notZst = join(dir, 'text.db.zst');
    writeFileSync(notZst, 'hello');
    for (const [path, what] of [
      [garbage, /not a SQLite database or a zstd file/],
      [empty, /zero-byte/],
      [truncated, /truncated|corrupt/i],
      [notZst, /not a SQLite database or a zstd file/],
    ] as const) {
      const r = runCli(['analyze', path, '--root', root]);
      expect(r.code, `${path}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(path);
      expect(r.stderr).toMatch(what);
    }
    const missing = runCli(['analyze', join(dir, 'nope.db'), '--root', root]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.db');
  });
});
