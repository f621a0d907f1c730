import type { FileHandle } from 'node:fs/promises';
import { TickdbError, ioError } from '../errors.js';

/**
 * Reads up to `length` bytes at `position`; the result is shorter only at end of file. Errors become TickdbError
 * (IO, or NO_SPACE) naming `path`.
 */
export async function readAt(fh: FileHandle, position: number, length: number, path: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  try {
    while (done < length) {
      const { bytesRead } = await fh.read(buf, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } catch (err) {
    throw ioError('read', path, err);
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** Writes all of `data` at `position`. ENOSPC becomes TickdbError NO_SPACE naming `path`, other errors IO. */
export async function writeAt(fh: FileHandle, data: Uint8Array, position: number, path: string): Promise<void> {
  let done = 0;
  try {
    while (done < data.length) {
      const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
  } catch (err) {
    throw ioError('write', path, err);
  }
}

export async function fsyncFile(fh: FileHandle, path: string): Promise<void> {
  try {
    await fh.sync();
  } catch (err) {
    throw ioError('fsync', path, err);
  }
}

/** The size of libuv's thread pool as libuv reads it (UV_THREADPOOL_SIZE at first use; 4 by default, max 1024). */
export function threadPoolSize(): number {
  const n = Number.parseInt(process.env['UV_THREADPOOL_SIZE'] ?? '', 10);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 1024) : 4;
}

/**
 * How many frames are (de)compressed at once for `threads` requested: the native calls each hold one thread of
 * libuv's pool for as long as a frame takes (seconds at level 19), and that pool also serves every fs call of the
 * process, so one pool thread is always left free for I/O: min(threads, pool size - 1), at least 1. With the
 * default pool of 4, at most 3 frames run at once; a host that wants 4 sets UV_THREADPOOL_SIZE=5 or more before
 * Node starts its pool (in the service unit, or first thing in the entry script).
 */
export function concurrencyFor(threads: number): number {
  if (!Number.isInteger(threads) || threads < 1) throw new TickdbError('USAGE', `threads must be a positive integer, got ${threads}`);
  return Math.max(1, Math.min(threads, threadPoolSize() - 1));
}
