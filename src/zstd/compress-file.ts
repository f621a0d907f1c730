import { open, type FileHandle } from 'node:fs/promises';
import { TickdbError, ioError } from '../errors.js';
import { assertLevel } from './engine.js';
import { assertDistinct, effectiveThreads, fsyncFile, openWithSize, readAt } from './file-io.js';
import type { FrameFailure, FrameJob } from './frame-protocol.js';
import { FramePool } from './frame-pool.js';
import { encodeSeekTable, type SeekTableEntry } from './seek-table.js';
import { Sink } from './sink.js';

export const DEFAULT_FRAME_BYTES = 32 * 1024 * 1024;
/** The seekable format's limit on a frame's decompressed size. */
export const MAX_FRAME_BYTES = 1024 * 1024 * 1024;
const MIN_FRAME_BYTES = 1024;
/** Frames are not made smaller than this to even out the work (unless frameBytes itself is smaller). */
const MIN_EVEN_FRAME_BYTES = 1024 * 1024;
/**
 * Compressed bytes written before the sink fdatasyncs the .zst: it is written on the disk the trading engine writes
 * to, over about a minute, beside the engine's own fsyncs.
 *
 * The engine's own fsyncs (its WAL checkpoints) queue behind whatever data of ours is being flushed: the smaller
 * each flush, the shorter the worst queue. Measured on the 2-core test VM (virtio disk) with a writer
 * checkpointing on its insert path (3.5-5 ms per checkpoint alone): a job writing 70 MB in 8.7 MiB pieces, each
 * fdatasynced (up to 9.2 ms each), raised the writer's longest wait to 18.3 ms in one run of two; in 1 MiB pieces
 * (at most 1.6-3.9 ms each) it stayed within the writer-alone controls in both. In `tickdb compress` itself the
 * effect is lost in that VM's noise (docs/performance.md, "Seventh session"). The price: one fdatasync per MiB, a
 * few ms of a background job's time each. The backup copy (8 MiB, ../fs/copy-verified.ts, also used for a NAS) and
 * `decompress --sync` (32 MiB in the background) keep their coarser flushes: pacing them was not measured here, and
 * pacing decompression at 8 MiB once cost 14% of its time.
 */
export const SYNC_EVERY_BYTES = 1 << 20;

export interface FramePlan {
  /** Input bytes per frame (the last frame may be shorter). */
  frameBytes: number;
  frames: number;
}

/**
 * How `size` bytes are cut into frames of at most `maxFrameBytes`, evened out across `concurrency` threads: the
 * frame count is rounded up to a multiple of the concurrency and the frames made equal, so that the last round
 * does not leave threads idle (201 MiB in 32 MiB frames on 2 threads: 8 frames of 25.2 MiB, 4 rounds, instead of
 * 6 frames of 32 MiB and one of 9 MiB, 3.3 rounds of the bigger size). Frames are not shrunk below 1 MiB for this.
 */
export function planFrames(size: number, maxFrameBytes: number, concurrency: number): FramePlan {
  if (size === 0) return { frameBytes: maxFrameBytes, frames: 1 };
  const count = Math.ceil(Math.ceil(size / maxFrameBytes) / concurrency) * concurrency;
  const frameBytes = Math.min(
    maxFrameBytes,
    Math.max(Math.ceil(size / count), Math.min(maxFrameBytes, MIN_EVEN_FRAME_BYTES)),
  );
  return { frameBytes, frames: Math.ceil(size / frameBytes) };
}

export interface ZstdProgress {
  /** Bytes of input done so far (for compression: source bytes whose frame is written; for decompression: .zst bytes). */
  bytesIn: number;
  totalBytes: number;
}

export interface CompressOptions {
  /** zstd level, 1..22. */
  level: number;
  /** Frames compressed at once, on as many worker threads (capped at the core count, see `effectiveThreads`). */
  threads: number;
  /** Most bytes of input per frame; default 32 MiB. Frames are evened out across threads (see `planFrames`). */
  frameBytes?: number;
  signal?: AbortSignal;
  onProgress?: (p: ZstdProgress) => void;
}

export interface CompressResult {
  sourceSha256: string;
  sourceBytes: number;
  zstSha256: string;
  zstBytes: number;
  /** zstd frames written (the seek table's skippable frame not counted). */
  frames: number;
  /** Worker threads that compressed them (`effectiveThreads(threads)`, at most one per frame). */
  threads: number;
}

function compressFailure(src: string, failure: FrameFailure): TickdbError {
  if (failure.stage === 'read') {
    return ioError('read', src, Object.assign(new Error(failure.message), { code: failure.code }));
  }
  return new TickdbError(
    'INTERNAL',
    `zstd compression of frame #${failure.index + 1} of ${src} failed: ${failure.message}`,
    { path: src },
  );
}

async function openOutput(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'w', 0o644);
  } catch (err) {
    throw ioError('open', path, err);
  }
}

