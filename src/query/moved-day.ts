import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { TickdbError, errnoOf, ioError } from '../errors.js';
import type { CacheSpec } from './query-cache.js';
import { entryPath, tmpEntryPath } from './query-cache.js';
import type { DayMove, DaySource, Materialize } from './query-types.js';

/**
 * A day the agent moved while the query ran. The plan is made from one scan of the tiers, and the agent may compress
 * a sealed `.db` (the `.db.zst` is renamed into place before the `.db` is deleted) or move a `.db.zst` to the archive
 * (copied and verified before the source is deleted) before this query opens the day. Then the day is read from
 * where it went: the first of `moves` (the paths it can move to, in order) that exists, decoded into the cache like
 * any compressed day and verified by its content's recorded SHA-256 (the `.zst`'s own hash was not known when the
 * query read the metadata). A day with none of them (purged meanwhile, or now only in S3) is an error naming it.
 */
export interface MovedDay {
  source: DaySource;
  how: Materialize;
}

export async function movedDay(
  source: DaySource,
  moves: readonly DayMove[],
  cache: CacheSpec | undefined,
): Promise<MovedDay> {
  for (const { tier, path } of moves) {
    let zstBytes: number;
    try {
      zstBytes = (await stat(path)).size;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') continue;
      throw ioError('stat', path, err);
    }
    const sha256 = source.kind === 'live' ? undefined : source.sha256;
    const bytes = source.kind === 'live' ? undefined : source.bytes;
    const moved: DaySource = { kind: 'compressed', day: source.day, tier, path, sha256, bytes, zstBytes };
    const dir = cache?.dir ?? tmpdir();
    const name = sha256 ?? '0'.repeat(64);
    const entry = cache !== undefined && sha256 !== undefined ? entryPath(cache, sha256) : undefined;
    return { source: moved, how: { mode: 'decompress', tmpPath: tmpEntryPath({ dir, maxBytes: 0 }, name), entry } };
  }
  throw new TickdbError('IO', `${source.day}: ${source.path} was moved or deleted while the query ran`, {
    path: source.path,
    hint: `it is not at ${moves.map((m) => m.path).join(' nor ')} either (purged, or now only in S3): run the query again, which reads the day where it is now`,
  });
}
