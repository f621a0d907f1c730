/**
 * A frame worker (worker thread): compresses or decodes one zstd frame at a time with the synchronous native
 * binding, into buffers shared with the main thread and reused for every frame (engine.ts explains why). It reads
 * its own input from the file descriptor that the main thread opened; the main thread only orders, hashes and writes.
 */
import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { errnoOf } from '../errors.js';
import { zstdBinding } from './engine.js';
import type { FrameFailure, FrameJob, FrameOutput, WorkerReady, WorkerSetup } from './frame-protocol.js';

/** Input handed to the compressor per call: between two calls the worker can be terminated (an abort). */
const COMPRESS_STEP_BYTES = 4 * 1024 * 1024;

const setup = workerData as WorkerSetup;
const port = parentPort;
if (port === null) throw new Error('zstd-worker.js runs as a worker thread only');
const zstd = zstdBinding();

const output = new SharedArrayBuffer(setup.mode === 'compress' ? zstd.compressBound(setup.slotBytes) : setup.slotBytes);
const input = new SharedArrayBuffer(setup.mode === 'compress' ? setup.slotBytes : 0);
const control = new SharedArrayBuffer(4);
const out = Buffer.from(output);
const sharedIn = Buffer.from(input);
const released = new Int32Array(control);
let compressedIn = Buffer.alloc(0);

const cctx = setup.mode === 'compress' ? new zstd.CCtx() : undefined;
if (cctx !== undefined) {
  cctx.setParameter(zstd.CParameter.compressionLevel, setup.level);
  cctx.setParameter(zstd.CParameter.checksumFlag, 1);
  cctx.setParameter(zstd.CParameter.contentSizeFlag, 1);
}
const dctx = setup.mode === 'decompress' ? new zstd.DCtx() : undefined;

class Failure extends Error {
  constructor(
    readonly stage: FrameFailure['stage'],
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

function readFully(into: Buffer, length: number, position: number): number {
  let done = 0;
  try {
    while (done < length) {
      const n = readSync(setup.fd, into, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
  } catch (err) {
    throw new Failure('read', err instanceof Error ? err.message : String(err), errnoOf(err));
  }
  return done;
}

function post(message: FrameOutput): void {
  port?.postMessage(message);
}

function compress(job: FrameJob, ctx: NonNullable<typeof cctx>): void {
  const got = readFully(sharedIn, job.length, job.offset);
  ctx.reset(zstd.ResetDirective.sessionOnly);
  ctx.setPledgedSrcSize(got);
  let inAt = 0;
  let outAt = 0;
  for (;;) {
    const end = Math.min(got, inAt + COMPRESS_STEP_BYTES);
    const last = end === got;
    const directive = last ? zstd.EndDirective.end : zstd.EndDirective.continue;
    const [remaining, produced, consumed] = ctx.compressStream2(
      out.subarray(outAt),
      sharedIn.subarray(inAt, end),
      directive,
    );
    outAt += produced;
    inAt += consumed;
    if (last && inAt === got && remaining === 0) break;
    if (outAt === out.length) throw new Failure('zstd', 'compressed frame larger than compressBound');
  }
  post({ type: 'output', index: job.index, bytes: outAt, inputBytes: got, last: true });
}

function decompress(job: FrameJob, ctx: NonNullable<typeof dctx>): void {
  if (compressedIn.length < job.length) compressedIn = Buffer.allocUnsafe(job.length);
  const got = readFully(compressedIn, job.length, job.offset);
  if (got < job.length) throw new Failure('truncated', `ends past end of file (read ${got} of ${job.length} bytes)`);
  const src = compressedIn.subarray(0, got);
  ctx.reset(zstd.ResetDirective.sessionOnly);
  let inAt = 0;
  let outAt = 0;
  for (;;) {
    const [hint, produced, consumed] = ctx.decompressStream(out.subarray(outAt), src.subarray(inAt));
    outAt += produced;
    inAt += consumed;
    if (hint === 0) {
      if (inAt < got) throw new Failure('trailing', `${got - inAt} bytes after the end of the frame`);
      post({ type: 'output', index: job.index, bytes: outAt, inputBytes: got, last: true });
      return;
    }
    if (outAt === out.length) {
      // The output buffer is full: hand it over and wait until the main thread has consumed it.
      Atomics.store(released, 0, 0);
      post({ type: 'output', index: job.index, bytes: outAt, inputBytes: inAt, last: false });
      Atomics.wait(released, 0, 0);
      outAt = 0;
    } else if (inAt === got || (produced === 0 && consumed === 0)) {
      throw new Failure('truncated', 'the frame is incomplete');
    }
  }
}

port.on('message', (job: FrameJob) => {
  try {
    if (cctx !== undefined) compress(job, cctx);
    else if (dctx !== undefined) decompress(job, dctx);
  } catch (err) {
    const failure: FrameFailure = {
      type: 'failure',
      index: job.index,
      stage: err instanceof Failure ? err.stage : 'zstd',
      message: err instanceof Error ? err.message : String(err),
      code: err instanceof Failure ? err.code : undefined,
    };
    port.postMessage(failure);
  }
});

const ready: WorkerReady = { type: 'ready', output, input, control };
port.postMessage(ready);
