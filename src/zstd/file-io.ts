import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { TickdbError, ioError } from '../errors.js';

/** Opens `path` for reading, with its size. Errors name `path` (IO); the handle is closed if the stat fails. */
export async function openWithSize(path: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw ioError('open', path, err);
  }
  try {
    return { handle, size: (await handle.stat()).size };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw ioError('stat', path, err);
  }
}

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

/**
 * The worker threads that (de)compress a file for `threads` configured (compressionThreads): the configured value,
 * up to the number of cores of the host (a thread more than the cores only adds contexts of about 100 MB each at
 * level 19, and the switching between them). Unrelated to libuv's pool, which the frames no longer use.
 */
export function effectiveThreads(threads: number, cores = availableParallelism()): number {
  if (!Number.isInteger(threads) || threads < 1)
    throw new TickdbError('USAGE', `threads must be a positive integer, got ${threads}`);
  return Math.max(1, Math.min(threads, cores));
}

/** Refuses an output path that is the input itself (opening it for writing would truncate the input). */
export function assertDistinct(src: string, dst: string | null): void {
  if (dst !== null && resolve(src) === resolve(dst)) {
    throw new TickdbError('USAGE', `output ${dst} is the input file itself`, { path: dst });
  }
}

/**
 * Flushes a file being written to disk in the background, every `everyBytes` written, so that the writeback of a
 * large output (a 200 MB database) overlaps with producing it and the final fsync has little left to do. One
 * flush runs at a time; a failed background flush is reported by `finish`, which does the final fsync.
 */
export class BackgroundFlusher {
  private unflushed = 0;
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    private readonly everyBytes = 32 * 1024 * 1024,
  ) {}

  wrote(bytes: number): void {
    this.unflushed += bytes;
    if (this.unflushed < this.everyBytes || this.running !== undefined) return;
    this.unflushed = 0;
    this.running = this.fh.datasync().then(
      () => {
        this.running = undefined;
      },
      (err: unknown) => {
        this.running = undefined;
        this.failure ??= err;
      },
    );
  }

  async finish(): Promise<void> {
    if (this.running !== undefined) await this.running;
    if (this.failure !== undefined) throw ioError('fsync', this.path, this.failure);
    await fsyncFile(this.fh, this.path);
  }

  /** Waits for a background flush still running (before the file is closed after a failure). */
  async settle(): Promise<void> {
    if (this.running !== undefined) await this.running;
  }
}
