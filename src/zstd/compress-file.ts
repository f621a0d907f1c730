import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { TickdbError, ioError } from '../errors.js';
import { BackgroundFlusher, assertDistinct, concurrencyFor, openWithSize, readAt, writeAt } from './file-io.js';
import { sealFrame } from './frame-header.js';
import { assertLevel, compressBuffer, nativeMessage } from './native.js';
import { encodeSeekTable, type SeekTableEntry } from './seek-table.js';
import { xxh64Low32Async } from './xxhash64.js';

export const DEFAULT_FRAME_BYTES = 32 * 1024 * 1024;
/** The seekable format's limit on a frame's decompressed size. */
export const MAX_FRAME_BYTES = 1024 * 1024 * 1024;
const MIN_FRAME_BYTES = 1024;
/** Frames are not made smaller than this to even out the work (unless frameBytes itself is smaller). */
const MIN_EVEN_FRAME_BYTES = 1024 * 1024;
/** Compressed bytes written between two background flushes of the output (see compressFile). */
const FLUSH_EVERY_BYTES = 8 * 1024 * 1024;

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
  /** Frames compressed at once (see `concurrencyFor`: capped at libuv's pool size - 1). */
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
}

interface FrameJob {
  inputBytes: number;
  result: Promise<{ frame: Buffer; checksum: number }>;
}

async function compressFrame(
  input: Buffer,
  level: number,
  index: number,
  src: string,
): Promise<{ frame: Buffer; checksum: number }> {
  const [compressed, checksum] = await Promise.all([
    compressBuffer(input, level).catch((err: unknown) => {
      throw new TickdbError(
        'INTERNAL',
        `zstd compression of frame #${index + 1} of ${src} failed: ${nativeMessage(err)}`,
        {
          path: src,
          cause: err,
        },
      );
    }),
    xxh64Low32Async(input),
  ]);
  try {
    return { frame: sealFrame(compressed, input.length, checksum), checksum };
  } catch (err) {
    throw new TickdbError(
      'INTERNAL',
      `zstd produced an unexpected frame #${index + 1} for ${src}: ${nativeMessage(err)}`,
      {
        path: src,
        cause: err,
      },
    );
  }
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
 * be compressed, and later decompressed, in parallel; see `planFrames`), each with its content size and checksum, then
 * a seek table (zstd seekable format) in a skippable frame that `zstd -d` ignores.
 *
 * - `dst` is written exactly as named, created or truncated: the caller passes its `*.tmp` path, renames it after
 *   verifying it (`decompressFile(dst, null, ...)` against `sourceSha256`) and fsyncs the directory.
 * - Up to `concurrencyFor(threads)` frames are compressed at once on libuv's pool while the main thread reads the
 *   next frame and hashes; frames are written in order. Memory stays about threads x frameBytes x 2 (inputs in
 *   flight plus their outputs) plus libzstd's contexts (about 100 MB each at level 19); the file is never held whole.
 * - SHA-256 of the input is computed as it is read, that of the output as it is written; the output is flushed to
 *   disk in the background every 8 MiB written and fsynced before the promise resolves.
 * - Aborting through `signal` rejects with `signal.reason` (an AbortError by default) at the next frame boundary,
 *   leaving a partial `dst` that the caller deletes. Native calls already running finish in the background and
 *   their output is dropped. Any other failure also leaves a partial `dst` for the caller to delete.
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
  const concurrency = concurrencyFor(opts.threads);
  assertDistinct(src, dst);
  const { signal, onProgress } = opts;
  signal?.throwIfAborted();

  const { handle: input, size } = await openWithSize(src);
  let output: FileHandle | undefined;
  let flusher: BackgroundFlusher | undefined;
  try {
    output = await openOutput(dst);
    const out = output;
    // Each frame is flushed once written: dirty data left for the kernel's periodic writeback (after 30 s, in one
    // burst) ends up in a journal commit that a writer's fsync must wait for (measured: 68 ms waits in the writer).
    const flush = new BackgroundFlusher(out, dst, FLUSH_EVERY_BYTES);
    flusher = flush;
    const plan = planFrames(size, frameBytes, concurrency);
    const sourceHash = createHash('sha256');
    const zstHash = createHash('sha256');
    const entries: SeekTableEntry[] = [];
    const inFlight: FrameJob[] = [];
    let readPos = 0;
    let writePos = 0;
    let bytesDone = 0;

    const writeOldest = async (): Promise<void> => {
      const job = inFlight.shift();
      if (job === undefined) return;
      const { frame, checksum } = await job.result;
      signal?.throwIfAborted();
      await writeAt(out, frame, writePos, dst);
      flush.wrote(frame.length);
      zstHash.update(frame);
      writePos += frame.length;
      entries.push({ compressedSize: frame.length, decompressedSize: job.inputBytes, checksum });
      bytesDone += job.inputBytes;
      onProgress?.({ bytesIn: bytesDone, totalBytes: size });
    };

    for (let i = 0; i < plan.frames; i++) {
      signal?.throwIfAborted();
      const want = Math.min(plan.frameBytes, size - readPos);
      const chunk = await readAt(input, readPos, want, src);
      if (chunk.length !== want) {
        throw new TickdbError(
          'IO',
          `${src} shrank while it was being compressed (read ${readPos + chunk.length} of ${size} bytes)`,
          {
            path: src,
          },
        );
      }
      sourceHash.update(chunk);
      readPos += want;
      const result = compressFrame(chunk, opts.level, i, src);
      result.catch(() => undefined); // awaited in order by writeOldest; this keeps an early failure from being "unhandled"
      inFlight.push({ inputBytes: want, result });
      if (inFlight.length >= concurrency) await writeOldest();
    }
    while (inFlight.length > 0) await writeOldest();

    const grown = (await readAt(input, size, 1, src)).length > 0;
    if (grown) {
      throw new TickdbError('IO', `${src} grew while it was being compressed (expected ${size} bytes)`, { path: src });
    }
    const table = encodeSeekTable(entries);
    await writeAt(out, table, writePos, dst);
    zstHash.update(table);
    writePos += table.length;
    await flush.finish();
    return {
      sourceSha256: sourceHash.digest('hex'),
      sourceBytes: size,
      zstSha256: zstHash.digest('hex'),
      zstBytes: writePos,
      frames: entries.length,
    };
  } finally {
    await input.close().catch(() => undefined);
    await flusher?.settle();
    if (output !== undefined) await output.close().catch(() => undefined);
  }
}
