import type { Worker } from 'node:worker_threads';
import { TickdbError } from '../errors.js';
import { startWorker } from '../worker-url.js';
import type { RowBatch } from './day-batches.js';
import type { DaySummary } from './day-summary.js';
import type { WorkerMessage, WorkerRequest } from './worker-protocol.js';

export type ReadRequest = Omit<WorkerRequest, 'op'>;

function start(req: WorkerRequest): Worker {
  return startWorker('export-worker.js', import.meta.url, { workerData: req });
}

function failed(req: WorkerRequest, m: WorkerMessage | Error | number): TickdbError {
  if (typeof m === 'number')
    return new TickdbError('INTERNAL', `export ${req.op} worker exited with ${m} on ${req.path}`, { path: req.path });
  if (m instanceof Error)
    return new TickdbError('INTERNAL', `export ${req.op} worker failed on ${req.path}: ${m.message}`, {
      path: req.path,
      cause: m,
    });
  if (m.type === 'error') return new TickdbError(m.error.code, m.error.message, m.error);
  return new TickdbError('INTERNAL', `export ${req.op} worker posted ${m.type} unasked`, { path: req.path });
}

/** SQLite's summary of the day (day-summary.ts), computed in a worker thread beside the export's reading. */
export function summaryInWorker(r: ReadRequest): Promise<DaySummary> {
  const req: WorkerRequest = { ...r, op: 'summary' };
  return new Promise((resolve, reject) => {
    const worker = start(req);
    let settled = false;
    const settle = (m: WorkerMessage | Error | number): void => {
      if (settled) return;
      settled = true;
      if (typeof m === 'object' && !(m instanceof Error) && m.type === 'summary') resolve(m.summary);
      else reject(failed(req, m));
    };
    worker.once('message', settle);
    worker.once('error', settle);
    worker.once('exit', settle);
  });
}

/**
 * The day's row groups, read in export order by a worker thread (export-worker.ts) while the caller encodes the
 * previous ones: at most `ahead` of them wait in memory. Stopping early (the writer failed) ends the worker.
 */
export async function* batchesInWorker(r: ReadRequest): AsyncGenerator<RowBatch> {
  const req: WorkerRequest = { ...r, op: 'batches' };
  const worker = start(req);
  const queue: (WorkerMessage | Error | number)[] = [];
  let wake: (() => void) | undefined;
  const push = (m: WorkerMessage | Error | number): void => {
    queue.push(m);
    wake?.();
  };
  worker.on('message', push);
  worker.on('error', push);
  worker.on('exit', push);
  try {
    for (;;) {
      const m = queue.shift();
      if (m === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      if (typeof m === 'object' && !(m instanceof Error) && m.type === 'end') return;
      if (typeof m !== 'object' || m instanceof Error || m.type !== 'batch') throw failed(req, m);
      worker.postMessage('more');
      yield m.batch;
    }
  } finally {
    worker.off('exit', push);
    await worker.terminate();
  }
}
