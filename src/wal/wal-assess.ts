import type { WalGeneration, WriterVersion } from '../sqlite/wal-file.js';
import type { WalSample } from './wal-samples.js';

/** Growth without a checkpoint for this long is starvation (issue 21: "grown for an hour without a checkpoint"). */
export const STARVATION_MS = 3_600_000;
/**
 * SQLite's default `wal_autocheckpoint` (pages). Below it a slow writer's WAL grows for hours without any
 * checkpoint being due, which is normal; above it each commit tries one, and a WAL that keeps growing in the same
 * generation means those checkpoints cannot finish (a reader holding a transaction open, Litestream #1536).
 */
export const AUTOCHECKPOINT_FRAMES = 1000;
/** A newest sample older than this says nothing about now (the agent samples every 5 minutes). */
export const SAMPLE_FRESH_MS = 15 * 60_000;
/** The first SQLite without the WAL-reset corruption bug (sqlite.org/wal.html). */
export const SAFE_WRITER_VERSION = 3_051_003;

export interface WalAssessment {
  dataset: string;
  day: string;
  /** Newest sample, if any. */
  sampledAt?: string;
  /** The newest sample is older than SAMPLE_FRESH_MS (the agent is not sampling). */
  stale: boolean;
  /** How long the -wal has grown in one generation (no checkpoint reset it), per the samples; 0 when it has not. */
  growingMs: number;
  /** Frames and bytes at the start of that growth and now. */
  growth?: { since: string; fromFrames: number; toFrames: number; fromBytes: number; toBytes: number };
  /** Grew for STARVATION_MS or more past AUTOCHECKPOINT_FRAMES. */
  starved: boolean;
  /**
   * The newest sample's checkpoint has not copied every committed frame back (nBackfill below mxFrame), or the -shm
   * could not tell. A WAL that is fully backfilled but not yet restarted (no write since) is not starved.
   */
  checkpointBehind: boolean;
  writer?: WriterVersion;
  /** The writer's SQLite is older than 3.51.3 and the header says so validly. */
  writerTooOld: boolean;
}

function sameGeneration(a: WalGeneration | undefined, b: WalGeneration | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.checkpointSeq === b.checkpointSeq &&
    a.salt1 === b.salt1 &&
    a.salt2 === b.salt2
  );
}

/**
 * What the samples of one dataset's day say at `now` (pure). Growth is read back from the newest sample: the
 * samples before it in the same WAL generation, each with no more frames than the next, are one stretch of growth
 * with no checkpoint resetting the WAL; its length is the time from the first of them to the newest.
 */
export function assessWal(samples: readonly WalSample[], dataset: string, day: string, now: Date): WalAssessment {
  const mine = samples
    .filter((s) => s.dataset === dataset && s.day === day && Date.parse(s.at) <= now.getTime())
    .sort((a, b) => a.at.localeCompare(b.at));
  const newest = mine.at(-1);
  const base: WalAssessment = {
    dataset,
    day,
    stale: true,
    growingMs: 0,
    starved: false,
    checkpointBehind: false,
    writerTooOld: false,
  };
  if (newest === undefined) return base;
  const writer = newest.writer ?? [...mine].reverse().find((s) => s.writer !== undefined)?.writer;
  const result: WalAssessment = {
    ...base,
    sampledAt: newest.at,
    checkpointBehind: newest.backfilledFrames === undefined || newest.backfilledFrames < newest.committedFrames,
    stale: now.getTime() - Date.parse(newest.at) > SAMPLE_FRESH_MS,
    ...(writer !== undefined ? { writer } : {}),
    writerTooOld: writer?.valid === true && writer.number < SAFE_WRITER_VERSION,
  };
  let first = newest;
  for (let i = mine.length - 2; i >= 0; i--) {
    const s = mine[i] as WalSample;
    if (!sameGeneration(s.generation, first.generation) || s.committedFrames > first.committedFrames) break;
    first = s;
  }
  if (first === newest || newest.committedFrames <= first.committedFrames) return result;
  const growingMs = Date.parse(newest.at) - Date.parse(first.at);
  return {
    ...result,
    growingMs,
    growth: {
      since: first.at,
      fromFrames: first.committedFrames,
      toFrames: newest.committedFrames,
      fromBytes: first.walBytes,
      toBytes: newest.walBytes,
    },
    starved:
      !result.stale &&
      result.checkpointBehind &&
      growingMs >= STARVATION_MS &&
      newest.committedFrames > AUTOCHECKPOINT_FRAMES,
  };
}
