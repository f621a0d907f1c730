import { tmpdir } from 'node:os';
import { entryPath, lookupEntry, tmpEntryPath, type CacheSpec } from './query-cache.js';
import type { DaySource, Materialize } from './query-types.js';

const NO_HASH = '0'.repeat(64);

/**
 * How a compressed day is decoded when the cache does not hold it: into memory without a cache, or when the day is
 * larger than the whole cache; else into the cache through a `.tmp`, as the entry named by its recorded SHA-256 (a
 * day without one gets a scratch copy, checked by SQLite before use: verified-day.ts).
 */
function decodeHow(
  source: DaySource,
  cache: CacheSpec | undefined,
): Extract<Materialize, { mode: 'memory' | 'decompress' }> {
  const sha256 = source.kind === 'live' ? undefined : source.sha256;
  const bytes = source.kind === 'live' ? undefined : source.bytes;
  if (cache === undefined || (bytes ?? 0) > cache.maxBytes)
    return { mode: 'memory', tmpPath: tmpEntryPath({ dir: tmpdir(), maxBytes: 0 }, sha256 ?? NO_HASH) };
  if (sha256 === undefined) return { mode: 'decompress', tmpPath: tmpEntryPath(cache, NO_HASH), entry: undefined };
  return { mode: 'decompress', tmpPath: tmpEntryPath(cache, sha256), entry: entryPath(cache, sha256) };
}

/**
 * How a day's database is obtained: a `.db` in place (its hash checked with `verifySealed`), a compressed day from
 * its verified cache entry, or decoded (decodeHow). Decided by the main thread before the day starts, so that its
 * memory is known, and again by a day re-planned after the agent moved it (replan-day.ts).
 */
export async function materializeFor(
  source: DaySource,
  cache: CacheSpec | undefined,
  verifySealed: boolean,
): Promise<Materialize> {
  if (source.kind !== 'compressed') return { mode: 'in-place', verifySha256: verifySealed };
  const how = decodeHow(source, cache);
  if (how.mode !== 'decompress' || how.entry === undefined || cache === undefined || source.sha256 === undefined)
    return how;
  const hit = await lookupEntry(cache, source.sha256, source.bytes);
  if (hit !== undefined) return { mode: 'cache-hit', entry: hit.path, reverify: hit.reverify, tmpPath: how.tmpPath };
  return how;
}
