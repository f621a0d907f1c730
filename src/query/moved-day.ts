import { stat } from 'node:fs/promises';
import { TickdbError, errnoOf, ioError } from '../errors.js';
import { pathExists } from '../fs/path-exists.js';
import { decodeHow } from './decode-how.js';
import type { CacheSpec } from './query-cache.js';
import type { DayMove, DaySource, Materialize } from './query-types.js';

/**
 * A day the agent moved while the query ran. The plan is made from one scan of the tiers, and the agent may compress
 * a sealed `.db` (into db/, or straight into archive/) or archive a `.db.zst` before this query opens the day; both
 * put the new file in place before they delete the old one (lifecycle/move-protocol.ts). Then the day is read from
 * where it went: the first of its `moves` that exists, decoded as any compressed day is (decode-how.ts: into the
 * cache, or into memory without one). A `.db.zst` moved to the archive is the same file, checked against its
 * recorded SHA-256; a `.db` compressed meanwhile has its content hashed against the day's recorded SHA-256, since
 * the new `.zst`'s hash was not in the metadata the query read. A day in none of them (purged meanwhile, or now only
 * in S3) is an error naming it.
 */
export interface MovedDay {
  source: DaySource;
  how: Materialize;
  /** The moves after this one, should the day move again before it is opened. */
  rest: DayMove[];
}

export async function movedDay(
  source: DaySource,
  moves: readonly DayMove[],
  cache: CacheSpec | undefined,
): Promise<MovedDay> {
  for (const [i, { tier, path }] of moves.entries()) {
    let zstBytes: number;
    try {
      zstBytes = (await stat(path)).size;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') continue;
      throw ioError('stat', path, err);
    }
    const recorded = source.kind === 'live' ? { sha256: undefined, bytes: undefined } : source;
    const zstSha256 = source.kind === 'compressed' ? source.zstSha256 : undefined;
    const moved: DaySource = {
      kind: 'compressed',
      day: source.day,
      tier,
      path,
      sha256: recorded.sha256,
      bytes: recorded.bytes,
      zstSha256,
      zstBytes,
    };
    return { source: moved, how: decodeHow(moved, cache), rest: moves.slice(i + 1) };
  }
  throw new TickdbError('IO', `${source.day}: ${source.path} was moved or deleted while the query ran`, {
    path: source.path,
    hint: `the day is not at ${moves.map((m) => m.path).join(' nor ') || 'any other local place'} either (purged, or now only in S3): run the query again, which reads the day where it is now`,
  });
}

/** The day's file is gone: what a move by the agent leaves (a local file only; an error to stat it is not that). */
export async function vanished(source: DaySource): Promise<boolean> {
  if (source.kind === 'compressed' && source.tier === 's3') return false;
  return !(await pathExists(source.path).catch(() => true));
}
