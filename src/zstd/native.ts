import { createRequire } from 'node:module';
import { TickdbError } from '../errors.js';

/**
 * The native zstd binding of @mongodb-js/zstd 1.2.2, loaded directly: that version's `index.js` drops the level
 * argument, while the binding itself (`bindings.js`, a napi-rs addon built from the Rust `zstd` crate 0.11 with
 * libzstd 1.5.2) takes it.
 *
 * What the binding is (checked against its source and by experiment, see test/unit/zstd):
 * - it exports exactly two functions, `compress(buf, level?)` and `decompress(buf)`, both one-shot on whole
 *   buffers; there is no streaming API and no option other than the level;
 * - `compress` is `zstd::stream::encode_all(data, level)`: one frame, level honoured (i32, clamped by libzstd to
 *   its maximum 22), but WITHOUT content checksum and WITHOUT content size in the frame header (descriptor byte
 *   0x00). tickdb adds both afterwards by rewriting the frame header (see frame-header.ts);
 * - `decompress` is `zstd::stream::decode_all`: decodes every frame of its input in sequence, skips skippable
 *   frames, verifies a frame's content checksum when the frame has one, and fails on a truncated frame
 *   ("incomplete frame") or trailing garbage ("Unknown frame descriptor"). Its window limit is libzstd's
 *   default (2^27): a frame made with `zstd --long=28` or more fails with "Frame requires too much memory for
 *   decoding" (checked);
 * - both run as napi async work on libuv's thread pool (UV_THREADPOOL_SIZE, 4 by default), the pool that also
 *   serves fs I/O and crypto: a level-19 frame occupies one pool thread for seconds. The napi-rs runtime also
 *   starts tokio worker threads, but they stay idle for these calls.
 *
 * The binding is loaded on first use, not at import.
 */
export interface ZstdBinding {
  compress(data: Buffer, level?: number | null): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
}

export const MIN_LEVEL = 1;
export const MAX_LEVEL = 22;

let binding: ZstdBinding | undefined;

function isBinding(value: unknown): value is ZstdBinding {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.compress === 'function' && typeof record.decompress === 'function';
}

/** The native binding, loaded once. Throws TickdbError INTERNAL when it cannot be loaded. */
export function zstdBinding(): ZstdBinding {
  if (binding !== undefined) return binding;
  let loaded: unknown;
  try {
    loaded = createRequire(import.meta.url)('@mongodb-js/zstd/bindings');
  } catch (err) {
    throw new TickdbError('INTERNAL', `cannot load the zstd native binding: ${String(err)}`, {
      hint: 'run npm install (the @mongodb-js/zstd-<platform> package must be installed)',
      cause: err,
    });
  }
  if (!isBinding(loaded)) {
    throw new TickdbError('INTERNAL', 'the zstd native binding does not export compress and decompress');
  }
  binding = loaded;
  return binding;
}

/** The message of a native error, which napi-rs builds without a JS stack. */
export function nativeMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function assertLevel(level: number): void {
  if (!Number.isInteger(level) || level < MIN_LEVEL || level > MAX_LEVEL) {
    throw new TickdbError('USAGE', `zstd level must be an integer from ${MIN_LEVEL} to ${MAX_LEVEL}, got ${level}`);
  }
}

/**
 * Compresses a whole buffer into one zstd frame at `level` (1..22), on libuv's pool. The frame has neither
 * content size nor checksum; `sealFrame` (frame-header.ts) adds them. Rejects with the native error (plain Error).
 */
export async function compressBuffer(buf: Buffer, level: number): Promise<Buffer> {
  assertLevel(level);
  return zstdBinding().compress(buf, level);
}

/**
 * Decompresses every frame of `buf` (skippable frames skipped, checksums verified when present), on libuv's pool.
 * The output is held whole in memory. Rejects with the native error (plain Error); callers map it to CORRUPT.
 */
export async function decompressBuffer(buf: Buffer): Promise<Buffer> {
  return zstdBinding().decompress(buf);
}
