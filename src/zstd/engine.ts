import { createRequire } from 'node:module';
import type * as Binding from 'zstd-napi/binding.js';
import { TickdbError } from '../errors.js';

/**
 * The zstd engine: the native binding of zstd-napi 0.0.13 (`zstd-napi/binding`, Node-API, libzstd 1.5.7 built from
 * the sources bundled in the package at install). Chosen over @mongodb-js/zstd 1.2.2 by measurement
 * (docs/performance.md): its contexts take parameters (content checksum and content size written by libzstd
 * itself) and decode into a buffer of ours, which is reused across frames instead of allocating and first-touching
 * a new one per frame.
 *
 * Its calls are synchronous and run on the calling thread: tickdb calls it only from the frame workers
 * (zstd-worker.ts), never from the main thread. It is loaded on first use, not at import.
 */
export type ZstdBinding = typeof Binding;

export const MIN_LEVEL = 1;
export const MAX_LEVEL = 22;

let binding: ZstdBinding | undefined;

/** The native binding, loaded once. Throws TickdbError INTERNAL when it cannot be loaded. */
export function zstdBinding(): ZstdBinding {
  if (binding !== undefined) return binding;
  try {
    binding = createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding;
  } catch (err) {
    throw new TickdbError('INTERNAL', `cannot load the zstd native binding: ${String(err)}`, {
      hint: 'run npm install (zstd-napi builds its native binding at install: it needs python3, make and g++)',
      cause: err,
    });
  }
  return binding;
}

/** The message of a native error. */
export function nativeMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function assertLevel(level: number): void {
  if (!Number.isInteger(level) || level < MIN_LEVEL || level > MAX_LEVEL) {
    throw new TickdbError('USAGE', `zstd level must be an integer from ${MIN_LEVEL} to ${MAX_LEVEL}, got ${level}`);
  }
}
