import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { TickdbError, ioError } from '../errors.js';
import type { ZstdProgress } from './compress-file.js';
import { BackgroundFlusher, assertDistinct, concurrencyFor, openWithSize, readAt, writeAtSync } from './file-io.js';
import { ZSTD_MAGIC } from './frame-header.js';
import { scanFrames, type FrameSpan } from './frame-scan.js';
import { decompressBuffer, nativeMessage } from './native.js';
import { readSeekTableFrom } from './seek-table.js';

export interface DecompressOptions {
  /** Frames decompressed at once (capped like compression, see `concurrencyFor`). */
  threads: number;
  signal?: AbortSignal;
  /**
   * Flush `dst` to disk before resolving (default false). Every caller so far writes a scratch or investigation
   * copy, never the only copy of anything; one that writes a file the tree depends on passes true.
   */
  fsync?: boolean;
  /** bytesIn and totalBytes count bytes of the .zst file. */
  onProgress?: (p: ZstdProgress) => void;
}

export interface DecompressResult {
  /** SHA-256 of the decompressed content. */
  sha256: string;
  bytes: number;
  /** zstd frames decoded (skippable frames, such as the seek table, not counted). */
  frames: number;
}

/**
 * Decoded output is hashed and written this much at a time, each slice while it is still in the CPU's cache: the
 * hash reads it from memory once and the copy into the page cache finds it in cache. Hashing a whole 32 MiB frame
 * and then writing it read it from memory twice: on the 214 MiB benchmark day, the kernel's copy was 12% of the
 * command's CPU time before and 2% after, and the command, CPU-bound over both cores, ran about 0.1 s faster.
 */
const SLICE_BYTES = 256 * 1024;

/** A range of the file to decode in one native call. */
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

async function decodePiece(data: Buffer, piece: Piece, path: string): Promise<{ out: Buffer; zstdFrames: number }> {
  const zstdFrames = data.length >= 4 && data.readUInt32LE(0) === ZSTD_MAGIC ? 1 : 0;
  let out: Buffer;
  try {
    out = await decompressBuffer(data);
  } catch (err) {
    const message = nativeMessage(err);
    const what = `frame ${piece.number} (offset ${piece.offset}, ${piece.length} bytes) does not decode: ${message}`;
    if (/too much memory/i.test(message)) {
      // Not damage: a window over libzstd's default limit of 128 MiB (made with `zstd --long=28` or more).
      throw new TickdbError('CORRUPT', `unsupported .zst: ${what}: ${path}`, {
        path,
        hint: 'the frame needs a window over 128 MiB (zstd --long=28 or more); decompress it with `zstd -d --long=31`',
        cause: err,
      });
    }
    throw corrupt(path, what, err);
  }
  if (piece.expectedBytes !== undefined && out.length !== piece.expectedBytes) {
    throw corrupt(
      path,
      `frame ${piece.number} (offset ${piece.offset}) decodes to ${out.length} bytes, its header or seek table says ${piece.expectedBytes}`,
    );
  }
  return { out, zstdFrames };
}

/**
 * Decompresses the .zst `src` into `dst`, or, when `dst` is null, only computes the SHA-256 and size of its
 * content (how a freshly written .zst is verified against its source's hash without writing anything).
 *
 * - Files made by tickdb (seek table present) are split by the seek table; other files (made by the `zstd`
 *   CLI: one frame, possibly without a content size; or several frames from `cat a.zst b.zst`) are split by
 *   walking frame and block headers (frame-scan.ts). Either way up to `concurrencyFor(threads)` frames are
 *   decoded at once on libuv's pool and written in order.
 * - Memory is about threads x (a frame's compressed + decompressed size). The native decoder takes whole frames
 *   only, so a file made by the CLI as ONE frame (`zstd -19 day.db`, the older scripts) needs a buffer of its
 *   whole decompressed size (about 200 MB for a day): accepted for adopted legacy files; tickdb's own files
 *   have 32 MiB frames.
 * - Each frame's content checksum is verified by the decoder when the frame has one (tickdb's always do), and
 *   its size is checked against the header or seek table. A zero-byte, truncated, damaged or non-zstd file is a
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
  const concurrency = concurrencyFor(opts.threads);
  assertDistinct(src, dst);
  const { signal, onProgress } = opts;
  signal?.throwIfAborted();
  const { handle: input, size } = await openWithSize(src);
  let output: FileHandle | undefined;
  let flusher: BackgroundFlusher | undefined;
  try {
    if (size === 0) throw corrupt(src, 'empty file (0 bytes), not a zstd stream');
    const table = await readSeekTableFrom(input, size, src);
    const pieces = table !== undefined ? piecesFromSeekTable(table.entries) : piecesFromScan(input, size, src);
    if (dst !== null) {
      try {
        output = await open(dst, 'w', 0o644);
      } catch (err) {
        throw ioError('open', dst, err);
      }
    }
    const out = output;
    if (out !== undefined && dst !== null && opts.fsync === true) flusher = new BackgroundFlusher(out, dst);
    const hash = createHash('sha256');
    const inFlight: { piece: Piece; result: Promise<{ out: Buffer; zstdFrames: number }> }[] = [];
    let bytes = 0;
    let frames = 0;
    let bytesIn = 0;

    // Keeps `concurrency` frames decoding while the oldest decoded one is hashed and written.
    const iterator = pieces[Symbol.asyncIterator]();
    const startNext = async (): Promise<void> => {
      signal?.throwIfAborted();
      const next = await iterator.next();
      if (next.done === true) return;
      const piece = next.value;
      const data = await readAt(input, piece.offset, piece.length, src);
      if (data.length !== piece.length) {
        throw corrupt(
          src,
          `truncated: frame ${piece.number} ends past end of file (${piece.offset + piece.length} > ${piece.offset + data.length})`,
        );
      }
      const result = decodePiece(data, piece, src);
      result.catch(() => undefined); // awaited in order below; this keeps an early failure from being "unhandled"
      inFlight.push({ piece, result });
    };

    for (let k = 0; k < concurrency; k++) await startNext();
    for (let job = inFlight.shift(); job !== undefined; job = inFlight.shift()) {
      const decoded = await job.result;
      await startNext();
      for (let at = 0; at < decoded.out.length; at += SLICE_BYTES) {
        const slice = decoded.out.subarray(at, at + SLICE_BYTES);
        hash.update(slice);
        // Synchronous: the frames being decoded meanwhile run on libuv's pool, not on this thread.
        if (out !== undefined && dst !== null) writeAtSync(out, slice, bytes + at, dst);
      }
      flusher?.wrote(decoded.out.length);
      bytes += decoded.out.length;
      frames += decoded.zstdFrames;
      bytesIn = job.piece.offset + job.piece.length;
      onProgress?.({ bytesIn, totalBytes: size });
    }
    await flusher?.finish();
    if (bytesIn < size) onProgress?.({ bytesIn: size, totalBytes: size });
    return { sha256: hash.digest('hex'), bytes, frames };
  } finally {
    await input.close().catch(() => undefined);
    await flusher?.settle();
    if (output !== undefined) await output.close().catch(() => undefined);
  }
}
