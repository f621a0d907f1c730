import { parentPort } from 'node:worker_threads';
import type { DayTask, WorkerMessage } from './query-types.js';
import { runDay, toTaskError } from './run-day.js';

/**
 * A query worker: takes one day at a time from the main thread (query-pool.ts) and runs it (run-day.ts). Its credits
 * are an Int32 in shared memory that the main thread raises and notifies as it writes batches out.
 */
function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

function takeCredit(credits: Int32Array): void {
  // Woken by the main thread; the timeout only lets a terminate() in (it interrupts JavaScript, not a long wait).
  while (Atomics.load(credits, 0) <= 0) Atomics.wait(credits, 0, 0, 200);
  Atomics.sub(credits, 0, 1);
}

if (parentPort !== null) {
  parentPort.on('message', (task: DayTask) => {
    const credits = new Int32Array(task.credits);
    runDay(task, { post, credit: () => takeCredit(credits) }).catch((err: unknown) =>
      post({ type: 'error', day: task.source.day, error: toTaskError(err) }),
    );
  });
}
