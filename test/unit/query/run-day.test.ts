import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entryPath, tmpEntryPath, type CacheSpec } from '../../../src/query/query-cache.js';
import type { DaySource, WorkerMessage } from '../../../src/query/query-types.js';
import { runDay } from '../../../src/query/run-day.js';
import { compressFile } from '../../../src/zstd/index.js';

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

  it('reads a sealed day that the agent compressed after the plan from its .db.zst, verified, into the cache', async () => {
    const sealed: DaySource = { ...source, kind: 'sealed', path: join(dir, 'compressed-meanwhile.db') };
    const moves = [
      { tier: 'db', path: source.path },
      { tier: 'archive', path: join(dir, 'not-archived.db.zst') },
    ] as const;
    const how = { mode: 'in-place', verifySha256: false } as const;
    const task = { source: sealed, how, moves: [...moves], sql: SQL, params: {}, cache, threads: 1, batchRows: 1000 };
    const { rows, via } = await run(task);
    expect(rows).toHaveLength(50);
    expect(via).toBe(`moved to ${source.path} while the query ran: decompressed into the cache (db)`);
    expect(readdirSync(cache.dir).sort()).toEqual([`${source.sha256}.db`, `${source.sha256}.db.json`]);
  });

  it('reads a compressed day that the agent archived after the plan from the archive, into memory without a cache', async () => {
    const planned = { ...source, path: join(dir, 'archived-meanwhile.db.zst') };
    const how = { mode: 'memory', tmpPath: tmpEntryPath(cache, source.sha256 ?? '') } as const;
    const moves = [
      { tier: 'db' as const, path: join(dir, 'not-here.db.zst') },
      { tier: 'archive' as const, path: source.path },
    ];
    const task = { source: planned, how, moves, sql: SQL, params: {}, cache: undefined, threads: 1, batchRows: 1000 };
    const { rows, via } = await run(task);
    expect(rows).toHaveLength(50);
    expect(via).toBe(`moved to ${source.path} while the query ran: decompressed into memory`);
    // The archived .zst is the same file: checked against its recorded hash, which a damaged record then fails.
    await expect(run({ ...task, source: { ...planned, zstSha256: 'e'.repeat(64) } })).rejects.toThrow(
      /has SHA-256 [0-9a-f]{64}, not the recorded e{64}/,
    );
  });

  it('checks a moved day against its recorded SHA-256, and names a day gone from every place', async () => {
    const sealed: DaySource = { ...source, kind: 'sealed', path: join(dir, 'gone.db'), sha256: 'f'.repeat(64) };
    const how = { mode: 'in-place', verifySha256: false } as const;
    const moves = [{ tier: 'db' as const, path: source.path }];
    const task = { source: sealed, how, moves, sql: SQL, params: {}, cache, threads: 1, batchRows: 1000 };
    await expect(run(task)).rejects.toThrow(/decompresses to SHA-256 [0-9a-f]{64}, not the recorded f{64}/);
    const nowhere = [{ tier: 'archive' as const, path: join(dir, 'purged.db.zst') }];
    await expect(run({ ...task, moves: nowhere })).rejects.toThrow(
      /2026-03-04: .*gone\.db was moved or deleted while the query ran/,
    );
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
});
