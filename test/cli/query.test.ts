import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needProgram } from '../helpers/external-programs.js';
import { runCli, runCliAsync, tempDir } from '../helpers/cli.js';
import { snapshot, zstdDecompress } from '../helpers/tree.js';

const NOW = '2026-03-12T06:00:00Z';
const TODAY = '2026-03-12';
// Ages 1-2 sealed .db, 3-5 .db.zst in db/, 6-8 archive/, 9+ purged.
const CONFIG = {
  compressAfterDays: 3,
  archiveAfterDays: 6,
  purgeAfterDays: 9,
  backupRetentionDays: 2,
  compressionLevel: 3,
};
const SQL = `SELECT ts, symbol, bid, ask, bid_size, volume, last FROM ticks
  WHERE symbol IN (:s1, :s2) AND ts >= :day_start_ns AND ts < :day_end_ns ORDER BY ts, rowid`;
const PARAMS = ['--param', 's1=AAPL', '--param', 's2=EURUSD'];

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const file = (root: string, tier: string, day: string, ext: string): string =>
  join(root, tier, day.slice(0, 4), day.slice(5, 7), `ticks_${day}${ext}`);

function sqlite3(args: string[], input: string): string {
  const r = spawnSync('sqlite3', args, { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`sqlite3 ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The statement run by the sqlite3 CLI, its parameters bound with `.parameter set`, rows as SQL literals. */
function sqlite3Rows(db: string, day: string, sql: string): string {
  const start = BigInt(Date.parse(`${day}T00:00:00Z`)) * 1_000_000n;
  const set = [
    '.parameter init',
    `.parameter set :day '${day}'`,
    `.parameter set :day_start_ns ${start}`,
    `.parameter set :day_end_ns ${start + 86_400_000_000_000n}`,
    ".parameter set :s1 'AAPL'",
    ".parameter set :s2 'EURUSD'",
    '.mode quote',
  ];
  return sqlite3(['-readonly', db], `${set.join('\n')}\n${sql.replace(/\s+/g, ' ')};\n`);
}

describe.skipIf(!needProgram('zstd', 'sqlite3'))('tickdb query across the tiers', () => {
  let tmp: { dir: string; cleanup: () => void };
  let root: string;
  let cacheDir: string;
  let configFile: string;
  let writer: Database.Database;
  const query = (args: string[], env: Record<string, string> = {}) =>
    runCli(['query', ...args, '--root', root, '--config', configFile, '--now', NOW], { env });

  beforeAll(() => {
    tmp = tempDir('tickdb-query-');
    root = join(tmp.dir, 'root');
    cacheDir = join(tmp.dir, 'cache');
    configFile = join(tmp.dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ ...CONFIG, queryCache: { dir: cacheDir, maxBytes: 1 << 30 } }));
    const sim = runCli([
      'simulate',
      '--days',
      '11',
      '--rows',
      '3000',
      '--root',
      root,
      '--config',
      configFile,
      '--now',
      NOW,
    ]);
    expect(sim.code, sim.stderr).toBe(0);
    writeFileSync(file(root, 'db', '2026-03-05', '.db'), 'not a database at all, but named like one');
    unlinkSync(file(root, 'db', '2026-03-08', '.db'));
    for (const side of ['-wal', '-shm']) rmIfExists(file(root, 'db', '2026-03-08', `.db${side}`));
    const run = runCli(['run', '--once', '--root', root, '--config', configFile, '--now', NOW]);
    expect(run.code, run.stdout + run.stderr).toBe(1); // the garbage day is quarantined, which fails the run
    // Today, as the writer has it: rows committed in the -wal, never checkpointed, the connection still open.
    writer = new Database(file(root, 'db', TODAY, '.db'));
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    const insert = writer.prepare(
      'INSERT INTO ticks (ts, symbol, bid, ask, bid_size, ask_size, last, volume) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const start = BigInt(Date.parse(`${TODAY}T00:00:00Z`)) * 1_000_000n;
    for (let i = 0n; i < 400n; i++)
      insert.run(
        start + i * 1_000_000_123n + 7n,
        i % 3n === 0n ? 'EURUSD' : 'AAPL',
        1.08 + Number(i) / 1e4,
        1.09,
        100,
        200,
        0.1 + 0.2,
        i,
      );
  });
  afterAll(() => {
    writer?.close();
    tmp?.cleanup();
  });

  function rmIfExists(path: string): void {
    if (existsSync(path)) unlinkSync(path);
  }

  it('has days in every tier', () => {
    expect(existsSync(file(root, 'archive', '2026-03-04', '.db.zst'))).toBe(true);
    expect(existsSync(file(root, 'db', '2026-03-07', '.db.zst'))).toBe(true);
    expect(existsSync(file(root, 'db', '2026-03-10', '.db'))).toBe(true);
    expect(statSync(file(root, 'db', TODAY, '.db-wal')).size).toBeGreaterThan(0);
    expect(existsSync(file(root, 'db', '2026-03-02', '.db'))).toBe(false); // purged
  });

  it("returns exactly the sqlite3 CLI's rows on decompressed copies, lists missing days, fails the quarantined one after the others", () => {
    // Every stored file, today's database and -wal included: the query changes none (no checkpoint). The -shm is
    // SQLite's shared-memory index, where every reader (ours too) takes a read mark, so it is left out.
    const skip = (name: string): boolean => name === 'tickdb.lock' || name.endsWith('-shm');
    const before = snapshot(root, skip);
    const out = join(tmp.dir, 'result.db');
    const r = query([SQL, ...PARAMS, '--from', '2026-02-27', '--to', TODAY, '--format', 'sqlite', '-o', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/2026-03-05: ticks 2026-03-05 is quarantined/);
    expect(r.stderr).toMatch(
      /not found: 2026-02-27\.\.2026-02-28 \(2 days\); 2026-03-01\.\.2026-03-03 \(3 days\): purged/,
    );
    expect(r.stderr).toMatch(/; 2026-03-08\n/);
    expect(snapshot(root, skip)).toEqual(before);

    const days = ['2026-03-04', '2026-03-06', '2026-03-07', '2026-03-09', '2026-03-10', '2026-03-11', TODAY];
    const got = sqlite3([out], `SELECT DISTINCT day FROM result ORDER BY rowid;\n`).trim().split('\n');
    expect(got).toEqual(days);
    for (const day of days) {
      let db = file(root, 'db', day, '.db');
      for (const tier of ['db', 'archive']) {
        const zst = file(root, tier, day, '.db.zst');
        if (existsSync(zst)) {
          db = join(tmp.dir, `copy-${day}.db`);
          zstdDecompress(zst, db);
        }
      }
      const expected = sqlite3Rows(db, day, SQL);
      expect(expected.split('\n').length, day).toBeGreaterThan(20);
      const cols = 'ts, symbol, bid, ask, bid_size, volume, last';
      expect(
        sqlite3([out], `.mode quote\nSELECT ${cols} FROM result WHERE day = '${day}' ORDER BY rowid;\n`),
        day,
      ).toBe(expected);
    }
  });

  it('prints the same rows as CSV and NDJSON, integers exact', () => {
    const csv = query([SQL, ...PARAMS, '--from', '2026-03-09', '--to', TODAY, '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trimEnd().split('\r\n');
    expect(lines[0]).toBe('day,ts,symbol,bid,ask,bid_size,volume,last');
    const nd = query([SQL, ...PARAMS, '--from', '2026-03-09', '--to', TODAY, '--format', 'ndjson']);
    expect(nd.code, nd.stderr).toBe(0);
    const objects = nd.stdout.trimEnd().split('\n');
    expect(objects.length).toBe(lines.length - 1);
    const today = objects.filter((o) => o.startsWith(`{"day":"${TODAY}"`));
    expect(today.length).toBe(400);
    // The writer's timestamps are beyond 2^53: every digit must survive.
    expect(today[1]).toContain(`"ts":${BigInt(Date.parse(`${TODAY}T00:00:00Z`)) * 1_000_000n + 1_000_000_130n}`);
    expect(today[1]).toContain('"last":0.30000000000000004');
    const fromCsv = lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','));
    const fromNd = objects.map((o) => {
      const m = /^\{"day":"([^"]+)","ts":(\d+),"symbol":"([^"]+)"/.exec(o);
      return `${m?.[1]},${m?.[2]},${m?.[3]}`;
    });
    expect(fromNd).toEqual(fromCsv);
  });

  it('filled the cache with verified entries named by the recorded SHA-256, and reads from it the second time', () => {
    const entries = readdirSync(cacheDir)
      .filter((f) => f.endsWith('.db'))
      .sort();
    // Each entry has its record (query-cache.ts), and nothing else is there.
    expect(readdirSync(cacheDir).sort()).toEqual(entries.flatMap((e) => [e, `${e}.json`]).sort());
    // The day's identity, recorded when it was sealed.
    const meta = JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')) as {
      days: Record<string, { sha256?: string }>;
    };
    const want = ['2026-03-04', '2026-03-06', '2026-03-07', '2026-03-09']
      .map((d) => `${meta.days[`ticks/${d}`]?.sha256}.db`)
      .sort();
    expect(entries).toEqual(want);
    for (const e of entries) expect(sha256(join(cacheDir, e))).toBe(e.slice(0, 64));
    const again = query([
      SQL,
      ...PARAMS,
      '--from',
      '2026-03-04',
      '--to',
      '2026-03-09',
      '--format',
      'csv',
      '--log-level',
      'debug',
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('"via":"cache"');
    expect(again.stderr).not.toContain('decompressed');
  });

  it('aggregates each day like the sqlite3 CLI (VWAP per symbol)', () => {
    const vwap =
      'SELECT symbol, sum(last * volume) / sum(volume) AS vwap, sum(volume) AS volume FROM ticks WHERE volume > 0 GROUP BY symbol ORDER BY symbol';
    const out = join(tmp.dir, 'vwap.db');
    const r = query([vwap, '--from', '2026-03-09', '--to', '2026-03-11', '--format', 'sqlite', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const copy = join(tmp.dir, 'vwap-copy.db');
    zstdDecompress(file(root, 'db', '2026-03-09', '.db.zst'), copy);
    for (const [day, db] of [
      ['2026-03-09', copy],
      ['2026-03-10', file(root, 'db', '2026-03-10', '.db')],
    ] as const) {
      const expected = sqlite3Rows(db, day, vwap);
      expect(expected.split('\n').length).toBeGreaterThan(30);
      expect(
        sqlite3([out], `.mode quote\nSELECT symbol, vwap, volume FROM result WHERE day = '${day}' ORDER BY rowid;\n`),
      ).toBe(expected);
    }
  });

  it('refuses a statement that writes, and other usage errors, with exit 2 and no rows', () => {
    const cases: [string[], RegExp][] = [
      [['DELETE FROM ticks RETURNING ts', '--from', '2026-03-10'], /writes or returns no rows/],
      [["INSERT INTO ticks (ts, symbol) VALUES (1, 'X') RETURNING ts", '--from', '2026-03-10'], /writes/],
      [['PRAGMA wal_checkpoint(TRUNCATE)', '--from', TODAY], /PRAGMA/],
      [['SELECT * FROM ticks WHERE symbol = :sym', '--from', '2026-03-10'], /Missing named parameter "sym"/],
      [['SELECT 1', '--from', '2026-03-10', '--to', '2026-03-09'], /is after --to/],
      [['SELECT 1', '--from', '2026-03-10', '--format', 'sqlite'], /-o FILE/],
      [['SELECT 1', '--from', '2026-03-10', '-o', join(root, 'db', 'x.csv')], /inside a tier/],
      [['SELECT 1', '--from', '2026-03-10', '--param', 'n:int=x'], /not an integer/],
    ];
    for (const [args, message] of cases) {
      const r = query(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('shares its cache between two queries run at once: same rows, no .tmp left, the bound kept', async () => {
    const dir = join(tmp.dir, 'shared-cache');
    const small = join(tmp.dir, 'small-cache.json');
    // Room for two of the four compressed days: the queries evict each other's entries while they run.
    const entry = statSync(file(root, 'db', '2026-03-10', '.db')).size;
    writeFileSync(small, JSON.stringify({ ...CONFIG, queryCache: { dir, maxBytes: 2 * entry + 1000 } }));
    const args = [
      'query',
      SQL,
      ...PARAMS,
      '--from',
      '2026-03-04',
      '--to',
      '2026-03-11',
      '--format',
      'csv',
      '--root',
      root,
      '--config',
      small,
      '--now',
      NOW,
    ];
    const runs = [runCliAsync(args), runCliAsync(args)];
    const [a, b] = await Promise.all(runs);
    const alone = query([SQL, ...PARAMS, '--from', '2026-03-04', '--to', '2026-03-11', '--format', 'csv']);
    expect(a?.code).toBe(1); // the quarantined day
    expect(b?.code).toBe(1);
    expect(a?.stdout, a?.stderr).toBe(alone.stdout);
    expect(b?.stdout, b?.stderr).toBe(alone.stdout);
    const all = readdirSync(dir);
    expect(all.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const left = all.filter((f) => f.endsWith('.db'));
    expect(left.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0)).toBeLessThanOrEqual(2 * entry + 1000);
    for (const f of left) expect(sha256(join(dir, f))).toBe(f.slice(0, 64));
  });

  it('gives the same rows with --no-cache, decompressing into memory, and a day over the memory budget fails alone', () => {
    const args = [SQL, ...PARAMS, '--from', '2026-03-06', '--to', '2026-03-10', '--format', 'csv'];
    const cached = query(args);
    expect(cached.code, cached.stderr).toBe(0);
    const inMemory = query([...args, '--no-cache', '--log-level', 'debug']);
    expect(inMemory.code, inMemory.stderr).toBe(0);
    expect(inMemory.stdout).toBe(cached.stdout);
    expect(inMemory.stderr).toContain('decompressed into memory');
    const tight = query([...args, '--no-cache', '--memory', '60M']);
    expect(tight.code).toBe(1);
    expect(tight.stderr).toMatch(/2026-03-06: 2026-03-06 needs about \d+ MiB, more than the memory budget of 60 MiB/);
    expect(tight.stdout).toContain('2026-03-10,'); // the sealed day, read in place, still ran
  });
});
