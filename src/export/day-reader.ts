import { stat } from 'node:fs/promises';
import { openDatabase, sqliteError } from '../sqlite/open-database.js';
import { type DayTable, readDayTable } from './day-columns.js';
import { type RowBatch, readBatches } from './day-batches.js';
import { type DaySummary, summarizeSqlite } from './day-summary.js';
import { batchesInWorker, summaryInWorker } from './worker-reads.js';

export interface DaySource {
  path: string;
  tableName: string;
  timestampColumn: string;
  symbolColumn: string;
  batchRows: number;
  /** A database at least this large is read on two worker threads; a smaller one on the caller's. */
  threadsFromBytes: number;
}

export interface DayRead {
  table: DayTable;
  /** The rows in export order, one row group per batch; iterate once. */
  batches: AsyncIterable<RowBatch>;
  /** SQLite's own summary of the day (day-summary.ts), to compare with the written file's. */
  summary: Promise<DaySummary>;
}

/**
 * Opens a day for export. From `threadsFromBytes` up, SQLite's summary and the reading of the rows run in two
 * worker threads (export-worker.ts) while the caller encodes: on two cores the three overlap (DESIGN 15). Below it,
 * both run here, one after the other: a worker's start (loading better-sqlite3) costs more than it saves.
 */
export async function openDayRead(src: DaySource): Promise<DayRead> {
  const db = openDatabase(src.path, { readonly: true });
  let keepOpen = false;
  try {
    const table = readDayTable(db, src.path, src.tableName, src.timestampColumn, src.symbolColumn);
    if ((await stat(src.path)).size >= src.threadsFromBytes) {
      const request = { ...src, table: src.tableName, ahead: 2 };
      const summary = summaryInWorker(request);
      summary.catch(() => undefined); // awaited by the caller after the writing; a failure there comes first
      return { table, summary, batches: batchesInWorker(request) };
    }
    const summary = Promise.resolve(summarizeSqlite(db, table, src.path));
    keepOpen = true;
    return { table, summary, batches: closing(db, src.path, readBatches(db, table, src.batchRows)) };
  } catch (err) {
    throw sqliteError('export', src.path, err);
  } finally {
    if (!keepOpen) db.close();
  }
}

async function* closing(db: { close(): void }, path: string, batches: Iterable<RowBatch>): AsyncGenerator<RowBatch> {
  try {
    yield* batches;
  } catch (err) {
    throw sqliteError('export: read', path, err);
  } finally {
    db.close();
  }
}
