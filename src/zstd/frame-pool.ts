import type { Worker } from 'node:worker_threads';
import { TickdbError } from '../errors.js';
import { startWorker } from '../worker-url.js';
import type { FrameFailure, FrameJob, FrameOutput, WorkerMessage, WorkerSetup } from './frame-protocol.js';

/** One worker's buffers, shared with it: valid from an output's arrival until the consumer returns. */
export interface FrameBuffers {
  output: Buffer;
  input: Buffer;
  /** The memory behind `output`, to hand to another thread (a sink, sink.ts). */
  shared: SharedArrayBuffer;
  /** The memory behind `input` (compression: the frame's source bytes, which a hash-only sink reads). */
  sharedInput: SharedArrayBuffer;
}

interface Slot {
  worker: Worker;
  buffers: FrameBuffers;
  released: Int32Array;
}

/** A job and what the pool needs from it: the caller's own fields travel along to the consumer. */
export type Consumer = (out: FrameOutput, buffers: FrameBuffers) => void | Promise<void>;
export type FailureHandler = (failure: FrameFailure) => Error;

function startSlot(setup: WorkerSetup): Promise<Slot> {
  const worker = startWorker('zstd-worker.js', import.meta.url, { workerData: setup });
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new TickdbError('INTERNAL', `zstd worker failed to start: ${err.message}`, { cause: err }));
    };
    worker.once('error', onError);
    worker.once('message', (msg: WorkerMessage) => {
      worker.off('error', onError);
      if (msg.type !== 'ready') {
        reject(new TickdbError('INTERNAL', `zstd worker sent ${msg.type} before it was ready`));
        return;
      }
      resolve({
        worker,
        buffers: {
          output: Buffer.from(msg.output),
          input: Buffer.from(msg.input),
          shared: msg.output,
          sharedInput: msg.input,
        },
        released: new Int32Array(msg.control),
      });
    });
  });
}

/**
 * Worker threads that compress or decode zstd frames (zstd-worker.ts), one frame each at a time, with the outputs
 * handed to a consumer strictly in job order on the calling thread. Each worker has its own libzstd context and
 * reuses its buffers for every frame, so memory stays flat however many frames a file has: threads x (context +
 * input + output buffers). Worker threads inherit the nice value of the thread that starts them (the agent's).
 */
export class FramePool {
  private constructor(private readonly slots: Slot[]) {}

  /** Starts `threads` workers (all at once: a worker takes tens of milliseconds to start). */
  static async start(setup: WorkerSetup, threads: number): Promise<FramePool> {
    const started = await Promise.allSettled(Array.from({ length: threads }, () => startSlot(setup)));
    const slots = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      for (const slot of slots) void slot.worker.terminate();
      throw failed.reason;
    }
    return new FramePool(slots);
  }

  get size(): number {
    return this.slots.length;
  }

  /**
   * Runs `jobs` (indices 0, 1, 2, ... in order) on the workers and calls `consume` for each output in job order,
   * one at a time; a worker gets its next job once its output has been consumed. Rejects with the first failure
   * (mapped by `onFailure`), the consumer's error, or `signal.reason` as soon as the signal aborts.
   */
  run(
    jobs: AsyncIterator<FrameJob>,
    consume: Consumer,
    onFailure: FailureHandler,
    signal?: AbortSignal,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const pending = new Map<number, { slot: Slot; out: FrameOutput }>();
      let next = 0;
      let busy = 0;
      let exhausted = false;
      let settled = false;
      let consuming = false;
      const listeners: (() => void)[] = [];
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        for (const off of listeners) off();
        if (err === undefined) resolve();
        else reject(err);
      };
      const maybeDone = (): void => {
        if (exhausted && busy === 0 && pending.size === 0) finish();
      };
      const give = async (slot: Slot): Promise<void> => {
        let job: IteratorResult<FrameJob>;
        try {
          job = await jobs.next();
        } catch (err) {
          // Settled here, in the same turn: a later call of next() on the failed iterator reports it done.
          finish(err);
          return;
        }
        if (settled) return;
        if (job.done === true) {
          exhausted = true;
          maybeDone();
          return;
        }
        busy++;
        slot.worker.postMessage(job.value);
      };
      const pump = async (): Promise<void> => {
        if (consuming) return;
        consuming = true;
        try {
          for (let ready = pending.get(next); ready !== undefined && !settled; ready = pending.get(next)) {
            pending.delete(next);
            await consume(ready.out, ready.slot.buffers);
            if (ready.out.last) {
              next++;
              busy--;
              await give(ready.slot);
            } else {
              Atomics.store(ready.slot.released, 0, 1);
              Atomics.notify(ready.slot.released, 0);
            }
          }
          maybeDone();
        } catch (err) {
          finish(err);
        } finally {
          consuming = false;
        }
        if (pending.has(next) && !settled) void pump();
      };
      for (const slot of this.slots) {
        const onMessage = (msg: WorkerMessage): void => {
          if (msg.type === 'failure') finish(onFailure(msg));
          else if (msg.type === 'output') {
            pending.set(msg.index, { slot, out: msg });
            void pump();
          }
        };
        const onError = (err: Error): void =>
          finish(new TickdbError('INTERNAL', `zstd worker failed: ${err.message}`, { cause: err }));
        const onExit = (code: number): void => finish(new TickdbError('INTERNAL', `zstd worker exited with ${code}`));
        slot.worker.on('message', onMessage);
        slot.worker.on('error', onError);
        slot.worker.on('exit', onExit);
        listeners.push(() => {
          slot.worker.off('message', onMessage);
          slot.worker.off('error', onError);
          slot.worker.off('exit', onExit);
        });
      }
      if (signal !== undefined) {
        const onAbort = (): void => finish(signal.reason);
        if (signal.aborted) {
          onAbort();
          return;
        }
        signal.addEventListener('abort', onAbort, { once: true });
        listeners.push(() => signal.removeEventListener('abort', onAbort));
      }
      for (const slot of this.slots) give(slot).catch(finish);
    });
  }

  /**
   * Stops the workers and waits until they have: a worker inside a native call stops when the call returns (one
   * compression step of 4 MiB, or one frame's decoding), after which it no longer reads the caller's file.
   */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate().catch(() => undefined)));
  }
}