/**
 * Compresses `src` into `dst` as standard zstd: independent frames of at most `frameBytes` of input each (so they can
 * be compressed, and later decompressed, in parallel; see `planFrames`), each with its content size and checksum
 * (written by libzstd), then a seek table (zstd seekable format) in a skippable frame that `zstd -d` ignores.
 *
 * - `dst` is written exactly as named, created or truncated: the caller passes its `*.tmp` path, renames it after
 *   verifying it (`decompressFile(dst, null, ...)` against `sourceSha256`) and fsyncs the directory.
 * - Frames are compressed on `effectiveThreads(threads)` worker threads (frame-pool.ts), each reading its frame from
 *   the file. Two sink threads (sink.ts) take each frame in order: one hashes its input where the worker read it,
 *   the other hashes the frame and writes it; the main thread only orders them (issue 22: no hashing on the thread
 *   that serves the agent's timers and metrics). Memory stays flat across
 *   frames: per thread, libzstd's context (about 100 MB at level 19) and a reused input and output buffer of
 *   `frameBytes` each; the file is never held whole.
 * - SHA-256 of the input is computed in frame order, that of the output as it is written; the output is flushed to
 *   disk every MiB as it is written (by the sink thread) and fsynced before the promise resolves.
 * - Aborting through `signal` rejects with `signal.reason` (an AbortError by default) at once; the workers stop
 *   within one 4 MiB compression step, leaving a partial `dst` that the caller deletes. Any other failure also
 *   leaves a partial `dst` for the caller to delete.
 * - Read errors name `src`, write and fsync errors name `dst` (ENOSPC/EDQUOT as NO_SPACE), as TickdbError.
 */
export async function compressFile(src: string, dst: string, opts: CompressOptions): Promise<CompressResult> {
  assertLevel(opts.level);
  const frameBytes = opts.frameBytes ?? DEFAULT_FRAME_BYTES;
  if (!Number.isInteger(frameBytes) || frameBytes < MIN_FRAME_BYTES || frameBytes > MAX_FRAME_BYTES) {
    throw new TickdbError(
      'USAGE',
      `frameBytes must be an integer from ${MIN_FRAME_BYTES} to ${MAX_FRAME_BYTES}, got ${frameBytes}`,
    );
  }
  const threads = effectiveThreads(opts.threads);
  assertDistinct(src, dst);
  const { signal, onProgress } = opts;
  signal?.throwIfAborted();

  const { handle: input, size } = await openWithSize(src);
  let output: FileHandle | undefined;
  let pool: FramePool | undefined;
  let sourceSink: Sink | undefined;
  let zstSink: Sink | undefined;
  try {
    output = await openOutput(dst);
    const out = output;
    const plan = planFrames(size, frameBytes, threads);
    // Both hashes run on sink threads, beside each other and the frame workers: the source's (a hash-only sink
    // reading the frame's input where the worker read it) and the .zst's (the sink that also writes the frames).
    const source = Sink.start(null, src);
    // The sink fdatasyncs the output every MiB as it writes it: dirty data left for the kernel's periodic writeback
    // (after 30 s, in one burst) ends up in a journal commit that a writer's fsync must wait for (measured: 68 ms
    // waits in the writer), and a flush per frame leaves a writer's fsync a whole 8.7 MiB to queue behind
    // (SYNC_EVERY_BYTES).
    const zst = Sink.start(out.fd, dst, SYNC_EVERY_BYTES);
    sourceSink = source;
    zstSink = zst;
    pool = await FramePool.start(
      { mode: 'compress', fd: input.fd, level: opts.level, slotBytes: plan.frameBytes },
      Math.min(threads, plan.frames),
    );
    const entries: SeekTableEntry[] = [];
    let writePos = 0;
    let bytesDone = 0;

    async function* jobs(): AsyncGenerator<FrameJob> {
      for (let index = 0; index < plan.frames; index++) {
        const offset = index * plan.frameBytes;
        yield { index, offset, length: Math.min(plan.frameBytes, size - offset) };
      }
    }
    await pool.run(
      jobs(),
      async (made, buffers) => {
        const want = Math.min(plan.frameBytes, size - bytesDone);
        if (made.inputBytes !== want) {
          throw new TickdbError(
            'IO',
            `${src} shrank while it was being compressed (read ${bytesDone + made.inputBytes} of ${size} bytes)`,
            {
              path: src,
            },
          );
        }
        const frame = buffers.output.subarray(0, made.bytes);
        await Promise.all([
          source.consume(buffers.sharedInput, made.inputBytes),
          zst.consume(buffers.shared, made.bytes),
        ]);
        writePos += frame.length;
        // The frame's Content_Checksum (its last 4 bytes) is the low 32 bits of XXH64 of its content: the seek table's.
        entries.push({
          compressedSize: frame.length,
          decompressedSize: made.inputBytes,
          checksum: frame.readUInt32LE(frame.length - 4),
        });
        bytesDone += made.inputBytes;
        onProgress?.({ bytesIn: bytesDone, totalBytes: size });
      },
      (failure) => compressFailure(src, failure),
      signal,
    );

    const grown = (await readAt(input, size, 1, src)).length > 0;
    if (grown) {
      throw new TickdbError('IO', `${src} grew while it was being compressed (expected ${size} bytes)`, { path: src });
    }
    const table = encodeSeekTable(entries);
    const shared = new SharedArrayBuffer(table.length);
    Buffer.from(shared).set(table);
    await zst.consume(shared, table.length);
    writePos += table.length;
    const [sourceDigest, zstDigest] = await Promise.all([source.digest(), zst.digest()]);
    await fsyncFile(out, dst);
    return {
      sourceSha256: sourceDigest.sha256,
      sourceBytes: size,
      zstSha256: zstDigest.sha256,
      zstBytes: writePos,
      frames: entries.length,
      threads: pool.size,
    };
  } finally {
    await Promise.all([pool?.close(), sourceSink?.close(), zstSink?.close()]);
    await input.close().catch(() => undefined);
    if (output !== undefined) await output.close().catch(() => undefined);
  }
}
