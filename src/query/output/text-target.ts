import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { ioError } from '../../errors.js';
import { tmpPathFor } from '../../fs/atomic-write.js';

/** Where formatted rows go: stdout, or a file that takes its name only once the query has run. */
export interface TextTarget {
  write(text: string): Promise<void>;
  close(): Promise<void>;
  discard(): Promise<void>;
}

function writeTo(stream: Writable, text: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: unknown): void => reject(ioError('write', what, err));
    stream.once('error', onError);
    const ok = stream.write(text, () => undefined);
    const done = (): void => {
      stream.off('error', onError);
      resolve();
    };
    if (ok) done();
    else stream.once('drain', done);
  });
}

/** A stream that stays open (stdout); writes wait for it to drain, which slows the day workers down to its pace. */
export function streamTarget(stream: Writable, what = 'stdout'): TextTarget {
  return {
    write: (text) => writeTo(stream, text, what),
    close: async () => undefined,
    discard: async () => undefined,
  };
}

/** A file written as `.tmp` and renamed when the query is done; removed if it is interrupted. */
export function fileTarget(path: string): TextTarget {
  const tmp = tmpPathFor(path);
  // 1 MiB of buffered text, not 16 KiB: a day's batch of 1000 rows is larger than 16 KiB, so each batch waited for a
  // thread-pool write before the next, while the days on the main thread ran ahead and their batches piled up long
  // enough to be promoted and collected by a full GC (about 20 ms of a 220 ms cached query of 30 days).
  const stream = createWriteStream(tmp, { mode: 0o644, highWaterMark: 1 << 20 });
  const closed = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (stream.closed) resolve();
      else stream.end(() => resolve());
      stream.once('error', (err) => reject(ioError('write', tmp, err)));
    });
  return {
    write: (text) => writeTo(stream, text, tmp),
    close: async () => {
      await closed();
      await rename(tmp, path).catch((err: unknown) => {
        throw ioError('rename', path, err);
      });
    },
    discard: async () => {
      await closed().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
    },
  };
}
