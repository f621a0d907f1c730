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

/** Reads a small stored version back whole, as UTF-8 text (a day of the audit trail: kilobytes). */
export async function readBackText(target: ArchiveTarget, key: string, versionId: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await target.read(key, versionId)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
