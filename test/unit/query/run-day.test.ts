import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entryPath, tmpEntryPath, type CacheSpec } from '../../../src/query/query-cache.js';
import type { DaySource, Materialize, Replan, WorkerMessage } from '../../../src/query/query-types.js';
import { dayPath, tierDirs } from '../../../src/layout/tiers.js';
import { writeMetadata } from '../../../src/store/metadata.js';
import { emptyMetadata, type DayRecord } from '../../../src/store/metadata-types.js';
import { runDay } from '../../../src/query/run-day.js';
import { compressFile } from '../../../src/zstd/index.js';

const DAY = '2026-03-04';

describe('one day of a query', () => {
  let dir: string;
  let cache: CacheSpec;
  let source: Extract<DaySource, { kind: 'compressed' }>;
  // One day, compressed once (the tests only read it); a fresh cache folder for each test.
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickdb-runday-'));
    const db = new Database(join(dir, 'day.db'));
    db.exec('CREATE TABLE ticks (ts INTEGER, symbol TEXT)');
    const insert = db.prepare('INSERT INTO ticks VALUES (?, ?)');
    for (let i = 0; i < 100; i++) insert.run(BigInt('1772582551945187964') + BigInt(i), i % 2 ? 'AAPL' : 'EURUSD');
    db.close();
    const zst = join(dir, 'day.db.zst');
    const r = await compressFile(join(dir, 'day.db'), zst, { level: 3, threads: 1 });
    source = {
      kind: 'compressed',
      day: '2026-03-04',
      tier: 'db',
      path: zst,
      sha256: r.sourceSha256,
      bytes: r.sourceBytes,
      zstSha256: r.zstSha256,
      zstBytes: r.zstBytes,
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    cache = { dir: mkdtempSync(join(dir, 'cache-')), maxBytes: 1 << 30 };
  });

  /** Runs the day and returns its rows and how its database was obtained. */
  async function run(task: Parameters<typeof runDay>[0]): Promise<{ rows: unknown[][]; via: string | undefined }> {
    const messages: WorkerMessage[] = [];
    await runDay(task, { post: (m) => messages.push(m), credit: () => undefined });
    const done = messages.find((m) => m.type === 'done');
    return {
      rows: messages.flatMap((m) => (m.type === 'rows' ? m.rows : [])),
      via: done?.type === 'done' ? done.via : undefined,
    };
  }

  const SQL = "SELECT ts FROM ticks WHERE symbol = 'AAPL' ORDER BY ts";

  /** A tree where the day now is `where` (or nowhere), recorded as `rec`; returns what re-plans it. */
  async function treeWith(where: 'db' | 'archive' | undefined, rec: Partial<DayRecord>): Promise<Replan> {
    const dirs = tierDirs({ root: mkdtempSync(join(dir, 'root-')) });
    if (where !== undefined) {
      const path = dayPath(dirs, where, 'ticks', DAY, 'zst');
      mkdirSync(dirname(path), { recursive: true });
      copyFileSync(source.path, path);
    }
    mkdirSync(dirs.db, { recursive: true });
    const metadata = emptyMetadata(new Date());
    metadata.days[`ticks/${DAY}`] = {
      dataset: 'ticks',
      day: DAY,
      sha256: source.sha256,
      bytes: source.bytes,
      zstSha256: source.zstSha256,
      zstBytes: source.zstBytes,
      sealedAt: '2026-03-05T00:00:00Z',
      state: 'compressed',
      ...rec,
    };
    await writeMetadata(dirs, metadata, new Date());
    return { dirs, datasets: ['ticks'], prefix: 'ticks', now: new Date().toISOString() };
  }

  const task = (planned: DaySource, how: Materialize, replan: Replan, withCache = true) => ({
    source: planned,
    how,
    replan,
    sql: SQL,
    params: {},
    cache: withCache ? cache : undefined,
    threads: 1,
    batchRows: 1000,
  });

  it('reads a sealed day that the agent compressed after the plan from its .db.zst, verified, into the cache', async () => {
    const replan = await treeWith('db', { state: 'compressed' });
    const planned: DaySource = { ...source, kind: 'sealed', path: dayPath(replan.dirs, 'db', 'ticks', DAY, 'db') };
    const { rows, via } = await run(task(planned, { mode: 'in-place', verifySha256: false }, replan));
    expect(rows).toHaveLength(50);
    const zst = dayPath(replan.dirs, 'db', 'ticks', DAY, 'zst');
    expect(via).toBe(`moved to ${zst} while the query ran: decompressed into the cache (db)`);
    expect(readdirSync(cache.dir).sort()).toEqual([`${source.sha256}.db`, `${source.sha256}.db.json`]);
  });

  it('reads a compressed day that the agent archived after the plan from the archive, into memory without a cache', async () => {
    const replan = await treeWith('archive', { state: 'archived' });
    const planned = { ...source, path: dayPath(replan.dirs, 'db', 'ticks', DAY, 'zst') };
    const how = { mode: 'memory', tmpPath: tmpEntryPath(cache, source.sha256 ?? '') } as const;
    const { rows, via } = await run(task(planned, how, replan, false));
    expect(rows).toHaveLength(50);
    const archived = dayPath(replan.dirs, 'archive', 'ticks', DAY, 'zst');
    expect(via).toBe(`moved to ${archived} while the query ran: decompressed into memory`);
  });

  it('checks a moved day against its record as it is now, and names a day that is gone', async () => {
    const damaged = await treeWith('archive', { state: 'archived', zstSha256: 'e'.repeat(64) });
    const planned = { ...source, path: dayPath(damaged.dirs, 'db', 'ticks', DAY, 'zst') };
    const how = { mode: 'memory', tmpPath: tmpEntryPath(cache, source.sha256 ?? '') } as const;
    await expect(run(task(planned, how, damaged, false))).rejects.toThrow(
      /has SHA-256 [0-9a-f]{64}, not the recorded e{64}/,
    );
    const purged = await treeWith(undefined, { state: 'purged', purgedAt: '2026-03-11T00:00:00Z' });
    await expect(
      run(task({ ...planned, path: dayPath(purged.dirs, 'db', 'ticks', DAY, 'zst') }, how, purged, false)),
    ).rejects.toThrow(/^its file was moved while the query ran, and now purged on 2026-03-11/);
    expect(readdirSync(cache.dir)).toEqual([]);
  });

  it('reads a day whose cache entry another query evicted before SQLite opened it, from a scratch copy it deletes', async () => {
    const sha256 = source.sha256 ?? '';
    const entry = entryPath(cache, sha256);
    // Found in the cache by the main thread, gone (evicted by another query) by the time the day runs.
    const how = { mode: 'cache-hit', entry, reverify: false, tmpPath: tmpEntryPath(cache, sha256) } as const;
    const messages: WorkerMessage[] = [];
    const task = {
      source,
      how,
      sql: "SELECT ts FROM ticks WHERE symbol = 'AAPL' ORDER BY ts",
      params: {},
      cache,
      threads: 1,
      batchRows: 1000,
    };
    await runDay(task, { post: (m) => messages.push(m), credit: () => undefined });
    const rows = messages.flatMap((m) => (m.type === 'rows' ? m.rows : []));
    expect(rows).toHaveLength(50);
    expect(rows[0]).toEqual([BigInt('1772582551945187965')]);
    const done = messages.find((m) => m.type === 'done');
    expect(done?.type === 'done' && done.via).toMatch(/scratch copy/);
    expect(readdirSync(cache.dir)).toEqual([]); // the scratch copy is deleted; no entry was made behind its back
  });

  it("an entry that cannot be opened, nor checked (a symbolic-link loop), fails with the open's error, not the check's", async () => {
    const sha256 = source.sha256 ?? '';
    const entry = entryPath(cache, sha256);
    mkdirSync(dirname(entry), { recursive: true });
    symlinkSync(entry, entry);
    const how = { mode: 'cache-hit', entry, reverify: false, tmpPath: tmpEntryPath(cache, sha256) } as const;
    const task = { source, how, sql: 'SELECT 1', params: {}, cache, threads: 1, batchRows: 1000 };
    const failure = await runDay(task, { post: () => undefined, credit: () => undefined }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(failure?.message).toMatch(/unable to open database file/);
    expect(failure?.message).not.toMatch(/ELOOP|stat/);
  });
});
