import { open, type FileHandle } from 'node:fs/promises';
import { TickdbError, ioError } from '../errors.js';
import type { ZstdProgress } from './compress-file.js';
import { BackgroundFlusher, assertDistinct, effectiveThreads, openWithSize } from './file-io.js';
import type { FrameFailure, FrameJob } from './frame-protocol.js';
import { FramePool } from './frame-pool.js';
import { scanFrames, type FrameSpan } from './frame-scan.js';
import { readSeekTableFrom } from './seek-table.js';
import { Sink } from './sink.js';

export interface DecompressOptions {
  /** Frames decoded at once, on as many worker threads (capped at the core count, see `effectiveThreads`). */
  threads: number;
  signal?: AbortSignal;
  /**
   * Flush `dst` to disk before resolving (default false). Every caller so far writes a scratch or investigation
   * copy, never the only copy of anything; one that writes a file the tree depends on passes true.
   */
  fsync?: boolean;
  /**
   * Most decoded bytes a worker hands over at once (default: the largest frame of the seek table, at most 64 MiB;
   * 32 MiB for a file without one). A frame larger than this is decoded in several pieces.
   */
  bufferBytes?: number;
  /** bytesIn and totalBytes count bytes of the .zst file. */
  onProgress?: (p: ZstdProgress) => void;
}

export interface DecompressResult {
  /** SHA-256 of the decompressed content. */
  sha256: string;
  bytes: number;
  /** zstd frames decoded (skippable frames, such as the seek table, not counted). */
  frames: number;
  /** Worker threads that decoded them. */
  threads: number;
}

/** Most decoded bytes a worker hands over at once; a larger frame (made by the CLI) is decoded in several pieces. */
const MAX_SLOT_BYTES = 64 * 1024 * 1024;
/** The slot for files without a seek table, whose frame sizes are not known in advance. */
const SCAN_SLOT_BYTES = 32 * 1024 * 1024;

/** A zstd frame of the file, to decode as one job. */
interface Piece {
  offset: number;
  length: number;
  number: number;
  expectedBytes: number | undefined;
}

function corrupt(path: string, what: string, cause?: unknown): TickdbError {
  return new TickdbError('CORRUPT', `corrupt .zst: ${what}: ${path}`, {
    path,
    hint: 'the file was left as it is; quarantine it and restore the day from its backup or another copy',
    cause,
  });
}

/** The frames listed by the seek table, in order; the table's own skippable frame is not listed. */
async function* piecesFromSeekTable(
  entries: { compressedSize: number; decompressedSize: number }[],
): AsyncGenerator<Piece> {
  let offset = 0;
  let number = 0;
  for (const e of entries) {
    number++;
    yield { offset, length: e.compressedSize, number, expectedBytes: e.decompressedSize };
    offset += e.compressedSize;
  }
}

/** The zstd frames found by walking headers (files made by the `zstd` CLI); skippable frames are left out. */
async function* piecesFromScan(fh: FileHandle, size: number, path: string): AsyncGenerator<Piece> {
  for await (const span of scanFrames(fh, size, path)) {
    if (span.kind === 'zstd') yield pieceOf(span);
  }
}

function pieceOf(span: FrameSpan): Piece {
  return { offset: span.offset, length: span.length, number: span.number, expectedBytes: span.contentSize };
}

function decodeFailure(path: string, piece: Piece, failure: FrameFailure): TickdbError {
  const where = `frame ${piece.number} (offset ${piece.offset}, ${piece.length} bytes)`;
  switch (failure.stage) {
    case 'read':
      return ioError('read', path, Object.assign(new Error(failure.message), { code: failure.code }));
    case 'truncated':
      return corrupt(path, `truncated: ${where} ${failure.message}`);
    case 'trailing':
      return corrupt(path, `${where} ends early: ${failure.message}`);
    case 'zstd':
      if (/too much memory/i.test(failure.message)) {
        // Not damage: a window over libzstd's default limit of 128 MiB (made with `zstd --long=28` or more).
        return new TickdbError('CORRUPT', `unsupported .zst: ${where} does not decode: ${failure.message}: ${path}`, {
          path,
          hint: 'the frame needs a window over 128 MiB (zstd --long=28 or more); decompress it with `zstd -d --long=31`',
        });
      }
      return corrupt(path, `${where} does not decode: ${failure.message}`);
  }
}

