import { TickdbError } from '../errors.js';
import { startWorker } from '../worker-url.js';
import type { InspectRequest, InspectResult } from './inspect-types.js';

export type { InspectResult };

/** Runs a seal or a read-only inspection of a database in a worker thread (off the event loop). */
export function inspectDatabase(
  req: Omit<InspectRequest, 'maxProblems' | 'busyTimeoutMs' | 'statsBesideFromBytes'> & Partial<InspectRequest>,
): Promise<InspectResult> {
  const request: InspectRequest = {
    maxProblems: 20,
    busyTimeoutMs: 20,
    statsBesideFromBytes: 64 * 1024 * 1024,
    ...req,
  };
  return new Promise((resolve, reject) => {
    const worker = startWorker('inspect-worker.js', import.meta.url, { workerData: request });
    let settled = false;
    worker.once('message', (msg: InspectResult) => {
      settled = true;
      resolve(msg);
    });
    worker.once('error', (err) => {
      settled = true;
      reject(
        new TickdbError('INTERNAL', `inspect worker failed on ${request.path}: ${err.message}`, {
          path: request.path,
          cause: err,
        }),
      );
    });
    worker.once('exit', (code) => {
      if (!settled)
        reject(
          new TickdbError('INTERNAL', `inspect worker exited with ${code} on ${request.path}`, { path: request.path }),
        );
    });
  });
}
