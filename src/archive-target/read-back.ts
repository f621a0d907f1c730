import { createHash } from 'node:crypto';
import type { ArchiveTarget } from './target.js';

export interface ObjectDigest {
  sha256: string;
  bytes: number;
}

/** Reads a stored version back and hashes its bytes (constant memory): what was stored, not what was sent. */
export async function readBackDigest(target: ArchiveTarget, key: string, versionId: string): Promise<ObjectDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of await target.read(key, versionId)) {
    const buf = chunk as Buffer;
    hash.update(buf);
    bytes += buf.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
