import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ioError } from '../errors.js';

export interface FileDigest {
  sha256: string;
  bytes: number;
}

/** SHA-256 and size of a file, streamed (constant memory). */
export async function sha256File(path: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      const buf = chunk as Buffer;
      hash.update(buf);
      bytes += buf.length;
    }
  } catch (err) {
    throw ioError('hash', path, err);
  }
  return { sha256: hash.digest('hex'), bytes };
}

export function sha256Buffer(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
