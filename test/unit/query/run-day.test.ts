import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryPath, tmpEntryPath, type CacheSpec } from '../../../src/query/query-cache.js';
import type { DaySource, WorkerMessage } from '../../../src/query/query-types.js';
import { runDay } from '../../../src/query/run-day.js';
import { compressFile } from '../../../src/zstd/index.js';

describe('one day of a query', () => {
  let dir: string;
  let cache: CacheSpec;
  let source: DaySource;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickdb-runday-'));
    cache = { dir: join(dir, 'cache'), maxBytes: 1 << 30 };
    mkdirSync(cache.dir);
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
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

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
