import type { Config } from '../config/schema.js';
import type { Day } from '../layout/day.js';
import type { TierDirs } from '../layout/tiers.js';
import type { DayRecord } from '../store/metadata-types.js';

/** A value bound to a statement or read from one: integers are BigInt so that nanosecond timestamps stay exact. */
export type SqlValue = bigint | number | string | Buffer | null;

/**
 * Where one day of the range is read from. `live`: a `.db` that is not sealed (today, or a day the seal has not
 * reached), read in place on a read-only connection. `sealed`: a sealed `.db`, read in place. `compressed`: a `.db.zst`
 * in db/ or archive/, decompressed and verified first (see verified-day.ts, the seam where a remote tier plugs in).
 */
export type DaySource =
  | { kind: 'live'; day: Day; path: string }
  | { kind: 'sealed'; day: Day; path: string; sha256: string | undefined; bytes: number | undefined }
  | {
      kind: 'compressed';
      day: Day;
      tier: 'db' | 'archive' | 's3';
      path: string;
      /** The recorded SHA-256 and size of the sealed database the `.zst` decompresses to; absent when unrecorded. */
      sha256: string | undefined;
      bytes: number | undefined;
      /** The recorded SHA-256 of the `.zst` itself, checked as it is read (see verified-day.ts); absent when unrecorded. */
      zstSha256?: string | undefined;
      zstBytes: number;
      /** For the S3 tier: the day's record, whose object version is fetched (inspect/fetch-remote.ts). */
      record?: DayRecord | undefined;
    };

/** What a day needs to be planned again on its own (replan-day.ts): the tree, the datasets, its prefix, the clock. */
export interface Replan {
  dirs: TierDirs;
  datasets: string[];
  prefix: string;
  /** ISO instant (crosses postMessage as text). */
  now: string;
}

/** A day of the range that has no file to read (listed on stderr, not an error). */
export interface MissingDay {
  day: Day;
  /** What is known of it: purged, only a backup left, ... */
  note?: string;
}

/** A day that cannot be read: quarantined, found twice, failed verification (an error once the others are done). */
export interface FailedDay {
  day: Day;
  message: string;
  path?: string | undefined;
  hint?: string | undefined;
}

/**
 * How a worker gets the day's database: `in-place` (live or sealed file), `cache-hit` (a verified entry),
 * `decompress` (into the cache, through `tmpPath`), `memory` (decompressed into a Buffer that SQLite opens).
 */
export type Materialize =
  | { mode: 'in-place'; verifySha256: boolean }
  | { mode: 'cache-hit'; entry: string; reverify: boolean; tmpPath: string }
  | { mode: 'decompress'; tmpPath: string; entry: string | undefined }
  | { mode: 'memory'; tmpPath: string };

/** One day's work, posted to a worker. */
export interface DayTask {
  source: DaySource;
  how: Materialize;
  sql: string;
  params: Record<string, SqlValue>;
  /** Cache folder and its bound, for the eviction that follows a new entry. */
  cache: { dir: string; maxBytes: number } | undefined;
  /** The configuration, for a day fetched from the S3 archive target (planned so, or re-planned so: replan-day.ts). */
  config?: Config | undefined;
  /** To plan the day again if the agent moves it before this query opens it (replan-day.ts). */
  replan?: Replan;
  /** Frames decoded at once for this day. */
  threads: number;
  /** Hash a compressed day's content against its record even when its `.zst`'s recorded hash was checked (--verify). */
  verifyContent?: boolean;
  batchRows: number;
  /** Int32 credit counter: batches the worker may still post before it waits for the main thread. */
  credits: SharedArrayBuffer;
}

export interface TaskError {
  code: string;
  message: string;
  path?: string | undefined;
  hint?: string | undefined;
}

/** What a worker posts back, in order: `columns`, any number of `rows`, then `done` or `error`. */
export type WorkerMessage =
  | { type: 'columns'; day: Day; names: string[] }
  | { type: 'rows'; day: Day; rows: SqlValue[][] }
  | { type: 'done'; day: Day; rows: number; via: string; ms: number }
  | { type: 'error'; day: Day; error: TaskError };