/**
 * Decompresses the .zst `src` into `dst`, or, when `dst` is null, only computes the SHA-256 and size of its
 * content (how a freshly written .zst is verified against its source's hash without writing anything).
 *
 * - Files made by tickdb (seek table present) are split by the seek table; other files (made by the `zstd`
 *   CLI: one frame, possibly without a content size; or several frames from `cat a.zst b.zst`) are split by
 *   walking frame and block headers (frame-scan.ts). Either way frames are decoded on `effectiveThreads(threads)`
 *   worker threads (frame-pool.ts), each into its own reused buffer, and hashed and written in order by a
 *   sink thread (sink-worker.ts): the main thread only hands buffers along.
 * - Memory is flat: per thread, a frame's compressed bytes and a buffer of its decoded size (at most 64 MiB;
 *   32 MiB for files without a seek table). A larger frame, such as a whole day made by the CLI as one frame
 *   (`zstd -19 day.db`, the older scripts), is decoded and handed over a buffer at a time.
 * - Each frame's content checksum is verified by libzstd when the frame has one (tickdb's always do), and its
 *   size is checked against the header or seek table. A zero-byte, truncated, damaged or non-zstd file is a
 *   TickdbError CORRUPT naming `src` and what is wrong; nothing is deleted.
 * - `dst` is created or truncated; with `fsync`, it is flushed as it is written and fsynced before the promise
 *   resolves (without, it is left to the page cache, like the output of `zstd -d`). On failure or abort
 *   (rejecting with `signal.reason`) a partial `dst` is left for the caller to delete. Write errors name `dst`
 *   (NO_SPACE for ENOSPC).
 */
export async function decompressFile(
  src: string,
  dst: string | null,
  opts: DecompressOptions,
): Promise<DecompressResult> {
  const threads = effectiveThreads(opts.threads);
  assertDistinct(src, dst);
  const { signal, onProgress } = opts;
  signal?.throwIfAborted();
  const { handle: input, size } = await openWithSize(src);
  let output: FileHandle | undefined;
  let flusher: BackgroundFlusher | undefined;
  let pool: FramePool | undefined;
  let sink: Sink | undefined;
  try {
    if (size === 0) throw corrupt(src, 'empty file (0 bytes), not a zstd stream');
    const table = await readSeekTableFrom(input, size, src);
    const pieces = table !== undefined ? piecesFromSeekTable(table.entries) : piecesFromScan(input, size, src);
    const largest =
      table === undefined
        ? SCAN_SLOT_BYTES
        : Math.min(MAX_SLOT_BYTES, Math.max(1, ...table.entries.map((e) => e.decompressedSize)));
    const slotBytes = opts.bufferBytes ?? largest;
    const workers = table === undefined ? threads : Math.max(1, Math.min(threads, table.entries.length));
    const starting = FramePool.start({ mode: 'decompress', fd: input.fd, level: 0, slotBytes }, workers);
    if (dst !== null) {
      // Opened while the workers start.
      try {
        output = await open(dst, 'w', 0o644);
      } catch (err) {
        await starting.then(
          (started) => started.close(),
          () => undefined,
        );
        throw ioError('open', dst, err);
      }
    }
    sink = Sink.start(output?.fd ?? null, dst ?? src);
    pool = await starting;
    const out = output;
    if (out !== undefined && dst !== null && opts.fsync === true) flusher = new BackgroundFlusher(out, dst);
    const hashed = sink;
    const byIndex = new Map<number, Piece>();
    let frames = 0;
    let frameBytes = 0;
    let bytesIn = 0;

    async function* jobs(): AsyncGenerator<FrameJob> {
      let index = 0;
      for await (const piece of pieces) {
        byIndex.set(index, piece);
        yield { index, offset: piece.offset, length: piece.length };
        index++;
      }
    }
    const pieceOf = (index: number): Piece => {
      const piece = byIndex.get(index);
      if (piece === undefined) throw new TickdbError('INTERNAL', `no frame #${index} in ${src}`, { path: src });
      return piece;
    };
    await pool.run(
      jobs(),
      async (decoded, buffers) => {
        const piece = pieceOf(decoded.index);
        await hashed.consume(buffers.shared, decoded.bytes);
        flusher?.wrote(decoded.bytes);
        frameBytes += decoded.bytes;
        if (!decoded.last) return;
        if (piece.expectedBytes !== undefined && frameBytes !== piece.expectedBytes) {
          throw corrupt(
            src,
            `frame ${piece.number} (offset ${piece.offset}) decodes to ${frameBytes} bytes, its header or seek table says ${piece.expectedBytes}`,
          );
        }
        frameBytes = 0;
        frames++;
        byIndex.delete(decoded.index);
        bytesIn = piece.offset + piece.length;
        onProgress?.({ bytesIn, totalBytes: size });
      },
      (failure) => decodeFailure(src, pieceOf(failure.index), failure),
      signal,
    );
    const { sha256, bytes } = await hashed.digest();
    await flusher?.finish();
    if (bytesIn < size) onProgress?.({ bytesIn: size, totalBytes: size });
    return { sha256, bytes, frames, threads: pool.size };
  } finally {
    await Promise.all([pool?.close(), sink?.close()]);
    await input.close().catch(() => undefined);
    await flusher?.settle();
    if (output !== undefined) await output.close().catch(() => undefined);
  }
}
