import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, sqliteError } from '../sqlite/open-database.js';
import { readDayTable } from './day-columns.js';
import { type RowBatch, readBatches } from './day-batches.js';
import { summarizeSqlite } from './day-summary.js';
import type { WorkerMessage, WorkerRequest } from './worker-protocol.js';

/**
 * The export's second thread (DESIGN 15): `summary` computes SQLite's own summary of the day, `batches` reads the
 * day's rows in export order and posts them one row group at a time (the typed arrays are transferred, not
 * copied), at most `ahead` row groups ahead of the writer, which answers `more` for each it takes. Each runs in
 * its own worker with its own read-only connection, beside the writer on the main thread.
 */
const req = workerData as WorkerRequest;
const port = parentPort;

function post(m: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(m, transfer);
}

function buffersOf(batch: RowBatch): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of batch.values) if (ArrayBuffer.isView(v)) out.add(v.buffer as ArrayBuffer);
  return [...out];
}

async function run(): Promise<void> {
  const db = openDatabase(req.path, { readonly: true });
  try {
    const table = readDayTable(db, req.path, req.table, req.timestampColumn, req.symbolColumn);
    if (req.op === 'summary') {
      post({ type: 'summary', summary: summarizeSqlite(db, table, req.path) });
      return;
    }
    let credit = req.ahead;
    let wake: (() => void) | undefined;
    port?.on('message', () => {
      credit++;
      wake?.();
    });
    for (const batch of readBatches(db, table, req.batchRows)) {
      while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
      credit--;
      post({ type: 'batch', batch }, buffersOf(batch));
    }
    post({ type: 'end' });
  } finally {
    db.close();
  }
}

run()
  .catch((err: unknown) => {
    const e = sqliteError(`export ${req.op} of`, req.path, err);
    post({ type: 'error', error: { code: e.code, message: e.message, path: e.path, hint: e.hint } });
  })
  .finally(() => port?.close());
