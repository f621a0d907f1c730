import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { writeIncompressibleDb, zstdLegacy } from '../../scripts/legacy-day.js';
import type { DayRecord } from '../../src/store/metadata-types.js';
import type { Rgw } from './rgw.js';

/** The day `n` days before today (UTC), `YYYY-MM-DD`. */
export const dayOffset = (n: number): string => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

/** The metadata's days, as written (DESIGN 4). */
export const metadataDays = (root: string): Record<string, DayRecord> =>
  (JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')) as { days: Record<string, DayRecord> })
    .days;

/** `TIER/YYYY/MM/ticks_DAY.db.zst` under the root. */
export const zstPath = (root: string, tier: string, day: string): string =>
  join(root, tier, day.slice(0, 4), day.slice(5, 7), `ticks_${day}.db.zst`);

export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/** SHA-256 and size of an object version's bytes, as the server gives them back. */
export async function objectSha(
  rgw: Rgw,
  bucket: string,
  key: string,
  versionId: string,
): Promise<{ sha256: string; bytes: number }> {
  const r = await rgw.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of r.Body as AsyncIterable<Buffer>) {
    h.update(c);
    bytes += c.length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/**
 * A legacy day of about `mib` MiB that does not compress (random blobs), as the older scripts' `zstd` left it in
 * db/: returns the `.db.zst` path and the SHA-256 of the database it holds.
 */
export async function legacyZstDay(root: string, day: string, mib: number): Promise<{ zst: string; dbSha256: string }> {
  const dir = join(root, 'db', day.slice(0, 4), day.slice(5, 7));
  mkdirSync(dir, { recursive: true });
  const db = join(dir, `ticks_${day}.db`);
  writeIncompressibleDb(db, mib);
  const dbSha256 = await fileSha256(db);
  return { zst: zstdLegacy(db), dbSha256 };
}
