import type { ErrorCode } from '../errors.js';
import type { RowBatch } from './day-batches.js';
import type { DaySummary } from './day-summary.js';

/** What an export worker is started with (export-worker.ts). */
export interface WorkerRequest {
  op: 'summary' | 'batches';
  path: string;
  table: string;
  timestampColumn: string;
  symbolColumn: string;
  batchRows: number;
  /** `batches`: row groups read ahead of the writer (memory holds at most ahead + 1 of them). */
  ahead: number;
}

/** What it posts: the summary, the row groups then `end`, or the failure as a TickdbError's fields. */
export type WorkerMessage =
  | { type: 'summary'; summary: DaySummary }
  | { type: 'batch'; batch: RowBatch }
  | { type: 'end' }
  | { type: 'error'; error: { code: ErrorCode; message: string; path: string | undefined; hint: string | undefined } };
