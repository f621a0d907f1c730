import { unlink } from 'node:fs/promises';
import { parentPort } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { TickdbError, isTickdbError } from '../errors.js';
import { pathExists } from '../fs/path-exists.js';
import { openDatabase, openDatabaseBytes } from '../sqlite/open-database.js';
import { prepareQuery } from './check-statement.js';
import type { DayTask, SqlValue, TaskError, WorkerMessage } from './query-types.js';
import { verifiedDay, type VerifiedDay } from './verified-day.js';

/**
 * A query worker: takes one day at a time from the main thread (query-pool.ts), gets its verified database
 * (verified-day.ts), runs the statement on a read-only connection with exact integers, and posts the rows in
 * batches. A batch is posted only against a credit that the main thread returns once it has written one out, so a
 * day that is ahead of the output waits here instead of filling memory.
 */
function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

function takeCredit(credits: Int32Array): void {
  // Woken by the main thread; the timeout only lets a terminate() in (it interrupts JavaScript, not a long wait).
  while (Atomics.load(credits, 0) <= 0) Atomics.wait(credits, 0, 0, 200);
  Atomics.sub(credits, 0, 1);
}

function open(day: VerifiedDay): Database.Database {
  const db =
    day.kind === 'bytes'
      ? openDatabaseBytes(day.bytes)
      : openDatabase(day.path, { readonly: true, busyTimeoutMs: 5000 });
  db.pragma('query_only = 1');
  return db;
}

function quickCheck(db: Database.Database, path: string): void {
  const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
  if (rows.length !== 1 || rows[0]?.quick_check !== 'ok') {
    throw new TickdbError('CORRUPT', `${path} fails quick_check: ${rows.map((r) => r.quick_check).join('; ')}`, {
      path,
    });
  }
}

/**
 * The day's database, opened. A cache entry can be evicted by another query between the moment it is found (or
 * renamed into place) and the moment SQLite opens it; once open, the descriptor keeps it readable. A day whose entry
 * vanished that way is decompressed again (twice at most).
 */
async function openDay(task: DayTask): Promise<{ db: Database.Database; day: VerifiedDay }> {
  const { source, cache, threads, config } = task;
  let how = task.how;
  for (let attempt = 1; ; attempt++) {
    const day = await verifiedDay(source, how, cache, threads, config);
    try {
      return { db: open(day), day };
    } catch (err) {
      const vanished = day.kind === 'path' && 'tmpPath' in how && !(await pathExists(day.path));
      if (!vanished || !('tmpPath' in how) || attempt >= 3) throw err;
      how = { mode: 'decompress', tmpPath: how.tmpPath, entry: 'entry' in how ? how.entry : undefined };
    }
  }
}

async function runTask(task: DayTask): Promise<void> {
  const started = performance.now();
  const { day } = task.source;
  const credits = new Int32Array(task.credits);
  const { db, day: opened } = await openDay(task);
  try {
    if (opened.quickCheck === true) quickCheck(db, task.source.path);
    const stmt = prepareQuery(db, task.sql, task.params).safeIntegers(true).raw(true);
    post({ type: 'columns', day, names: stmt.columns().map((c) => c.name) });
    let batch: SqlValue[][] = [];
    let rows = 0;
    for (const row of stmt.iterate() as IterableIterator<SqlValue[]>) {
      batch.push(row);
      if (batch.length >= task.batchRows) {
        takeCredit(credits);
        post({ type: 'rows', day, rows: batch });
        rows += batch.length;
        batch = [];
      }
    }
    if (batch.length > 0) {
      takeCredit(credits);
      post({ type: 'rows', day, rows: batch });
      rows += batch.length;
    }
    post({ type: 'done', day, rows, via: opened.via, ms: performance.now() - started });
  } finally {
    db.close();
    if (opened.kind === 'path' && opened.temporary === true) await unlink(opened.path).catch(() => undefined);
  }
}

function toTaskError(err: unknown): TaskError {
  if (isTickdbError(err)) return { code: err.code, message: err.message, path: err.path, hint: err.hint };
  const sqliteCode = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return { code: typeof sqliteCode === 'string' && /CORRUPT|NOTADB/.test(sqliteCode) ? 'CORRUPT' : 'IO', message };
}

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', (task: DayTask) => {
    runTask(task).catch((err: unknown) => post({ type: 'error', day: task.source.day, error: toTaskError(err) }));
  });
}
