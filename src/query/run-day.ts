import { unlink } from 'node:fs/promises';
import type Database from 'better-sqlite3';
import { TickdbError, isTickdbError } from '../errors.js';
import { openDatabase, openDatabaseBytes } from '../sqlite/open-database.js';
import { prepareQuery } from './check-statement.js';
import { materializeFor } from './materialize.js';
import { fileGone, replannedSource, vanished } from './replan-day.js';
import type { DayTask, SqlValue, TaskError, WorkerMessage } from './query-types.js';
import { verifiedDay, type VerifiedDay } from './verified-day.js';

/**
 * One day of a query, wherever it runs: on a worker thread (query-worker.ts) or on the main thread (query-pool.ts,
 * for days that need no decompression). It gets the day's verified database (verified-day.ts), runs the statement on
 * a read-only connection with exact integers, and posts the rows in batches, each against a credit that the output
 * returns once it has written a batch: a day ahead of the output waits instead of filling memory.
 */
export interface DayChannel {
  post(message: WorkerMessage): void;
  /** Takes a credit, waiting for one (a worker blocks; the main thread awaits). */
  credit(): void | Promise<void>;
}

export type DayWork = Omit<DayTask, 'credits'>;

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
 * The day's database, opened. The agent may have compressed, archived, uploaded or purged the day since the
 * query's plan: a day whose file is gone is planned again where it is now (replan-day.ts), at most three times.
 */
async function openDay(task: DayWork): Promise<{ db: Database.Database; day: VerifiedDay }> {
  try {
    return await openFrom(task);
  } catch (err) {
    if (task.replan === undefined || !(await vanished(task.source))) throw err;
  }
  for (let attempt = 1; ; attempt++) {
    const source = await replannedSource(task.replan, task.source.day);
    const how = await materializeFor(source, task.cache, task.verifyContent === true);
    try {
      const { db, day } = await openFrom({ ...task, source, how });
      return { db, day: { ...day, via: `moved to ${source.path} while the query ran: ${day.via}` } };
    } catch (err) {
      if (attempt >= 3 || !(await vanished(source))) throw err;
    }
  }
}

/**
 * The day's database, opened from the task's source. A cache entry can be evicted by another query between the
 * moment it is found (or renamed into place) and the moment SQLite opens it; once open, the descriptor keeps it
 * readable. A day whose entry vanished that way is decoded again into a scratch copy of this query's own (verified,
 * outside the cache, deleted after use), which no other query deletes: the second attempt does not depend on the
 * other queries.
 */
async function openFrom(task: DayWork): Promise<{ db: Database.Database; day: VerifiedDay }> {
  const { source, how, cache, threads, config } = task;
  const verifyContent = task.verifyContent === true;
  const day = await verifiedDay(source, how, cache, threads, config, verifyContent);
  try {
    return { db: await openOrDelete(day), day };
  } catch (err) {
    const evicted = day.kind === 'path' && 'entry' in how && day.path === how.entry && (await fileGone(day.path));
    if (!evicted || !('tmpPath' in how)) throw err;
    const scratch = { mode: 'decompress', tmpPath: how.tmpPath, entry: undefined } as const;
    const copy = await verifiedDay(source, scratch, cache, threads, config, verifyContent);
    return { db: await openOrDelete(copy), day: copy };
  }
}

/** Opens the day; a temporary copy that cannot be opened is deleted, not left for the next query to find. */
async function openOrDelete(day: VerifiedDay): Promise<Database.Database> {
  try {
    return open(day);
  } catch (err) {
    if (day.kind === 'path' && day.temporary === true) await unlink(day.path).catch(() => undefined);
    throw err;
  }
}

/** Runs one day, posting `columns`, its `rows` batches and `done`; throws what fails (see toTaskError). */
export async function runDay(task: DayWork, channel: DayChannel): Promise<void> {
  const started = performance.now();
  const { day } = task.source;
  const { db, day: opened } = await openDay(task);
  try {
    if (opened.quickCheck === true) quickCheck(db, task.source.path);
    const stmt = prepareQuery(db, task.sql, task.params).safeIntegers(true).raw(true);
    channel.post({ type: 'columns', day, names: stmt.columns().map((c) => c.name) });
    let batch: SqlValue[][] = [];
    let rows = 0;
    for (const row of stmt.iterate() as IterableIterator<SqlValue[]>) {
      batch.push(row);
      if (batch.length >= task.batchRows) {
        await channel.credit();
        channel.post({ type: 'rows', day, rows: batch });
        rows += batch.length;
        batch = [];
      }
    }
    if (batch.length > 0) {
      await channel.credit();
      channel.post({ type: 'rows', day, rows: batch });
      rows += batch.length;
    }
    channel.post({ type: 'done', day, rows, via: opened.via, ms: performance.now() - started });
  } finally {
    db.close();
    if (opened.kind === 'path' && opened.temporary === true) await unlink(opened.path).catch(() => undefined);
  }
}

export function toTaskError(err: unknown): TaskError {
  if (isTickdbError(err)) return { code: err.code, message: err.message, path: err.path, hint: err.hint };
  const sqliteCode = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return { code: typeof sqliteCode === 'string' && /CORRUPT|NOTADB/.test(sqliteCode) ? 'CORRUPT' : 'IO', message };
}
