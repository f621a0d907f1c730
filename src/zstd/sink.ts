import type { Worker } from 'node:worker_threads';
import { TickdbError, ioError } from '../errors.js';
import { startWorker } from '../worker-url.js';

/** Messages between a decompression and its sink (sink-worker.ts). */
export interface SinkSetup {
  /** The output file, opened by the main thread; null to hash only. */
  fd: number | null;
  /** fdatasync the output each time this many bytes have been written since the last one (none if absent). */
  syncEveryBytes?: number;
}

export type SinkMessage = { type: 'piece'; buffer: SharedArrayBuffer; bytes: number } | { type: 'digest' };
export type SinkReply =
  | { type: 'consumed' }
  | { type: 'digest'; sha256: string; bytes: number }
  | { type: 'failed'; op: 'write' | 'fsync'; message: string; code: string | undefined };

/** The main thread's handle on the sink: one request at a time, answered in order. */
export class Sink {
  private waiting: ((reply: SinkReply) => void) | undefined;
  private broken: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly path: string,
  ) {
    worker.on('message', (reply: SinkReply) => this.answer(reply));
    worker.on('error', (err) =>
      this.fail(new TickdbError('INTERNAL', `sink worker failed: ${err.message}`, { cause: err })),
    );
    worker.on('exit', (code) => this.fail(new TickdbError('INTERNAL', `sink worker exited with ${code}`)));
  }

  /**
   * `path` names the output in errors (or the input, when only hashing). With `syncEveryBytes`, the sink also
   * fdatasyncs the output each time it has written that much (paced flushing, see SYNC_EVERY_BYTES).
   */
  static start(fd: number | null, path: string, syncEveryBytes?: number): Sink {
    const setup: SinkSetup = { fd, ...(syncEveryBytes !== undefined ? { syncEveryBytes } : {}) };
    return new Sink(startWorker('sink-worker.js', import.meta.url, { workerData: setup }), path);
  }

  private answer(reply: SinkReply): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(reply);
  }

  private fail(err: Error): void {
    this.broken ??= err;
    this.answer({ type: 'failed', op: 'write', message: err.message, code: undefined });
  }

  private request(message: SinkMessage): Promise<SinkReply> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.worker.postMessage(message);
    });
  }

  /** Hashes and writes `bytes` of `buffer` after everything handed over before; resolves once it is done. */
  async consume(buffer: SharedArrayBuffer, bytes: number): Promise<void> {
    const reply = await this.request({ type: 'piece', buffer, bytes });
    if (reply.type === 'failed')
      throw this.broken ?? ioError(reply.op, this.path, Object.assign(new Error(reply.message), { code: reply.code }));
  }

  /** The SHA-256 and size of everything consumed. */
  async digest(): Promise<{ sha256: string; bytes: number }> {
    const reply = await this.request({ type: 'digest' });
    if (reply.type !== 'digest')
      throw (
        this.broken ??
        new TickdbError('INTERNAL', `sink failed: ${reply.type === 'failed' ? reply.message : reply.type}`)
      );
    return reply;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate().catch(() => undefined);
  }
}
